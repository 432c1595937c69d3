"""What every entry point shares: input errors as one paragraph, not a traceback."""

import os
import sys

from absl import logging

from dmn_jax.errors import ConfigError, DataError


def run_cli(fn):
  """Runs `fn()`; a DataError, ConfigError or missing file ends the program with its message."""
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  try:
    return fn()
  except (DataError, ConfigError, FileNotFoundError, FloatingPointError) as e:
    print(f'error: {e}', file=sys.stderr)
    sys.exit(1)
