r"""Sweep: MemN2N "PE LS RN" on each bAbI 1k task (10 restarts each)
-> results/babi_memn2n.{md,json}.

  python -m experiments.babi_sweep --config=experiments/configs/babi_memn2n_sweep.py \
      --workdir=runs/babi_memn2n
"""

import ml_collections


def get_config(arg=None):
  del arg
  c = ml_collections.ConfigDict()
  c.run_config = 'babi_memn2n'                 # experiments/configs/<run_config>.py
  c.tasks = '1-20'
  c.num_seeds = 10
  c.table = 'memn2n'
  c.out = 'results/babi_memn2n'
  c.cells_dir = 'results/cells/babi_memn2n'
  c.grid_key = ''
  c.grid_values = ()
  c.overrides = ml_collections.ConfigDict()
  return c
