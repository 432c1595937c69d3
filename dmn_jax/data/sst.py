"""Stanford Sentiment Treebank (Socher et al. 2013): PTB-format trees with a 0..4 sentiment
label on every node, one tree per line, in `<data_dir>/sst/{train,dev,test}.txt`. No JAX here.

Settings (Kumar et al. 2016, §4.2, following Socher et al.):
  fine     5 classes: 0 very negative, 1 negative, 2 neutral, 3 positive, 4 very positive
  binary   2 classes: 0-1 -> 0 (negative), 3-4 -> 1 (positive); neutral (2) phrases dropped

Training uses every full sentence plus phrase-level labels (every node of the training trees;
the training loop subsamples them, see `phrase_subsample`); evaluation uses the roots only.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Sequence

import numpy as np

from dmn_jax.data import download, text, trees
from dmn_jax.data import io
from dmn_jax.errors import DataError

FINE_CLASSES = ('very negative', 'negative', 'neutral', 'positive', 'very positive')
BINARY_CLASSES = ('negative', 'positive')
SPLITS = {'train': 'train.txt', 'dev': 'dev.txt', 'test': 'test.txt'}


@dataclasses.dataclass(frozen=True)
class Phrase:
  words: tuple[str, ...]
  label: int                 # 0..4 (fine-grained, as in the file)
  is_root: bool
  source: str                # 'file:line'


def read_file(path: str) -> list[list[Phrase]]:
  """Per tree (line) of `path`: its phrases, the root first, then every subtree (pre-order)."""
  lines = io.read_lines(path, 'set config.data_dir or $DMN_DATA_DIR to the folder that holds '
                               'sst/')
  out = []
  for i, line in enumerate(lines, 1):
    if not line.strip():
      continue
    where = f'{path}:{i}'
    parsed = trees.parse(line, source=where)
    if len(parsed) != 1:
      raise DataError(f'{where}: expected one tree per line, found {len(parsed)}')
    phrases = []
    for k, node in enumerate(parsed[0].subtrees()):
      if node.label not in ('0', '1', '2', '3', '4'):
        raise DataError(f'{where}: node label {node.label!r} is not a sentiment 0..4')
      phrases.append(Phrase(tuple(node.leaves()), int(node.label), k == 0, where))
    out.append(phrases)
  if not out:
    raise DataError(f'{path}: no trees')
  return out


def to_setting(label: int, setting: str) -> int | None:
  """The class of a 0..4 label in `setting` ('fine' | 'binary'); None: dropped (neutral)."""
  if setting == 'fine':
    return label
  if setting == 'binary':
    return None if label == 2 else int(label > 2)
  raise ValueError(f"SST setting must be 'fine' or 'binary', got {setting!r}")


def classes(setting: str) -> tuple[str, ...]:
  return FINE_CLASSES if setting == 'fine' else BINARY_CLASSES


def examples(tree_phrases: Sequence[Sequence[Phrase]], setting: str, phrases: bool
             ) -> list[tuple[tuple[str, ...], int, bool]]:
  """(words, class, is_root) of every root (and, with `phrases`, every distinct phrase of a
  tree besides its root) whose label the setting keeps."""
  out = []
  for tp in tree_phrases:
    seen = set()
    for p in tp if phrases else tp[:1]:
      c = to_setting(p.label, setting)
      if c is None or (not p.is_root and p.words in seen):
        continue
      seen.add(p.words)
      out.append((p.words, c, p.is_root))
  return out


def load_splits(data_dir: str | None) -> dict[str, list[list[Phrase]]]:
  data_dir = download.resolve_data_dir(data_dir)
  return {name: read_file(os.path.join(data_dir, 'sst', fname)) for name, fname in SPLITS.items()}


def phrase_subsample(is_root: np.ndarray, fraction: float, seed: int, epoch: int) -> np.ndarray:
  """Indices of one epoch's training rows: every root plus a fresh random `fraction` of the
  non-root phrases (a function of (seed, epoch), so a resumed run replays it)."""
  rng = np.random.default_rng((seed, epoch, 7919))
  roots = np.flatnonzero(is_root)
  rest = np.flatnonzero(~is_root)
  keep = rest[rng.random(len(rest)) < fraction]
  return np.sort(np.concatenate([roots, keep]))


QUESTION = '<sentiment>'


def load(data_dir: str | None, setting: str, glove_source: str = '', embed_dim: int = 50,
         seed: int = 0, glove_vocab: bool = False
         ) -> tuple[dict[str, dict[str, np.ndarray]], text.TextSpec]:
  """{'train', 'dev', 'test'} DMN arrays (`dmn_jax.data.text`) and their spec.

  train: every sentence and every distinct phrase of the training trees whose label the
  setting keeps, with `is_root` <bool>[N] (see `phrase_subsample`); dev and test: sentences
  (roots) only. The vocabulary holds the training words (and, with `glove_vocab`, the dev/test
  words GloVe knows: `text.build_vocab`).
  """
  splits = load_splits(data_dir)
  rows = {name: examples(tp, setting, phrases=(name == 'train')) for name, tp in splits.items()}
  norm = lambda ws: [text.norm_word(w) for w in ws]
  vocab = text.build_vocab([norm(w) for w, _, _ in rows['train']],
                           [norm(w) for n in ('dev', 'test') for w, _, _ in rows[n]], QUESTION,
                           glove_source, glove_vocab)
  max_len = max(len(w) for r in rows.values() for w, _, _ in r)
  out = {}
  for name, r in rows.items():
    out[name] = text.encode([norm(w) for w, _, _ in r], [[c] for _, c, _ in r], vocab,
                            vocab.encode([QUESTION])[0], max_len, tagging=False)
    out[name]['is_root'] = np.array([root for _, _, root in r], bool)
  spec = text.TextSpec(vocab=vocab, answers=classes(setting), max_story_tokens=max_len,
                       embed_init=text.embed_table(vocab, glove_source, embed_dim, seed))
  return out, spec
