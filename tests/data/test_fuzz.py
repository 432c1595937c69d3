"""Every parser, fed generated bad input, either reads it or raises a DataError that names the
file (and the line, where the input has lines) — never another exception."""

import os
import re
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from dmn_jax.data import babi, pos, ptb, sst, trees
from dmn_jax.errors import DataError

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _text(alphabet: str, seeds: list[str]):
  """Text of the format's own pieces (good lines, fragments) mixed with random characters, and
  sometimes bytes that are not UTF-8."""
  piece = st.one_of(st.sampled_from(seeds), st.text(alphabet=alphabet, max_size=30))
  text = st.lists(piece, max_size=12).map(''.join)
  return st.tuples(text, st.sampled_from([b'', b'', b'\xff\xfe', b'\xc3'])).map(
      lambda tb: tb[0].encode('utf-8') + tb[1])


def _check(reader, data: bytes) -> None:
  fd, path = tempfile.mkstemp(suffix='.txt')
  try:
    with os.fdopen(fd, 'wb') as f:
      f.write(data)
    try:
      reader(path)
    except DataError as e:
      assert path in str(e), f'the message does not name the file: {e}'
      m = re.search(re.escape(path) + r':(\d+)', str(e))
      if m:                               # a named line exists in the file
        assert 1 <= int(m.group(1)) <= max(1, data.count(b'\n') + 1), str(e)
  finally:
    os.remove(path)


BABI = ['1 Mary went to the kitchen.\n', '2 Where is Mary?\tkitchen\t1\n', '3 Where is Mary? \n',
        '1 John got the apple.\n', '2 What does John have?\tapple\t1 3\n', '\t', '?', '\n', ' ']


@SETTINGS
@given(_text('0123456789 \t\n?.,abcMJ', BABI))
def test_babi_parser(data):
  _check(babi.parse_file, data)


SST = ['(3 (2 good) (3 (2 film) (4 great)))\n', '(2 a)\n', '(', ')', ' ', '(9 x)\n', '\n']


@SETTINGS
@given(_text('()0123456789 abc\n\t', SST))
def test_sst_reader(data):
  _check(sst.read_file, data)


@SETTINGS
@given(st.text(alphabet='()0123 ab\n', max_size=60))
def test_tree_parser(text):
  try:
    trees.parse(text, 'f.txt')
  except DataError as e:
    assert str(e).startswith('f.txt'), str(e)


CONLLU = ['# sent_id = 1\n', '1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n',
          '2\tdog\tdog\tNOUN\tNN\t_\t0\troot\t_\t_\n', '1-2\tdon\'t\t_\t_\t_\t_\t_\t_\t_\t_\n',
          '3.1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n', '\n', '\t', '_']


@SETTINGS
@given(_text('0123456789\t_ -.#abcNN\n', CONLLU))
def test_conllu_reader(data):
  _check(pos.read_conllu, data)


PTB = [' the cat sat \n', ' <unk> N \n', '<eos>', '\n', ' ']


@SETTINGS
@given(_text('abc <>N\n\t', PTB))
def test_ptb_reader(data):
  _check(ptb.read_words, data)
