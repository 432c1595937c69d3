import numpy as np
import pytest

from dmn_jax.data import sst
from dmn_jax.errors import DataError

TREES = ('(3 (2 (2 The) (2 Rock)) (4 (3 is) (4 great)))\n'
         '(1 (2 (2 a) (2 dull)) (0 (1 bad) (2 film)))\n'
         '(2 (2 it) (2 is))\n')


def _write(tmp_path, text=TREES):
  d = tmp_path / 'sst'
  d.mkdir(exist_ok=True)
  for name in ('train', 'dev', 'test'):
    (d / f'{name}.txt').write_text(text)
  return tmp_path


def test_every_node_is_a_phrase_with_its_label(tmp_path):
  tp = sst.read_file(str(_write(tmp_path) / 'sst' / 'train.txt'))
  assert len(tp) == 3 and tp[0][0].is_root and not any(p.is_root for p in tp[0][1:])
  assert [(p.words, p.label) for p in tp[0][:3]] == [
      (('The', 'Rock', 'is', 'great'), 3), (('The', 'Rock'), 2), (('The',), 2)]
  assert tp[1][0].source.endswith('train.txt:2')


def test_fine_and_binary_settings():
  assert [sst.to_setting(x, 'fine') for x in range(5)] == [0, 1, 2, 3, 4]
  assert [sst.to_setting(x, 'binary') for x in range(5)] == [0, 0, None, 1, 1]


def test_examples_roots_only_or_with_phrases(tmp_path):
  tp = sst.read_file(str(_write(tmp_path) / 'sst' / 'train.txt'))
  roots = sst.examples(tp, 'fine', phrases=False)
  assert [(' '.join(w), c) for w, c, _ in roots] == [
      ('The Rock is great', 3), ('a dull bad film', 1), ('it is', 2)]
  binary = sst.examples(tp, 'binary', phrases=False)
  assert [c for _, c, _ in binary] == [1, 0]                      # the neutral root dropped
  with_phrases = sst.examples(tp, 'binary', phrases=True)
  assert ((('great',), 1, False)) in with_phrases and all(c in (0, 1) for _, c, _ in with_phrases)
  # "is" (label 3) in tree 1 is kept; neutral phrases are not.
  assert sum(r for _, _, r in with_phrases) == 2


def test_phrase_subsample_keeps_roots_and_redraws_each_epoch():
  is_root = np.array([True, False, False, True] + [False] * 96)
  a = sst.phrase_subsample(is_root, 0.5, seed=0, epoch=0)
  b = sst.phrase_subsample(is_root, 0.5, seed=0, epoch=1)
  assert {0, 3} <= set(a.tolist()) and {0, 3} <= set(b.tolist())
  assert 30 < len(a) < 70 and set(a.tolist()) != set(b.tolist())
  assert np.array_equal(a, sst.phrase_subsample(is_root, 0.5, seed=0, epoch=0))


def test_bad_label_and_missing_file_are_errors(tmp_path):
  _write(tmp_path, '(3 (2 a) (2 b))\n(7 (2 c) (2 d))\n')
  with pytest.raises(DataError, match=r'train\.txt:2: node label .7.'):
    sst.read_file(str(tmp_path / 'sst' / 'train.txt'))
  with pytest.raises(DataError, match='does not exist'):
    sst.read_file(str(tmp_path / 'nope.txt'))
