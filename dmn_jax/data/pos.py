"""Part-of-speech tagging data: Universal Dependencies CoNLL-U (XPOS = Penn Treebank tags) and
Penn Treebank `.mrg` trees. No JAX here.

    sentences = read_conllu('.../en_ewt-ud-train.conllu')   # [[(word, tag), ...], ...]
    sentences = read_mrg_files(['.../wsj_0001.mrg', ...])

CoNLL-U (https://universaldependencies.org/format.html): one token per line with 10 tab-separated
fields (ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC); `#` comment lines; a blank line
ends a sentence. Multiword-token lines (ID `3-4`, e.g. "don't" over "do" + "n't") and empty
nodes (ID `8.1`, enhanced-graph copies) are not words of the sentence and are skipped: the
tagged words are the integer-ID lines. In `.mrg` trees the words are the pre-terminals, minus the
`-NONE-` null elements (traces).
"""

from __future__ import annotations

import os
import re
from typing import Sequence

import numpy as np

from dmn_jax.data import download, text, trees
from dmn_jax.data import io
from dmn_jax.errors import ConfigError, DataError

Sentence = list[tuple[str, str]]                 # (word, tag)
_INT_ID = re.compile(r'^[1-9][0-9]*$')
_RANGE_ID = re.compile(r'^[1-9][0-9]*-[1-9][0-9]*$')
_EMPTY_ID = re.compile(r'^[0-9]+\.[1-9][0-9]*$')


def read_conllu(path: str, column: str = 'xpos') -> list[Sentence]:
  """Sentences of a CoNLL-U file as (FORM, tag) pairs; `column`: 'xpos' (PTB tags) or 'upos'."""
  if column not in ('xpos', 'upos'):
    raise ValueError(f"column must be 'xpos' or 'upos', got {column!r}")
  col = 4 if column == 'xpos' else 3
  lines = io.read_lines(path)
  out: list[Sentence] = []
  current: Sentence = []
  for i, raw in enumerate(lines, 1):
    line = raw.rstrip('\n')
    if not line.strip():
      if current:
        out.append(current)
        current = []
      continue
    if line.startswith('#'):
      continue
    fields = line.split('\t')
    if len(fields) != 10:
      raise DataError(f'{path}:{i}: expected 10 tab-separated fields, found {len(fields)}')
    tid = fields[0]
    if _RANGE_ID.match(tid) or _EMPTY_ID.match(tid):
      continue                                 # multiword token / empty node: not a word
    if not _INT_ID.match(tid):
      raise DataError(f'{path}:{i}: bad token id {tid!r}')
    if int(tid) != len(current) + 1:
      raise DataError(f'{path}:{i}: token id {tid} out of order (expected {len(current) + 1})')
    tag = fields[col]
    if tag in ('_', ''):
      raise DataError(f'{path}:{i}: word {fields[1]!r} has no {column.upper()} tag')
    current.append((fields[1], tag))
  if current:
    out.append(current)
  if not out:
    raise DataError(f'{path}: no sentences')
  return out


def read_mrg(path: str) -> list[Sentence]:
  """Sentences of a Penn Treebank `.mrg` file as (word, tag) pairs, `-NONE-` elements dropped."""
  parsed = trees.parse(''.join(io.read_lines(path)), source=path)
  out = []
  for t in parsed:
    sent = [(w, tag) for tag, w in t.preterminals() if tag != '-NONE-']
    if sent:
      out.append(sent)
  return out


def read_mrg_files(paths: Sequence[str]) -> list[Sentence]:
  return [s for p in paths for s in read_mrg(p)]


# The WSJ sample (NLTK's 199 files wsj_0001..wsj_0199 of section 00-01) has no official split;
# ours, by file number: 1-159 train, 160-179 dev, 180-199 test. It is a SAMPLE, not the standard
# WSJ split (sections 0-18 / 19-21 / 22-24) the paper's 97.56 is measured on.
WSJ_SAMPLE_SPLIT = {'train': (1, 159), 'dev': (160, 179), 'test': (180, 199)}


def wsj_sample_files(folder: str, split: str) -> list[str]:
  lo, hi = WSJ_SAMPLE_SPLIT[split]
  paths = [os.path.join(folder, f'wsj_{n:04d}.mrg') for n in range(lo, hi + 1)]
  missing = [p for p in paths if not os.path.exists(p)]
  if missing:
    raise DataError(f'WSJ sample: {len(missing)} files missing, e.g. {missing[0]}')
  return paths


QUESTION = '<tag>'
CORPORA = ('ud_ewt', 'wsj_sample')


def read_corpus(data_dir: str | None, corpus: str) -> dict[str, list[Sentence]]:
  """{'train', 'dev', 'test'} sentences of 'ud_ewt' (UD English-EWT, XPOS, the official split)
  or 'wsj_sample' (the NLTK WSJ sample, our split `WSJ_SAMPLE_SPLIT`)."""
  data_dir = download.resolve_data_dir(data_dir)
  if corpus == 'ud_ewt':
    folder = os.path.join(data_dir, 'pos', 'ud_english_ewt')
    return {s: read_conllu(os.path.join(folder, f'en_ewt-ud-{s}.conllu'))
            for s in ('train', 'dev', 'test')}
  if corpus == 'wsj_sample':
    folder = os.path.join(data_dir, 'pos', 'ptb_wsj_sample', 'combined')
    return {s: read_mrg_files(wsj_sample_files(folder, s)) for s in ('train', 'dev', 'test')}
  raise ConfigError(f'POS corpus must be one of {CORPORA}, got {corpus!r}')


def load(data_dir: str | None, corpus: str, glove_source: str = '', embed_dim: int = 50,
         seed: int = 0, max_len: int | None = None, glove_vocab: bool = False
         ) -> tuple[dict[str, dict[str, np.ndarray]], text.TextSpec]:
  """{'train', 'dev', 'test'} DMN tagging arrays (`dmn_jax.data.text`, tags [B, S]) and spec.

  The tag set is every tag of the three splits (a closed schema); the vocabulary holds the
  training words (and, with `glove_vocab`, the dev/test words GloVe knows). Sentences longer
  than `max_len` (None: the longest) are split into pieces.
  """
  sents = read_corpus(data_dir, corpus)
  tags = tuple(sorted({t for split in sents.values() for s in split for _, t in s}))
  tag_id = {t: i for i, t in enumerate(tags)}
  longest = max(len(s) for split in sents.values() for s in split)
  max_len = max_len or longest
  words = {k: [[text.norm_word(w) for w, _ in s] for s in v] for k, v in sents.items()}
  vocab = text.build_vocab(words['train'], words['dev'] + words['test'], QUESTION, glove_source,
                           glove_vocab)
  out = {}
  for name, split in sents.items():  # (tags [B, S], tag_mask = the real words)
    pieces = [s[i:i + max_len] for s in split for i in range(0, len(s), max_len)]
    out[name] = text.encode([[text.norm_word(w) for w, _ in p] for p in pieces],
                            [[tag_id[t] for _, t in p] for p in pieces], vocab,
                            vocab.encode([QUESTION])[0], max_len, tagging=True)
  spec = text.TextSpec(vocab=vocab, answers=tags, max_story_tokens=max_len,
                       embed_init=text.embed_table(vocab, glove_source, embed_dim, seed))
  return out, spec
