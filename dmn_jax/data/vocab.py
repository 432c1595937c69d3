"""Word vocabulary: stable ids, `pad=0`, `unk=1`, `eos=2`, then words by (-count, word)."""

from __future__ import annotations

import collections
import dataclasses
import re
from typing import Iterable, Sequence

PAD, UNK, EOS = '<pad>', '<unk>', '<eos>'
PAD_ID, UNK_ID, EOS_ID = 0, 1, 2
SPECIALS = (PAD, UNK, EOS)

_TOKEN_RE = re.compile(r"[\w']+|[^\w\s]")


def tokenize(text: str) -> list[str]:
  """Lower-cases and splits into words and punctuation marks.

  >>> tokenize('Where is Mary?')
  ['where', 'is', 'mary', '?']
  """
  return _TOKEN_RE.findall(text.lower())


@dataclasses.dataclass(frozen=True)
class Vocab:
  """An immutable word <-> id map. Unknown words map to `UNK_ID`, never raise."""

  words: tuple[str, ...]

  def __post_init__(self):
    if self.words[:len(SPECIALS)] != SPECIALS:
      raise ValueError(f'vocabulary must start with {SPECIALS}, got {self.words[:3]}')
    object.__setattr__(self, '_index', {w: i for i, w in enumerate(self.words)})

  @classmethod
  def build(cls, token_lists: Iterable[Sequence[str]]) -> 'Vocab':
    """Builds a vocabulary from tokenised text, ordered by (-count, word)."""
    counts = collections.Counter(t for tokens in token_lists for t in tokens)
    for s in SPECIALS:
      counts.pop(s, None)
    ordered = sorted(counts, key=lambda w: (-counts[w], w))
    return cls(SPECIALS + tuple(ordered))

  def __len__(self) -> int:
    return len(self.words)

  def __contains__(self, word: str) -> bool:
    return word in self._index

  def encode(self, tokens: Sequence[str]) -> list[int]:
    return [self._index.get(t, UNK_ID) for t in tokens]

  def decode(self, ids: Iterable[int], stop_at_eos: bool = True) -> list[str]:
    out = []
    for i in ids:
      i = int(i)
      if stop_at_eos and i == EOS_ID:
        break
      if i != PAD_ID:
        out.append(self.words[i])
    return out
