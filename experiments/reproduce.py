r"""Every sweep-built results table: what is left, and one command that trains it all.

  python -m experiments.reproduce                       # per table: cells done / training / left
  python -m experiments.reproduce --cells               # ... and every cell not done
  nohup python -m experiments.reproduce --run --lanes=2 > runs/reproduce.log 2>&1 &
  python -m experiments.reproduce --run --only=dmnplus_10k,attention_pm --cells_match='task0[23]*'
  python -m experiments.reproduce --tables              # rewrite every table from results/cells
  python -m experiments.reproduce --run --lanes=2 --stop_by=17:30   # start no cell that would
                                                        # end after 17:30 (the machine's end)

The queue (experiments/configs/reproduce.py) lists each table's sweep in priority order.
`--run` trains the cells left, entry after entry; `--lanes=N` starts N processes that share the
cells through per-cell locks (one XLA thread each; logs in runs/reproduce/lane<i>.log), so a
2-core CPU trains two cells at a time. Stop it any time (Ctrl-C, or `kill` this process): each
cell resumes from its last epoch when the same command runs again.
"""

import importlib
import importlib.util
import os

from absl import app, flags

from dmn_jax import reproduce
from dmn_jax.errors import ConfigError
from experiments import common

_RUN = flags.DEFINE_bool('run', False, 'train every cell left (else: print the status)')
_TABLES = flags.DEFINE_bool('tables', False, 'rewrite every table from results/cells, no training')
_LANES = flags.DEFINE_integer('lanes', 1, 'with --run: processes sharing the cells')
_ONLY = flags.DEFINE_list('only', [], 'queue entries (fnmatch patterns; default: all)')
_MATCH = flags.DEFINE_string('cells_match', '*', 'only the cells whose names match (fnmatch)')
_QUEUE = flags.DEFINE_string('queue', 'experiments/configs/reproduce.py',
                             'a Python file whose QUEUE lists the entries')
_EVERY = flags.DEFINE_float('status_every', 10.0, 'with --lanes > 1: minutes between progress '
                             'lines (0: none)')
_CELLS = flags.DEFINE_bool('cells', False, 'status: list every cell not done')
_LOG_DIR = flags.DEFINE_string('lanes_dir', 'runs/reproduce', 'with --lanes > 1: where the lanes log')
_STOP_BY = flags.DEFINE_string('stop_by', None, "with --run: start no cell expected to end after "
                               "this time ('HH:MM', '+90m', '+2h'); estimates come from the "
                               'archived runs nearest in config (README, "Every table")')


def _module(path: str, what: str):
  """The Python file `path` as a module (a config file, as config_flags loads it)."""
  if not (path.endswith('.py') and os.path.isfile(path)):
    raise ConfigError(f'{what}: {path!r} is not a Python file')
  spec = importlib.util.spec_from_file_location(
      os.path.splitext(os.path.basename(path))[0], path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def load(entry: reproduce.Entry):
  """(sweep config, get_config of its run config) of a queue entry."""
  path, _, arg = entry.config.partition(':')
  cfg = _module(path, f'queue entry {entry.name}').get_config(arg or None)
  run_config = importlib.import_module(f"experiments.configs.{cfg.get('run_config', 'babi')}")
  return cfg, run_config.get_config


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')

  def go():
    queue = getattr(_module(_QUEUE.value, '--queue'), 'QUEUE', None)
    if not queue:
      raise ConfigError(f'--queue: {_QUEUE.value} defines no QUEUE list')
    entries = reproduce.select(queue, _ONLY.value)
    if _LANES.value < 1:
      raise ConfigError(f'--lanes must be >= 1, got {_LANES.value}')
    deadline = None if _STOP_BY.value is None else reproduce.parse_deadline(_STOP_BY.value)
    if _TABLES.value:
      for path in reproduce.tables(entries, load):
        print(f'wrote {path}')
    elif _RUN.value and _LANES.value > 1:
      args = [f'--queue={_QUEUE.value}', f'--cells_match={_MATCH.value}']
      if _ONLY.value:
        args.append(f'--only={",".join(_ONLY.value)}')
      if deadline is not None:
        args.append(f'--stop_by=@{deadline:.0f}')
      procs = reproduce.launch(_LANES.value, reproduce.lane_command(args), _LOG_DIR.value)
      print(f'{len(procs)} lanes (pids {", ".join(str(p.pid) for p in procs)}); logs in '
            f'{_LOG_DIR.value}/lane<i>.log', flush=True)
      codes = reproduce.wait_all(
          procs, 60 * _EVERY.value,
          lambda: print(reproduce.progress_line(reproduce.status(entries, load, _MATCH.value)),
                        flush=True))
      reproduce.tables(entries, load)       # each lane wrote the tables as it went; once more
      print(reproduce.format_status(reproduce.status(entries, load, _MATCH.value)))
      if any(codes):
        raise ConfigError(f'lanes ended with exit codes {codes} (a lane stopped by Ctrl-C or '
                          f'kill ends so too; rerun the same command to resume): see '
                          f'{_LOG_DIR.value}/lane<i>.log')
    elif _RUN.value:
      reproduce.run(entries, load, lambda s: print(s, flush=True), _MATCH.value, deadline)
      print(reproduce.format_status(reproduce.status(entries, load, _MATCH.value)))
    else:
      print(reproduce.format_status(reproduce.status(entries, load, _MATCH.value), _CELLS.value))

  common.run_cli(go)


if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
