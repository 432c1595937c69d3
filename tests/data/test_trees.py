import pytest

from dmn_jax.data import trees
from dmn_jax.errors import DataError


def test_parse_sst_tree_labels_leaves_and_subtrees():
  (t,) = trees.parse('(3 (2 (2 The) (2 Rock)) (4 (3 is) (4 great)))')
  assert t.label == '3' and t.leaves() == ['The', 'Rock', 'is', 'great']
  spans = [(s.label, ' '.join(s.leaves())) for s in t.subtrees()]
  assert spans[:3] == [('3', 'The Rock is great'), ('2', 'The Rock'), ('2', 'The')]
  assert len(spans) == 7


def test_parse_ptb_trees_over_lines_with_unlabelled_root():
  text = '( (S\n  (NP (NNP Pierre) (-NONE- *-1))\n  (. .) ))\n( (S (NN x) ))\n'
  a, b = trees.parse(text)
  assert a.label == '' and a.children[0].label == 'S'
  assert a.preterminals() == [('NNP', 'Pierre'), ('-NONE-', '*-1'), ('.', '.')]
  assert b.leaves() == ['x']


@pytest.mark.parametrize('text, line, what', [
    ('(2 (2 a) (2 b)\n', 1, 'not closed'),
    ('(2 a)\n(2 (2 b)))\n', 2, 'unbalanced'),
    ('(2 a)\nstray (2 b)\n', 2, 'outside any tree'),
    ('(2 a)\n\n(3 ())\n', 3, 'no children'),
])
def test_malformed_trees_name_file_and_line(text, line, what):
  with pytest.raises(DataError, match=rf'f\.txt:{line}: .*{what}'):
    trees.parse(text, source='f.txt')
