"""Runs a sweep of DMN bAbI cells (tasks × seeds × one config key) and writes its results table.

  python -m experiments.babi_sweep --config=experiments/configs/babi_sweep.py \
      --workdir=runs/babi_sweep
  python -m experiments.babi_sweep --config=experiments/configs/babi_passes.py \
      --workdir=runs/babi_passes

Resumable: rerun the same command; finished cells are skipped and an unfinished one resumes
from its last epoch. Several processes may run the same command at once: each locks the cell
it trains (`<workdir>/<cell>.lock`) and passes over the cells the others hold. `--table_only` rewrites the table from the workdir without training.
"""

import sys

from absl import app, flags
from ml_collections import config_flags

from dmn_jax import results, sweep
from experiments import common
import importlib

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'experiments/configs/babi_sweep.py', 'sweep config', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'one sub-folder per cell goes here')
_TABLE_ONLY = flags.DEFINE_bool('table_only', False, 'only rewrite the table from the workdir')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  # The table's regenerate command: neither --table_only nor the share of cells this process
  # trains (--config.train_cells) belongs in it.
  command = 'python -m experiments.babi_sweep ' + ' '.join(
      a for a in sys.argv[1:] if not a.startswith(('--table_only', '--config.train_cells')))

  def go():
    run_config = importlib.import_module(
        f"experiments.configs.{_CONFIG.value.get('run_config', 'babi')}").get_config
    if _TABLE_ONLY.value:
      cells = sweep.make_cells(_CONFIG.value, run_config)
      print(results.write_table(_CONFIG.value, cells, _WORKDIR.value, command))
    else:
      print(sweep.run_sweep(_CONFIG.value, _WORKDIR.value, run_config, command, lock=True))

  common.run_cli(go)


if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
