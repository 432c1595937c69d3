"""`results/babi_{10k,1k}_dmnplus.md`: DMN+ test error per bAbI task beside Xiong et al. 2016 and
the public ports; with a grid over `train.gate_supervision`, one column per setting."""

from __future__ import annotations

import os

import numpy as np

from dmn_jax import paper
from dmn_jax import workdir as workdir_lib
from dmn_jax.results.common import add_machine, attempt_rows, cell_summary, footer, status

_LABEL = {False: 'answers only (weak)', True: 'gate supervision (strong)', None: 'ours'}


_FIGURES = ('done', 'superseded')        # row states that carry figures


def _column(cells, root, registry, sweep, machines, kept):
  """One setting's rows: {task: row} (a row is pending or has the figures). A cell whose
  config changed keeps its previous run's figures, status 'superseded' (noted in `kept`),
  until the run of its current config finishes: the table stays whole."""
  rows = {}
  for c in cells:
    s = cell_summary(c, root, registry, sweep)
    state = 'done'
    if s is None:
      old = registry.previous(sweep, c['name'])
      now = status(os.path.join(root, c['name']), c['config'])
      if old is None:
        rows[c['task']] = {'status': now}
        continue
      s, state = old.summary, 'superseded'
      kept.append(f"task {c['task']}: `{old.path}` ({old.changes_from(c['config'])}); "
                  f"its current config: {now}")
    add_machine(machines, s, c['name'])
    errs = 100 * (1 - np.array([x['test_accuracy'] for x in s['seeds']]))
    chosen = next(x for x in s['seeds'] if x['seed'] == s['seed'])
    rows[c['task']] = {
        'status': state, 'error': 100 * (1 - s['test_accuracy']), 'mean': float(errs.mean()),
        'std': float(errs.std()), 'seeds': [x['seed'] for x in s['seeds']],
        'per_seed_test': [x['test_accuracy'] for x in s['seeds']],
        'chosen_seed': s['seed'], 'best_epoch': chosen.get('best_epoch'),
        'epochs': s.get('epochs_run'),
        'gate_accuracy': chosen.get('test_gate_accuracy'),
        'seconds': s['train_seconds'] + s['compile_seconds']}
  return rows


def _fmt(x, spec='.1f'):
  return '–' if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)


def table_dmn_plus(cells: list[dict], root: str, registry, sweep: str, command: str
                   ) -> tuple[str, dict]:
  tenk = any(c['config'].babi_set == 'en-10k' for c in cells)
  values = list(dict.fromkeys(c['value'] for c in cells))
  machines: dict[str, list[str]] = {}
  kept: list[str] = []
  cols = {v: _column([c for c in cells if c['value'] == v], root, registry, sweep, machines,
                     kept) for v in values}
  tasks = sorted({c['task'] for c in cells})
  size = '10k' if tenk else '1k'
  lines = [f'# DMN+ on bAbI {size}, one model per task', '',
           'Test error (%). **ours**: the restart of lowest dev loss (the paper reports the run of '
           'lowest validation loss); mean ± std over all restarts; gate acc: share of test '
           "questions whose pass-t attention peaks on the t-th supporting fact (a diagnostic: "
           'the weakly supervised model never sees the supporting facts).', '']
  head = ['task']
  if tenk:
    head += ['paper DMN+ (10k)', 'public ports']
  else:
    head += ['MemN2N PE LS RN (1k, paper)']
  for v in values:
    head += [f'{_LABEL[v]}', 'mean ± std', 'gate acc %', 'restarts', 'epochs']
  lines += ['| ' + ' | '.join(head) + ' |', '|---:|' + '---:|' * (len(head) - 1)]
  out_rows = []
  for t in tasks:
    row = [str(t) + (' §' if tenk and t == 3 else '')]
    if tenk:
      ports = '; '.join(f'{name} {e[t]}' for name, e in paper.DMNPLUS_PORTS_10K_ERROR.items()
                        if t in e)
      row += [_fmt(paper.DMNPLUS_BABI_10K_ERROR[t]), ports or '–']
    else:
      row += [_fmt(paper.MEMN2N_TABLE1_ERROR['PE LS RN'][t - 1])]
    rec = {'task': t}
    for v in values:
      r = cols[v].get(t, {'status': 'pending'})
      rec[str(v)] = r
      if r['status'] not in _FIGURES:
        row += [f"({r['status']})", '', '', '', '']
        continue
      mark = '‡' if r['status'] == 'superseded' else ''
      row += [f"**{r['error']:.1f}**{mark}", f"{r['mean']:.1f} ± {r['std']:.1f}",
              _fmt(None if r['gate_accuracy'] is None else 100 * r['gate_accuracy']),
              str(len(r['seeds'])), str(r['epochs'])]
    out_rows.append(rec)
    lines.append('| ' + ' | '.join(row) + ' |')
  summary = {}
  for v in values:
    done = [cols[v][t] for t in tasks if cols[v].get(t, {}).get('status') in _FIGURES]
    s = {'tasks_done': len(done), 'tasks_total': len(tasks),
         'superseded': sum(r['status'] == 'superseded' for r in done)}
    if done:
      e = np.array([r['error'] for r in done])
      s.update(mean_error=float(e.mean()), failed=int((e > 5).sum()),
               mean_of_restart_means=float(np.mean([r['mean'] for r in done])),
               wall_seconds=float(sum(r['seconds'] for r in done)))
    summary[str(v)] = s
  done_tasks = [t for t in tasks if all(cols[v].get(t, {}).get('status') in _FIGURES
                                        for v in values)]
  lines.append('')
  for v in values:
    s = summary[str(v)]
    if not s['tasks_done']:
      lines.append(f"- {_LABEL[v]}: no task finished yet.")
      continue
    lines.append(f"- {_LABEL[v]}: mean error **{s['mean_error']:.1f}** over {s['tasks_done']} of "
                 f"{s['tasks_total']} tasks (mean of the restarts' means "
                 f"{s['mean_of_restart_means']:.1f}), **{s['failed']}** failed (> 5%); train + "
                 f"compile {s['wall_seconds']:,.0f} s.")
  if tenk:
    ref = [paper.DMNPLUS_BABI_10K_ERROR[t] for t in done_tasks]
    lines.append(f'- Paper (Xiong et al. 2016, Table 2; all 20 tasks): mean error '
                 f'{paper.DMNPLUS_BABI_10K_MEAN_ERROR}, {paper.DMNPLUS_BABI_10K_FAILED} failed '
                 f'(task 16)' + (f'; on the {len(done_tasks)} tasks done here: '
                                 f'{np.mean(ref):.1f}' if done_tasks else '') + '.')
    lines.append('- § The shipped en-10k has no task-3 training file: task 3 trains on the 1k '
                 'one (same test file).')
    lines.append('- Public ports: as their READMEs report them (dmn_jax/paper.py).')
  else:
    ref = [paper.MEMN2N_TABLE1_ERROR['PE LS RN'][t - 1] for t in done_tasks]
    lines.append('- No published DMN+ 1k figures exist; beside: MemN2N PE LS RN (Sukhbaatar et '
                 'al. 2015, Table 1), mean error 13.9, 11 failed'
                 + (f'; on the {len(done_tasks)} tasks done here: {np.mean(ref):.1f}'
                    if done_tasks else '') + '.')
  if kept:
    lines.append('- ‡ Superseded figures, kept (and counted above) until the run of the '
                 "cell's current config finishes: " + '; '.join(kept) + '.')
  lines += _attempts(cells, cols, registry, sweep, out_rows)
  lines += footer(machines, command)
  return '\n'.join(lines), {'summary': summary, 'rows': out_rows,
                            'settings': [str(v) for v in values]}


def _attempts(cells, cols, registry, sweep: str, out_rows: list[dict]) -> list[str]:
  """For every task whose answers-only row is above 5% error: each archived DMN+ run of another
  sweep on it (the studies), by how its config differs from the row's, with dev and test. Adds
  them to `out_rows` as 'attempts'."""
  weak = [c for c in cells if c['value'] in (False, None)]
  failed = [c for c in weak
            if cols[c['value']].get(c['task'], {}).get('status') in _FIGURES
            and cols[c['value']][c['task']]['error'] > 5]
  if not failed:
    return []
  lines = ['', '## Answers only, tasks above 5% error: what was tried', '',
           'Every archived DMN+ run of another sweep (`results/cells/*/`) on the task, by how its '
           'config differs from the row\'s (restart count aside). Dev accuracy (mean over '
           'restarts, each at its kept epoch) is what a choice is made on; test error is shown '
           'for the record (the restart the row\'s rule keeps, and the mean ± std).', '',
           '| task | row error | sweep | change vs the row\'s config | restarts | dev acc mean | '
           'test error | mean ± std |', '|---:|---:|---|---|---:|---:|---:|---:|']
  by_task = {r['task']: r for r in out_rows}
  for c in sorted(failed, key=lambda c: c['task']):
    t = c['task']
    row = cols[c['value']][t]
    tried = [a for a in registry.attempts(t, workdir_lib.config_dict(c['config']), sweep,
                                          'dmn_plus')
             if a['change'] != '(none: same config)']    # not the row's own run again (a
    # changed config that happens to keep the same params, e.g. task 13 best by accuracy, stays)
    lines += attempt_rows(f"| {t} | {row['error']:.1f} |", tried, as_error=True)
    by_task[t]['attempts'] = tried
  return lines
