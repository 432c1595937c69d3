"""Trains and evaluates a DMN on one bAbI task.

  python -m experiments.babi --config=experiments/configs/babi.py:1 --workdir=runs/babi1

Overrides: --config.model.passes=3, --config.train.learning_rate=3e-4, ... (unknown keys fail).
Rerun the same command to resume from the workdir's latest checkpoint.
"""

from absl import app, flags
from ml_collections import config_flags

from experiments import common
from dmn_jax import train

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'experiments/configs/babi.py:<task>', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'checkpoints, metrics and summary go here')
flags.mark_flags_as_required(['config', 'workdir'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  common.run_cli(lambda: train.train_and_evaluate(_CONFIG.value, _WORKDIR.value))


if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
