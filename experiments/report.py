"""Writes a markdown (+ JSON) table of finished bAbI runs beside the DMN paper's Table 1.

  python -m experiments.report --workdirs=runs/babi1,runs/babi2,runs/babi3 \
      --out=results/babi_dmn_single_seed --command="<the commands that made the workdirs>"

Each workdir must hold the `summary.json` and `config.json` of a finished run.
"""

import json
import os

from absl import app, flags

from dmn_jax.report import make_table
from experiments import common

_WORKDIRS = flags.DEFINE_list('workdirs', None, 'finished run folders')
_OUT = flags.DEFINE_string('out', None, 'output path without extension (.md and .json written)')
_COMMAND = flags.DEFINE_string('command', '', 'the command(s) that produced the workdirs')
_NOTE = flags.DEFINE_string('note', '', 'a sentence on how the runs were made (e.g. shared cores)')
flags.mark_flags_as_required(['workdirs', 'out'])


def main(argv):
  del argv
  text, rows = make_table(_WORKDIRS.value, _COMMAND.value, _NOTE.value)
  os.makedirs(os.path.dirname(_OUT.value) or '.', exist_ok=True)
  with open(_OUT.value + '.md', 'w') as f:
    f.write(text)
  with open(_OUT.value + '.json', 'w') as f:
    json.dump({'rows': rows, 'command': _COMMAND.value}, f, indent=1)
  print(text)


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
