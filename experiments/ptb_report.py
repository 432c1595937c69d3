"""Writes results/ptb_memn2n.md (+ .json, + .png: validation perplexity by epoch): language-model
runs beside the paper's Table 2.

  python -m experiments.ptb_report --workdirs=runs/ptb_small,runs/ptb \
      --out=results/ptb_memn2n --command="<the ptb_lm commands that made the workdirs>"

A run still training shows its latest validation perplexity, marked as such.
"""

import os

from absl import app, flags

from dmn_jax.results.common import write_files
from dmn_jax.results.ptb import lm_curves, lm_table
from experiments import common

_WORKDIRS = flags.DEFINE_list('workdirs', None, '`experiments.ptb_lm` run folders')
_OUT = flags.DEFINE_string('out', 'results/ptb_memn2n', 'output path without extension')
_COMMAND = flags.DEFINE_string('command', '', 'the command(s) that produced the workdirs')
_NOTE = flags.DEFINE_string('note', '', 'a sentence on how the runs were made')
flags.mark_flags_as_required(['workdirs'])


def main(argv):
  del argv
  figure = _OUT.value + '.png'
  text, rows = lm_table(_WORKDIRS.value, _COMMAND.value, _NOTE.value,
                        figure=os.path.basename(figure))
  lm_curves(rows, figure)
  write_files(_OUT.value, text, {'rows': rows, 'command': _COMMAND.value})
  print(text)


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
