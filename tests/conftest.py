"""Shared fixtures: tiny bAbI files written by the tests themselves, and tiny configs."""

import os

import pytest

os.environ.setdefault('JAX_PLATFORMS', 'cpu')
# XLA's persistent cache of the runs the tests start (and of their subprocesses) in a fresh
# folder per test process, not the user's ~/.cache/dmn_jax: nothing left behind, and a local run
# compiles as much as CI's fresh machine does.
if 'DMN_CACHE_DIR' not in os.environ:
  import atexit
  import shutil
  import tempfile
  os.environ['DMN_CACHE_DIR'] = tempfile.mkdtemp(prefix='dmn_jax_test_cache_')
  atexit.register(shutil.rmtree, os.environ['DMN_CACHE_DIR'], ignore_errors=True)

from experiments.configs import babi as babi_config  # noqa: E402

TINY_TRAIN = """\
1 Mary moved to the bathroom.
2 John went to the hallway.
3 Where is Mary? \tbathroom\t1
4 Daniel went back to the hallway.
5 Sandra moved to the garden.
6 Where is Daniel? \thallway\t4
1 John moved to the kitchen.
2 Mary got the apple there.
3 What is Mary carrying? \tapple\t2
4 Mary took the milk there.
5 What is Mary carrying? \tapple,milk\t2 4
"""


def write_task(root, task=1, train=TINY_TRAIN, test=None, babi_set='en'):
  """Writes `<root>/babi/<set>/qa<task>_<name>_{train,test}.txt`; returns the data dir."""
  from dmn_jax.data.babi import TASK_NAMES
  folder = root / 'babi' / babi_set
  folder.mkdir(parents=True, exist_ok=True)
  name = TASK_NAMES[task]
  (folder / f'qa{task}_{name}_train.txt').write_text(train)
  (folder / f'qa{task}_{name}_test.txt').write_text(train if test is None else test)
  return str(root)


def synthetic_task(n_stories=60, seed=0):
  """A learnable one-supporting-fact task ("where is X?") of `n_stories` 4-statement stories."""
  import random
  rng = random.Random(seed)
  people = ['mary', 'john', 'sandra', 'daniel']
  places = ['kitchen', 'garden', 'hallway', 'office', 'bathroom']
  lines = []
  for _ in range(n_stories):
    where = {}
    i = 0
    for _ in range(2):
      for _ in range(2):
        i += 1
        p, l = rng.choice(people), rng.choice(places)
        where[p] = (l, i)
        lines.append(f'{i} {p.title()} went to the {l}.')
      i += 1
      p = rng.choice(sorted(where))
      lines.append(f'{i} Where is {p.title()}? \t{where[p][0]}\t{where[p][1]}')
  return '\n'.join(lines) + '\n'


def row(arrays: dict, i: int) -> dict:
  """Example i of a batch of arrays (every leaf indexed on its leading axis)."""
  return {k: v[i] for k, v in arrays.items()}


def with_keys(cfg, **kw):
  """A copy of the ConfigDict `cfg` with keys set (the original untouched)."""
  import ml_collections
  out = ml_collections.ConfigDict(cfg.to_dict())
  for k, v in kw.items():
    out[k] = v
  return out


def tiny_task_config(config_module, tmp_path):
  """`config_module`'s tiny task-1 config (batch 8) on a synthetic task (60 training, 20 test
  questions) written under tmp_path/data."""
  data = write_task(tmp_path / 'data', task=1, train=synthetic_task(60),
                    test=synthetic_task(20, seed=1))
  cfg = config_module.get_config('task=1,tiny')
  cfg.data_dir = data
  cfg.train.batch_size = 8
  return cfg


@pytest.fixture
def tiny_cfg(tmp_path):
  """A tiny DMN config on a synthetic task written under tmp_path."""
  return tiny_task_config(babi_config, tmp_path)
