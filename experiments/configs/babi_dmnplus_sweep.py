r"""Sweeps: DMN+ on all 20 bAbI tasks -> results/babi_{10k,1k}_dmnplus.{md,json}.

  python -m experiments.babi_sweep --config=experiments/configs/babi_dmnplus_sweep.py:10k \
      --workdir=runs/dmnplus_10k
  python -m experiments.babi_sweep --config=experiments/configs/babi_dmnplus_sweep.py:1k \
      --workdir=runs/dmnplus_1k

10k: trained on answers only (the paper's setting), 3 restarts per task, the one of lowest dev
loss reported. 1k: two columns, answers only and with the DMN's gate supervision
(`train.gate_supervision`), 3 restarts each. Each task's config is
`experiments/configs/babi_dmnplus.py:<task>[,10k]`; cheapest tasks first; rerunning skips
finished cells and resumes the one in progress. Narrow with `--config.tasks=1-3`.
"""

import ml_collections

from experiments.configs import common

# Cheapest first (memory slots x sentence length), the long-story tasks last.
ORDER = '4,17,19,15,16,1,20,9,11,13,10,12,14,18,6,7,8,5,2,3'


def get_config(arg=None):
  size = common.size_arg(arg, '10k', 'babi_dmnplus_sweep')
  c = ml_collections.ConfigDict()
  c.run_config = 'babi_dmnplus'                 # experiments/configs/<run_config>.py
  c.run_arg = '10k' if size == '10k' else ''
  c.tasks = ORDER
  c.num_seeds = 3
  c.table = 'dmn_plus'
  c.out = f'results/babi_{size}_dmnplus'
  c.cells_dir = f'results/cells/babi_{size}_dmnplus'
  if size == '1k':
    c.grid_key = 'train.gate_supervision'
    c.grid_values = (False, True)
  else:
    c.grid_key = ''
    c.grid_values = ()
  c.overrides = ml_collections.ConfigDict()
  c.train_cells = '*'
  return c
