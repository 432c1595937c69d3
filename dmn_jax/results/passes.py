"""`results/babi_passes_dmn.md`: test accuracy by the maximum number of passes (Table 4)."""

from __future__ import annotations

import numpy as np

from dmn_jax import paper
from dmn_jax.results.common import (add_machine, cell_summary, derived_mark, derived_note,
                                    footer, pct)

def table_passes(cells: list[dict], root: str, registry, sweep: str, command: str
                 ) -> tuple[str, dict]:
  """`results/babi_passes_dmn.md`: test accuracy by maximum passes beside the paper's Table 4."""
  tasks = sorted({c['task'] for c in cells})
  values = sorted({c['value'] for c in cells})
  by = {(c['task'], c['value']): c for c in cells}
  lines = [
      '# DMN on bAbI 1k: maximum number of episodic passes (Kumar et al. 2016, Table 4)',
      '',
      'Test accuracy (%): ours as best-by-dev seed (mean ± std over seeds) / paper. '
      '0 passes: no episodic memory, the answer module starts from the input module\'s '
      'final state and reads the question at every step.',
      '',
      '| task | ' + ' | '.join(f'{v} passes' for v in values) + ' |',
      '|---:|' + '---:|' * len(values),
  ]
  rows, machines, seconds, derived, kept = [], {}, 0.0, [], []
  for t in tasks:
    cells_txt = []
    for v in values:
      c = by.get((t, v))
      paper_acc = dict(zip(paper.TABLE4_PASSES, paper.DMN_TABLE4_BABI.get(t, ()))).get(v)
      ptxt = '–' if paper_acc is None else f'{paper_acc}'
      s = cell_summary(c, root, registry, sweep) if c else None
      state = 'done'
      if s is None and c:
        # The table stays whole: the previous config's run stands in, marked, until this
        # config's run finishes.
        old = registry.previous(sweep, c['name'])
        if old is not None:
          s, state = old.summary, 'superseded'
          kept.append(f'task {t}, {v} passes: `{old.path}` ({old.changes_from(c["config"])})')
      if s is None:
        cells_txt.append(f'pending / {ptxt}')
        rows.append({'task': t, 'passes': v, 'status': 'pending', 'paper': paper_acc})
        continue
      accs = np.array([x['test_accuracy'] for x in s['seeds']])
      add_machine(machines, s, f'task {t}, {v} passes')
      seconds += s['train_seconds'] + s['compile_seconds']
      mark = derived_mark(s, f'task {t}, {v} passes', derived) + ('‡' if state != 'done' else '')
      cells_txt.append(f"**{pct(s['test_accuracy'])}**{mark} ({pct(accs.mean())} ± "
                       f"{pct(accs.std())}) / {ptxt}")
      rows.append({'task': t, 'passes': v, 'status': state, 'paper': paper_acc,
                   'best_by_dev': 100 * s['test_accuracy'], 'mean': 100 * accs.mean(),
                   'std': 100 * accs.std(), 'seeds': len(accs),
                   'seconds': s['train_seconds'] + s['compile_seconds'],
                   'derived_from': s.get('derived_from')})
    lines.append(f'| {t} | ' + ' | '.join(cells_txt) + ' |')
  if derived:
    lines += ['', derived_note(derived)]
  if kept:
    lines += ['', '‡ Superseded figures, kept until the run of the cell\'s current config '
              'finishes (the config then, by its keys that differ): ' + '; '.join(kept) + '.']
  lines += ['', f'Train + compile time of the finished cells: {seconds:.0f} s.']
  lines += footer(machines, command)
  return '\n'.join(lines), {'rows': rows}


