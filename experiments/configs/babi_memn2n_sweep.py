r"""Sweep: MemN2N on bAbI -> results/babi_memn2n.{md,json} (Sukhbaatar et al. 2015, Table 1).

  python -m experiments.babi_sweep --config=experiments/configs/babi_memn2n_sweep.py \
      --workdir=runs/babi_memn2n

Cells: "PE LS RN" on each 1k task (10 restarts each), then the joint models (one model for all
20 tasks): "PE LS RN joint" and "1/2/3 hops PE LS joint" on 1k, and "PE LS RN joint" on 10k.
Two processes can share the work: `--config.train_cells='task*'` and `--config.train_cells=
'joint*'` (each trains only the cells whose names match; both write the whole table).
"""

import ml_collections


def _variant(rank, label, arg='joint', num_seeds=10, **model):
  return ml_collections.ConfigDict({
      'rank': rank, 'label': label, 'arg': arg, 'num_seeds': num_seeds,
      'overrides': {'model': model} if model else {}})


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
  c.train_cells = '*'                          # fnmatch pattern: the cells this process trains
  c.note = ('The two "PE LS RN joint" cells (1k, 10k) were trained before random noise was tied '
            'to the story length (commit "MemN2N random noise: at most ceil(10% of the story\'s '
            'sentences)"): up to 10% of the length bucket\'s memory size in empty memories, more '
            'than the paper\'s for short stories. The per-task cells use the current rule; the hop '
            'cells have no noise.')
  # Joint training (one model for all tasks; d = 50, LS 30 epochs then 60, lr halved every 15).
  # Restarts cut to this CPU's budget (the paper: 10): 5 for "PE LS RN joint", 2 for 10k and
  # for the hop ablation.
  c.variants = ml_collections.ConfigDict({
      'joint_pe_ls_rn': _variant(0, 'PE LS RN joint', num_seeds=5),
      'joint_10k_pe_ls_rn': _variant(1, 'PE LS RN joint', arg='joint,10k', num_seeds=2),
      'joint_pe_ls_1hop': _variant(2, '1 hop PE LS joint', num_seeds=2, hops=1,
                                   random_noise=0.0),
      'joint_pe_ls_2hops': _variant(3, '2 hops PE LS joint', num_seeds=2, hops=2,
                                    random_noise=0.0),
      'joint_pe_ls_3hops': _variant(4, '3 hops PE LS joint', num_seeds=2, hops=3,
                                    random_noise=0.0),
  })
  return c
