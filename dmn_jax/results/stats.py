"""Paired comparisons of two configs on the same seeds: the sign-flip (permutation) test.

Two cells of a study that differ in one key, trained on the same seeds, give one dev-accuracy
difference per seed. Under "the key makes no difference" each difference is as likely positive
as negative, so the p-value of the observed mean difference is the share of the 2^n sign
patterns whose mean is at least as far from 0. Exact for n ≤ `EXACT_MAX` pairs; beyond, a
Monte Carlo estimate from a fixed RNG (reproducible). No distributional assumption (dev accuracy
moves in steps of one question, far from normal on 100 questions).
"""

from __future__ import annotations

import itertools

import numpy as np

EXACT_MAX = 16                     # 2^16 sign patterns enumerated exactly
MONTE_CARLO_SAMPLES = 100_000


def sign_flip_p(diffs) -> float:
  """Two-sided p-value of mean(diffs) under random signs. diffs: <float>[n], n ≥ 1."""
  d = np.asarray(diffs, np.float64)
  obs = abs(d.mean())
  tol = 1e-9 * max(1.0, np.abs(d).max())       # ties count as "at least as far"
  if len(d) <= EXACT_MAX:
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))
  else:
    rng = np.random.default_rng(0)
    signs = rng.choice((1.0, -1.0), size=(MONTE_CARLO_SAMPLES, len(d)))
  return float(np.mean(np.abs(signs @ d / len(d)) >= obs - tol))


def paired(a: dict[int, float], b: dict[int, float]) -> dict | None:
  """The paired comparison of b − a over the seeds both have ({seed: value} each): n, mean
  difference, its standard deviation and the sign-flip p-value; None without a common seed."""
  seeds = sorted(a.keys() & b.keys())
  if not seeds:
    return None
  d = np.array([b[s] - a[s] for s in seeds])
  return {'seeds': seeds, 'n': len(seeds), 'mean_diff': float(d.mean()),
          'sd_diff': float(d.std(ddof=1)) if len(d) > 1 else 0.0,
          'wins': int((d > 0).sum()), 'losses': int((d < 0).sum()), 'p': sign_flip_p(d)}
