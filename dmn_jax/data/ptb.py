"""Penn Treebank language-modelling text (Mikolov's ptb.{train,valid,test}.txt). No JAX.

Words are whitespace-separated; every line ends with an `<eos>` word (as the usual PTB LM
setup); the vocabulary (10k words, `<unk>` included in the files) comes from the training file.
Word id 0 is the null word (padding, no embedding), so real ids start at 1.

`windows(ids, n)` gives, for every position t, the n previous words — the MemN2N memory, most
recent first — as a read-only strided VIEW of one padded array (no n-fold copy), and the target
word ids[t]:

  memory   <int32>[T, n, 1]   memory[t, i, 0] = ids[t - 1 - i] (0 before the text starts)
  memory_mask <bool>[T, n]
  answer   <int32>[T]
"""

from __future__ import annotations

import os

import numpy as np
from numpy.lib.stride_tricks import as_strided

from dmn_jax.data import download
from dmn_jax.data import io
from dmn_jax.errors import DataError

EOS = '<eos>'
SPLITS = ('train', 'valid', 'test')


def read_words(path: str) -> list[str]:
  """The file's words with `<eos>` after every line. Raises DataError naming the file."""
  lines = io.read_lines(path, 'set config.data_dir or $DMN_DATA_DIR to the folder that holds '
                               'ptb/ptb.{train,valid,test}.txt.')
  words = []
  for lineno, line in enumerate(lines, start=1):
    toks = line.split()
    if any(t == EOS for t in toks):
      raise DataError(f'{path}:{lineno}: the text already holds {EOS!r} (expected raw PTB lines)')
    words += toks + [EOS]
  if not words:
    raise DataError(f'{path}: empty file')
  return words


def build_vocab(words: list[str]) -> list[str]:
  """['<null>', then words by (-count, word)]: id 0 is the null word."""
  counts: dict[str, int] = {}
  for w in words:
    counts[w] = counts.get(w, 0) + 1
  return ['<null>'] + sorted(counts, key=lambda w: (-counts[w], w))


def windows(ids: np.ndarray, n: int) -> dict[str, np.ndarray]:
  """The module docstring's arrays for a 1-D id sequence (views, not copies)."""
  ids = np.asarray(ids, np.int32)
  t_len = len(ids)

  def lagged(seq: np.ndarray, fill) -> np.ndarray:
    """view[t, i] = seq[t - 1 - i], `fill` before the start: [T, n] without copying."""
    padded = np.concatenate([np.full((n,), fill, seq.dtype), seq])   # padded[n + t] = seq[t]
    rev = padded[::-1].copy()                                        # rev[k] = padded[T+n-1-k]
    # view[t, i] = padded[n + t - 1 - i] = rev[T - t + i]
    return as_strided(rev[t_len:], shape=(t_len, n), strides=(-rev.strides[0], rev.strides[0]),
                      writeable=False)

  mem = lagged(ids, 0)[..., None]                                    # [T, n, 1]
  mask = lagged(np.ones((t_len,), bool), False)                      # [T, n]
  return {'memory': mem, 'memory_mask': mask, 'answer': ids}


def load(data_dir: str | None, memory_size: int) -> tuple[dict[str, dict[str, np.ndarray]], list]:
  """{'train', 'dev' (= valid), 'test'} windows of `$data_dir/ptb/ptb.<split>.txt` and the vocab."""
  data_dir = download.resolve_data_dir(data_dir, download=False)
  words = {s: read_words(os.path.join(data_dir, 'ptb', f'ptb.{s}.txt')) for s in SPLITS}
  vocab = build_vocab(words['train'])
  index = {w: i for i, w in enumerate(vocab)}
  out = {}
  for split, name in (('train', 'train'), ('valid', 'dev'), ('test', 'test')):
    unknown = sorted({w for w in words[split] if w not in index})
    if unknown:
      raise DataError(f'ptb.{split}.txt has words missing from ptb.train.txt, e.g. {unknown[:3]} '
                      '(the PTB LM files share one 10k vocabulary)')
    out[name] = windows(np.array([index[w] for w in words[split]], np.int32), memory_size)
  return out, vocab
