import pytest

from experiments.configs import babi as babi_config


def test_argument_forms():
  assert babi_config.get_config('1').to_dict() == babi_config.get_config('task=1').to_dict()
  c = babi_config.get_config('task=3,tiny')
  assert c.task == 3 and c.model.hidden == 16 and c.model.passes == babi_config.PASSES[3]
  assert babi_config.get_config('task=2,10k').babi_set == 'en-10k'
  with pytest.raises(KeyError, match='tsk'):
    babi_config.get_config('tsk=1')


@pytest.mark.parametrize('task', range(1, 21))
def test_every_task_has_a_config(task):
  c = babi_config.get_config(str(task))
  c.lock()
  assert c.task == task and c.model.passes >= 1
  with pytest.raises(AttributeError):
    c.train.learnig_rate = 1.0


def test_task_overrides_apply_and_are_known_keys():
  for task, overrides in babi_config.TASK_OVERRIDES.items():
    c = babi_config.get_config(str(task))
    for key, value in overrides.items():
      node = c
      for name in key.split('.'):
        node = node[name]
      assert node == value
  assert babi_config.get_config('1').model.gate_norm == 'sigmoid'     # the paper's gate
