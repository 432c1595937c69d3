"""What every results table shares: the pending row of an unfinished cell, the machine footer,
percentages, the mark of a cell taken from a larger run, and atomic writes of `<out>.md/.json`."""

from __future__ import annotations

import os
import platform

import jax

from dmn_jax import workdir as workdir_lib
from dmn_jax.errors import ConfigError

FAILED = 'FAILED.txt'   # written into a cell's workdir when its run raised


def cell_summary(c: dict, root: str, registry, sweep: str) -> dict | None:
  """A cell's finished summary: from the archive if there, else from its workdir."""
  return (registry.get(sweep, c['name'], c['config'])
          or workdir_lib.load_summary(os.path.join(root, c['name']), c['config']))


def status(workdir: str, cfg=None) -> str:
  """'failed: <why>', 'started, N epochs done' (training, or resumable from its checkpoint) or
  'pending' for an unfinished cell; with its `cfg`,
  a workdir that holds another config's run (another sweep's cell of the same name) is not
  taken for this cell's progress."""
  if cfg is not None:
    try:
      workdir_lib.check_config(workdir, cfg)
    except ConfigError:
      return 'pending: its workdir holds another config'
  path = os.path.join(workdir, FAILED)
  if os.path.exists(path):
    with open(path) as f:
      return 'failed: ' + f.read().strip()[:80]
  ep = progress(workdir)
  return f'started, {ep} epochs done' if ep else 'pending'


def progress(workdir: str) -> int:
  """Epochs done so far by an unfinished cell (0 if it has not started)."""
  return max((r['epoch'] for r in workdir_lib.epoch_records(workdir)), default=0)


def attention(m) -> str:
  """The attention and the options beyond the paper that a row used."""
  att = 'softmax' if m.attention == 'softmax' else f'GRU ({m.gate_norm} gates)'
  extras = [name for name, on in (('end stop', m.get('end_pass', False)),
                                  ('fact recency', m.get('fact_time', False)),
                                  ('input fusion', m.get('fact_fusion', 'none') != 'none')) if on]
  return ', '.join([att] + extras)


def pct(x: float) -> str:
  return f'{100 * x:.1f}'


def derived_mark(s: dict, label: str, derived: list[str]) -> str:
  """'†' for a cell taken from a larger run's seeds (its source appended to `derived`), else ''."""
  if not s.get('derived_from'):
    return ''
  derived.append(f"{label}: seeds {s['seeds'][0]['seed']}–{s['seeds'][-1]['seed']} of "
                 f"`{s['derived_from']}`")
  return '†'


def derived_note(derived: list[str]) -> str:
  return ('† Not trained again: the first seeds of an archived run with the same config and more '
          'seeds, the seed chosen by dev among them: ' + '; '.join(derived) + ". Their time is "
          "that run's, pro rata. Same init, batches and dropout per seed, but not the same run: "
          'the vmapped program\'s floating-point order depends on the number of seeds, so the '
          'trajectories part after the first epoch (cells are no longer taken this way).')


def add_machine(machines: dict[str, list[str]], s: dict, label: str) -> None:
  """Notes that the finished cell `label` (summary `s`) ran on its summary's machine."""
  if len(s.get('machines', ())) > 1:            # resumed on another machine: named per epoch
    key = s['machine']
  else:
    key = f"{s['machine']}; jax {s.get('jax_version', '(version not recorded)')}"
  machines.setdefault(key, []).append(label)


def footer(machines: dict[str, list[str]], command: str) -> list[str]:
  """Where the cells ran: one machine, or each machine with its cells (the times in a table
  are each cell's own machine's)."""
  if not machines:
    where = f'Machine: {platform.machine()}; jax {jax.__version__}.'
  elif len(machines) == 1:
    where = f'Machine: {next(iter(machines))}.'
  else:
    most = max(machines, key=lambda k: len(machines[k]))
    where = ('Machines (times are each cell\'s own machine\'s): '
             + '; '.join([f'{most}: the other cells']
                         + [f"**{k}**: {', '.join(v)}" for k, v in machines.items()
                            if k != most]) + '.')
  return ['', where, '',
          'Regenerate (resumable: finished cells are skipped, a cell in progress resumes):', '',
          '```', command, '```', '']



def write_files(out: str, text: str, obj: dict) -> None:
  """Writes `<out>.md` (text) and `<out>.json` (obj) atomically."""
  os.makedirs(os.path.dirname(out) or '.', exist_ok=True)
  workdir_lib.write_text(out + '.md', text)
  workdir_lib.write_json(out + '.json', obj)


def attempt_rows(head: str, tried: list[dict], as_error: bool = False) -> list[str]:
  """Markdown rows of a task's other runs (`Registry.attempts`): `head` is the row's first
  cells ("| task | figure |"), written once; then sweep, change, seeds, dev mean and test
  (accuracy %, or error % with `as_error`) of the kept seed and mean ± std."""
  if not tried:
    return [f'{head} nothing else tried yet | | | | | |']
  out = []
  for a in tried:
    best, mean = a['test_best_by_dev'], a['test_mean']
    if as_error:
      best, mean = 100 - best, 100 - mean
    out.append(f"{head} {a['sweep']} | {a['change']} | {a['seeds']} | {a['dev_mean']:.1f} | "
               f"{best:.1f} | {mean:.1f} ± {a['test_std']:.1f} |")
    head = '|' + ' |' * (head.count('|') - 1)
  return out
