"""`results/babi_hard_dmn_<study>.md`: config choices compared on dev, per task x value."""

from __future__ import annotations

import os

import numpy as np

from dmn_jax.results.common import add_machine, cell_summary, derived_mark, derived_note, footer, pct, status

def table_grid(cells: list[dict], root: str, registry, sweep: str, command: str) -> tuple[str, dict]:
  """Config choices on dev: per task × grid value, dev and test accuracy over seeds."""
  family = {'memn2n': 'MemN2N', 'dmn_plus': 'DMN+'}.get(
      cells[0]['config'].get('model_family', 'dmn') if cells else 'dmn', 'DMN')
  lines = [
      f'# {family} on bAbI 1k: config choices (chosen on dev, test shown for the record)',
      '',
      'Per cell: mean dev accuracy over seeds (each seed at its best-by-dev epoch) — the figure '
      'a choice is made on — then test accuracy of the best-by-dev seed and mean ± std.',
      '',
      '| task | value | dev mean | dev best seed | test best-by-dev | test mean ± std | seeds | '
      'epochs (mean) | train + compile s |',
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  rows, machines, derived = [], {}, []
  for c in sorted(cells, key=lambda c: c['task']):
    s = cell_summary(c, root, registry, sweep)
    if s is None:
      state = status(os.path.join(root, c['name']), c['config'])
      lines.append(f"| {c['task']} | {c['value']} | ({state}) | | | | | | |")
      rows.append({'task': c['task'], 'value': c['value'], 'status': 'pending'})
      continue
    add_machine(machines, s, f"task {c['task']}: {c['value']}")
    dev = np.array([x['dev_accuracy'] for x in s['seeds']])
    test = np.array([x['test_accuracy'] for x in s['seeds']])
    ep = np.mean([x['epochs_run'] for x in s['seeds']])
    sec = s['train_seconds'] + s['compile_seconds']
    mark = derived_mark(s, f"task {c['task']}, {c['value']}", derived)
    lines.append(f"| {c['task']} | {c['value']}{mark} | {pct(dev.mean())} | "
                 f"{pct(s['dev_accuracy'])} "
                 f"| {pct(s['test_accuracy'])} | {pct(test.mean())} ± {pct(test.std())} | "
                 f"{len(test)} | {ep:.0f} | {sec:.0f} |")
    rows.append({'task': c['task'], 'value': c['value'], 'status': 'done',
                 'dev_mean': 100 * dev.mean(), 'dev_best': 100 * s['dev_accuracy'],
                 'test_best_by_dev': 100 * s['test_accuracy'], 'test_mean': 100 * test.mean(),
                 'test_std': 100 * test.std(), 'seeds': len(test), 'seconds': sec,
                 'derived_from': s.get('derived_from')})
  if derived:
    lines += ['', derived_note(derived)]
  lines += footer(machines, command)
  return '\n'.join(lines), {'rows': rows}


