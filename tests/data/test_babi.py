import numpy as np
import pytest

from dmn_jax.data import babi, batching
from dmn_jax.data.vocab import EOS_ID, UNK_ID, Vocab, tokenize
from dmn_jax.errors import DataError
from tests.conftest import TINY_TRAIN, write_task


def _file(tmp_path, text, name='qa1_x_train.txt'):
  p = tmp_path / name
  p.write_text(text)
  return str(p)


def test_parse_stories_restart_and_supports(tmp_path):
  exs = babi.parse_file(_file(tmp_path, TINY_TRAIN))
  assert len(exs) == 4
  assert exs[0].story == (tuple('mary moved to the bathroom .'.split()),
                          tuple('john went to the hallway .'.split()))
  assert exs[0].question == ('where', 'is', 'mary', '?')
  assert exs[0].answer == ('bathroom',)
  assert exs[0].supports == (0,)
  # Question lines are not facts: line 4 is the third statement (index 2).
  assert len(exs[1].story) == 4 and exs[1].supports == (2,)
  # A story restarts at id 1: the third question sees only its own story.
  assert len(exs[2].story) == 2 and exs[2].story[0][0] == 'john'
  assert exs[2].supports == (1,)


def test_supports_keep_the_order_the_question_line_lists(tmp_path):
  # bAbI lists the supporting facts in reasoning order (task 2: the object's fact, then where
  # its holder went), which need not be story order; pass i's gate targets the i-th listed.
  text = ('1 Mary went to the garden.\n2 John moved to the hallway.\n'
          '3 Mary got the football there.\n4 Where is the football?\tgarden\t3 1\n')
  ex, = babi.parse_file(_file(tmp_path, text))
  assert ex.supports == (2, 0)
  vocab = Vocab.build([*ex.story, ex.question, ex.answer])
  enc = babi.encode([ex], babi.make_spec(vocab, [[ex]]))
  assert enc['supports'][0].tolist() == [2, 0]


def test_list_answers_are_token_sequences(tmp_path):
  exs = babi.parse_file(_file(tmp_path, TINY_TRAIN))
  assert exs[3].answer == ('apple', 'milk')
  assert exs[3].supports == (1, 2)


@pytest.mark.parametrize('bad, lineno', [
    ('1 Mary moved.\nX Where is Mary?\tgarden\t1\n', 2),            # id not a number
    ('1 Mary moved.\n2 Where is Mary?\tgarden\n', 2),               # missing supports field
    ('1 Mary moved.\n3 John moved.\n', 2),                          # id out of sequence
    ('1 Mary moved.\n2 Where is Mary?\tgarden\t5\n', 2),            # support to no statement
    ('1 Mary moved.\n2 Where is Mary?\tgarden\t2\n', 2),            # support to a question
])
def test_malformed_line_names_file_and_line(tmp_path, bad, lineno):
  path = _file(tmp_path, bad)
  with pytest.raises(DataError, match=rf'{path}:{lineno}: '):
    babi.parse_file(path)


def test_encode_shapes_masks_and_eos(tmp_path):
  data_dir = write_task(tmp_path, train=TINY_TRAIN)
  data, spec = babi.load_task(data_dir, 1, dev_fraction=0.5, dev_seed=0)
  assert spec.multi_token and spec.answer_len == 3          # 2 tokens + EOS
  assert spec.max_facts == 4 and spec.max_supports == 2  # Daniel's question sees 4
  test = data['test']
  assert test['story'].shape == (4, spec.max_story_tokens)
  i = 3  # 'apple,milk'
  v = spec.vocab
  assert v.decode(test['answer'][i]) == ['apple', 'milk']
  assert test['answer'][i, 2] == EOS_ID and test['answer_mask'][i].all()
  assert test['answer_mask'][0].tolist() == [True, True, False]     # 'bathroom' + EOS
  # fact_pos points at each sentence's last token ('.').
  ends = test['story'][i][test['fact_pos'][i][test['fact_mask'][i]]]
  assert v.decode(ends) == ['.', '.', '.']
  assert test['story_mask'][i].sum() == 18
  assert test['supports'][i].tolist() == [1, 2] and test['support_mask'][i].all()
  # dev is one of the two stories (2 questions each).
  assert len(data['dev']['story']) == 2 and len(data['train']['story']) == 2


def test_dev_split_holds_out_whole_stories(tmp_path):
  from tests.conftest import synthetic_task
  exs = babi.parse_file(_file(tmp_path, synthetic_task(50)))
  assert sorted({e.story_id for e in exs}) == list(range(50))
  train, dev = babi.split_dev(exs, 0.1, seed=0)
  assert len({e.story_id for e in dev}) == 5 and len(dev) == 10
  assert not {e.story_id for e in dev} & {e.story_id for e in train}
  again, _ = babi.split_dev(exs, 0.1, seed=0)
  assert again == train                                    # fixed by the seed


def test_unknown_words_map_to_unk():
  v = Vocab.build([['mary', 'went'], ['mary']])
  assert v.words[3] == 'mary'                       # most frequent first after specials
  assert v.encode(['mary', 'zebra']) == [3, UNK_ID]


def test_tokenize():
  assert tokenize("Where is Mary's football?") == ['where', 'is', "mary's", 'football', '?']


def test_missing_data_dir_and_files(tmp_path, monkeypatch):
  with pytest.raises(DataError, match='not a folder'):
    babi.load_task(str(tmp_path / 'nope'), 1)
  monkeypatch.setenv('DMN_DATA_DIR', str(tmp_path))
  with pytest.raises(DataError, match='babi/en does not exist'):
    babi.load_task(None, 1)


def test_batches_pad_with_zero_weight():
  arrays = {'x': np.arange(10, dtype=np.int32)[:, None]}
  out = list(batching.batches(arrays, 4))
  assert [b['x'].shape for b in out] == [(4, 1)] * 3
  assert out[-1]['weight'].tolist() == [1, 1, 0, 0]
  order = batching.epoch_order(10, seed=0, epoch=3)
  assert np.array_equal(order, batching.epoch_order(10, seed=0, epoch=3))
  assert not np.array_equal(order, batching.epoch_order(10, seed=0, epoch=4))


def test_real_babi_task1_if_available():
  import os
  data_dir = os.environ.get('DMN_DATA_DIR')
  if not data_dir or not os.path.isdir(os.path.join(data_dir, 'babi', 'en')):
    pytest.skip('DMN_DATA_DIR with babi/en not set')
  data, spec = babi.load_task(data_dir, 1)
  assert {k: len(v['story']) for k, v in data.items()} == {'train': 900, 'dev': 100,
                                                            'test': 1000}
  assert spec.answer_len == 1 and not spec.multi_token
  data8, spec8 = babi.load_task(data_dir, 8)
  assert spec8.multi_token


def test_question_without_answer_is_an_error_naming_file_and_line(tmp_path):
  # Read as a statement, it would shift every later supporting-fact index by one.
  path = tmp_path / 'qa1_x_train.txt'
  path.write_text('1 Mary went to the kitchen.\n2 John went to the garden.\n'
                  '3 Where is Mary? \n4 Mary went home.\n5 Where is Mary?\thome\t4\n')
  with pytest.raises(DataError, match=r'qa1_x_train\.txt:3: a question without its answer'):
    babi.parse_file(str(path))
