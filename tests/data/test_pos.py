import pytest

from dmn_jax.data import pos
from dmn_jax.errors import DataError

CONLLU = """# sent_id = 1
# text = I don't know.
1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\t_
4.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t4:conj\tCopyOf=4
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = 2
1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_conllu_skips_multiword_tokens_empty_nodes_and_comments(tmp_path):
  p = tmp_path / 'x.conllu'
  p.write_text(CONLLU)
  sents = pos.read_conllu(str(p))
  assert sents == [[('I', 'PRP'), ('do', 'VBP'), ("n't", 'RB'), ('know', 'VB'), ('.', '.')],
                   [('Yes', 'UH')]]
  assert pos.read_conllu(str(p), 'upos')[1] == [('Yes', 'INTJ')]


@pytest.mark.parametrize('bad, what', [
    ('1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\n', 'expected 10'),
    ('1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n3\tx\tx\tX\tNN\t_\t1\tdep\t_\t_\n', 'out of order'),
    ('1\tI\tI\tPRON\t_\t_\t0\troot\t_\t_\n', 'no XPOS'),
])
def test_conllu_errors_name_file_and_line(tmp_path, bad, what):
  p = tmp_path / 'bad.conllu'
  p.write_text('# c\n' + bad)
  with pytest.raises(DataError, match=rf'bad\.conllu:\d+: .*{what}'):
    pos.read_conllu(str(p))


def test_mrg_words_are_preterminals_without_null_elements(tmp_path):
  p = tmp_path / 'wsj_0001.mrg'
  p.write_text('( (S (NP-SBJ (NNP Pierre) (-NONE- *-1))\n (VP (MD will)) (. .) ))\n')
  assert pos.read_mrg(str(p)) == [[('Pierre', 'NNP'), ('will', 'MD'), ('.', '.')]]
