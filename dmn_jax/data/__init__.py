"""Readers of the data sets: text files -> numpy arrays plus a `Spec` (no jax here)."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Spec(Protocol):
  """What a model reads from its data to pick shapes: every loader's spec has these.

  vocab_size: V, input words (ids 0 = pad, 1 = unk); answer_vocab_size: the output classes (the
  input vocabulary for bAbI, whose answers are words; classes or tags for SST / POS);
  embed_init: <float32>[V, D] pretrained word vectors (GloVe), or None.
  """

  @property
  def vocab_size(self) -> int: ...

  @property
  def answer_vocab_size(self) -> int: ...

  @property
  def embed_init(self) -> np.ndarray | None: ...
