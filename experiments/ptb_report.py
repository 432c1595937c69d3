"""Writes results/ptb_memn2n.md (+ .json, + .png: validation perplexity by epoch): language-model
runs beside the paper's Table 2.

  python -m experiments.ptb_report --workdirs=runs/ptb_small,runs/ptb \
      --out=results/ptb_memn2n --command="<the ptb_lm commands that made the workdirs>"

A run still training shows its latest validation perplexity, marked as such. `--from_json`
rewrites the table (and its figure) from the rows its JSON kept, for when the workdirs are gone
(a new machine): `python -m experiments.ptb_report --from_json --out=results/ptb_memn2n_authors`.
`--keep_rows` with `--workdirs`: a row of <out>.json whose model (hidden, hops, memory) no workdir
trains stays, in its place, so a table keeps every row while one run is retrained on a new
machine: `python -m experiments.ptb_report --workdirs=runs/ptb_authors --keep_rows
--out=results/ptb_memn2n_authors`.
"""

import os

from absl import app, flags

from dmn_jax.errors import ConfigError
from dmn_jax.results.common import write_files
from dmn_jax.results.ptb import load_lm, lm_curves, lm_text
from dmn_jax.workdir import read_json
from experiments import common

_WORKDIRS = flags.DEFINE_list('workdirs', [], '`experiments.ptb_lm` run folders')
_FROM_JSON = flags.DEFINE_bool('from_json', False, 'rebuild from <out>.json (its rows, command '
                               'and note) instead of the workdirs')
_OUT = flags.DEFINE_string('out', 'results/ptb_memn2n', 'output path without extension')
_COMMAND = flags.DEFINE_string('command', '', 'the command(s) that produced the workdirs')
_KEEP = flags.DEFINE_bool('keep_rows', False, 'with --workdirs: keep the rows of <out>.json whose '
                          'model (hidden, hops, memory) no workdir trains, and its command and note '
                          'where none is given')
_NOTE = flags.DEFINE_string('note', '', 'a sentence on how the runs were made')


def _model(row: dict) -> tuple:
  return row['hidden'], row['hops'], row['memory']


def keep_rows(path: str, rows: list[dict], command: str, note: str
              ) -> tuple[list[dict], str, str]:
  """The saved table's rows with those of `rows`' models replaced (new models appended), and
  its command and note unless given."""
  if not os.path.exists(path):
    raise ConfigError(f'--keep_rows: no {path} to keep rows from')
  saved = read_json(path)
  new = {_model(r): r for r in rows}
  merged = [new.pop(_model(r), r) for r in saved['rows']]
  merged += [r for r in rows if _model(r) in new]
  return merged, command or saved.get('command', ''), note or saved.get('note', '')


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
    rows = [load_lm(w) for w in _WORKDIRS.value]
    if _KEEP.value:
      rows, command, note = keep_rows(_OUT.value + '.json', rows, command, note)
    text = lm_text(rows, command, note, figure=os.path.basename(figure))
  else:
    raise ConfigError('give --workdirs (run folders) or --from_json')
  lm_curves(rows, figure)
  write_files(_OUT.value, text, {'rows': rows, 'command': command, 'note': note})
  print(text)


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
