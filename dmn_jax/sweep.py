"""Sweeps of DMN runs over bAbI tasks (× one config key), each cell a multi-seed run.

    cells = make_cells(sweep_cfg)             # [(name, run config)], one per task (× grid value)
    run_sweep(sweep_cfg, root, log=print)     # trains every cell in turn; rewrites the table

A cell is `train.train_and_evaluate` on `<root>/<name>` with `num_seeds` seeds vmapped in one
program. Finished cells return their saved summary at once and a half-trained cell resumes from
its checkpoint, so rerunning the same command skips what is done. After every cell the results
table (markdown + JSON) is rewritten; cells not finished yet are listed as pending.

A finished cell's `summary.json` and `config.json` are also copied to `<sweep_cfg.cells_dir>/
<name>/` (a few KB, committed beside the table): the table is built from there, and a cell found
there with the same config is not trained again, even on a machine without the workdir; nor is
one whose config another sweep ran with more seeds (its first seeds are this cell's run).
"""

from __future__ import annotations

import fnmatch
import json
import os
import platform
import shutil
import time
from typing import Any, Callable

import jax
import ml_collections
import numpy as np

from dmn_jax import config as config_lib, paper, seeds as seeds_lib, train
from dmn_jax import workdir as workdir_lib
from dmn_jax.errors import ConfigError, DataError

FAILED = 'FAILED.txt'   # written into a cell's workdir when its run raised


def parse_tasks(spec: str) -> list[int]:
  """'1-3,7' -> [1, 2, 3, 7]."""
  out: list[int] = []
  for part in filter(None, (p.strip() for p in str(spec).split(','))):
    try:
      lo, _, hi = part.partition('-')
      out.extend(range(int(lo), int(hi or lo) + 1))
    except ValueError:
      raise ConfigError(f"sweep tasks: cannot read {part!r} (expected e.g. '1-20' or '3,7,8')")
  if not out or any(not 1 <= t <= 20 for t in out):
    raise ConfigError(f'sweep tasks must be within 1..20, got {spec!r}')
  return sorted(set(out), key=out.index)


def _update(node: ml_collections.ConfigDict, overrides: dict, path: str = '') -> None:
  """Recursively sets `overrides` (nested dicts) into `node`; unknown keys are errors."""
  for k, v in overrides.items():
    if k not in node:
      raise ConfigError(f'sweep override {path}{k}: no such key in the run config')
    if isinstance(v, (dict, ml_collections.ConfigDict)):
      _update(node[k], dict(v), f'{path}{k}.')
    else:
      node[k] = v


def _as_dict(node) -> dict:
  if node is None:
    return {}
  if isinstance(node, ml_collections.FrozenConfigDict):
    node = node.as_configdict()
  return node.to_dict() if hasattr(node, 'to_dict') else dict(node)


def _set_dotted(cfg: ml_collections.ConfigDict, key: str, value: Any) -> None:
  *parents, leaf = key.split('.')
  node = cfg
  for name in parents:
    node = node[name]
  if leaf not in node:
    raise ConfigError(f'sweep grid key {key!r}: no such key in the run config')
  node[leaf] = type(node[leaf])(value) if node[leaf] is not None else value


def cell_name(task: int, grid_key: str | None, value: Any) -> str:
  name = f'task{task:02d}'
  if grid_key:
    name += f'_{grid_key.split(".")[-1]}{value}'
  return name


def make_cells(sweep_cfg, get_run_config: Callable[[str], ml_collections.ConfigDict]
               ) -> list[dict[str, Any]]:
  """[{'name', 'task', 'value', 'config'}] for every task (× grid value) of the sweep, then one
  cell per entry of `sweep_cfg.variants` (optional): {name: {arg, label, overrides, num_seeds,
  rank}} (in rank order), a run of `get_run_config(arg)` that is not one task's (e.g. MemN2N
  joint training; task 0)."""
  grid_key = sweep_cfg.get('grid_key') or None
  values = list(sweep_cfg.get('grid_values') or ()) if grid_key else [None]
  if grid_key and not values:
    raise ConfigError('sweep grid_key is set but grid_values is empty')
  cells = []
  for task in (parse_tasks(sweep_cfg.tasks) if sweep_cfg.get('tasks') else []):
    for value in values:
      cfg = get_run_config(str(task))
      _update(cfg, _as_dict(sweep_cfg.get('overrides')))
      cfg.num_seeds = sweep_cfg.num_seeds
      if grid_key:
        _set_dotted(cfg, grid_key, value)
      cells.append({'name': cell_name(task, grid_key, value), 'task': task, 'value': value,
                    'config': cfg})
  variants = (sweep_cfg.get('variants') or {}).items()
  for name, v in sorted(variants, key=lambda nv: (nv[1].get('rank', 0), nv[0])):
    cfg = get_run_config(v.arg)
    _update(cfg, _as_dict(sweep_cfg.get('overrides')))
    _update(cfg, _as_dict(v.get('overrides')))
    cfg.num_seeds = v.get('num_seeds', sweep_cfg.num_seeds)
    cells.append({'name': name, 'task': 0, 'value': v.label, 'config': cfg})
  return cells


def _load(workdir: str, config: Any = None) -> dict | None:
  """The complete multi-seed summary in `workdir`, if any (and, given `config`, only if the
  workdir's config.json equals it)."""
  path = os.path.join(workdir, 'summary.json')
  if not os.path.exists(path):
    return None
  with open(path) as f:
    s = json.load(f)
  if not (s.get('complete') and 'seeds' in s):
    return None
  if config is not None:
    with open(os.path.join(workdir, 'config.json')) as f:
      if workdir_lib.config_diff(json.load(f), json.loads(config.to_json_best_effort()), ()):
        return None
  return s


def _archive(cell_workdir: str, cells_dir: str, name: str) -> None:
  dest = os.path.join(cells_dir, name)
  os.makedirs(dest, exist_ok=True)
  for fname in ('summary.json', 'config.json'):
    shutil.copyfile(os.path.join(cell_workdir, fname), os.path.join(dest, fname))


def _cell_summary(c: dict, root: str, cells_dir: str) -> dict | None:
  """A cell's finished summary: from the archive if there, else from the workdir."""
  return (_load(os.path.join(cells_dir, c['name']), c['config'])
          or _load(os.path.join(root, c['name']), c['config']))


def find_same_run(config, cells_dir: str) -> str | None:
  """An archived cell of ANY sweep beside `cells_dir` (results/cells/*/*) whose config equals
  `config` — the same run, already done (e.g. a study's baseline value) — or None."""
  parent = os.path.dirname(os.path.normpath(cells_dir))
  if not os.path.isdir(parent):
    return None
  for sweep_dir in sorted(os.listdir(parent)):
    folder = os.path.join(parent, sweep_dir)
    if not os.path.isdir(folder):
      continue
    for name in sorted(os.listdir(folder)):
      if _load(os.path.join(folder, name), config) is not None:
        return os.path.join(folder, name)
  return None


def find_more_seeds_run(config, cells_dir: str) -> str | None:
  """An archived cell of any sweep (results/cells/*/*) with `config` except for MORE seeds (same
  first seed), or None. Each seed of a multi-seed run trains independently of the others (its
  own init, shuffle, dropout and early stopping; tests/test_train.py checks seed s beside others
  == seed s alone), so its first `config.num_seeds` seeds ARE this cell's run."""
  parent = os.path.dirname(os.path.normpath(cells_dir))
  if not os.path.isdir(parent):
    return None
  want = json.loads(config.to_json_best_effort())
  n = config.get('num_seeds', 1)
  for sweep_dir in sorted(os.listdir(parent)):
    folder = os.path.join(parent, sweep_dir)
    if not os.path.isdir(folder):
      continue
    for name in sorted(os.listdir(folder)):
      s = _load(os.path.join(folder, name))
      if s is None or s['num_seeds'] <= n:
        continue
      with open(os.path.join(folder, name, 'config.json')) as f:
        if not workdir_lib.config_diff(json.load(f), want, ('num_seeds',)):
          return os.path.join(folder, name)
  return None


def archive_seed_prefix(src: str, config, cells_dir: str, name: str) -> dict:
  """Archives as `<cells_dir>/<name>` the first `config.num_seeds` seeds of the finished cell
  `src` (see `find_more_seeds_run`): per-seed results copied, the dev-chosen seed picked again
  among them, `derived_from` naming `src`. Time fields are the source's, scaled by the share of
  its seeds (its run trained them all at once)."""
  s = _load(src)
  n = config.get('num_seeds', 1)
  seeds = s['seeds'][:n]
  chosen = seeds[seeds_lib.best_seed(seeds)]
  tests = np.array([p['test_accuracy'] for p in seeds])
  share = n / s['num_seeds']
  out = {**s, 'seeds': seeds, 'num_seeds': n, 'seed': chosen['seed'],
         'test_accuracy': chosen['test_accuracy'],
         'test_gate_accuracy': chosen.get('test_gate_accuracy'),
         'dev_accuracy': chosen['dev_accuracy'], 'best_epoch': chosen['best_epoch'],
         'test_accuracy_mean': float(tests.mean()), 'test_accuracy_std': float(tests.std()),
         'epochs_run': max(p['epochs_run'] for p in seeds),
         'train_seconds': s['train_seconds'] * share,
         'compile_seconds': s['compile_seconds'] * share,
         'derived_from': os.path.normpath(src)}
  dest = os.path.join(cells_dir, name)
  os.makedirs(dest, exist_ok=True)
  workdir_lib.write_json(os.path.join(dest, 'config.json'), json.loads(config.to_json_best_effort()))
  workdir_lib.write_json(os.path.join(dest, 'summary.json'), out)
  return out


def supersede(cells_dir: str, name: str) -> str | None:
  """Moves the archived cell `<cells_dir>/<name>` — a run of a config the sweep no longer has
  (say a task's adopted override changed it) — to `<cells_dir>_superseded/<name>`, and repoints
  the `derived_from` of every archived cell taken from its seeds. It stays a finished run: other
  sweeps may reuse it, and Table 1's "what was tried" lists it. Returns the new place, or None
  when there is no archived run there."""
  src = os.path.normpath(os.path.join(cells_dir, name))
  if not os.path.exists(os.path.join(src, 'summary.json')):
    return None
  root = os.path.normpath(cells_dir) + '_superseded'
  dest, k = os.path.join(root, name), 2
  while os.path.exists(dest):                   # superseded more than once
    dest, k = os.path.join(root, f'{name}_{k}'), k + 1
  os.makedirs(root, exist_ok=True)
  shutil.move(src, dest)
  parent = os.path.dirname(os.path.normpath(cells_dir))
  for sweep_dir in sorted(os.listdir(parent)):
    folder = os.path.join(parent, sweep_dir)
    for cell in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
      path = os.path.join(folder, cell, 'summary.json')
      if not os.path.exists(path):
        continue
      with open(path) as f:
        s = json.load(f)
      if s.get('derived_from') and os.path.normpath(s['derived_from']) == src:
        s['derived_from'] = os.path.normpath(dest)
        workdir_lib.write_json(path, s)
  return os.path.normpath(dest)


def _status(workdir: str, cfg=None) -> str:
  """'failed: <why>', 'running, epoch N' or 'pending' for an unfinished cell; with its `cfg`,
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
  ep = _progress(workdir)
  return f'running, epoch {ep}' if ep else 'pending'


def _progress(workdir: str) -> int:
  """Epochs done so far by an unfinished cell (0 if it has not started)."""
  path = os.path.join(workdir, 'metrics.jsonl')
  if not os.path.exists(path):
    return 0
  with open(path) as f:
    return max((json.loads(l)['epoch'] for l in f if l.strip()), default=0)


def _attention(m) -> str:
  """The attention and the options beyond the paper that a row used."""
  att = 'softmax' if m.attention == 'softmax' else f'GRU ({m.gate_norm} gates)'
  extras = [name for name, on in (('end stop', m.get('end_pass', False)),
                                  ('fact recency', m.get('fact_time', False)),
                                  ('input fusion', m.get('fact_fusion', 'none') != 'none')) if on]
  return ', '.join([att] + extras)


def _pct(x: float) -> str:
  return f'{100 * x:.1f}'


def table1(cells: list[dict], root: str, cells_dir: str, command: str) -> tuple[str, dict]:
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
  for c in sorted(cells, key=lambda c: c['task']):
    t, m = c['task'], c['config'].model
    wd = os.path.join(root, c['name'])
    s = _cell_summary(c, root, cells_dir)
    head = f"| {t} | {paper.DMN_TABLE1_BABI_1K[t]} | {paper.MEMNN_TABLE1_BABI_1K[t]} |"
    if s is None:
      ep = _progress(wd)
      state = _status(wd, c['config'])
      lines.append(f"{head} ({state}) | | {c['config'].num_seeds} | {m.passes} | "
                   f"{_attention(m)} | {m.hidden} | | |")
      rows.append({'task': t, 'status': 'pending', 'epochs_done': ep})
      continue
    accs = np.array([x['test_accuracy'] for x in s['seeds']])
    row = {'task': t, 'status': 'done', 'best_by_dev': 100 * s['test_accuracy'],
           'best_seed': s['seed'], 'mean': 100 * accs.mean(), 'std': 100 * accs.std(),
           'per_seed': [100 * a for a in accs.tolist()],
           'seeds': [x['seed'] for x in s['seeds']],
           'dev_best': 100 * s['dev_accuracy'], 'passes': m.passes, 'attention': _attention(m),
           'hidden': m.hidden, 'epochs_mean': float(np.mean([x['epochs_run'] for x in s['seeds']])),
           'seconds': s['train_seconds'] + s['compile_seconds'],
           'paper_dmn': paper.DMN_TABLE1_BABI_1K[t], 'paper_memnn': paper.MEMNN_TABLE1_BABI_1K[t]}
    _add_machine(machines, s, f'task {t}')
    rows.append(row)
    done.append(row)
    lines.append(f"{head} {row['best_by_dev']:.1f} | {row['mean']:.1f} ± {row['std']:.1f} | "
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
  if n < len(cells):
    lines.append(f'{len(cells) - n} of {len(cells)} tasks pending: the summary lines cover the '
                 'finished tasks only (the paper column of the mean row too).')
  below = [r for r in done if r['best_by_dev'] < r['paper_dmn']]
  if below:
    configs = {c['task']: json.loads(c['config'].to_json_best_effort()) for c in cells}
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
      tried = attempts(r['task'], configs[r['task']], cells_dir)
      head = f"| {r['task']} | {r['best_by_dev']:.1f} / {r['paper_dmn']} |"
      if not tried:
        lines.append(f'{head} | nothing else tried yet | | | | |')
      for a in tried:
        lines.append(f"{head} {a['sweep']} | {a['change']} | {a['seeds']} | "
                     f"{a['dev_mean']:.1f} | {a['test_best_by_dev']:.1f} | "
                     f"{a['test_mean']:.1f} ± {a['test_std']:.1f} |")
        head = '| | |'
      r['attempts'] = tried
  lines += _footer(machines, command)
  return '\n'.join(lines), {'summary': summary, 'rows': rows}


def attempts(task: int, config: dict, cells_dir: str) -> list[dict]:
  """The archived DMN cells of other sweeps (siblings of `cells_dir`) on bAbI `task`, each with
  the config keys it changed from `config` (a config dict), its dev and test accuracy."""
  parent = os.path.dirname(os.path.normpath(cells_dir))
  own = os.path.basename(os.path.normpath(cells_dir))
  flat, out = workdir_lib.flatten(config), []
  for sweep_dir in sorted(os.listdir(parent)) if os.path.isdir(parent) else ():
    folder = os.path.join(parent, sweep_dir)
    if sweep_dir == own or not os.path.isdir(folder):
      continue
    for name in sorted(os.listdir(folder)):
      s = _load(os.path.join(folder, name))
      if (s is None or s.get('task') != task or s.get('model_family', 'dmn') != 'dmn'
          or s.get('babi_set') != config.get('babi_set')):
        continue
      with open(os.path.join(folder, name, 'config.json')) as f:
        other = json.load(f)
      keys = workdir_lib.config_diff(config, other, ('num_seeds',))
      got = workdir_lib.flatten(other)
      change = ', '.join(f'{k}={workdir_lib.config_value(got, k)}' for k in keys)
      dev = np.array([x['dev_accuracy'] for x in s['seeds']])
      test = np.array([x['test_accuracy'] for x in s['seeds']])
      same = next((a for a in out if a['change'] == (change or '(none: same config)')
                   and a['per_seed_test'] == test.tolist()), None)
      if same is not None:                       # one run archived by two sweeps
        same['sweep'] += f', {sweep_dir}'
        continue
      out.append({'sweep': sweep_dir, 'cell': name, 'change': change or '(none: same config)',
                  'per_seed_test': test.tolist(),
                  'seeds': len(test), 'dev_mean': 100 * dev.mean(),
                  'test_best_by_dev': 100 * s['test_accuracy'], 'test_mean': 100 * test.mean(),
                  'test_std': 100 * test.std()})
  return out


def _derived_mark(s: dict, label: str, derived: list[str]) -> str:
  """'†' for a cell taken from a larger run's seeds (its source appended to `derived`), else ''."""
  if not s.get('derived_from'):
    return ''
  derived.append(f"{label}: seeds {s['seeds'][0]['seed']}–{s['seeds'][-1]['seed']} of "
                 f"`{s['derived_from']}`")
  return '†'


def _derived_note(derived: list[str]) -> str:
  return ('† Not trained again: the first seeds of an archived run with the same config and more '
          'seeds (each seed of a multi-seed run trains independently of the others), the seed '
          'chosen by dev among them: ' + '; '.join(derived) + ". Their time is that run's, "
          'pro rata.')


def table_passes(cells: list[dict], root: str, cells_dir: str, command: str
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
  rows, machines, seconds, derived = [], {}, 0.0, []
  for t in tasks:
    cells_txt = []
    for v in values:
      c = by.get((t, v))
      paper_acc = dict(zip(paper.TABLE4_PASSES, paper.DMN_TABLE4_BABI.get(t, ()))).get(v)
      ptxt = '–' if paper_acc is None else f'{paper_acc}'
      s = _cell_summary(c, root, cells_dir) if c else None
      if s is None:
        cells_txt.append(f'pending / {ptxt}')
        rows.append({'task': t, 'passes': v, 'status': 'pending', 'paper': paper_acc})
        continue
      accs = np.array([x['test_accuracy'] for x in s['seeds']])
      _add_machine(machines, s, f'task {t}, {v} passes')
      seconds += s['train_seconds'] + s['compile_seconds']
      mark = _derived_mark(s, f'task {t}, {v} passes', derived)
      cells_txt.append(f"**{_pct(s['test_accuracy'])}**{mark} ({_pct(accs.mean())} ± "
                       f"{_pct(accs.std())}) / {ptxt}")
      rows.append({'task': t, 'passes': v, 'status': 'done', 'paper': paper_acc,
                   'best_by_dev': 100 * s['test_accuracy'], 'mean': 100 * accs.mean(),
                   'std': 100 * accs.std(), 'seeds': len(accs),
                   'seconds': s['train_seconds'] + s['compile_seconds'],
                   'derived_from': s.get('derived_from')})
    lines.append(f'| {t} | ' + ' | '.join(cells_txt) + ' |')
  if derived:
    lines += ['', _derived_note(derived)]
  lines += ['', f'Train + compile time of the finished cells: {seconds:.0f} s.']
  lines += _footer(machines, command)
  return '\n'.join(lines), {'rows': rows}


def table_grid(cells: list[dict], root: str, cells_dir: str, command: str) -> tuple[str, dict]:
  """Config choices on dev: per task × grid value, dev and test accuracy over seeds."""
  lines = [
      '# DMN on bAbI 1k: config choices (chosen on dev, test shown for the record)',
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
    s = _cell_summary(c, root, cells_dir)
    if s is None:
      state = _status(os.path.join(root, c['name']), c['config'])
      lines.append(f"| {c['task']} | {c['value']} | ({state}) | | | | | | |")
      rows.append({'task': c['task'], 'value': c['value'], 'status': 'pending'})
      continue
    _add_machine(machines, s, f"task {c['task']}: {c['value']}")
    dev = np.array([x['dev_accuracy'] for x in s['seeds']])
    test = np.array([x['test_accuracy'] for x in s['seeds']])
    ep = np.mean([x['epochs_run'] for x in s['seeds']])
    sec = s['train_seconds'] + s['compile_seconds']
    mark = _derived_mark(s, f"task {c['task']}, {c['value']}", derived)
    lines.append(f"| {c['task']} | {c['value']}{mark} | {_pct(dev.mean())} | "
                 f"{_pct(s['dev_accuracy'])} "
                 f"| {_pct(s['test_accuracy'])} | {_pct(test.mean())} ± {_pct(test.std())} | "
                 f"{len(test)} | {ep:.0f} | {sec:.0f} |")
    rows.append({'task': c['task'], 'value': c['value'], 'status': 'done',
                 'dev_mean': 100 * dev.mean(), 'dev_best': 100 * s['dev_accuracy'],
                 'test_best_by_dev': 100 * s['test_accuracy'], 'test_mean': 100 * test.mean(),
                 'test_std': 100 * test.std(), 'seeds': len(test), 'seconds': sec,
                 'derived_from': s.get('derived_from')})
  if derived:
    lines += ['', _derived_note(derived)]
  lines += _footer(machines, command)
  return '\n'.join(lines), {'rows': rows}


def table_memn2n(cells: list[dict], root: str, cells_dir: str, command: str
                 ) -> tuple[str, dict]:
  """MemN2N per-task test ERROR (%) beside Sukhbaatar et al. Table 1 "PE LS RN"."""
  paper_col = paper.MEMN2N_TABLE1_ERROR['PE LS RN']
  lines = [
      '# End-To-End Memory Network on bAbI 1k, one model per task',
      '',
      'Test error (%). **ours**: the restart of lowest training error (the paper keeps that one '
      'of 10); mean ± std over all restarts. Paper: Sukhbaatar et al. 2015, Table 1, "PE LS RN" '
      '(position encoding, linear start, random noise; 3 hops, adjacent tying).',
      '',
      '| task | paper PE LS RN | ours | mean ± std | restarts | LS end epoch (chosen) | '
      'train + compile s |',
      '|---:|---:|---:|---:|---:|---:|---:|',
  ]
  rows, done, machines = [], [], {}
  variants = [c for c in cells if c['task'] == 0]
  cells = [c for c in cells if c['task'] > 0]
  for c in sorted(cells, key=lambda c: c['task']):
    t = c['task']
    s = _cell_summary(c, root, cells_dir)
    if s is None:
      state = _status(os.path.join(root, c['name']), c['config'])
      lines.append(f"| {t} | {paper_col[t - 1]} | ({state}) | | | | |")
      rows.append({'task': t, 'status': 'pending'})
      continue
    _add_machine(machines, s, f'task {t}')
    errs = 100 * (1 - np.array([x['test_accuracy'] for x in s['seeds']]))
    chosen = next(x for x in s['seeds'] if x['seed'] == s['seed'])
    row = {'task': t, 'status': 'done', 'error': 100 * (1 - s['test_accuracy']),
           'mean': float(errs.mean()), 'std': float(errs.std()), 'restarts': len(errs),
           'paper': paper_col[t - 1], 'seconds': s['train_seconds'] + s['compile_seconds']}
    rows.append(row)
    done.append(row)
    lines.append(f"| {t} | {paper_col[t - 1]} | {row['error']:.1f} | {row['mean']:.1f} ± "
                 f"{row['std']:.1f} | {len(errs)} | {chosen.get('ls_end_epoch', '–')} | "
                 f"{row['seconds']:.0f} |")
  summary = {'tasks_done': len(done), 'tasks_total': len(cells)}
  if done:
    err = np.array([r['error'] for r in done])
    summary.update(mean_error=float(err.mean()), failed=int((err > 5).sum()),
                   paper_mean_same_tasks=float(np.mean([r['paper'] for r in done])),
                   paper_failed_same_tasks=int(sum(r['paper'] > 5 for r in done)),
                   wall_seconds=float(sum(r['seconds'] for r in done)))
    lines += [f"| **mean error ({len(done)} of {len(cells)} tasks)** | "
              f"{summary['paper_mean_same_tasks']:.1f} | **{summary['mean_error']:.1f}** | | | | "
              f"{summary['wall_seconds']:.0f} |",
              f"| **failed tasks (> 5%)** | {summary['paper_failed_same_tasks']} | "
              f"**{summary['failed']}** | | | | |"]
  mean, failed, _, _ = paper.MEMN2N_TABLE1_SUMMARY['PE LS RN']
  lines += ['', f'Paper (all 20 tasks): mean error {mean}, {failed} failed tasks.']
  obj = {'summary': summary, 'rows': rows}
  if variants:
    text, obj['variants'] = _memn2n_variants(variants, root, cells_dir, machines)
    lines += ['', text]
  lines += _footer(machines, command)
  return '\n'.join(lines), obj


def _memn2n_variants(cells: list[dict], root: str, cells_dir: str,
                     machines: dict[str, list[str]]) -> tuple[str, list[dict]]:
  """The table of runs over several tasks at once (joint training): per task the test error of
  the restart of lowest training error, `ours / paper`, then mean error and failed tasks."""
  head, rows, cols = [], [], []
  for c in cells:
    s = _cell_summary(c, root, cells_dir)
    cfg = c['config']
    tenk = cfg.babi_set == 'en-10k'
    label = c['value']
    paper_col = paper.MEMN2N_TABLE1_ERROR.get(label)
    p_mean, p_failed, p_mean10k, p_failed10k = paper.MEMN2N_TABLE1_SUMMARY.get(
        label, (None,) * 4)
    col = {'name': c['name'], 'label': label, 'babi_set': cfg.babi_set,
           'hops': cfg.model.hops, 'random_noise': cfg.model.random_noise,
           'restarts': cfg.num_seeds, 'tasks': list(cfg.tasks),
           'train_fallback': cfg.get('babi_train_fallback') or None,
           'paper_per_task': None if tenk or paper_col is None else list(paper_col),
           'paper_mean_error': p_mean10k if tenk else p_mean,
           'paper_failed': p_failed10k if tenk else p_failed}
    if s is None:
      col.update(status=_status(os.path.join(root, c['name']), c['config']))
    else:
      _add_machine(machines, s, label)
      chosen = next(x for x in s['seeds'] if x['seed'] == s['seed'])
      errs = {int(t): 100 * (1 - a) for t, a in chosen['test_accuracy_by_task'].items()}
      means = [100 * (1 - np.mean([x['test_accuracy_by_task'][str(t)] for x in s['seeds']]))
               for t in sorted(errs)]
      e = np.array([errs[t] for t in sorted(errs)])
      col.update(status='done', error_by_task=errs, mean_error=float(e.mean()),
                 failed=int((e > 5).sum()), mean_error_of_restarts_mean=float(np.mean(means)),
                 epochs=s['epochs_run'], seconds=s['train_seconds'] + s['compile_seconds'],
                 examples_per_second=s['examples_per_second'])
    cols.append(col)
  head = ['## Joint training (one model for all tasks)', '',
          'Test error (%) per task, `ours / paper`: ours is the restart of lowest training error. '
          '1k rows: paper Table 1 columns; 10k: the paper gives the mean error and failed tasks '
          'only.', '',
          '| task | ' + ' | '.join(f"{c['label']} ({'10k' if c['babi_set'] == 'en-10k' else '1k'})"
                                   for c in cols) + ' |',
          '|---:|' + '---:|' * len(cols)]
  def fmt(ours, theirs, spec='.1f'):
    return f"{'–' if ours is None else format(ours, spec)} / {'–' if theirs is None else theirs}"
  for t in range(1, 21):
    cells_txt = []
    for c in cols:
      if c['status'] != 'done':
        cells_txt.append(f"({c['status']})" if t == 1 else '')
        continue
      theirs = c['paper_per_task'][t - 1] if c['paper_per_task'] else None
      cells_txt.append(fmt(c['error_by_task'].get(t), theirs))
    head.append(f'| {t} | ' + ' | '.join(cells_txt) + ' |')
  head += ['| **mean error** | ' + ' | '.join(
               f"**{fmt(c.get('mean_error'), c['paper_mean_error'])}**" for c in cols) + ' |',
           '| **failed tasks (> 5%)** | ' + ' | '.join(
               fmt(c.get('failed'), c['paper_failed'], 'd') for c in cols) + ' |',
           '| restarts | ' + ' | '.join(str(c['restarts']) for c in cols) + ' |',
           '| epochs | ' + ' | '.join(str(c.get('epochs', '')) for c in cols) + ' |',
           '| train + compile s | ' + ' | '.join(
               f"{c['seconds']:.0f}" if 'seconds' in c else '' for c in cols) + ' |',
           '| train examples/s (all restarts) | ' + ' | '.join(
               f"{c['examples_per_second']:,.0f}" if 'seconds' in c else '' for c in cols) + ' |']
  for c in cols:
    if c['train_fallback']:
      head.append('')
      head.append(f"{c['label']} ({c['babi_set']}): a task whose {c['babi_set']} training file "
                  f"is missing (task 3 in the shipped data) is trained on its "
                  f"{c['train_fallback']} training file; its test file is the same in both sets.")
  return '\n'.join(head), cols


def _add_machine(machines: dict[str, list[str]], s: dict, label: str) -> None:
  """Notes that the finished cell `label` (summary `s`) ran on its summary's machine."""
  if len(s.get('machines', ())) > 1:            # resumed on another machine: named per epoch
    key = s['machine']
  else:
    key = f"{s['machine']}; jax {s.get('jax_version', '(version not recorded)')}"
  machines.setdefault(key, []).append(label)


def _footer(machines: dict[str, list[str]], command: str) -> list[str]:
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


TABLES = {'table1': table1, 'passes': table_passes, 'grid': table_grid,
          'memn2n': table_memn2n}


def write_table(sweep_cfg, cells, root: str, command: str) -> str:
  """Writes `<sweep_cfg.out>.md` and `.json`; returns the markdown."""
  if sweep_cfg.table not in TABLES:
    raise ConfigError(f"sweep table must be one of {sorted(TABLES)}, got {sweep_cfg.table!r}")
  text, obj = TABLES[sweep_cfg.table](cells, root, sweep_cfg.cells_dir, command)
  note = sweep_cfg.get('note', '')
  if note:                                  # a sentence about how the cells were made
    text = text.replace('\nMachine', f'\n{note}\n\nMachine', 1)
    obj['note'] = note
  obj['command'] = command
  out = sweep_cfg.out
  os.makedirs(os.path.dirname(out) or '.', exist_ok=True)
  for path, content in ((out + '.md', text),
                        (out + '.json', json.dumps(obj, indent=1, sort_keys=True) + '\n')):
    with open(path + '.tmp', 'w') as f:
      f.write(content)
    os.replace(path + '.tmp', path)
  return text


def run_sweep(sweep_cfg, root: str, get_run_config, command: str,
              log: Callable[[str], None] = print) -> str:
  """Trains every cell not finished yet (in order), rewriting the table after each."""
  cells = make_cells(sweep_cfg, get_run_config)
  for c in cells:                          # every config is checked before anything trains
    config_lib.validate(ml_collections.FrozenConfigDict(c['config']))
  write_table(sweep_cfg, cells, root, command)
  t0 = time.perf_counter()
  failed: list[str] = []
  only = sweep_cfg.get('train_cells') or '*'
  for i, c in enumerate(cells):
    if not fnmatch.fnmatch(c['name'], only):
      continue                                   # another process's share of the sweep
    if _load(os.path.join(sweep_cfg.cells_dir, c['name']), c['config']) is not None:
      log(f"=== cell {i + 1}/{len(cells)}: {c['name']}: done ({sweep_cfg.cells_dir}) ===")
      continue
    moved = supersede(sweep_cfg.cells_dir, c['name'])
    if moved is not None:
      log(f"=== cell {i + 1}/{len(cells)}: {c['name']}: its archived run (another config) moved "
          f"to {moved} ===")
    same = find_same_run(c['config'], sweep_cfg.cells_dir)
    if same is not None:
      _archive(same, sweep_cfg.cells_dir, c['name'])
      log(f"=== cell {i + 1}/{len(cells)}: {c['name']}: done as {same} (same config) ===")
      write_table(sweep_cfg, cells, root, command)
      continue
    more = find_more_seeds_run(c['config'], sweep_cfg.cells_dir)
    if more is not None:
      archive_seed_prefix(more, c['config'], sweep_cfg.cells_dir, c['name'])
      log(f"=== cell {i + 1}/{len(cells)}: {c['name']}: done as the first "
          f"{c['config'].num_seeds} seeds of {more} (same config) ===")
      write_table(sweep_cfg, cells, root, command)
      continue
    log(f"=== cell {i + 1}/{len(cells)}: {c['name']} ({c['config'].num_seeds} seeds) ===")
    wd = os.path.join(root, c['name'])
    try:      # another sweep's cell of the same name there: refuse, touching nothing of it
      workdir_lib.check_config(wd, c['config'])
    except ConfigError as e:
      log(f"[{c['name']}] FAILED ({e}); the sweep goes on")
      failed.append(c['name'])
      continue
    if os.path.exists(os.path.join(wd, FAILED)):
      os.remove(os.path.join(wd, FAILED))           # a retry
    try:
      train.train_and_evaluate(c['config'], wd, log=lambda s, n=c['name']: log(f'[{n}] {s}'))
    except (FloatingPointError, DataError, ConfigError) as e:
      # One bad cell (e.g. a diverged loss) must not end a night's sweep: record it, go on.
      os.makedirs(wd, exist_ok=True)
      with open(os.path.join(wd, FAILED), 'w') as f:
        f.write(f'{type(e).__name__}: {e}\n')
      log(f"[{c['name']}] FAILED ({type(e).__name__}: {e}); the sweep goes on")
      failed.append(c['name'])
      write_table(sweep_cfg, cells, root, command)
      continue
    _archive(wd, sweep_cfg.cells_dir, c['name'])
    write_table(sweep_cfg, cells, root, command)
  log(f'sweep done in {time.perf_counter() - t0:.0f} s this call'
      + (f'; FAILED cells: {failed} (see the log above, and {FAILED} in their workdirs)'
         if failed else ''))
  return write_table(sweep_cfg, cells, root, command)
