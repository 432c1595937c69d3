r"""Sweep: maximum episodic passes 0/1/2/3/5 on bAbI 1k tasks 3, 7, 8 (Kumar et al. Table 4)
-> results/babi_passes_dmn.{md,json}.

  python -m experiments.babi_sweep --config=experiments/configs/babi_passes.py \
      --workdir=runs/babi_passes

Every other setting is the task's config from `experiments/configs/babi.py`.
"""

import ml_collections


def get_config(arg=None):
  del arg
  c = ml_collections.ConfigDict()
  c.run_config = 'babi'                        # experiments/configs/<run_config>.py
  c.tasks = '7,8,3'
  c.num_seeds = 3
  c.table = 'passes'
  c.out = 'results/babi_passes_dmn'
  c.cells_dir = 'results/cells/babi_passes_dmn'   # finished cells' summary + config (committed)
  c.grid_key = 'model.passes'
  c.grid_values = (0, 1, 2, 3, 5)
  # The passes ablation under the paper's gate loss weight α = 1 and dropout 0.1 (Table 1's task
  # 3 adopted α = 5, then dropout 0.3, after these cells were trained; its 3-pass cell is the
  # first Table 1 run's seed prefix).
  c.overrides = ml_collections.ConfigDict({'train': {'gate_weight': 1.0},
                                           'model': {'dropout': 0.1}})
  c.train_cells = '*'                          # fnmatch pattern: the cells this process trains
  return c
