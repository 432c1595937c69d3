"""What every entry point shares: input errors as one paragraph, not a traceback."""

import os
import sys

from absl import flags, logging

from dmn_jax import runtime
from dmn_jax.errors import ConfigError, DataError, RunInterrupted


def _fail(msg: str) -> None:
  print(f'error: {msg}', file=sys.stderr)
  sys.exit(1)


def parse_flags(argv):
  """absl flag parsing that reports a bad config file, argument or key in one paragraph."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    text = str(e)
    if 'Traceback (most recent call last)' in text:
      # A config file's get_config raised: its first line (which flag) and its last (why),
      # without the traceback ml_collections embeds between them.
      lines = [l for l in text.splitlines() if l.strip()]
      text = f'{lines[0]} {lines[-1]}'
    _fail(f'{text}\nPass --helpshort to see the flags.')
  except (AttributeError, KeyError, ValueError, TypeError) as e:
    # Config-file arguments and --config.x overrides fail inside ml_collections.
    text = str(e.args[0] if e.args else e).strip("'\"")
    text = text.replace('\\n', ' ').replace("\\'", "'").replace('\n', ' ')
    _fail(f'bad config: {text}')


_COORDINATOR = flags.DEFINE_string(
    'coordinator', None, 'multi-process run: host:port of process 0 (JAX distributed runtime)')
_NUM_PROCESSES = flags.DEFINE_integer('num_processes', 1, 'multi-process run: processes in all')
_PROCESS_ID = flags.DEFINE_integer('process_id', 0, 'multi-process run: this process (0..n-1)')


def run_cli(fn):
  """Runs `fn()`; bad data, config or file, a diverged loss or Ctrl-C ends the program with one
  line that says what happened (and, for Ctrl-C, where the run stopped and how to resume).
  With --num_processes > 1 this process first joins the run at --coordinator."""
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  if not os.environ.get('DMN_MALLOC_DEFAULT'):
    runtime.keep_freed_memory()
  runtime.unrolled_cpu_rng()             # the same random bits, without threefry's while loops
  try:
    if _NUM_PROCESSES.value > 1:
      from dmn_jax import parallel
      if not _COORDINATOR.value:
        raise ConfigError('--num_processes > 1 needs --coordinator=<host:port of process 0>')
      parallel.initialize(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
    return fn()
  except (DataError, ConfigError, OSError, FloatingPointError) as e:
    _fail(' '.join(str(e).split()))
  except RunInterrupted as e:
    print(f'\n{e}', file=sys.stderr)
    sys.exit(130)
  except KeyboardInterrupt:
    print('\ninterrupted; rerun the same command to resume from the last finished checkpoint',
          file=sys.stderr)
    sys.exit(130)


def train_entry(default_config: str, what: str, report=None):
  """`main` of an entry point that trains one config (`--config`, `--workdir`) and prints its
  summary: the DMN on SST or POS tagging, the MemN2N language model. `report(summary)` prints
  extra figures of a finished run (perplexity). Define the flags once, at import."""
  from absl import app
  from ml_collections import config_flags
  from dmn_jax import train

  config = config_flags.DEFINE_config_file('config', default_config, what, lock_config=True)
  workdir = flags.DEFINE_string('workdir', None, 'checkpoints, metrics and summary go here')
  flags.mark_flags_as_required(['workdir'])

  def main(argv):
    if len(argv) > 1:
      raise app.UsageError(f'unexpected arguments: {argv[1:]}')

    def go():
      summary = train.train_and_evaluate(config.value, workdir.value)
      if report is not None and summary.get('complete'):
        report(summary)

    run_cli(go)

  return main
