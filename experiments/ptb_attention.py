"""Mean attention per memory position and hop of a trained MemN2N language model (the paper's
Fig. 3), as a PNG (+ the numbers as JSON beside it).

  python -m experiments.ptb_attention --config=experiments/configs/ptb_memn2n.py:small \
      --workdir=runs/ptb_s --out=results/ptb_attention_small.png

`--config` must be the one the run in `--workdir` was trained with (same as `experiments.ptb_lm`).
"""

import json
import sys

from absl import app, flags
from ml_collections import config_flags

from dmn_jax import inspect_memory
from experiments import common

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'experiments/configs/ptb_memn2n.py', 'the run\'s config', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'a finished `experiments.ptb_lm` run')
_OUT = flags.DEFINE_string('out', None, 'PNG path (a .json with the numbers goes beside it)')
_SPLIT = flags.DEFINE_enum('split', 'test', ['train', 'dev', 'test'], 'words to average over')
_MAX = flags.DEFINE_integer('max_words', 20000, 'average over the first this many words')
flags.mark_flags_as_required(['workdir', 'out'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')

  def go():
    cfg = _CONFIG.value
    params, data, *_ = inspect_memory.load_best(cfg, _WORKDIR.value)
    avg = inspect_memory.mean_attention(params, data[_SPLIT.value], cfg.model,
                                        cfg.train.batch_size, _MAX.value)
    m = cfg.model
    title = (f'MemN2N LM, PTB {_SPLIT.value} ({_MAX.value:,} words): {m.embed_dim} hidden, '
             f'{m.hops} hops, memory {cfg.memory_size}')
    inspect_memory.plot_attention(avg, _OUT.value, title)
    command = 'python -m experiments.ptb_attention ' + ' '.join(sys.argv[1:])
    with open(_OUT.value.rsplit('.', 1)[0] + '.json', 'w') as f:
      json.dump({'mean_attention': avg.tolist(), 'split': _SPLIT.value,
                 'max_words': _MAX.value, 'workdir': _WORKDIR.value, 'command': command}, f)
    for k, row in enumerate(avg):
      top = row.argsort()[::-1][:3]
      print(f'hop {k + 1}: most attended positions ' +
            ', '.join(f'{p + 1} ({row[p]:.3f})' for p in top))
    print(f'wrote {_OUT.value}')

  common.run_cli(go)


if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
