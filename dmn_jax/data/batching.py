"""Fixed-shape batches of numpy arrays: every batch has exactly `batch_size` rows.

A short last batch is padded with all-zero rows whose `weight` is 0, so one compiled step serves
every batch and padded rows never count in losses or metrics.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np


def num_examples(arrays: dict[str, np.ndarray]) -> int:
  return len(next(iter(arrays.values())))


def batches(arrays: dict[str, np.ndarray], batch_size: int, order: np.ndarray | None = None
            ) -> Iterator[dict[str, np.ndarray]]:
  """Yields dicts of [batch_size, ...] arrays plus `weight` <float32>[batch_size].

  Args:
    arrays: same-length arrays of one split.
    order: a permutation of the rows (None: in order).
  """
  n = num_examples(arrays)
  order = np.arange(n) if order is None else order
  for start in range(0, n, batch_size):
    idx = order[start:start + batch_size]
    real = len(idx)
    batch = {}
    for k, v in arrays.items():
      b = np.zeros((batch_size,) + v.shape[1:], v.dtype)
      b[:real] = v[idx]
      batch[k] = b
    batch['weight'] = (np.arange(batch_size) < real).astype(np.float32)
    yield batch


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
  """The shuffle of epoch `epoch`: a function of (seed, epoch) only, so resumes replay it."""
  return np.random.default_rng((seed, epoch)).permutation(n)
