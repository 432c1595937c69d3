"""Bracketed trees, as in the Penn Treebank and the Stanford Sentiment Treebank. No JAX here.

    (3 (2 (2 The) (2 Rock)) (4 ...))          SST: every node labelled 0..4, one tree per line
    ( (S (NP-SBJ (NNP Pierre) ...) (. .)) )   PTB .mrg: tags as pre-terminals, trees over lines

`parse(text, source)` reads every top-level tree of a text; a malformed tree is a `DataError`
naming the file and the line where it starts.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterator, Union

from dmn_jax.errors import DataError

_TOKEN = re.compile(r'\(|\)|[^\s()]+')


@dataclasses.dataclass(frozen=True)
class Tree:
  label: str                                   # '' for the PTB's unlabelled outer brackets
  children: tuple['Node', ...]

  def leaves(self) -> list[str]:
    out: list[str] = []
    for c in self.children:
      out.extend([c] if isinstance(c, str) else c.leaves())
    return out

  def subtrees(self) -> Iterator['Tree']:
    """This tree, then every subtree, depth first (pre-order)."""
    yield self
    for c in self.children:
      if isinstance(c, Tree):
        yield from c.subtrees()

  def preterminals(self) -> list[tuple[str, str]]:
    """(label, word) of every node whose only child is a word: PTB (tag, word) pairs."""
    return [(t.label, t.children[0]) for t in self.subtrees()
            if len(t.children) == 1 and isinstance(t.children[0], str)]


Node = Union[Tree, str]


def parse(text: str, source: str = '<string>') -> list[Tree]:
  """Every top-level bracketed tree of `text`, in order."""
  trees: list[Tree] = []
  stack: list[tuple[str | None, list, int]] = []    # (label, children, line) of open brackets
  line_starts = [0] + [m.end() for m in re.finditer('\n', text)]

  def line_of(pos: int) -> int:
    lo, hi = 0, len(line_starts)
    while hi - lo > 1:
      mid = (lo + hi) // 2
      lo, hi = (mid, hi) if line_starts[mid] <= pos else (lo, mid)
    return lo + 1

  expect_label = False
  for m in _TOKEN.finditer(text):
    tok = m.group()
    if tok == '(':
      if expect_label:                             # '((' : an unlabelled node
        stack[-1] = ('', stack[-1][1], stack[-1][2])
      stack.append((None, [], line_of(m.start())))
      expect_label = True
    elif tok == ')':
      if not stack:
        raise DataError(f'{source}:{line_of(m.start())}: unbalanced ")"')
      label, children, line = stack.pop()
      if label is None:
        label = ''                                 # '()' : empty node
      if not children:
        raise DataError(f'{source}:{line}: a node with no children')
      tree = Tree(label, tuple(children))
      if stack:
        stack[-1][1].append(tree)
      else:
        trees.append(tree)
      expect_label = False
    else:
      if not stack:
        raise DataError(f'{source}:{line_of(m.start())}: text {tok!r} outside any tree')
      if expect_label:
        stack[-1] = (tok, stack[-1][1], stack[-1][2])
        expect_label = False
      else:
        stack[-1][1].append(tok)
  if stack:
    raise DataError(f'{source}:{stack[0][2]}: tree not closed (missing ")")')
  return trees
