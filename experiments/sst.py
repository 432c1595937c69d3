"""Trains the DMN on Stanford Sentiment Treebank sentiment; prints test accuracy.

  python -m experiments.sst --config=experiments/configs/sst.py:binary --workdir=runs/sst

Resumable like every run here (rerun the same command); several seeds train together
(`--config.num_seeds`); the summary (`<workdir>/summary.json`) has every seed's figures.
"""

from absl import app, flags
from ml_collections import config_flags

from dmn_jax import train
from experiments import common

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'experiments/configs/sst.py:binary', 'run config', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'checkpoints, metrics and summary go here')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')

  def go():
    train.validate_config(_CONFIG.value)
    train.train_and_evaluate(_CONFIG.value, _WORKDIR.value)

  common.run_cli(go)


if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
