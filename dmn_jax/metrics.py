"""Turns summed metrics (see `dmn_jax.losses`) into means, once per epoch on the host."""

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
  """Means per example: loss (J), answer_loss, gate_loss, accuracy, gate_accuracy."""
  total = {k: float(v) for k, v in total.items()}
  n = max(total.get('count', 0.0), 1.0)
  out = {
      'answer_loss': total['answer_loss_sum'] / n,
      'gate_loss': total['gate_loss_sum'] / n,
      'accuracy': total['correct'] / n,
      'examples': total.get('count', 0.0),
  }
  out['loss'] = float(loss_weights[0] * out['gate_loss'] + loss_weights[1] * out['answer_loss'])
  if 'passes_sum' in total:
    out['passes'] = total['passes_sum'] / n               # mean passes that changed the memory
  gc = total.get('gate_count', 0.0)
  out['gate_accuracy'] = total['gate_correct'] / gc if gc else float('nan')
  return out
