"""What every entry point shares: input errors as one paragraph, not a traceback."""

import sys

from absl import flags, logging

from dmn_jax.errors import ConfigError, DataError


def _fail(msg: str) -> None:
  print(f'error: {msg}', file=sys.stderr)
  sys.exit(1)


def parse_flags(argv):
  """absl flag parsing that reports a bad config file, argument or key in one paragraph."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    _fail(f'{e}\nPass --helpshort to see the flags.')
  except (AttributeError, KeyError, ValueError, TypeError) as e:
    # Config-file arguments and --config.x overrides fail inside ml_collections.
    text = str(e.args[0] if e.args else e).strip("'\"")
    text = text.replace('\\n', ' ').replace("\\'", "'").replace('\n', ' ')
    _fail(f'bad config: {text}')


def run_cli(fn):
  """Runs `fn()`; bad data, config or file (or a diverged loss) ends the program with its message."""
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  try:
    return fn()
  except (DataError, ConfigError, OSError, FloatingPointError) as e:
    _fail(' '.join(str(e).split()))
