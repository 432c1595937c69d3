
from dmn_jax.data import babi_memory
from tests.conftest import TINY_TRAIN, write_task


def test_memory_arrays_most_recent_first(tmp_path):
  data_dir = write_task(tmp_path, task=1, train=TINY_TRAIN)
  data, spec = babi_memory.load_tasks(data_dir, [1], dev_fraction=0.0, memory_size=3)
  tr, v = data['train'], spec.vocab
  assert tr['memory'].shape == (4, 3, spec.sentence_len)
  # Question 2 ("Where is Daniel?") sees 4 statements; memory 3 keeps the 3 latest, newest first.
  words = [' '.join(v.decode(tr['memory'][1, s])) for s in range(3)]
  assert words == ['sandra moved to the garden .', 'daniel went back to the hallway .',
                   'john went to the hallway .']
  assert tr['memory_mask'][1].tolist() == [True, True, True]
  assert tr['memory_mask'][0].tolist() == [True, True, False]
  # Supporting fact 4 ("Daniel went back...") is now slot 1.
  assert tr['supports'][1, 0] == 1 and tr['support_mask'][1].tolist() == [True, False]
  # A list answer is one combined word.
  assert v.words[tr['answer'][3]] == 'apple,milk'
  assert v.words[tr['answer'][0]] == 'bathroom'
  assert set(tr['answer'].tolist()) <= set(spec.answer_ids)
  assert tr['task'].tolist() == [1, 1, 1, 1]


def test_joint_loading_shares_one_vocabulary(tmp_path):
  write_task(tmp_path, task=1, train=TINY_TRAIN)
  data_dir = write_task(tmp_path, task=2, train=TINY_TRAIN.replace('Mary', 'Bill'))
  data, spec = babi_memory.load_tasks(data_dir, [1, 2], dev_fraction=0.0)
  assert 'bill' in spec.vocab and 'mary' in spec.vocab
  assert sorted(set(data['test']['task'].tolist())) == [1, 2]
  assert spec.tasks == (1, 2)
