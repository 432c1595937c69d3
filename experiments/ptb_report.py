"""Writes results/ptb_memn2n.md (+ .json, + .png: validation perplexity by epoch): language-model
runs beside the paper's Table 2.

  python -m experiments.ptb_report --workdirs=runs/ptb_small,runs/ptb \
      --out=results/ptb_memn2n --command="<the ptb_lm commands that made the workdirs>"

A run still training shows its latest validation perplexity, marked as such. `--from_json`
rewrites the table (and its figure) from the rows its JSON kept, for when the workdirs are gone
(a new machine): `python -m experiments.ptb_report --from_json --out=results/ptb_memn2n_authors`.
"""

import os

from absl import app, flags

from dmn_jax.errors import ConfigError
from dmn_jax.results.common import write_files
from dmn_jax.results.ptb import lm_curves, lm_table, lm_text
from dmn_jax.workdir import read_json
from experiments import common

_WORKDIRS = flags.DEFINE_list('workdirs', [], '`experiments.ptb_lm` run folders')
_FROM_JSON = flags.DEFINE_bool('from_json', False, 'rebuild from <out>.json (its rows, command '
                               'and note) instead of the workdirs')
_OUT = flags.DEFINE_string('out', 'results/ptb_memn2n', 'output path without extension')
_COMMAND = flags.DEFINE_string('command', '', 'the command(s) that produced the workdirs')
_NOTE = flags.DEFINE_string('note', '', 'a sentence on how the runs were made')


def main(argv):
  del argv
  figure = _OUT.value + '.png'
  if _FROM_JSON.value:
    path = _OUT.value + '.json'
    if not os.path.exists(path):
      raise ConfigError(f'--from_json: no {path}')
    saved = read_json(path)
    rows, command = saved['rows'], _COMMAND.value or saved.get('command', '')
    note = _NOTE.value or saved.get('note', '')
    text = lm_text(rows, command, note, figure=os.path.basename(figure))
  elif _WORKDIRS.value:
    command, note = _COMMAND.value, _NOTE.value
    text, rows = lm_table(_WORKDIRS.value, command, note, figure=os.path.basename(figure))
  else:
    raise ConfigError('give --workdirs (run folders) or --from_json')
  lm_curves(rows, figure)
  write_files(_OUT.value, text, {'rows': rows, 'command': command, 'note': note})
  print(text)


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
