"""Trains the DMN on Stanford Sentiment Treebank sentiment; prints test accuracy.

  python -m experiments.sst --config=experiments/configs/sst.py:binary --workdir=runs/sst

Resumable like every run here (rerun the same command); several seeds train together
(`--config.num_seeds`); the summary (`<workdir>/summary.json`) has every seed's figures.
"""

from absl import app

from experiments import common

main = common.train_entry('experiments/configs/sst.py:binary', 'run config')

if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
