"""Every sweep-built results table in one queue: what each still lacks, and one command that
trains it all, in priority order, on as many processes as the machine has cores.

    entries = QUEUE                                  # experiments/configs/reproduce.py
    rows = status(entries, load)                     # per table: cells done / training / left
    run(entries, load, log)                          # trains every cell left (cells locked)
    run(entries, load, log, deadline=t)              # ... starting none that would end after t
    lanes = launch(n, argv, log_dir)                 # n such processes at once (`wait_all`)
    tables(entries, load)                            # every table rewritten from results/cells

An entry is a sweep (`python -m experiments.babi_sweep --config=<config> --workdir=<workdir>`)
and the table it writes; `load(entry)` gives its sweep config and the `get_config` of its run
config. The queue trains entry after entry, cell after cell, each through `sweep.run_sweep`
with cell locks (`dmn_jax.locks`): processes started on the same queue share its cells, each
training the first cell nobody holds, so a finished cell is never trained again and a cell in
progress resumes from its checkpoint in whichever process reaches it next. Each table is
written with its entry's own `babi_sweep` command, so it reads the same whichever of the two
wrote it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any, Callable

from dmn_jax import locks, results, sweep
from dmn_jax.errors import ConfigError
from dmn_jax.results.common import FAILED
from dmn_jax.results.registry import Registry

# One XLA thread per process when several share a CPU: +23% in all for two processes on a
# 2-core CPU (README, "Several runs on one CPU").
ONE_THREAD = '--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'


@dataclasses.dataclass(frozen=True)
class Entry:
  name: str        # short handle for --only, e.g. 'dmnplus_10k'
  config: str      # the sweep config, e.g. 'experiments/configs/babi_dmnplus_sweep.py:10k'
  workdir: str     # the sweep's root, e.g. 'runs/dmnplus_10k'
  what: str        # the table and what it is for, one line

  @property
  def command(self) -> str:
    """The table's regenerate command (the one each sweep table prints)."""
    return f'python -m experiments.babi_sweep --config={self.config} --workdir={self.workdir}'


Loader = Callable[[Entry], tuple[Any, Callable[[str], Any]]]


def select(entries: list[Entry], only: list[str]) -> list[Entry]:
  """The entries named in `only` (fnmatch patterns; empty: all), in queue order."""
  if not only:
    return list(entries)
  names = [e.name for e in entries]
  unknown = [p for p in only if not fnmatch.filter(names, p)]
  if unknown:
    raise ConfigError(f'--only: no queue entry matches {unknown}; entries: {", ".join(names)}')
  return [e for e in entries if any(fnmatch.fnmatch(e.name, p) for p in only)]


def last_epoch(workdir: str) -> int:
  """The last epoch a run in `workdir` logged (its metrics.jsonl), 0 if none."""
  path = os.path.join(workdir, 'metrics.jsonl')
  if not os.path.exists(path):
    return 0
  with open(path, 'rb') as f:
    f.seek(0, os.SEEK_END)
    f.seek(max(0, f.tell() - 8192))
    lines = f.read().decode(errors='replace').splitlines()
  for line in reversed(lines):
    try:
      return int(json.loads(line)['epoch'])
    except (ValueError, KeyError, TypeError):
      continue                      # a partial first line of the tail, or a line being written
  return 0


def _registry(cells_dir: str, cache: dict | None) -> tuple[Registry, str]:
  """`Registry.of(cells_dir)`, one Registry per archive root within `cache` (read once)."""
  registry, name = Registry.of(cells_dir)
  if cache is None:
    return registry, name
  return cache.setdefault(registry.root, registry), name


def cell_states(entry: Entry, sweep_cfg, get_run_config, pattern: str = '*',
                registries: dict | None = None) -> list[dict]:
  """[{'name', 'state', 'detail', 'train_seconds'[, 'estimate_seconds']}] for every cell of
  `entry` matching `pattern` (a cell not done: the seconds it is expected to take yet, or None;
  `Registry.estimate_seconds`). state: 'done' (archived with its config), 'reused' (an archived
  run of its exact config elsewhere: taken when the sweep reaches it), 'training' (a live
  process holds it), 'resumable' (a checkpoint in the workdir), 'failed' (its last try failed)
  or 'pending'; detail says more (who trains it, from which epoch; '‡' when an older run stands in).
  `registries`: a cache of archive indexes shared by several calls (`status`)."""
  registry, name = _registry(sweep_cfg.cells_dir, registries)
  out = []
  for c in sweep.make_cells(sweep_cfg, get_run_config):
    if not fnmatch.fnmatch(c['name'], pattern):
      continue
    wd = os.path.join(entry.workdir, c['name'])
    done = registry.get(name, c['name'], c['config'])
    row = {'name': c['name'], 'detail': '', 'train_seconds': 0.0}
    if done is not None:
      row.update(state='done', train_seconds=float(done.get('train_seconds', 0.0)))
    elif (same := registry.find_same(c['config'])) is not None:
      row.update(state='reused', detail=same)
    else:
      who = locks.holder(sweep.lock_path(entry.workdir, c['name']))
      epoch = last_epoch(wd)
      if who:
        row.update(state='training', detail=f'{who}, epoch {epoch}')
      elif epoch:
        row.update(state='resumable', detail=f'after epoch {epoch}')
      elif os.path.exists(os.path.join(wd, FAILED)):
        with open(os.path.join(wd, FAILED)) as f:
          row.update(state='failed', detail=f.read().strip())
      else:
        row.update(state='pending')
      if registry.previous(name, c['name']) is not None:
        row['detail'] = ', '.join(filter(None, [row['detail'], '‡ an older run stands in']))
      row['estimate_seconds'] = registry.estimate_seconds(c['config'], epoch)
    out.append(row)
  return out


STATES = ('done', 'reused', 'training', 'resumable', 'failed', 'pending')


def status(entries: list[Entry], load: Loader, pattern: str = '*') -> list[dict]:
  """Per entry: {'entry', 'cells': cell_states, 'counts': {state: n}, 'train_hours'}."""
  rows, registries = [], {}                       # the archive is read once for all entries
  for e in entries:
    cfg, get_run_config = load(e)
    cells = cell_states(e, cfg, get_run_config, pattern, registries)
    counts = {s: sum(c['state'] == s for c in cells) for s in STATES}
    rows.append({'entry': e, 'cells': cells, 'counts': counts,
                 'train_hours': sum(c['train_seconds'] for c in cells) / 3600})
  return rows


def hours_left(cells: list[dict]) -> tuple[float, int]:
  """(expected hours of the cells not done yet, how many of them have no estimate)."""
  todo = [c for c in cells if c['state'] not in ('done', 'reused')]
  known = [c['estimate_seconds'] for c in todo if c.get('estimate_seconds') is not None]
  return sum(known) / 3600, len(todo) - len(known)


def _hours(h: float, unknown: int) -> str:
  """'2.5', '2.5+' (some cells without an estimate), '?' (none has one) or '0' (none left)."""
  if not unknown:
    return f'{h:.1f}' if h else '0'
  return f'{h:.1f}+' if h else '?'


def format_status(rows: list[dict], show_cells: bool = False) -> str:
  """The status as a plain-text table (and, with show_cells, every cell not done). 'left h':
  the expected hours of the cells not done (`Registry.estimate_seconds`; '+': some cells have
  no estimate)."""
  head = f"{'entry':<20} {'cells':>5} {'done':>5} {'train':>6} {'resume':>6} {'left':>5}  " \
         f"{'trained h':>9} {'left h':>7}  table"
  lines = [head, '-' * len(head)]
  total_h, total_unknown = 0.0, 0
  for r in rows:
    k, e = r['counts'], r['entry']
    left = k['pending'] + k['failed']
    h, unknown = hours_left(r['cells'])
    total_h, total_unknown = total_h + h, total_unknown + unknown
    lines.append(f"{e.name:<20} {len(r['cells']):>5} {k['done'] + k['reused']:>5} "
                 f"{k['training']:>6} {k['resumable']:>6} {left:>5}  {r['train_hours']:>9.1f} "
                 f'{_hours(h, unknown):>7}  {e.what}')
    if show_cells:
      for c in r['cells']:
        if c['state'] != 'done':
          est = c.get('estimate_seconds')
          est = f'~{est / 60:.0f} min' if est is not None and c['state'] != 'reused' else ''
          lines.append(f"    {c['name']:<28} {c['state']:<9} {est:>8}  {c['detail']}".rstrip())
  total = sum(len(r['cells']) for r in rows)
  done = sum(r['counts']['done'] + r['counts']['reused'] for r in rows)
  lines.append(f'{done} of {total} cells done; '
               f"{sum(r['train_hours'] for r in rows):.1f} h of training archived; "
               f'~{_hours(total_h, total_unknown)} h of cells left'
               + (f' ({total_unknown} without an estimate)' if total_unknown else '') + '.')
  return '\n'.join(lines)


def run(entries: list[Entry], load: Loader, log: Callable[[str], None] = print,
        pattern: str = '*', deadline: float | None = None) -> None:
  """Trains every cell of every entry not done yet (those matching `pattern`), in queue order,
  sharing cells with any other process running the same queue. `deadline` (a `time.time()`
  value): start no cell expected to end after it (`deadline_rule`); a cell already training
  is not stopped."""
  for e in entries:
    cfg, get_run_config = load(e)
    if pattern != '*':
      cfg.train_cells = pattern
    log(f'##### {e.name}: {e.what}')
    rule = None if deadline is None else deadline_rule(deadline, Registry.of(cfg.cells_dir)[0])
    sweep.run_sweep(cfg, e.workdir, get_run_config, e.command,
                    log=lambda s, n=e.name: log(f'[{n}] {s}'), lock=True, pass_over=rule)


def deadline_rule(deadline: float, registry: Registry, now: Callable[[], float] = time.time
                  ) -> Callable[[dict, str], str | None]:
  """`sweep.run_sweep`'s pass_over: a cell whose expected time (`Registry.estimate_seconds`,
  what is left of it for a cell resuming in `workdir`) would take it past `deadline` is not
  started — so a machine that is taken away at a known time (a session's end) spends its last
  hour on cells that finish, not on a long one lost half-trained. A cell the archive already
  holds under its config is taken at once; a cell with no estimate (no archived run near
  enough in config) is not started, since nothing says it would finish."""
  def rule(cell: dict, workdir: str) -> str | None:
    registry.refresh()                         # other lanes archive cells as they go
    if registry.find_same(cell['config']) is not None:
      return None
    left = deadline - now()
    done = last_epoch(workdir)
    expected = registry.estimate_seconds(cell['config'], done)
    when = time.strftime('%H:%M', time.localtime(deadline))
    if expected is None:
      return (f'no estimate of its time (no archived run of the same work within 3 config '
              f'keys) under --stop_by {when}; run without --stop_by to train it')
    if expected <= left:
      return None
    resumed = f' after epoch {done}' if done else ''
    return (f'~{expected / 60:.0f} min expected{resumed}, {max(left, 0) / 60:.0f} min left '
            f'before --stop_by {when}')
  return rule


def parse_deadline(text: str, now: float | None = None) -> float:
  """--stop_by as a `time.time()` value: 'HH:MM' (local time: the next such moment), '+90m' /
  '+2h' / '+45' (minutes from now) or '@<seconds since the epoch>' (how lanes receive it)."""
  now = time.time() if now is None else now
  t = text.strip()
  try:
    if t.startswith('@'):
      return float(t[1:])
    if t.startswith('+'):
      unit = {'h': 3600.0, 'm': 60.0}.get(t[-1], None)
      return now + float(t[1:-1] if unit else t[1:]) * (unit or 60.0)
    hh, mm = (int(x) for x in t.split(':'))
    if not (0 <= hh < 24 and 0 <= mm < 60):
      raise ValueError(t)
    lt = time.localtime(now)
    at = time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, hh, mm, 0, 0, 0, -1))
    return at if at > now else at + 86400.0
  except (ValueError, IndexError):
    raise ConfigError(f"--stop_by: cannot read {text!r} (expected 'HH:MM', '+90m', '+2h' or "
                      "'@<unix seconds>')") from None


def tables(entries: list[Entry], load: Loader) -> list[str]:
  """Rewrites every entry's table from the archive (and its workdir), training nothing;
  returns the tables' paths. A table that does not exist yet is written only once one of its
  cells is archived (a study nobody started gets no table of pending rows)."""
  out = []
  for e in entries:
    cfg, get_run_config = load(e)
    registry, name = Registry.of(cfg.cells_dir)
    if not os.path.exists(cfg.out + '.md') and not any(x.sweep == name for x in registry.entries):
      continue
    results.write_table(cfg, sweep.make_cells(cfg, get_run_config), e.workdir, e.command,
                        registry)
    out.append(cfg.out + '.md')
  return out


def launch(n: int, argv: list[str], log_dir: str, stagger: float = 2.0) -> list[subprocess.Popen]:
  """Starts `n` processes of `argv` (each a queue runner: they share the cells through the
  locks), one XLA thread each unless XLA_FLAGS is set, stdout and stderr to
  `<log_dir>/lane<i>.log` (appended)."""
  os.makedirs(log_dir, exist_ok=True)
  env = dict(os.environ)
  if n > 1 and not env.get('XLA_FLAGS'):
    env['XLA_FLAGS'] = ONE_THREAD
  procs = []
  for i in range(n):
    log = open(os.path.join(log_dir, f'lane{i}.log'), 'a')
    procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env))
    log.close()
    if i + 1 < n:
      time.sleep(stagger)           # the next one finds the first cell locked
  return procs


def wait_all(procs: list[subprocess.Popen], every: float = 0.0,
             report: Callable[[], None] | None = None) -> list[int]:
  """Waits for every process, calling `report()` every `every` seconds meanwhile (0: never);
  returns their exit codes. A SIGTERM sent here reaches them as Ctrl-C (each keeps its last
  checkpoint whole and stops); a Ctrl-C at the terminal reaches them itself (one process
  group), and this waits for them to stop."""
  def forward(signum, frame):
    for p in procs:
      if p.poll() is None:
        p.send_signal(signal.SIGINT)
  old = signal.signal(signal.SIGTERM, forward)
  last = time.monotonic()
  try:
    while any(p.poll() is None for p in procs):
      try:
        time.sleep(0.2)
      except KeyboardInterrupt:
        continue
      if every and report is not None and time.monotonic() - last >= every:
        last = time.monotonic()
        report()
    return [p.returncode for p in procs]
  finally:
    signal.signal(signal.SIGTERM, old)


def progress_line(rows: list[dict]) -> str:
  """One line of the queue's state: per entry with cells left, done/total and the cells in
  training with their epochs; then the expected hours of the cells left (`hours_left`)."""
  parts = []
  for r in rows:
    k = r['counts']
    if k['pending'] + k['failed'] + k['training'] + k['resumable'] == 0:
      continue
    training = [f"{c['name']} {c['detail'].rsplit(', ', 1)[-1]}" for c in r['cells']
                if c['state'] == 'training']
    parts.append(f"{r['entry'].name} {k['done'] + k['reused']}/{len(r['cells'])}"
                 + (f" ({'; '.join(training)})" if training else ''))
  h, unknown = (sum(x) for x in zip(*(hours_left(r['cells']) for r in rows))) if rows else (0, 0)
  left = f' | ~{_hours(h, unknown)} h of cells left' if parts else ''
  return time.strftime('%H:%M ') + (' | '.join(parts) or 'every cell done') + left


def lane_command(args: list[str]) -> list[str]:
  """The command of one lane: this interpreter running the queue with `args`."""
  return [sys.executable, '-m', 'experiments.reproduce', '--run', '--lanes=1', *args]
