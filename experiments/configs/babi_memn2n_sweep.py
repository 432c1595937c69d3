r"""Sweep: MemN2N on bAbI -> results/babi_memn2n_authors.{md,json} (Sukhbaatar et al. 2015,
Table 1), trained as the authors' released code trains it.

  python -m experiments.babi_sweep --config=experiments/configs/babi_memn2n_sweep.py \
      --workdir=runs/babi_memn2n
  python -m experiments.babi_sweep --config=experiments/configs/babi_memn2n_sweep.py:10k \
      --workdir=runs/babi_memn2n_10k         # per task on en-10k -> results/babi_memn2n_10k

Cells: "PE LS RN" on each 1k task (10 restarts each), then the joint models (one model for all
20 tasks): "PE LS RN joint" and "1/2/3 hops PE LS joint" on 1k, and "PE LS RN joint" on 10k.
Two processes can share the work: `--config.train_cells='task*'` and `--config.train_cells=
'joint*'` (each trains only the cells whose names match; both write the whole table).
"""

import ml_collections

from experiments.configs import common


def _variant(rank, label, arg='joint', num_seeds=10, **model):
  return ml_collections.ConfigDict({
      'rank': rank, 'label': label, 'arg': arg, 'num_seeds': num_seeds,
      'overrides': {'model': model} if model else {}})


def get_config(arg=None):
  size = common.size_arg(arg, '1k', 'babi_memn2n_sweep')
  c = ml_collections.ConfigDict()
  c.run_config = 'babi_memn2n'                 # experiments/configs/<run_config>.py
  c.run_arg = '' if size == '1k' else '10k'
  c.tasks = '1-20'
  c.num_seeds = 10
  c.table = 'memn2n'
  # The authors' training recipe (the configs' defaults since issue 17). The table trained
  # before it (the paper's reading: results/babi_memn2n.md, cells in results/cells/babi_memn2n/)
  # stays until every cell of this one has finished.
  c.out = 'results/babi_memn2n_authors' if size == '1k' else 'results/babi_memn2n_10k'
  c.cells_dir = f'results/cells/babi_memn2n_authors{"" if size == "1k" else "_10k"}'
  c.grid_key = ''
  c.grid_values = ()
  c.overrides = ml_collections.ConfigDict()
  c.train_cells = '*'                          # fnmatch pattern: the cells this process trains
  # Joint training (one model for all tasks; d = 50, LS 30 epochs then 60, lr halved every 15).
  # Restarts: the paper's 10 for "PE LS RN joint"; cut to this CPU's budget for 10k (2) and the
  # hop ablation (3).
  if size == '10k':                            # per task only (the paper's Table 1 10k column)
    return c
  c.variants = ml_collections.ConfigDict({
      'joint_pe_ls_rn': _variant(0, 'PE LS RN joint', num_seeds=10),
      'joint_10k_pe_ls_rn': _variant(1, 'PE LS RN joint', arg='joint,10k', num_seeds=2),
      'joint_pe_ls_1hop': _variant(2, '1 hop PE LS joint', num_seeds=3, hops=1,
                                   random_noise=0.0),
      'joint_pe_ls_2hops': _variant(3, '2 hops PE LS joint', num_seeds=3, hops=2,
                                    random_noise=0.0),
      'joint_pe_ls_3hops': _variant(4, '3 hops PE LS joint', num_seeds=3, hops=3,
                                    random_noise=0.0),
  })
  return c
