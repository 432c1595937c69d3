"""The archive of finished runs: `<root>/<sweep>/<cell>/{summary,config}.json` (`results/cells`).

Each finished sweep cell's summary and config are kept there (a few KB, committed beside the
tables), so a table rebuilds without the workdirs and a cell found there is never trained
again, on any machine. `Registry` reads the whole archive once and answers every question from
that index: is this config's run done (`find_same`), done with more seeds (`find_more_seeds`),
what else ran on this task (`attempts`); it also writes the archive (`archive`,
`archive_seed_prefix`, `supersede`), re-reading it after each change.
"""

from __future__ import annotations

import dataclasses
import os
import shutil

import numpy as np

from dmn_jax import seeds as seeds_lib
from dmn_jax import workdir as workdir_lib


# The config keys that say what work a run does (which data, which model): runs that differ in
# them take no guide from each other's times (`Registry.estimate_seconds`).
SAME_WORK = ('task', 'tasks', 'babi_set', 'model_family')


@dataclasses.dataclass(frozen=True)
class Entry:
  sweep: str                 # the sweep's folder name, e.g. 'babi_1k_dmn'
  name: str                  # the cell, e.g. 'task03'
  path: str                  # <root>/<sweep>/<name>
  summary: dict              # its complete summary.json
  config: dict               # its config.json

  def changes_from(self, config) -> str:
    """'key=value, ...': this run's values of the keys where it differs from `config` (a
    ConfigDict; seed count and speed switches aside), e.g. a superseded run's old config."""
    mine = workdir_lib.flatten(self.config)
    keys = workdir_lib.config_diff(workdir_lib.config_dict(config), self.config,
                                   workdir_lib.SEEDS_AND_SPEED)
    return ', '.join(f'{k}={workdir_lib.config_value(mine, k)}' for k in keys)


class Registry:
  """The archive under `root`, indexed once (and again after this object changes it)."""

  def __init__(self, root: str):
    self.root = os.path.normpath(root)
    self._entries: list[Entry] | None = None

  @classmethod
  def of(cls, cells_dir: str) -> tuple['Registry', str]:
    """(the registry of `cells_dir`'s parent, the sweep name `cells_dir` is)."""
    cells_dir = os.path.normpath(cells_dir)
    return cls(os.path.dirname(cells_dir)), os.path.basename(cells_dir)

  @property
  def entries(self) -> list[Entry]:
    if self._entries is None:
      self._entries = []
      for sweep in sorted(os.listdir(self.root)) if os.path.isdir(self.root) else ():
        folder = os.path.join(self.root, sweep)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
          path = os.path.join(folder, name)
          s = workdir_lib.load_summary(path)
          if s is not None:
            self._entries.append(Entry(sweep, name, path, s,
                                       workdir_lib.read_json(os.path.join(path, 'config.json'))))
    return self._entries

  def _changed(self) -> None:
    self._entries = None

  def refresh(self) -> None:
    """Reads the archive again (another process may have changed it)."""
    self._changed()

  def path(self, sweep: str, name: str) -> str:
    return os.path.join(self.root, sweep, name)

  def get(self, sweep: str, name: str, config=None) -> dict | None:
    """The archived summary of `sweep`/`name` (given `config`: only a run of that config)."""
    want = None if config is None else workdir_lib.config_dict(config)
    for e in self.entries:
      if (e.sweep, e.name) == (sweep, name):
        same = want is None or not workdir_lib.config_diff(e.config, want, workdir_lib.SPEED_ONLY)
        return e.summary if same else None
    return None

  def superseded(self, sweep: str, name: str) -> Entry | None:
    """The newest run that `supersede` moved away from `sweep`/`name` (`<name>`, then
    `<name>_2`, ...), or None."""
    old = [e for e in self.entries if e.sweep == f'{sweep}_superseded'
           and (e.name == name or (e.name.startswith(name + '_')
                                   and e.name[len(name) + 1:].isdigit()))]
    return max(old, key=lambda e: int(e.name[len(name) + 1:] or 1), default=None)

  def previous(self, sweep: str, name: str) -> Entry | None:
    """The run that stands in for `sweep`/`name` while its current config trains: the archived
    run still at that name (another config: the sweep moves it away only when it reaches the
    cell), else the newest `superseded` one; None if neither."""
    here = next((e for e in self.entries if (e.sweep, e.name) == (sweep, name)), None)
    return here or self.superseded(sweep, name)

  def find_same(self, config) -> str | None:
    """An archived cell of ANY sweep whose config equals `config` — the same run, already done
    (e.g. a study's baseline value) — or None."""
    want = workdir_lib.config_dict(config)
    return next((e.path for e in self.entries
                 if not workdir_lib.config_diff(e.config, want, workdir_lib.SPEED_ONLY)), None)

  def find_more_seeds(self, config) -> str | None:
    """An archived cell with `config` except for MORE seeds (same first seed), or None. Its
    first `config.num_seeds` seeds had the same init, batches and dropout as this cell's, but
    are NOT bit-identical to a run of this seed count (the vmapped program's float order depends
    on the number of seeds): the sweep no longer takes cells from such runs; cells taken earlier
    are marked † in their tables."""
    want, n = workdir_lib.config_dict(config), config.num_seeds
    return next((e.path for e in self.entries if e.summary['num_seeds'] > n
                 and not workdir_lib.config_diff(e.config, want, workdir_lib.SEEDS_AND_SPEED)), None)

  def estimate_seconds(self, config, done_epochs: int = 0, max_keys: int = 3) -> float | None:
    """The expected train + compile seconds of a run of `config`, from the archive: the run of
    the same work (task or joint task list, bAbI set, model family) whose config is nearest
    (fewest differing keys, seed count and speed switches aside, at most `max_keys`: a run
    further away, e.g. under another training recipe, is no guide; a tie goes to the slower, so
    the estimate errs long), scaled by the seed count (seeds run in turn). `done_epochs`: a run
    resuming after that many epochs, whose training time left is the nearest run's share of
    epochs still to go (at least a tenth of it; the compile is paid again in full). None if no
    archived run is near enough."""
    want = workdir_lib.config_dict(config)
    flat = workdir_lib.flatten(want)
    best = None
    for e in self.entries:
      got = workdir_lib.flatten(e.config)
      if any(workdir_lib.config_value(got, k) != workdir_lib.config_value(flat, k)
             for k in SAME_WORK):
        continue
      distance = len(workdir_lib.config_diff(e.config, want, workdir_lib.SEEDS_AND_SPEED))
      if distance > max_keys:
        continue
      s = e.summary
      n = max(s.get('num_seeds') or 1, 1)
      train_s = (s.get('train_seconds') or 0.0) / n
      compile_s = (s.get('compile_seconds') or 0.0) / n
      left = max(0.1, 1.0 - done_epochs / max(s.get('epochs_run') or 1, 1))
      secs = compile_s + train_s * left
      if best is None or (distance, -(compile_s + train_s)) < best[:2]:
        best = (distance, -(compile_s + train_s), secs)
    return None if best is None else best[2] * max(flat.get('num_seeds') or 1, 1)

  def archive(self, workdir: str, sweep: str, name: str) -> None:
    """Copies a finished workdir's summary and config into the archive as `sweep`/`name`."""
    dest = self.path(sweep, name)
    os.makedirs(dest, exist_ok=True)
    for fname in ('summary.json', 'config.json'):
      shutil.copyfile(os.path.join(workdir, fname), os.path.join(dest, fname))
    self._changed()

  def archive_seed_prefix(self, src: str, config, sweep: str, name: str) -> dict:
    """Archives as `sweep`/`name` the first `config.num_seeds` seeds of the archived run `src`
    (see `find_more_seeds`): per-seed results copied, the dev-chosen seed picked again among
    them, `derived_from` naming `src`. Time fields are the source's, scaled by the share of its
    seeds (its run trained them all at once)."""
    s = workdir_lib.load_summary(src)
    n = config.num_seeds
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
    dest = self.path(sweep, name)
    os.makedirs(dest, exist_ok=True)
    workdir_lib.write_json(os.path.join(dest, 'config.json'), workdir_lib.config_dict(config))
    workdir_lib.write_json(os.path.join(dest, 'summary.json'), out)
    self._changed()
    return out

  def supersede(self, sweep: str, name: str) -> str | None:
    """Moves the archived cell `sweep`/`name` — a run of a config the sweep no longer has (say
    a task's adopted override changed it) — to `<sweep>_superseded/<name>`, and repoints the
    `derived_from` of every archived cell taken from its seeds. It stays a finished run: other
    sweeps may reuse it, and Table 1's "what was tried" lists it. Returns the new place, or
    None when there is no archived run there."""
    src = os.path.normpath(self.path(sweep, name))
    if not os.path.exists(os.path.join(src, 'summary.json')):
      return None
    dest_root = self.path(f'{sweep}_superseded', '')
    dest, k = os.path.join(dest_root, name), 2
    while os.path.exists(dest):                   # superseded more than once
      dest, k = os.path.join(dest_root, f'{name}_{k}'), k + 1
    os.makedirs(dest_root, exist_ok=True)
    shutil.move(src, dest)
    for e in self.entries:
      if e.summary.get('derived_from') and os.path.normpath(e.summary['derived_from']) == src:
        workdir_lib.write_json(os.path.join(e.path, 'summary.json'),
                               {**e.summary, 'derived_from': os.path.normpath(dest)})
    self._changed()
    return os.path.normpath(dest)

  def task_runs(self, task: int, babi_set: str, family: str = 'dmn') -> list[Entry]:
    """Every archived cell of `family` on bAbI `task` of `babi_set` ('en' | 'en-10k'), all
    sweeps (superseded ones included)."""
    return [e for e in self.entries
            if e.summary.get('task') == task and e.summary.get('babi_set') == babi_set
            and e.summary.get('model_family', 'dmn') == family]

  def attempts(self, task: int, config: dict, own_sweep: str, family: str = 'dmn'
               ) -> list[dict]:
    """The archived `family` cells of other sweeps than `own_sweep` on bAbI `task`, each with
    the config keys it changed from `config` (a config dict), its dev and test accuracy. One run
    archived by two sweeps is listed once, naming both."""
    out: list[dict] = []
    for e in self.task_runs(task, config.get('babi_set'), family):
      s = e.summary
      if e.sweep == own_sweep:
        continue
      keys = workdir_lib.config_diff(config, e.config, workdir_lib.SEEDS_AND_SPEED)
      got = workdir_lib.flatten(e.config)
      change = ', '.join(f'{k}={workdir_lib.config_value(got, k)}' for k in keys)
      dev = np.array([x['dev_accuracy'] for x in s['seeds']])
      test = np.array([x['test_accuracy'] for x in s['seeds']])
      same = next((a for a in out if a['change'] == (change or '(none: same config)')
                   and a['per_seed_test'] == test.tolist()), None)
      if same is not None:
        same['sweep'] += f', {e.sweep}'
        continue
      out.append({'sweep': e.sweep, 'cell': e.name, 'change': change or '(none: same config)',
                  'per_seed_test': test.tolist(), 'seeds': len(test), 'dev_mean': 100 * dev.mean(),
                  'test_best_by_dev': 100 * s['test_accuracy'], 'test_mean': 100 * test.mean(),
                  'test_std': 100 * test.std()})
    return out
