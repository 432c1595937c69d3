"""Exports a finished run as one model file that `dmn_jax.predict.load` reads without the run
folder or the data.

  python -m experiments.export --workdir=runs/babi1 --out=babi1.dmn
"""

from absl import app, flags

from dmn_jax import predict
from experiments import common

_WORKDIR = flags.DEFINE_string('workdir', None, 'a finished DMN or MemN2N bAbI run')
_OUT = flags.DEFINE_string('out', None, 'the model file to write')
flags.mark_flags_as_required(['workdir', 'out'])


def main(argv):
  del argv
  model = predict.load_workdir(_WORKDIR.value)
  predict.export(model, _OUT.value)
  print(f'wrote {_OUT.value}: {model.describe()}')


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
