"""Training and evaluation batches for a run of several seeds (numpy; no jax).

Each seed has its own shuffle, a function of (seed, epoch) only (`batching.epoch_order`), so a
seed gets the same batches whether it trains alone or beside others, and a resumed run replays
exactly what the uninterrupted run would have seen. Batches stacked over seeds have a leading
seed axis: [S, B, ...].
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from dmn_jax.data import batching


def seed_batches(arrays: dict[str, np.ndarray], batch_size: int, orders: list[np.ndarray]
                 ) -> Iterator[dict[str, np.ndarray]]:
  """Yields batches stacked over seeds, [S, batch_size, ...]; seed s in the order orders[s]."""
  for parts in zip(*(batching.batches(arrays, batch_size, o) for o in orders)):
    yield {k: np.stack([p[k] for p in parts]) for k in parts[0]}


def first_batch(arrays: dict[str, np.ndarray], batch_size: int, n_seeds: int
                ) -> dict[str, np.ndarray]:
  """The split's first rows stacked over `n_seeds` seeds [S, B, ...]: the shapes to compile."""
  n = batching.num_examples(arrays)
  return next(seed_batches(arrays, batch_size, [np.arange(n)] * n_seeds))


def epoch_batches(arrays: dict[str, np.ndarray], batch_size: int, seeds: list[int], epoch: int,
                  buckets: list[dict], rows: np.ndarray | None = None
                  ) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
  """Yields (bucket number, batch stacked over seeds [S, B, ...]) for one training epoch.

  One bucket: each seed's own shuffle of the whole split (`batching.epoch_order`), cropped to the
  bucket (a no-op for length_buckets = 1; when every story has the same length, k > 1 gives one
  group smaller than the split's padded shape, as in bAbI task 4's two-sentence stories). Several
  (train.length_buckets): the batches of every bucket in an order shared by all seeds (shapes must
  agree across the vmapped seeds), each seed with its own shuffle inside a bucket, every batch
  cropped to its bucket's sizes (`batching.crop`). `rows`: the epoch's training rows (None: all),
  the same for every seed.
  """
  if len(buckets) == 1:
    n = batching.num_examples(arrays) if rows is None else len(rows)
    orders = [batching.epoch_order(n, s, epoch) for s in seeds]
    if rows is not None:
      orders = [rows[o] for o in orders]
    for batch in seed_batches(arrays, batch_size, orders):
      yield 0, batching.crop(batch, buckets[0])   # k > 1 may still give one (cropped) group
    return
  if rows is not None:                        # bucket numbers (compiled shapes) stay the same
    buckets = [{**b, 'idx': b['idx'][np.isin(b['idx'], rows)]} for b in buckets]
  orders = {j: [batching.bucket_order(b, s, epoch, j) for s in seeds]
            for j, b in enumerate(buckets)}
  for j, i in batching.bucket_schedule(buckets, batch_size, epoch):
    b = buckets[j]
    parts = [batching.crop(batching.make_batch(
        arrays, order[i * batch_size:(i + 1) * batch_size], batch_size), b)
             for order in orders[j]]
    yield j, {k: np.stack([p[k] for p in parts]) for k in parts[0]}
