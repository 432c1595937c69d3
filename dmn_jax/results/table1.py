"""`results/babi_1k_dmn.md`: the DMN on all 20 bAbI 1k tasks beside Kumar et al. Table 1."""

from __future__ import annotations

import os

import ml_collections
import numpy as np

from dmn_jax import paper
from dmn_jax import workdir as workdir_lib
from dmn_jax.results.common import (add_machine, attempt_rows, attention, cell_summary, footer,
                                    progress, status)

def table1(cells: list[dict], root: str, registry, sweep: str, command: str) -> tuple[str, dict]:
  """`results/babi_1k_dmn.md`: per task, paper DMN / MemNN beside our best-by-dev seed and the
  mean ± std over seeds; summary lines over the finished tasks."""
  rows, done = [], []
  lines = [
      '# DMN on bAbI 1k: all 20 tasks, several seeds',
      '',
      'Test accuracy (%). **best-by-dev**: the test accuracy of the seed with the best dev '
      'accuracy (the paper reports one model per task, chosen on dev); **mean ± std**: over '
      'all seeds. Each seed is early-stopped on its own dev accuracy. Paper: Kumar et al. 2016, '
      'Table 1 (DMN; MemNN = Weston et al. 2015a, strongly supervised).',
      '',
      '| task | paper DMN | paper MemNN | ours best-by-dev | ours mean ± std | seeds | '
      'passes | attention | hidden | epochs (mean) | train + compile s |',
      '|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
  ]
  machines: dict[str, list[str]] = {}
  kept: list[str] = []                         # superseded runs standing in for pending ones
  for c in sorted(cells, key=lambda c: c['task']):
    t, m = c['task'], c['config'].model
    wd = os.path.join(root, c['name'])
    s = cell_summary(c, root, registry, sweep)
    head = f"| {t} | {paper.DMN_TABLE1_BABI_1K[t]} | {paper.MEMNN_TABLE1_BABI_1K[t]} |"
    mark = ''
    if s is None:
      state = status(wd, c['config'])
      old = registry.previous(sweep, c['name'])
      if old is None:
        lines.append(f"{head} ({state}) | | {c['config'].num_seeds} | {m.passes} | "
                     f"{attention(m)} | {m.hidden} | | |")
        rows.append({'task': t, 'status': 'pending', 'epochs_done': progress(wd)})
        continue
      # The table stays whole: the last run of the task's previous config stands in, marked.
      s, mark = old.summary, '‡'
      m = ml_collections.ConfigDict(old.config['model'])
      now = 'not started' if state == 'pending' else state
      kept.append(f"task {t}: `{old.path}` ({old.changes_from(c['config'])}); "
                  f'the run of its adopted config: {now}')
    accs = np.array([x['test_accuracy'] for x in s['seeds']])
    row = {'task': t, 'status': 'superseded' if mark else 'done',
           'best_by_dev': 100 * s['test_accuracy'],
           'best_seed': s['seed'], 'mean': 100 * accs.mean(), 'std': 100 * accs.std(),
           'per_seed': [100 * a for a in accs.tolist()],
           'seeds': [x['seed'] for x in s['seeds']],
           'dev_best': 100 * s['dev_accuracy'], 'passes': m.passes, 'attention': attention(m),
           'hidden': m.hidden, 'epochs_mean': float(np.mean([x['epochs_run'] for x in s['seeds']])),
           'seconds': s['train_seconds'] + s['compile_seconds'],
           'paper_dmn': paper.DMN_TABLE1_BABI_1K[t], 'paper_memnn': paper.MEMNN_TABLE1_BABI_1K[t]}
    add_machine(machines, s, f'task {t}')
    rows.append(row)
    done.append(row)
    lines.append(f"{head} {row['best_by_dev']:.1f}{mark} | {row['mean']:.1f} ± {row['std']:.1f} | "
                 f"{len(accs)} | {m.passes} | {row['attention']} | {m.hidden} | "
                 f"{row['epochs_mean']:.0f} | {row['seconds']:.0f} |")
  n = len(done)
  summary = {'tasks_done': n, 'tasks_total': len(cells)}
  if n:
    best = np.array([r['best_by_dev'] for r in done])
    means = np.array([r['mean'] for r in done])
    summary.update(mean_best_by_dev=float(best.mean()), mean_of_means=float(means.mean()),
                   over_95_best_by_dev=int((best > 95).sum()),
                   over_95_mean=int((means > 95).sum()),
                   paper_mean_same_tasks=float(np.mean([r['paper_dmn'] for r in done])),
                   wall_seconds=float(sum(r['seconds'] for r in done)))
    lines += [
        f"| **mean ({n} of {len(cells)} tasks)** | "
        f"{summary['paper_mean_same_tasks']:.1f} | | **{summary['mean_best_by_dev']:.1f}** | "
        f"{summary['mean_of_means']:.1f} | | | | | | {summary['wall_seconds']:.0f} |",
        f"| **tasks > 95%** | {sum(r['paper_dmn'] > 95 for r in done)} | | "
        f"**{summary['over_95_best_by_dev']}** | {summary['over_95_mean']} | | | | | | |",
    ]
  lines += ['', f'Paper (all 20 tasks): mean {paper.DMN_TABLE1_MEAN}, '
            f'{paper.DMN_TABLE1_TASKS_OVER_95} tasks > 95%.']
  if kept:
    summary['superseded_tasks'] = [r['task'] for r in done if r['status'] == 'superseded']
    lines += ['', '‡ Superseded figures, kept (and counted in the summary lines) until their '
              'replacement finishes: ' + '; '.join(kept) + '.']
  if n < len(cells):
    lines.append(f'{len(cells) - n} of {len(cells)} tasks pending: the summary lines cover the '
                 'finished tasks only (the paper column of the mean row too).')
  below = [r for r in done if r['best_by_dev'] < r['paper_dmn']]
  if below:
    configs = {c['task']: workdir_lib.config_dict(c['config']) for c in cells}
    lines += ['', '## Tasks below the paper: what was tried', '',
              'Every archived run of another sweep (`results/cells/*/`) on the task, described by '
              'how its config differs from the Table 1 row\'s (seed count aside). Dev accuracy '
              'is what a choice is made on; test is shown for the record. The single-seed '
              'ablations of tasks 2 and 3 that chose their gates (softmax-normalised vs the '
              'paper\'s sigmoid, softmax attention, L2 and dropout) predate the sweeps: '
              '`results/babi_dmn_single_seed.md`.', '',
              '| task | ours / paper | sweep | change vs the Table 1 config | seeds | dev mean | '
              'test best-by-dev | test mean ± std |',
              '|---:|---:|---|---|---:|---:|---:|---:|']
    for r in below:
      tried = registry.attempts(r['task'], configs[r['task']], sweep)
      lines += attempt_rows(f"| {r['task']} | {r['best_by_dev']:.1f} / {r['paper_dmn']} |",
                            tried)
      r['attempts'] = tried
  if done:
    configs = {c['task']: workdir_lib.config_dict(c['config']) for c in cells}
    columns = two_columns(done, configs, registry)
    summary['columns'] = columns['summary']
    lines += columns['lines']
  lines += footer(machines, command)
  return '\n'.join(lines), {'summary': summary, 'rows': rows}


# The DMN options Kumar et al. 2016 describe, by config key; any other value of these keys is
# an option beyond the paper. Keys not listed (hidden, dropout, L2, passes, α/β and their
# schedule, attention GRU or softmax episode, end-of-passes, GloVe, gate loss form, batching)
# are the paper's own freedoms. The gate loss as a per-gate binary CE is a reading of "the
# cross-entropy error of the gates" for sigmoid gates (issue 18), counted as the paper's.
PAPER_OPTIONS = {'model.gate_norm': ('sigmoid',), 'model.fact_time': (False,),
                 'model.fact_fusion': ('none',)}
MIN_SEEDS = 3                                  # a run with fewer seeds is not a candidate


def beyond_paper(config: dict) -> list[str]:
  """The `PAPER_OPTIONS` keys whose value in `config` (a config dict) is not the paper's."""
  flat = workdir_lib.flatten(config)
  return [f'{k}={workdir_lib.config_value(flat, k)}' for k, ok in PAPER_OPTIONS.items()
          if workdir_lib.config_value(flat, k) not in ok]


def _pick(cands: list[dict]) -> dict | None:
  """The config of highest mean dev accuracy over its seeds, each config measured by its
  largest run (the Table 1 row first among equals: a 3-seed study cell of the row's config does
  not stand in for the row's 5 seeds). Test accuracy never enters the choice."""
  largest: dict[str, dict] = {}
  for c in cands:
    have = largest.get(c['change'])
    if have is None or (c['seeds'], c['is_row']) > (have['seeds'], have['is_row']):
      largest[c['change']] = c
  return max(largest.values(), key=lambda c: (round(c['dev_mean'], 6), c['seeds'], c['is_row']),
             default=None)


def two_columns(done: list[dict], configs: dict[int, dict], registry) -> dict:
  """Issue 18's two columns: per task, among every archived DMN run on it with ≥ MIN_SEEDS
  seeds (the Table 1 row and every sweep's cells, superseded ones too), the run of best dev
  mean — over the runs that use only the paper's options (**paper model**) and over all runs
  (**ours best**). Returns {'lines', 'summary'}; each row also gets 'paper_model' and
  'ours_best' entries."""
  for r in done:
    cands, seen = [], set()
    for e in registry.task_runs(r['task'], configs[r['task']].get('babi_set', 'en')):
      test = [x['test_accuracy'] for x in e.summary['seeds']]
      if len(test) < MIN_SEEDS or tuple(test) in seen:
        continue
      seen.add(tuple(test))                      # one run archived by two sweeps counts once
      dev = [x['dev_accuracy'] for x in e.summary['seeds']]
      keys = workdir_lib.config_diff(configs[r['task']], e.config, workdir_lib.SEEDS_AND_SPEED)
      flat = workdir_lib.flatten(e.config)
      is_row = (not keys and len(test) == len(r['per_seed'])
                and np.allclose(test, np.array(r['per_seed']) / 100, rtol=0, atol=1e-9))
      cands.append({'sweep': e.sweep, 'cell': e.name, 'is_row': is_row,
                    'change': ', '.join(f'{k}={workdir_lib.config_value(flat, k)}'
                                        for k in keys) or "the row's config",
                    'beyond_paper': beyond_paper(e.config), 'seeds': len(test),
                    'dev_mean': 100 * float(np.mean(dev)),
                    'test_best_by_dev': 100 * e.summary['test_accuracy'],
                    'test_mean': 100 * float(np.mean(test)), 'test_std': 100 * float(np.std(test))})
    r['paper_model'] = _pick([c for c in cands if not c['beyond_paper']])
    r['ours_best'] = _pick(cands)
  lines = ['', '## Paper model and ours best (chosen on dev)', '',
           'Per task, among every archived DMN run on it with at least '
           f'{MIN_SEEDS} seeds (this table\'s row, every study\'s cells, superseded runs), the '
           'one of highest **mean dev accuracy over its seeds**: over the runs that use only '
           'options the paper describes (**paper model**: sigmoid attention-GRU gates or the '
           'softmax episode, no recency vectors, no fact fusion; per-task hidden size, dropout, '
           'L2, passes, α/β and their schedule, GloVe free) and over all runs (**ours best**). '
           'Test accuracy: the best-by-dev seed, and the mean ± std over seeds. '
           '`dmn_jax/results/table1.py: PAPER_OPTIONS` lists the options counted as the paper\'s.'
           ' The dev set is 100 questions: a dev mean differs by a point when each seed answers '
           'one more question right, so a choice by under a point or two is a coin toss.',
           '', '| task | paper DMN | paper model | mean ± std | seeds | dev mean | run (change vs '
           'the row) | ours best | mean ± std | seeds | dev mean | run (change vs the row) |',
           '|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|']

  def cell(c):
    if c is None:
      return '(no run yet) | | | | |'
    return (f"{c['test_best_by_dev']:.1f} | {c['test_mean']:.1f} ± {c['test_std']:.1f} | "
            f"{c['seeds']} | {c['dev_mean']:.1f} | {c['sweep']}/{c['cell']} ({c['change']}) |")

  for r in done:
    lines.append(f"| {r['task']} | {r['paper_dmn']} | {cell(r['paper_model'])} "
                 f"{cell(r['ours_best'])}")
  summary = {}
  for col in ('paper_model', 'ours_best'):
    got = [r for r in done if r[col] is not None]
    best = np.array([r[col]['test_best_by_dev'] for r in got])
    summary[col] = {'tasks': len(got), 'mean': float(best.mean()) if len(got) else None,
                    'over_95': int((best > 95).sum()),
                    'paper_mean_same_tasks': float(np.mean([r['paper_dmn'] for r in got]))
                    if got else None,
                    'below_paper_on_solved': [r['task'] for r in got if r['paper_dmn'] > 95
                                              and r[col]['test_best_by_dev'] < r['paper_dmn']]}
  lines.append('')
  for col, name in (('paper_model', 'Paper model'), ('ours_best', 'Ours best')):
    x = summary[col]
    if not x['tasks']:
      lines.append(f'- {name}: no task has a candidate run yet.')
      continue
    lines.append(
        f"- {name}: mean **{x['mean']:.1f}** over {x['tasks']} of {len(done)} tasks (paper on "
        f"those tasks {x['paper_mean_same_tasks']:.1f}), **{x['over_95']}** tasks > 95% "
        f"(paper {paper.DMN_TABLE1_TASKS_OVER_95} of 20); below the paper on the tasks it "
        f"solves (> 95%): {', '.join(map(str, x['below_paper_on_solved'])) or 'none'}.")
  lines.append(f'- Goals (issue 18): paper model mean ≥ {paper.DMN_TABLE1_MEAN} with ≥ '
               f'{paper.DMN_TABLE1_TASKS_OVER_95} tasks > 95%; ours best above the paper on every '
               'task the paper solves, and tasks 17 / 19 above 59.6 / 34.5.')
  for r in done:                                 # JSON: drop the bookkeeping flag
    for col in ('paper_model', 'ours_best'):
      if r[col] is not None:
        r[col] = {k: v for k, v in r[col].items() if k != 'is_row'}
  return {'lines': lines, 'summary': summary}


