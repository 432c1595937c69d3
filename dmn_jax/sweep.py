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
import os
import time
from typing import Any, Callable

import ml_collections

from dmn_jax import config as config_lib, locks, results, train
from dmn_jax import workdir as workdir_lib
from dmn_jax.errors import ConfigError, DataError
from dmn_jax.results.common import FAILED
from dmn_jax.results.registry import Registry


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
  """[{'name', 'task', 'value', 'config', 'key'}] for every task (× grid value `value` of the
  config key `key`, None without a grid) of the sweep, then one
  cell per entry of `sweep_cfg.variants` (optional): {name: {arg, label, overrides, num_seeds,
  rank}} (in rank order), a run of `get_run_config(arg)` that is not one task's (e.g. MemN2N
  joint training; task 0)."""
  grid_key = sweep_cfg.get('grid_key') or None
  values = list(sweep_cfg.get('grid_values') or ()) if grid_key else [None]
  # grid_key 'recipe': each value names a set of overrides in sweep_cfg.grid_recipes (an
  # ablation: the same config minus one item at a time).
  recipes = _as_dict(sweep_cfg.get('grid_recipes')) if grid_key == 'recipe' else {}
  if grid_key == 'recipe':
    unknown = [v for v in values if v not in recipes]
    if unknown:
      raise ConfigError(f'sweep grid_values {unknown} have no entry in grid_recipes')
  if grid_key and not values:
    raise ConfigError('sweep grid_key is set but grid_values is empty')
  cells = []
  for task in (parse_tasks(sweep_cfg.tasks) if sweep_cfg.get('tasks') else []):
    for value in values:
      # run_arg: switches added to the task's config argument ('10k' -> '<task>,10k').
      cfg = get_run_config(','.join(filter(None, [str(task), sweep_cfg.get('run_arg', '')])))
      _update(cfg, _as_dict(sweep_cfg.get('overrides')))
      cfg.num_seeds = sweep_cfg.num_seeds
      if grid_key == 'recipe':
        _update(cfg, recipes[value])
      elif grid_key:
        _set_dotted(cfg, grid_key, value)
      cells.append({'name': cell_name(task, grid_key, value), 'task': task, 'value': value,
                    'config': cfg, 'key': grid_key})
  variants = (sweep_cfg.get('variants') or {}).items()
  for name, v in sorted(variants, key=lambda nv: (nv[1].get('rank', 0), nv[0])):
    cfg = get_run_config(v.arg)
    _update(cfg, _as_dict(sweep_cfg.get('overrides')))
    _update(cfg, _as_dict(v.get('overrides')))
    cfg.num_seeds = v.get('num_seeds', sweep_cfg.num_seeds)
    cells.append({'name': name, 'task': 0, 'value': v.label, 'config': cfg})
  return cells


def lock_path(root: str, name: str) -> str:
  """The lock file of cell `name` under the sweep root `root` (beside its workdir)."""
  return os.path.join(root, f'{name}.lock')


def run_sweep(sweep_cfg, root: str, get_run_config, command: str,
              log: Callable[[str], None] = print, lock: bool = False,
              pass_over: Callable[[dict, str], str | None] | None = None) -> str:
  """Trains every cell not finished yet (in order), rewriting the table after each.

  lock=True: several processes share the sweep: each locks a cell before training it
  (`dmn_jax.locks`) and passes over the cells other live processes hold, so N processes
  started on one sweep train N cells at a time, never the same one twice.
  pass_over(cell, workdir): a reason not to start that cell now (e.g. it would not finish
  before a deadline: `reproduce.deadline_rule`), or None to train it; asked of each cell not
  done yet, just before it would start.
  """
  cells = make_cells(sweep_cfg, get_run_config)
  for c in cells:                          # every config is checked before anything trains
    config_lib.validate(ml_collections.FrozenConfigDict(c['config']))
  registry, sweep = Registry.of(sweep_cfg.cells_dir)

  def table():
    if lock:
      registry.refresh()                   # the cells other processes archived too
    return results.write_table(sweep_cfg, cells, root, command, registry)

  table()
  t0 = time.perf_counter()
  failed: list[str] = []
  only = sweep_cfg.get('train_cells') or '*'
  for i, c in enumerate(cells):
    if not fnmatch.fnmatch(c['name'], only):
      continue                                   # another process's share of the sweep
    head = f"=== cell {i + 1}/{len(cells)}: {c['name']}"
    if registry.get(sweep, c['name'], c['config']) is not None:
      log(f'{head}: done ({sweep_cfg.cells_dir}) ===')
      continue
    why = pass_over(c, os.path.join(root, c['name'])) if pass_over is not None else None
    if why:
      log(f'{head}: not started ({why}) ===')
      continue
    held = None
    if lock:
      path = lock_path(root, c['name'])
      held = _lock_cell(path)
      if held is None:
        log(f"{head}: training in another process ({locks.holder(path) or 'just ended'}) ===")
        continue
      registry.refresh()                   # another process may have archived it meanwhile
      if registry.get(sweep, c['name'], c['config']) is not None:
        held.release()
        log(f'{head}: done ({sweep_cfg.cells_dir}) ===')
        continue
    try:
      if not _run_cell(c, os.path.join(root, c['name']), registry, sweep, head, log):
        failed.append(c['name'])
    finally:
      if held is not None:
        held.release()
    table()
  log(f'sweep done in {time.perf_counter() - t0:.0f} s this call'
      + (f'; FAILED cells: {failed} (see the log above, and {FAILED} in their workdirs)'
         if failed else ''))
  return table()


def _lock_cell(path: str, tries: int = 3) -> locks.CellLock | None:
  """The cell's lock, or None while another process trains it. A lock refused although nobody
  holds it (a status reader held it shared for an instant) is tried again."""
  for _ in range(tries):
    held = locks.try_lock(path)
    if held is not None or locks.holder(path) is not None:
      return held
    time.sleep(0.05)
  return None


def _run_cell(c: dict, wd: str, registry: Registry, sweep: str, head: str,
              log: Callable[[str], None]) -> bool:
  """Makes cell `c` done: moves an archived run of another config at its name aside, takes an
  archived run of its exact config if there is one, else trains (or resumes) it in `wd` and
  archives it. False if it failed (recorded in `wd`; the sweep goes on)."""
  moved = registry.supersede(sweep, c['name'])
  if moved is not None:
    log(f'{head}: its archived run (another config) moved to {moved} ===')
  same = registry.find_same(c['config'])
  if same is not None:
    registry.archive(same, sweep, c['name'])
    log(f'{head}: done as {same} (same config) ===')
    return True
  # Never taken from a run of the same config with MORE seeds: seed s beside others is not
  # bit-identical to seed s beside fewer (the vmapped program's float order depends on the
  # number of seeds), so its first seeds are not this cell's run.
  log(f"{head} ({c['config'].num_seeds} seeds) ===")
  try:      # another sweep's cell of the same name there: refuse, touching nothing of it
    workdir_lib.check_config(wd, c['config'])
  except ConfigError as e:
    log(f"[{c['name']}] FAILED ({e}); the sweep goes on")
    return False
  if os.path.exists(os.path.join(wd, FAILED)):
    os.remove(os.path.join(wd, FAILED))           # a retry
  try:
    train.train_and_evaluate(c['config'], wd, log=lambda s, n=c['name']: log(f'[{n}] {s}'))
  except (FloatingPointError, DataError, ConfigError) as e:
    # One bad cell (e.g. a diverged loss) must not end a night's sweep: record it, go on.
    os.makedirs(wd, exist_ok=True)
    workdir_lib.write_text(os.path.join(wd, FAILED), f'{type(e).__name__}: {e}\n')
    log(f"[{c['name']}] FAILED ({type(e).__name__}: {e}); the sweep goes on")
    return False
  registry.archive(wd, sweep, c['name'])
  return True
