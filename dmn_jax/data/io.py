"""Reading a data file's text: a file that is missing or not UTF-8 is a DataError naming it."""

from __future__ import annotations

import os

from dmn_jax.errors import DataError


def read_lines(path: str, missing: str = '') -> list[str]:
  """The lines of `path` (newlines kept; line i + 1 is element i).

  Raises:
    DataError: `path` does not exist (`missing`: the fix to suggest) or is not UTF-8 text (the
      line of the first bad byte named).
  """
  if not os.path.exists(path):
    raise DataError(f'{path} does not exist' + (f'; {missing}' if missing else ''))
  with open(path, 'rb') as f:
    data = f.read()
  try:
    text = data.decode('utf-8')
  except UnicodeDecodeError as e:
    line = data.count(b'\n', 0, e.start) + 1
    raise DataError(f'{path}:{line}: not UTF-8 text ({e.reason} at byte {e.start})') from None
  parts = text.split('\n')          # only '\n' ends a line: line numbers match an editor's
  return [p + '\n' for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
