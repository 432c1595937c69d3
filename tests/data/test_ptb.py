import numpy as np
import pytest

from dmn_jax.data import ptb
from dmn_jax.errors import DataError


def test_windows_are_the_previous_words_most_recent_first():
  ids = np.array([5, 6, 7, 8], np.int32)
  w = ptb.windows(ids, 3)
  assert w['memory'].shape == (4, 3, 1)
  assert w['memory'][:, :, 0].tolist() == [[0, 0, 0], [5, 0, 0], [6, 5, 0], [7, 6, 5]]
  assert w['memory_mask'].tolist() == [[False] * 3, [True, False, False], [True, True, False],
                                       [True] * 3]
  assert w['answer'].tolist() == [5, 6, 7, 8]
  # A view, not n copies of the text; and fancy indexing (batching) copies only the rows asked.
  assert w['memory'].base is not None
  assert w['memory'][[3, 1]][:, :, 0].tolist() == [[7, 6, 5], [5, 0, 0]]


def _write(tmp_path, train='a b c\nb c\n', valid='a c\n', test='c b\n'):
  d = tmp_path / 'ptb'
  d.mkdir(parents=True, exist_ok=True)
  for name, text in (('train', train), ('valid', valid), ('test', test)):
    (d / f'ptb.{name}.txt').write_text(text)
  return str(tmp_path)


def test_load_adds_eos_and_builds_the_vocab_from_train(tmp_path):
  data, vocab = ptb.load(_write(tmp_path), memory_size=2)
  assert vocab[0] == '<null>' and set(vocab[1:]) == {'a', 'b', 'c', '<eos>'}
  words = [vocab[i] for i in data['train']['answer']]
  assert words == ['a', 'b', 'c', '<eos>', 'b', 'c', '<eos>']
  assert [vocab[i] for i in data['dev']['answer']] == ['a', 'c', '<eos>']


def test_unknown_word_and_missing_file_are_errors(tmp_path):
  with pytest.raises(DataError, match='missing from ptb.train.txt'):
    ptb.load(_write(tmp_path, test='zebra\n'), memory_size=2)
  (tmp_path / 'empty').mkdir()
  with pytest.raises(DataError, match='does not exist'):
    ptb.load(str(tmp_path / 'empty'), 2)
