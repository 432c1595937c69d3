"""Story batches: the questions of one story answered from ONE pass of the input GRU.

The DMN's input GRU is causal: its state at a word depends on the words before it only. bAbI
gives each question its own story prefix (the sentences before it), so the questions of one
story share prefixes, and the facts of every question are the input GRU's states over the
longest prefix, read at the question's own sentence ends. A *unit* is a run of consecutive
questions whose stories are prefixes of one another (the same tokens and sentence ends); its
*representative* is its last question (the longest story). A story batch holds `batch_size`
questions as usual plus the stories of the units they come from, each encoded once:

  story, story_mask   [R, S]   the representatives' stories (R = `rows_bound`, padded)
  story_row           <int32>[B]  which story row each question reads its facts from
  every other array   [B, ...]  per question, as in an ordinary batch (fact_pos indexes the
                                 question's prefix, which is the same positions of its row)

The facts, gates and answers equal an ordinary batch's (`tests/data/test_stories.py`); what
changes in training is which questions share a batch: an epoch shuffles units, not questions,
and a unit's questions are consecutive (a batch may cut a unit; both parts encode its story).
With `max_facts` truncation a question whose window has slid past the story's first sentence
starts a new unit, so grouping stays exact.
"""

from __future__ import annotations

import numpy as np

from dmn_jax.data import batching

STORY_KEYS = ('story', 'story_mask')


def units(arrays: dict[str, np.ndarray]) -> np.ndarray:
  """<int64>[N] unit id of every question (consecutive ids, in row order)."""
  story, mask, pos, fmask = (arrays[k] for k in ('story', 'story_mask', 'fact_pos', 'fact_mask'))
  n = len(story)
  if n == 0:
    return np.zeros((0,), np.int64)
  lens, facts = mask.sum(1), fmask.sum(1)
  prev_words = mask[:-1]                                       # compare where the earlier is real
  prefix = np.all((story[1:] == story[:-1]) | ~prev_words, axis=1) & (lens[1:] >= lens[:-1])
  same_ends = np.all((pos[1:] == pos[:-1]) | ~fmask[:-1], axis=1) & (facts[1:] >= facts[:-1])
  joins = np.concatenate([[False], prefix & same_ends])
  return np.cumsum(~joins) - 1


def representatives(unit_ids: np.ndarray) -> np.ndarray:
  """<int64>[U] the last (longest-story) row of every unit."""
  return np.flatnonzero(np.concatenate([unit_ids[1:] != unit_ids[:-1], [True]]))


def rows_bound(unit_ids: np.ndarray, batch_size: int) -> int:
  """Story rows a batch of `batch_size` consecutive questions (whole units in any order, the
  first and last possibly cut) can need: 2 + the most whole units that fit in batch_size − 2."""
  sizes = np.sort(np.bincount(unit_ids))
  whole = int(np.searchsorted(np.cumsum(sizes), max(batch_size - 2, 0), side='right'))
  return int(min(batch_size, whole + 2))


def unit_order(unit_ids: np.ndarray, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """The questions `idx` with their units shuffled by `rng` and each unit's questions in order."""
  u = unit_ids[idx]
  uniq = np.unique(u)
  rank = np.empty(int(uniq.max()) + 1 if len(uniq) else 0, np.int64)
  rank[uniq] = rng.permutation(len(uniq))
  return idx[np.lexsort((idx, rank[u]))]


def make_batch(arrays: dict[str, np.ndarray], idx: np.ndarray, batch_size: int, rows: int,
               unit_ids: np.ndarray, reps: np.ndarray) -> dict[str, np.ndarray]:
  """A story batch of questions `idx` (at most batch_size; padded rows weigh 0) with `rows`
  story rows (see the module docstring)."""
  batch = batching.make_batch({k: v for k, v in arrays.items() if k not in STORY_KEYS},
                              idx, batch_size)
  u = unit_ids[idx]
  present, first = np.unique(u, return_index=True)
  present = present[np.argsort(first)]                     # in order of first appearance
  if len(present) > rows:
    raise ValueError(f'{len(present)} stories in a batch of {batch_size}, room for {rows}')
  row_of = {int(x): r for r, x in enumerate(present)}
  story_row = np.zeros((batch_size,), np.int32)
  story_row[:len(idx)] = [row_of[int(x)] for x in u]
  batch['story_row'] = story_row
  for k in STORY_KEYS:
    out = np.zeros((rows,) + arrays[k].shape[1:], arrays[k].dtype)
    out[:len(present)] = arrays[k][reps[present]]
    batch[k] = out
  return batch


class StoryBatcher:
  """Story batches of one split (`input_pipeline.Batcher` makes them with `make`)."""

  def __init__(self, arrays: dict[str, np.ndarray], batch_size: int, rows: int):
    self.arrays, self.batch_size, self.rows = arrays, batch_size, rows
    self.unit_ids = units(arrays)
    self.reps = representatives(self.unit_ids)

  def make(self, idx: np.ndarray) -> dict[str, np.ndarray]:
    return make_batch(self.arrays, idx, self.batch_size, self.rows, self.unit_ids, self.reps)

  def unit_lengths(self) -> np.ndarray:
    """Per question: its unit's story length in words (length buckets group whole units)."""
    return self.arrays['story_mask'].sum(1)[self.reps][self.unit_ids]


def split_rows_bound(splits: list[dict[str, np.ndarray]], batch_size: int) -> int:
  """One `rows_bound` for every split (they share the compiled steps' shapes)."""
  return max(rows_bound(units(a), batch_size) for a in splits if batching.num_examples(a))
