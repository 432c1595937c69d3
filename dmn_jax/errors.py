"""Errors that mean "your input is wrong", shown to users as one paragraph, no traceback."""


class DataError(ValueError):
  """Malformed or missing input data; the message names the file (and line) and the fix."""


class ConfigError(ValueError):
  """A config value that cannot work, or a workdir that belongs to a different config."""


class RunInterrupted(Exception):
  """Ctrl-C (SIGINT) stopped a run; the message says where, and how to resume."""


class Diverged(FloatingPointError):
  """A non-finite loss or parameter; the message names the epoch and step. Nothing non-finite
  was checkpointed."""
