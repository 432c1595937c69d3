"""Table 1 tasks retrained with story batches, beside their Table 1 runs -> results/story_batches.

  python -m experiments.story_batches --tasks=1,2,3 --runs=runs
  python -m experiments.story_batches --tasks=1,2,3 --table_only

Trains each task's Table 1 config (`experiments/configs/babi.py:N`, 5 seeds) with
--config.train.story_batches=True in <runs>/story_t<N> (resumable), archives the finished
summary in results/cells/babi_1k_dmn_story/, and rewrites results/story_batches.md + .json.
"""

from absl import app, flags

from dmn_jax import train
from dmn_jax.results import story_batches
from experiments import common
from experiments.configs import babi

_TASKS = flags.DEFINE_list('tasks', ['1', '2', '3'], 'bAbI tasks')
_RUNS = flags.DEFINE_string('runs', 'runs', 'where the workdirs go (<runs>/story_t<N>)')
_TABLE_ONLY = flags.DEFINE_bool('table_only', False, 'only rewrite the table from the archive')
_OUT = flags.DEFINE_string('out', 'results/story_batches', 'output path without extension')

COMMAND = 'python -m experiments.story_batches --tasks={tasks} --runs=runs'


def main(argv):
  del argv
  command = COMMAND.format(tasks=','.join(_TASKS.value))
  for t in map(int, _TASKS.value):
    workdir = f'{_RUNS.value}/story_t{t}'
    if not _TABLE_ONLY.value:
      cfg = babi.get_config(str(t))
      cfg.num_seeds = 5
      cfg.train.story_batches = True
      train.train_and_evaluate(cfg, workdir, log=lambda m, t=t: print(f'[task {t}] {m}'))
    story_batches.archive(workdir)
    print(story_batches.write(_OUT.value, command))


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
