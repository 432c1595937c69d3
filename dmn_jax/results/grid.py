"""`results/babi_hard_dmn_<study>.md`: config choices compared on dev, per task x value."""

from __future__ import annotations

import os

import numpy as np

from dmn_jax.results import stats
from dmn_jax.results.common import (add_machine, cell_summary, derived_mark, derived_note, footer,
                                    pct, status)


def table_grid(cells: list[dict], root: str, registry, sweep: str, command: str) -> tuple[str, dict]:
  """Config choices on dev: per task × grid value, dev and test accuracy over seeds."""
  family = {'memn2n': 'MemN2N', 'dmn_plus': 'DMN+'}.get(
      cells[0]['config'].get('model_family', 'dmn') if cells else 'dmn', 'DMN')
  size = '10k' if cells and cells[0]['config'].get('babi_set') == 'en-10k' else '1k'
  lines = [
      f'# {family} on bAbI {size}: config choices (chosen on dev, test shown for the record)',
      '',
      'Per cell: mean dev accuracy over seeds (each seed at its best-by-dev epoch) — the figure '
      'a choice is made on — then test accuracy of the best-by-dev seed and mean ± std.',
      '',
      '| task | value | dev mean | dev best seed | test best-by-dev | test mean ± std | seeds | '
      'epochs (mean) | train + compile s |',
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  rows, machines, derived = [], {}, []
  dev_by_seed: dict[tuple, dict[int, float]] = {}     # (task, value) -> {seed: dev %}
  for c in sorted(cells, key=lambda c: c['task']):
    s = cell_summary(c, root, registry, sweep)
    shown = _shown(c['value'])
    if s is None:
      state = status(os.path.join(root, c['name']), c['config'])
      lines.append(f"| {c['task']} | {shown} | ({state}) | | | | | | |")
      rows.append({'task': c['task'], 'value': c['value'], 'status': 'pending'})
      continue
    add_machine(machines, s, f"task {c['task']}: {shown}")
    dev = np.array([x['dev_accuracy'] for x in s['seeds']])
    dev_by_seed[(c['task'], c['value'])] = {x['seed']: 100 * x['dev_accuracy'] for x in s['seeds']}
    test = np.array([x['test_accuracy'] for x in s['seeds']])
    ep = np.mean([x['epochs_run'] for x in s['seeds']])
    sec = s['train_seconds'] + s['compile_seconds']
    mark = derived_mark(s, f"task {c['task']}, {shown}", derived)
    lines.append(f"| {c['task']} | {shown}{mark} | {pct(dev.mean())} | "
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
  values = list(dict.fromkeys(c['value'] for c in cells))
  comparison = None
  if len(values) == 2:
    more, comparison = _paired_section(cells, dev_by_seed, values)
    lines += more
  lines += footer(machines, command)
  return '\n'.join(lines), {'rows': rows, 'paired': comparison}


def _shown(value) -> str:
  """A value in the table's value column: the empty string as '' (e.g. glove='', no GloVe)."""
  return "''" if value == '' else str(value)


def value_label(value, key: str | None) -> str:
  """A grid value as a verdict names it: a word as it is ('softmax', 'bce'), any other value
  with its key ('answer_start_epoch=10', 'end_pass=True', "glove=''")."""
  if isinstance(value, str) and value.isidentifier():
    return value
  leaf = (key or 'value').split('.')[-1]
  return f'{leaf}={value!r}' if isinstance(value, str) else f'{leaf}={value}'


def _verdict(r: dict, a, b) -> str:
  better = b if r['mean_diff'] > 0 else a
  if r['p'] >= 0.05:
    if r['n'] > 1 and max(r['wins'], r['losses']) == r['n']:
      # As one-sided as n seeds can be: the smallest p they allow, 2 / 2^n, is still ≥ 0.05.
      return (f"{better} better on every seed; p = {r['p']:.2f}, the least {r['n']} seeds "
              'allow: not shown on this task alone')
    return f"no difference shown (p = {r['p']:.2f})"
  return f"{better} better on dev (p = {r['p']:.3f})"


def _paired_section(cells, dev, values) -> tuple[list[str], dict | None]:
  """Per task (and pooled): the dev accuracy of value b minus value a, seed by seed (the same
  seeds: same initial draws and batches where the shapes allow), with the sign-flip p-value.
  dev: {(task, value): {seed: dev accuracy %}} of the finished cells."""
  a, b = values
  key = next((c.get('key') for c in cells if c.get('key')), None)
  la, lb = value_label(a, key), value_label(b, key)
  per_task, pooled_a, pooled_b = [], {}, {}
  for t in sorted({c['task'] for c in cells}):
    if (t, a) not in dev or (t, b) not in dev:
      continue
    r = stats.paired(dev[(t, a)], dev[(t, b)])
    if r is None:
      continue
    per_task.append({'task': t, **r})
    pooled_a.update({(t, k): v for k, v in dev[(t, a)].items() if k in r['seeds']})
    pooled_b.update({(t, k): v for k, v in dev[(t, b)].items() if k in r['seeds']})
  if not per_task:
    return [], None
  pooled = stats.paired(pooled_a, pooled_b)
  pooled['seeds'] = [list(k) for k in pooled['seeds']]
  lines = ['', f'## Paired on dev: {lb} minus {la}, seed by seed', '',
           'Each seed trained under both values; the difference of its dev accuracy (points), '
           'the mean ± sd over seeds, wins / losses, and the sign-flip test\'s two-sided p '
           '(`dmn_jax/results/stats.py`: exact over the 2^n sign patterns; no normality assumed). '
           'Test accuracy plays no part. With n seeds the smallest p possible is 2 / 2^n (3 '
           'seeds: 0.25, 5: 0.063, 10: 0.002): 3 seeds cannot show a difference on one task.', '',
           '| task | seeds | dev difference | wins / losses | p | verdict |',
           '|---:|---:|---:|---:|---:|---|']
  for r in per_task + [{'task': 'all (pooled)', **pooled}]:
    lines.append(f"| {r['task']} | {r['n']} | {r['mean_diff']:+.1f} ± {r['sd_diff']:.1f} | "
                 f"{r['wins']} / {r['losses']} | {r['p']:.3f} | {_verdict(r, la, lb)} |")
  return lines, {'a': str(a), 'b': str(b), 'per_task': per_task, 'pooled': pooled}


