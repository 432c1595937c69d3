"""dmn_jax/results/stats.py: the sign-flip test against hand counts."""

import numpy as np
import pytest

from dmn_jax.results import stats


def test_exact_p_values_by_hand():
  # All of n differences positive: only the all-+ and all-- patterns reach |mean| -> 2 / 2^n.
  assert stats.sign_flip_p([1.0, 1.0, 1.0]) == pytest.approx(2 / 8)
  assert stats.sign_flip_p([1, 2, 3, 4, 5]) == pytest.approx(2 / 32)
  # [3, -1]: patterns ±3 ±1 -> means 2, 1, -1, -2; |mean| >= 1: all four.
  assert stats.sign_flip_p([3.0, -1.0]) == pytest.approx(1.0)
  # [4, 1, 1]: sums ±4±1±1 -> 6, 4, 4, 2, -2, -4, -4, -6; |sum| >= 6: 2 of 8.
  assert stats.sign_flip_p([4.0, 1.0, 1.0]) == pytest.approx(2 / 8)
  assert stats.sign_flip_p([0.0, 0.0]) == pytest.approx(1.0)


def test_monte_carlo_beyond_the_exact_limit_is_reproducible_and_close():
  rng = np.random.default_rng(3)
  d = rng.normal(0.4, 1.0, size=40)
  p1, p2 = stats.sign_flip_p(d), stats.sign_flip_p(d)
  assert p1 == p2
  # Against the normal approximation of the same statistic (large n): within a few points.
  from math import erf, sqrt
  z = abs(d.mean()) / (np.sqrt(np.mean(d ** 2)) / sqrt(len(d)))
  assert p1 == pytest.approx(1 - erf(z / sqrt(2)), abs=0.03)


def test_paired_uses_common_seeds_only():
  r = stats.paired({0: 90.0, 1: 92.0, 2: 80.0}, {0: 95.0, 1: 93.0, 3: 99.0})
  assert r['seeds'] == [0, 1] and r['n'] == 2
  assert r['mean_diff'] == pytest.approx(3.0) and r['wins'] == 2 and r['losses'] == 0
  assert r['p'] == pytest.approx(0.5)
  assert stats.paired({0: 1.0}, {1: 1.0}) is None
