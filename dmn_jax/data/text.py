"""Single-sentence tasks for the DMN (sentiment, POS tagging) as the DMN's arrays. No JAX here.

The DMN reads a sentence as its story and every word as a fact (model.fact_mode='word'); the
question is one fixed token (e.g. `<sentiment>`, so q is learned); the answer is one class
(sentiment: answer [B, 1]) or a tag per word (tagging: tags [B, S], tag_mask = story_mask).
Arrays (B examples, S the longest sentence):

  story, story_mask        <int32>/<bool>[B, S]   the sentence's words
  fact_pos, fact_mask      [B, 1]                 unused with fact_mode='word' (all False)
  question, question_mask  [B, 1]                 the fixed question token
  answer, answer_mask      [B, 1]                 the class id (tagging: unused, all 0)
  tags, tag_mask           [B, S]                 tagging only: a tag id per word
  supports, support_mask   [B, 1]                 no gate supervision (all False)
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from dmn_jax.data.vocab import Vocab


@dataclasses.dataclass(frozen=True)
class TextSpec:
  vocab: Vocab
  answers: tuple[str, ...]          # class or tag names: the answer vocabulary
  max_story_tokens: int             # S
  embed_init: np.ndarray | None = dataclasses.field(default=None, repr=False)  # [V, D] or None
  max_facts: int = 1
  answer_len: int = 1

  @property
  def vocab_size(self) -> int:
    return len(self.vocab)

  @property
  def answer_vocab_size(self) -> int:
    return len(self.answers)


def encode(sentences: Sequence[Sequence[str]], answers: Sequence[Sequence[int]], vocab: Vocab,
           question_id: int, max_len: int, tagging: bool) -> dict[str, np.ndarray]:
  """The arrays of the module docstring; answers[i]: [class] or one tag id per word."""
  n = len(sentences)
  arr = {
      'story': np.zeros((n, max_len), np.int32), 'story_mask': np.zeros((n, max_len), bool),
      'fact_pos': np.zeros((n, 1), np.int32), 'fact_mask': np.zeros((n, 1), bool),
      'question': np.full((n, 1), question_id, np.int32), 'question_mask': np.ones((n, 1), bool),
      'answer': np.zeros((n, 1), np.int32), 'answer_mask': np.zeros((n, 1), bool),
      'supports': np.zeros((n, 1), np.int32), 'support_mask': np.zeros((n, 1), bool),
  }
  if tagging:
    arr['tags'] = np.zeros((n, max_len), np.int32)
    arr['tag_mask'] = np.zeros((n, max_len), bool)
  for i, (words, ans) in enumerate(zip(sentences, answers)):
    words = list(words)[:max_len]
    arr['story'][i, :len(words)] = vocab.encode(words)
    arr['story_mask'][i, :len(words)] = True
    if tagging:
      arr['tags'][i, :len(words)] = list(ans)[:len(words)]
      arr['tag_mask'][i, :len(words)] = True
    else:
      arr['answer'][i, 0] = ans[0]
      arr['answer_mask'][i, 0] = True
  return arr


def norm_word(w: str) -> str:
  """Penn Treebank bracket tokens as the brackets; case kept (GloVe lookups lowercase, so
  "Film" and "film" start from the same vector but train apart)."""
  return {'-LRB-': '(', '-RRB-': ')', '-LSB-': '[', '-RSB-': ']', '-LCB-': '{',
          '-RCB-': '}'}.get(w, w)


def build_vocab(train: Sequence[Sequence[str]], others: Sequence[Sequence[str]], question: str,
                glove_source: str = '', glove_vocab: bool = False) -> Vocab:
  """The training words (+ the question token); with `glove_vocab`, also every word of `others`
  (dev / test sentences; no labels are read) that GloVe has a vector for, so a word unseen in
  training starts from its pretrained vector instead of <unk> (as a tagger using the whole
  pretrained vocabulary would)."""
  vocab = Vocab.build(list(train) + [[question]])
  if not (glove_vocab and glove_source):
    return vocab
  from dmn_jax.data import glove
  unseen = {w for s in others for w in s if w not in vocab}
  extra = sorted(glove.known_words(unseen, glove_source))
  return Vocab(vocab.words + tuple(extra))


def embed_table(vocab: Vocab, glove_source: str, dim: int, seed: int) -> np.ndarray | None:
  """GloVe rows for the vocabulary ('' = none: the model's own random init)."""
  if not glove_source:
    return None
  from dmn_jax.data import glove
  table, _ = glove.embedding_init(vocab.words, glove_source, np.random.default_rng(seed), dim)
  return table
