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


# Arrays cropped per length bucket, by the bucket size that names them: the DMN's story words
# and facts, the MemN2N's memory slots. The cropped axis counts from the end (the arrays may have
# leading batch and seed axes): memory is [..., M, J].
CROP_AXES = {'words': {'story': -1, 'story_mask': -1, 'tags': -1, 'tag_mask': -1},
             'facts': {'fact_pos': -1, 'fact_mask': -1},
             'slots': {'memory': -2, 'memory_mask': -1}}


def _sizes(arrays: dict[str, np.ndarray], idx: np.ndarray | None = None) -> dict[str, int]:
  """{'words', 'facts', 'slots'}: the largest real count among rows `idx` (None: the split's
  full width) of each croppable axis the arrays have."""
  out = {}
  for name, axes in CROP_AXES.items():
    key, mask = list(axes)[:2]
    if key in arrays:
      out[name] = (arrays[key].shape[1] if idx is None
                   else max(1, int(arrays[mask][idx].sum(1).max())))
  return out


def length_buckets(arrays: dict[str, np.ndarray], k: int, lengths: np.ndarray | None = None
                   ) -> list[dict]:
  """Splits the examples into at most k groups of similar length (story words for the DMN,
  memory slots for the MemN2N): the boundaries that minimise the padded work per epoch (Σ over
  groups of size × longest member).

  Returns [{'idx': example indices, 'words': W, 'facts': F}] (DMN arrays) or [{'idx', 'slots':
  M}] (memory arrays), the group's largest counts: its batches are cropped to them (`crop`), so
  short stories do not pay for the longest one. k = 1: one group with the split's full shape.
  `lengths`: the length to group each example by (default: its own story or memory length).
  """
  n = num_examples(arrays)
  if k <= 1:
    return [{'idx': np.arange(n), **_sizes(arrays)}]
  if lengths is None:
    mask = arrays['story_mask'] if 'story_mask' in arrays else arrays['memory_mask']
    lengths = mask.sum(1)
  uppers = _bucket_bounds(lengths, k)
  lowers = [-1] + uppers[:-1]
  groups = [np.flatnonzero((lengths > lo) & (lengths <= hi)) for lo, hi in zip(lowers, uppers)]
  return [{'idx': g, **_sizes(arrays, g)} for g in groups if len(g)]


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


def crop(batch: dict[str, np.ndarray], bucket: dict) -> dict[str, np.ndarray]:
  """The batch with each croppable axis cut to the bucket's size for it (padding only)."""
  out = dict(batch)
  for name, axes in CROP_AXES.items():
    if bucket.get(name) is None:
      continue
    for key, axis in axes.items():
      if key in batch:
        cut = [slice(None)] * batch[key].ndim
        cut[axis] = slice(0, bucket[name])
        out[key] = batch[key][tuple(cut)]
  return out


def bucket_shape(bucket: dict) -> str:
  """'120w/10f' or '23 slots': a bucket's cropped sizes, for logs."""
  if 'slots' in bucket:
    return f"{bucket['slots']} slots"
  return f"{bucket['words']}w/{bucket['facts']}f"


def bucket_schedule(buckets: list[dict], batch_size: int, epoch: int, chunk: int = 1
                    ) -> list[tuple[int, int]]:
  """The epoch's (bucket, batch number) sequence: every batch of every bucket, shuffled by the
  epoch alone, so that all seeds of a run step through the same shapes together.

  chunk > 1 (`steps_per_call`): runs of `chunk` consecutive batches of one bucket are shuffled
  instead of single batches, so that a compiled call of `chunk` steps has one shape (a bucket's
  last run may be shorter). chunk = 1 is the batch-by-batch shuffle.
  """
  runs = [[(j, i) for i in range(start, min(start + chunk, n))]
          for j, b in enumerate(buckets)
          for n in [-(-len(b['idx']) // batch_size)]
          for start in range(0, n, chunk)]
  perm = np.random.default_rng((epoch, 104729)).permutation(len(runs))
  return [step for p in perm for step in runs[p]]


def bucket_order(bucket: dict, seed: int, epoch: int, j: int) -> np.ndarray:
  """Seed `seed`'s shuffle of bucket j's examples in `epoch`."""
  return bucket['idx'][np.random.default_rng((seed, epoch, j)).permutation(len(bucket['idx']))]
