"""Writes a markdown (+ JSON) results table of finished runs beside the papers' figures.

  python -m experiments.report --workdirs=runs/babi1,runs/babi2 \
      --out=results/babi_dmn_single_seed --command="<the commands that made the workdirs>"
  python -m experiments.report --kind=sst --workdirs=runs/sst_binary,runs/sst_fine,... \
      --out=results/sst_dmn --command="..."
  python -m experiments.report --kind=pos --workdirs=runs/pos_ewt --out=results/pos_dmn ...

--kind: babi (DMN Table 1, single-seed runs), sst (Tables 2 and 4), pos (Table 3 and UD EWT
references). Each workdir holds a run's `config.json` (and `summary.json` once finished; an
unfinished SST/POS run shows its best dev accuracy so far, marked as running).
"""

from absl import app, flags

from dmn_jax.results import single_seed, text_tasks
from dmn_jax.results.common import write_files
from experiments import common

_KIND = flags.DEFINE_enum('kind', 'babi', ['babi', 'sst', 'pos'], 'which table')
_WORKDIRS = flags.DEFINE_list('workdirs', None, 'run folders')
_OUT = flags.DEFINE_string('out', None, 'output path without extension (.md and .json written)')
_COMMAND = flags.DEFINE_string('command', '', 'the command(s) that produced the workdirs')
_NOTE = flags.DEFINE_string('note', '', 'a sentence on how the runs were made (e.g. shared cores)')
flags.mark_flags_as_required(['workdirs', 'out'])

_TABLES = {'babi': single_seed.make_table, 'sst': text_tasks.sst_table,
           'pos': text_tasks.pos_table}


def main(argv):
  del argv
  text, rows = _TABLES[_KIND.value](_WORKDIRS.value, _COMMAND.value, _NOTE.value)
  write_files(_OUT.value, text, {'rows': rows, 'command': _COMMAND.value})
  print(text)


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
