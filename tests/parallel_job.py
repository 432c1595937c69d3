"""A tiny training run for tests/test_parallel.py, run in a subprocess (the device count is
fixed when jax starts: XLA_FLAGS=--xla_force_host_platform_device_count=N).

  python -m tests.parallel_job <root> <dmn|memn2n> <devices> <seeds> <batch> <epochs> [stop_after]
  DMN_COORDINATOR=127.0.0.1:<port> DMN_PROCESS=<i>/<n> python -m tests.parallel_job ...   # one of n
"""
import os

if os.environ.get('DMN_COORDINATOR'):      # before anything touches jax
  from dmn_jax import parallel
  _i, _n = map(int, os.environ['DMN_PROCESS'].split('/'))
  parallel.initialize(os.environ['DMN_COORDINATOR'], _n, _i)

import json
import sys
from pathlib import Path

from dmn_jax import train
from experiments.configs import babi, babi_memn2n
from tests.conftest import synthetic_task, write_task


def main(root, which, devices, seeds, batch, epochs, stop_after=None):  # noqa: E302
  root = Path(root)
  cfg = (babi if which == 'dmn' else babi_memn2n).get_config('task=1,tiny')
  # Each process writes its own copy: two processes writing one file race (one can read the
  # other's half-written file, fail, and leave its peer at a collective with no one to meet).
  import jax
  cfg.data_dir = write_task(root / f'data{jax.process_index()}', task=1,
                            train=synthetic_task(60), test=synthetic_task(20, seed=1))
  cfg.num_seeds, cfg.devices, cfg.train.batch_size = int(seeds), int(devices), int(batch)
  cfg.train.num_epochs = int(epochs)
  if which == 'memn2n':
    cfg.steps_per_call = 3
  if os.environ.get('DMN_STEPS_PER_CALL'):
    cfg.steps_per_call = int(os.environ['DMN_STEPS_PER_CALL'])
  s = train.train_and_evaluate(cfg, str(root / 'w'), log=lambda m: None,
                               stop_after_epochs=None if stop_after is None else int(stop_after))
  print(json.dumps(s))


if __name__ == '__main__':
  main(*sys.argv[1:])
