import jax.numpy as jnp
import numpy as np
import pytest

from dmn_jax import losses


def _peaked(targets, f):
  """Gate logits [1, T, f] that put (almost) all mass on targets[i] at pass i."""
  x = np.full((1, len(targets), f), -20.0, np.float32)
  for i, t in enumerate(targets):
    x[0, i, t] = 20.0
  return jnp.asarray(x)


def test_gate_targets_are_the_supports_in_order():
  supports, mask, w = jnp.array([[2, 5]]), jnp.array([[True, True]]), jnp.ones(1)
  good = losses.gate_terms(_peaked([2, 5, 0], 6), supports, mask, w)
  assert float(good['gate_count']) == 2 and float(good['gate_correct']) == 2   # pass 3 free
  assert float(good['gate_loss_sum']) < 1e-6
  swapped = losses.gate_terms(_peaked([5, 2, 0], 6), supports, mask, w)
  assert float(swapped['gate_correct']) == 0 and float(swapped['gate_loss_sum']) > 10


def test_end_pass_target_follows_the_last_support():
  supports, mask, w = jnp.array([[2, 5, 0]]), jnp.array([[True, True, False]]), jnp.ones(1)
  f = 7                                                  # 6 facts + the end fact at index 6
  good = losses.gate_terms(_peaked([2, 5, 6, 1], f), supports, mask, w, end_pass=True)
  assert float(good['gate_count']) == 3 and float(good['gate_correct']) == 3   # pass 4 free
  assert float(good['gate_loss_sum']) < 1e-6
  late = losses.gate_terms(_peaked([2, 5, 1, 6], f), supports, mask, w, end_pass=True)
  assert float(late['gate_correct']) == 2
  # A padded example (weight 0) is never supervised.
  none = losses.gate_terms(_peaked([2, 5, 6], f), supports, mask, jnp.zeros(1), end_pass=True)
  assert float(none['gate_count']) == 0


def test_answer_accuracy_needs_every_token():
  logits = np.full((1, 3, 4), -10.0, np.float32)
  logits[0, 0, 1] = logits[0, 1, 2] = logits[0, 2, 0] = 10.0
  answer = jnp.array([[1, 2, 3]])
  full = losses.answer_terms(jnp.asarray(logits), answer, jnp.array([[True, True, True]]),
                             jnp.ones(1))
  short = losses.answer_terms(jnp.asarray(logits), answer, jnp.array([[True, True, False]]),
                              jnp.ones(1))
  assert float(full['correct']) == 0 and float(short['correct']) == 1
  assert float(short['answer_loss_sum']) == pytest.approx(0.0, abs=1e-6)


def test_per_gate_bce_by_hand():
  """kind='bce': Σ over real facts of the binary CE of σ(logit) against 1 on the pass's
  supporting fact, 0 elsewhere; padded facts (logit −1e30) count nowhere."""
  logits = jnp.array([[[2.0, -1.0, 0.5, -1e30], [0.3, 1.2, -0.4, -1e30]]])        # [1, 2, 4]
  supports, smask = jnp.array([[2, 0]]), jnp.array([[True, True]])
  out = losses.gate_terms(logits, supports, smask, jnp.ones(1), kind='bce')
  sig = lambda x: 1 / (1 + np.exp(-x))
  want = 0.0
  for t, target in enumerate((2, 0)):
    for f in range(3):
      p = sig(float(logits[0, t, f]))
      want -= np.log(p) if f == target else np.log(1 - p)
  assert float(out['gate_loss_sum']) == pytest.approx(want, rel=1e-5)
  assert float(out['gate_correct']) == 0 and float(out['gate_count']) == 2
  # All gates at 1 (the saturation the softmax CE allows) is costly under BCE, not under CE.
  high = jnp.array([[[9.0, 9.0, 9.5, -1e30], [9.5, 9.0, 9.0, -1e30]]])
  ce = losses.gate_terms(high, supports, smask, jnp.ones(1))['gate_loss_sum']
  bce = losses.gate_terms(high, supports, smask, jnp.ones(1), kind='bce')['gate_loss_sum']
  assert float(bce) > 30 and float(ce) < 2.5


def test_argmax_is_equals_argmax_ties_to_the_first_maximum():
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(6, 4, 9)).astype(np.float32)
  logits[0, 0] = 0.0                               # all tied: index 0 is the argmax
  logits[1, 1, [2, 5]] = 10.0                      # a tie between 2 and 5: 2
  logits[2, 2, 3] = np.inf
  labels = rng.integers(0, 9, size=(6, 4))
  labels[0, 0], labels[1, 1], labels[2, 2] = 0, 2, 3
  for lab in (labels, np.argmax(logits, -1), np.full((6, 4), 5)):
    np.testing.assert_array_equal(losses.argmax_is(jnp.asarray(logits), jnp.asarray(lab)),
                                  np.argmax(logits, -1) == lab)
  # The later of two tied maxima is not the argmax; an all-zero row matches index 0 only.
  assert not bool(losses.argmax_is(jnp.asarray(logits[1, 1]), jnp.asarray(5)))
  assert not bool(losses.argmax_is(jnp.zeros(9), jnp.asarray(4)))
