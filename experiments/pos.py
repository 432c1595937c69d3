"""Trains the DMN on part-of-speech tagging; prints test accuracy.

  python -m experiments.pos --config=experiments/configs/pos.py:ud_ewt --workdir=runs/pos

Resumable like every run here (rerun the same command); several seeds train together
(`--config.num_seeds`); the summary (`<workdir>/summary.json`) has every seed's figures.
"""

from absl import app

from experiments import common

main = common.train_entry('experiments/configs/pos.py:ud_ewt', 'run config')

if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
