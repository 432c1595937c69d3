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
    yield make_batch(arrays, order[start:start + batch_size], batch_size)


def make_batch(arrays: dict[str, np.ndarray], idx: np.ndarray, batch_size: int
               ) -> dict[str, np.ndarray]:
  """Rows `idx` (at most batch_size) padded to batch_size rows, plus `weight`."""
  real = len(idx)
  batch = {}
  for k, v in arrays.items():
    b = np.zeros((batch_size,) + v.shape[1:], v.dtype)
    b[:real] = v[idx]
    batch[k] = b
  batch['weight'] = (np.arange(batch_size) < real).astype(np.float32)
  return batch


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
  """The shuffle of epoch `epoch`: a function of (seed, epoch) only, so resumes replay it."""
  return np.random.default_rng((seed, epoch)).permutation(n)


# Arrays whose second axis is the story's words / its facts, cropped per length bucket.
WORD_AXIS = ('story', 'story_mask')
FACT_AXIS = ('fact_pos', 'fact_mask')


def length_buckets(arrays: dict[str, np.ndarray], k: int) -> list[dict]:
  """Splits the examples into at most k groups of similar story length: the boundaries that
  minimise the padded words per epoch (Σ over groups of size × longest story).

  Returns [{'idx': example indices, 'words': W, 'facts': F}], W and F the group's largest word
  and fact counts: the group's batches are cropped to [B, W] / [B, F], so short stories do not
  pay for the longest one. k = 1: one group with the split's full shape.
  """
  n = num_examples(arrays)
  if k <= 1:   # (arrays without a word stream, e.g. MemN2N memories, have one bucket)
    return [{'idx': np.arange(n),
             'words': arrays['story'].shape[1] if 'story' in arrays else None,
             'facts': arrays['fact_pos'].shape[1] if 'fact_pos' in arrays else None}]
  words = arrays['story_mask'].sum(1)
  facts = arrays['fact_mask'].sum(1)
  uppers = _bucket_bounds(words, k)
  lowers = [-1] + uppers[:-1]
  groups = [np.flatnonzero((words > lo) & (words <= hi)) for lo, hi in zip(lowers, uppers)]
  return [{'idx': g, 'words': max(1, int(words[g].max())),
           'facts': max(1, int(facts[g].max()))} for g in groups if len(g)]


def _bucket_bounds(lengths: np.ndarray, k: int) -> list[int]:
  """Upper length bounds of at most k groups minimising the padded work Σ_groups size × max
  (dynamic programming over the distinct lengths)."""
  values, counts = np.unique(lengths, return_counts=True)
  m = len(values)
  k = min(k, m)
  csum = np.concatenate([[0], np.cumsum(counts)])
  # cost[g][b]: least work covering values[:b + 1] with g + 1 groups; arg[g][b]: start of the last.
  cost = np.full((k, m), np.inf)
  arg = np.zeros((k, m), int)
  cost[0] = csum[1:] * values
  for g in range(1, k):
    for b in range(g, m):
      a = np.arange(g, b + 1)                          # the last group is values[a..b]
      total = cost[g - 1][a - 1] + (csum[b + 1] - csum[a]) * values[b]
      i = int(np.argmin(total))
      cost[g][b], arg[g][b] = total[i], a[i]
  bounds, b = [], m - 1
  for g in range(k - 1, -1, -1):
    bounds.append(int(values[b]))
    if g:
      b = arg[g][b] - 1
  return sorted(bounds)


def crop(batch: dict[str, np.ndarray], words: int, facts: int) -> dict[str, np.ndarray]:
  """The batch with its word axis cut to `words` and its fact axis to `facts` (padding only)."""
  out = dict(batch)
  for keys, size in ((WORD_AXIS, words), (FACT_AXIS, facts)):
    for key in keys:
      if key in batch and size is not None:
        out[key] = batch[key][..., :size]
  return out


def bucket_schedule(buckets: list[dict], batch_size: int, epoch: int) -> list[tuple[int, int]]:
  """The epoch's (bucket, batch number) sequence: every batch of every bucket, shuffled by the
  epoch alone, so that all seeds of a run step through the same shapes together."""
  steps = [(j, i) for j, b in enumerate(buckets)
           for i in range(-(-len(b['idx']) // batch_size))]
  perm = np.random.default_rng((epoch, 104729)).permutation(len(steps))
  return [steps[p] for p in perm]


def bucket_order(bucket: dict, seed: int, epoch: int, j: int) -> np.ndarray:
  """Seed `seed`'s shuffle of bucket j's examples in `epoch`."""
  return bucket['idx'][np.random.default_rng((seed, epoch, j)).permutation(len(bucket['idx']))]
