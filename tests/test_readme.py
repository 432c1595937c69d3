"""The README's test command is the one CI runs, and its run command names a real config."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts):
  with open(os.path.join(ROOT, *parts)) as f:
    return f.read()


def test_ci_runs_the_readme_test_command():
  ci_lines = [l for l in _read('.ci', 'run').splitlines() if 'pytest' in l and not l.startswith('#')]
  assert len(ci_lines) == 1
  assert ci_lines[0].strip() in _read('README.md')


def test_readme_train_command_uses_existing_files():
  readme = _read('README.md')
  for path in set(re.findall(r'--config=(experiments/configs/\w+\.py)', readme)):
    assert os.path.exists(os.path.join(ROOT, path)), path
