"""Turns summed metrics (see `dmn_jax.losses`) into means, once per epoch on the host.

A family's step returns sums over a batch: `count` (real examples, or real words for tagging),
`answer_loss_sum` and `correct`, and any of its own, named by convention:
  `<name>_sum`                  -> `<name>` = sum / count (gate_loss, passes);
  `<name>_correct`, `_count`    -> `<name>_accuracy` = correct / count (nan when count is 0).
"""

from __future__ import annotations

from typing import Iterable, Mapping

import jax
import numpy as np


def accumulate(sums: Iterable[Mapping[str, jax.Array]]) -> dict[str, np.ndarray]:
  """Adds per-batch sums (scalars, or [S] per seed); one device→host transfer for the list."""
  total: dict[str, np.ndarray] = {}
  for s in jax.device_get(list(sums)):
    for k, v in s.items():
      total[k] = total.get(k, 0.0) + np.asarray(v, np.float64)
  return total


def per_seed(total: Mapping[str, np.ndarray]) -> list[dict[str, float]]:
  """{k: [S]} -> S dicts of floats (a scalar total gives one dict)."""
  n = np.size(next(iter(total.values())))
  return [{k: float(np.reshape(v, -1)[i]) for k, v in total.items()} for i in range(n)]


def normalize(total: Mapping[str, float], loss_weights=(1.0, 1.0)) -> dict[str, float]:
  """Means per example: `loss` (J = α·gate_loss + β·answer_loss, α, β = loss_weights; a family
  without gate terms has J = β·answer_loss), `accuracy`, `examples`, and the conventions of the
  module docstring."""
  total = {k: float(v) for k, v in total.items()}
  n = max(total.get('count', 0.0), 1.0)
  out = {'accuracy': total['correct'] / n, 'examples': total.get('count', 0.0)}
  for k, v in total.items():
    if k.endswith('_sum'):
      out[k[:-len('_sum')]] = v / n
    elif k.endswith('_correct'):
      c = total.get(k[:-len('_correct')] + '_count', 0.0)
      out[k[:-len('_correct')] + '_accuracy'] = v / c if c else float('nan')
  out['loss'] = float(loss_weights[0] * out.get('gate_loss', 0.0)
                      + loss_weights[1] * out['answer_loss'])
  return out
