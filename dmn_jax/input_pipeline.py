"""Training and evaluation batches for a run of several seeds (numpy; no jax).

Each seed has its own shuffle, a function of (seed, epoch) only (`batching.epoch_order`), so a
seed gets the same batches whether it trains alone or beside others, and a resumed run replays
exactly what the uninterrupted run would have seen. Batches stacked over seeds have a leading
seed axis: [S, B, ...].
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from dmn_jax.data import batching, stories


class Batcher:
  """Makes one split's batches: ordinary ones (`batching`), or story batches (story_rows > 0:
  `dmn_jax.data.stories`, each story encoded once for all its questions)."""

  def __init__(self, arrays: dict[str, np.ndarray], batch_size: int, story_rows: int = 0):
    self.arrays, self.batch_size = arrays, batch_size
    self.stories = (stories.StoryBatcher(arrays, batch_size, story_rows) if story_rows
                    else None)

  def make(self, idx: np.ndarray) -> dict[str, np.ndarray]:
    if self.stories is not None:
      return self.stories.make(idx)
    return batching.make_batch(self.arrays, idx, self.batch_size)

  def batches(self, order: np.ndarray | None = None) -> Iterator[dict[str, np.ndarray]]:
    n = batching.num_examples(self.arrays)
    order = np.arange(n) if order is None else order
    for start in range(0, n, self.batch_size):
      yield self.make(order[start:start + self.batch_size])

  def shuffle(self, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The rows `idx` in a random order (story batches: whole units shuffled)."""
    if self.stories is not None:
      return stories.unit_order(self.stories.unit_ids, idx, rng)
    return idx[rng.permutation(len(idx))]

  def buckets(self, k: int) -> list[dict]:
    """`batching.length_buckets` (story batches: a unit's questions share its bucket)."""
    lengths = None if self.stories is None else self.stories.unit_lengths()
    return batching.length_buckets(self.arrays, k, lengths)


def story_rows(cfg, data: dict[str, dict[str, np.ndarray]], batch_size: int | None = None
               ) -> int:
  """Story rows of the run's story batches (0: ordinary batches), one bound for every split;
  batch_size: default cfg.train.batch_size."""
  if not cfg.train.get('story_batches', False):   # a DMN train key (MemN2N has none)
    return 0
  return stories.split_rows_bound(list(data.values()), batch_size or cfg.train.batch_size)


def seed_batches(arrays: dict[str, np.ndarray], batch_size: int, orders: list[np.ndarray],
                 story_rows: int = 0) -> Iterator[dict[str, np.ndarray]]:
  """Yields batches stacked over seeds, [S, batch_size, ...]; seed s in the order orders[s]."""
  maker = Batcher(arrays, batch_size, story_rows)
  for parts in zip(*(maker.batches(o) for o in orders)):
    yield {k: np.stack([p[k] for p in parts]) for k in parts[0]}


def first_batch(arrays: dict[str, np.ndarray], batch_size: int, n_seeds: int,
                story_rows: int = 0) -> dict[str, np.ndarray]:
  """The split's first rows stacked over `n_seeds` seeds [S, B, ...]: the shapes to compile."""
  n = batching.num_examples(arrays)
  return next(seed_batches(arrays, batch_size, [np.arange(n)] * n_seeds, story_rows))


def epoch_batches(maker: Batcher, seeds: list[int], epoch: int, buckets: list[dict],
                  rows: np.ndarray | None = None, chunk: int = 1, sampling: str = 'shuffle'
                  ) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
  """Yields (bucket number, batch stacked over seeds [S, B, ...]) for one training epoch.

  One bucket: each seed's own shuffle of the whole split (a function of (seed, epoch), as
  `batching.epoch_order`), cropped to the bucket (a no-op for length_buckets = 1; when every
  story has the same length, k > 1 gives one group smaller than the split's padded shape, as in
  bAbI task 4's two-sentence stories). Several (train.length_buckets, `maker.buckets`): the
  batches of every bucket in an order shared by all seeds (shapes must agree across the vmapped
  seeds), each seed with its own shuffle inside a bucket, every batch cropped to its bucket's
  sizes (`batching.crop`). `rows`: the epoch's training rows (None: all), the same for every
  seed. chunk: with several buckets, the schedule keeps runs of `chunk` batches of one bucket
  together (`batching.bucket_schedule`).
  sampling='with_replacement' (one bucket only): floor(N / batch) full batches of rows drawn
  with replacement, each seed's a function of (seed, epoch) (the MemN2N authors' epochs).
  """
  bs = maker.batch_size
  if sampling not in ('shuffle', 'with_replacement'):
    raise ValueError(f"sampling must be 'shuffle' or 'with_replacement', got {sampling!r}")
  if sampling == 'with_replacement' and len(buckets) != 1:
    raise ValueError('sampling with replacement needs one length bucket')
  if len(buckets) == 1:
    idx = np.arange(batching.num_examples(maker.arrays)) if rows is None else rows
    if sampling == 'with_replacement':
      draws = (len(idx) // bs) * bs
      orders = [np.random.default_rng((s, epoch, 1)).choice(idx, draws, replace=True)
                for s in seeds]
    else:
      orders = [maker.shuffle(idx, np.random.default_rng((s, epoch))) for s in seeds]
    for parts in zip(*(maker.batches(o) for o in orders)):
      batch = {k: np.stack([p[k] for p in parts]) for k in parts[0]}
      yield 0, batching.crop(batch, buckets[0])   # k > 1 may still give one (cropped) group
    return
  if rows is not None:                        # bucket numbers (compiled shapes) stay the same
    buckets = [{**b, 'idx': b['idx'][np.isin(b['idx'], rows)]} for b in buckets]
  orders = {j: [maker.shuffle(b['idx'], np.random.default_rng((s, epoch, j))) for s in seeds]
            for j, b in enumerate(buckets)}
  for j, i in batching.bucket_schedule(buckets, bs, epoch, chunk):
    b = buckets[j]
    parts = [batching.crop(maker.make(order[i * bs:(i + 1) * bs]), b) for order in orders[j]]
    yield j, {k: np.stack([p[k] for p in parts]) for k in parts[0]}


def chunks(steps: Iterator[tuple[int, dict[str, np.ndarray]]], size: int
           ) -> Iterator[tuple[int, list[dict[str, np.ndarray]]]]:
  """Groups consecutive (bucket, batch) steps of one bucket into lists of at most `size`."""
  group, bucket = [], None
  for j, batch in steps:
    if group and (j != bucket or len(group) == size):
      yield bucket, group
      group = []
    group.append(batch)
    bucket = j
  if group:
    yield bucket, group


def stack_chunk(group: list[dict[str, np.ndarray]], active: np.ndarray, size: int
                ) -> tuple[dict[str, np.ndarray], np.ndarray]:
  """A chunk of `size` steps for the scanned train step: the batches stacked [size, S, B, ...]
  (a short group padded by repeating its last batch) and active <bool>[size, S] (the seeds'
  `active` on real steps, False on padding: those steps change nothing)."""
  n = len(group)
  group = group + [group[-1]] * (size - n)
  act = np.zeros((size,) + active.shape, bool)
  act[:n] = active
  return {k: np.stack([b[k] for b in group]) for k in group[0]}, act
