r"""Sweep: maximum episodic passes 0/1/2/3/5 on bAbI 1k tasks 3, 7, 8 (Kumar et al. Table 4)
-> results/babi_passes_dmn.{md,json}.

  python -m experiments.babi_sweep --config=experiments/configs/babi_passes.py \
      --workdir=runs/babi_passes

Every other setting is the task's config from `experiments/configs/babi.py`.
"""

from experiments.configs import common


def get_config(arg=None):
  del arg
  # The passes ablation under the paper's gate loss weight α = 1 and dropout 0.1 (Table 1's task
  # 3 adopted α = 5, then dropout 0.3, after these cells were trained; its 3-pass cell is the
  # first Table 1 run's seed prefix).
  return common.grid_sweep('results/babi_passes_dmn', tasks='7,8,3', grid_key='model.passes',
                           grid_values=(0, 1, 2, 3, 5), num_seeds=3, table='passes',
                           overrides={'train': {'gate_weight': 1.0}, 'model': {'dropout': 0.1}})
