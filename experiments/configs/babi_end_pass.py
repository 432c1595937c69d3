r"""Study: the learned end-of-passes stop (Kumar et al. 2016 §2.3) beside fixed passes, at a
maximum of 5 passes on bAbI 1k tasks 3, 7 and 8 -> results/babi_end_pass_dmn.{md,json}.

  python -m experiments.babi_sweep --config=experiments/configs/babi_end_pass.py \
      --workdir=runs/babi_passes

`model.end_pass=True` adds a learned "end" fact; the gate is supervised to pick it on the pass
after the last supporting fact, and passes from the one that picks it on leave the memory as it
is (gold pass in training, argmax in evaluation). `False` is plain 5 passes: the very cells of
Table 4 (`babi_passes.py`, same config, 3 seeds), reused, not trained again. Everything else is
the task's config from `experiments/configs/babi.py`.
"""

from experiments.configs import common


def get_config(arg=None):
  del arg
  return common.grid_sweep('results/babi_end_pass_dmn', tasks='3,7,8', grid_key='model.end_pass',
                           grid_values=(False, True), num_seeds=3,
                           overrides={'model': {'passes': 5}})
