"""Errors that mean "your input is wrong", shown to users as one paragraph, no traceback."""


class DataError(ValueError):
  """Malformed or missing input data; the message names the file (and line) and the fix."""


class ConfigError(ValueError):
  """A config value that cannot work, or a workdir that belongs to a different config."""
