"""Rewrites the README's results section from results/*.json (`dmn_jax.results.readme`).

  python -m experiments.readme             # rewrite README.md
  python -m experiments.readme --check     # exit 1 if README.md is not what the JSON gives
"""

import sys

from absl import app, flags

from dmn_jax import workdir
from dmn_jax.results import readme
from experiments import common

_CHECK = flags.DEFINE_bool('check', False, 'only check that README.md is up to date')
_README = flags.DEFINE_string('readme', 'README.md', 'the README to rewrite')
_RESULTS = flags.DEFINE_string('results', 'results', 'the results folder')


def main(argv):
  del argv
  with open(_README.value) as f:
    old = f.read()
  new = readme.replace_section(old, readme.section(_RESULTS.value))
  if _CHECK.value:
    if new != old:
      print(f'{_README.value}: the results section differs from {_RESULTS.value}/*.json; run '
            'python -m experiments.readme', file=sys.stderr)
      sys.exit(1)
    print(f'{_README.value}: results section up to date')
    return
  workdir.write_text(_README.value, new)
  print(readme.section(_RESULTS.value))


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
