r"""The DMN's gates on every word in every pass for one sentence, as a heatmap PNG (+ JSON):
the DMN paper's Fig. 3/4 for sentiment, from a finished run's best checkpoint.

  python -m experiments.dmn_attention --config=experiments/configs/sst.py:fine \
      --workdir=runs/sst_fine --out=results/sst_gates.png
  python -m experiments.dmn_attention --config=experiments/configs/sst.py:fine \
      --workdir=runs/sst_fine --sentence="it 's not a bad film , just a dull one ." --out=x.png

`--config` must be the one the run in `--workdir` was trained with. The sentence: `--index` (a
row of `--split`), or `--sentence` (words separated by spaces, tokenized as the treebank:
"it 's", "n't"), or by default the first test sentence of 8-20 words the model gets right.
"""

import json
import sys

import numpy as np
from absl import app, flags
from ml_collections import config_flags

from dmn_jax import inspect_memory
from dmn_jax.data import text
from dmn_jax.errors import ConfigError
from experiments import common

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'experiments/configs/sst.py:fine', 'the run\'s config', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'a finished `experiments.sst` run')
_OUT = flags.DEFINE_string('out', None, 'PNG path (a .json with the numbers goes beside it)')
_SPLIT = flags.DEFINE_enum('split', 'test', ['train', 'dev', 'test'], 'where --index points')
_INDEX = flags.DEFINE_integer('index', None, 'a row of --split')
_SENTENCE = flags.DEFINE_string('sentence', None, 'your own sentence (space-separated tokens)')
flags.mark_flags_as_required(['workdir', 'out'])


def choose_row(arrays, params, model_cfg, lo=8, hi=20):
  """The first row with lo-hi words that the model answers right."""
  lengths = arrays['story_mask'].sum(1)
  for i in np.flatnonzero((lengths >= lo) & (lengths <= hi)):
    row = {k: v[i] for k, v in arrays.items()}
    _, pred = inspect_memory.dmn_gates(params, row, model_cfg)
    if int(pred[0]) == int(row['answer'][0]):
      return int(i)
  raise ConfigError(f'no sentence of {lo}-{hi} words answered right; give --index')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')

  def go():
    cfg = _CONFIG.value
    if cfg.model.passes == 0:
      raise ConfigError('a 0-pass DMN has no gates to draw')
    if _INDEX.value is not None and _SENTENCE.value:
      raise ConfigError('give --index or --sentence, not both')
    params, data, spec, _ = inspect_memory.load_best(cfg, _WORKDIR.value)
    arrays = data[_SPLIT.value]
    gold = None
    if _SENTENCE.value:
      words = [text.norm_word(w) for w in _SENTENCE.value.split()]
      if not words or len(words) > spec.max_story_tokens:
        raise ConfigError(f'--sentence: 1-{spec.max_story_tokens} words, got {len(words)}')
      q = arrays['question'][0, 0]
      row = {k: v[0] for k, v in text.encode([words], [[0]], spec.vocab, q,
                                             spec.max_story_tokens, tagging=False).items()}
      unknown = [w for w in words if w not in spec.vocab]
      where = 'your sentence'
    else:
      n = len(arrays['story'])
      i = _INDEX.value if _INDEX.value is not None else choose_row(arrays, params, cfg.model)
      if not 0 <= i < n:
        raise ConfigError(f'--index must be in [0, {n}), got {i}')
      row = {k: v[i] for k, v in arrays.items()}
      words = spec.vocab.decode(row['story'][row['story_mask']], stop_at_eos=False)
      gold, unknown = spec.answers[int(row['answer'][0])], []
      where = f'{_SPLIT.value} row {i}'
    gates, pred = inspect_memory.dmn_gates(params, row, cfg.model)
    gates = gates[:, :len(words)]
    answer = spec.answers[int(pred[0])]
    title = (f'DMN gates, {where}: predicted {answer}' + (f' (gold {gold})' if gold else '') +
             f'; {cfg.model.passes} passes')
    inspect_memory.plot_gates(gates, words, _OUT.value, title)
    command = 'python -m experiments.dmn_attention ' + ' '.join(sys.argv[1:])
    with open(_OUT.value.rsplit('.', 1)[0] + '.json', 'w') as f:
      json.dump({'words': words, 'gates': gates.tolist(), 'predicted': answer, 'gold': gold,
                 'where': where, 'unknown_words': unknown, 'workdir': _WORKDIR.value,
                 'command': command}, f, indent=1)
    print(' '.join(words))
    for t, g in enumerate(gates):
      top = g.argsort()[::-1][:3]
      print(f'pass {t + 1}: highest gates ' + ', '.join(f'{words[j]} ({g[j]:.2f})' for j in top))
    print(f'predicted {answer}' + (f', gold {gold}' if gold else '') +
          (f'; not in the vocabulary: {unknown}' if unknown else ''))
    print(f'wrote {_OUT.value}')

  common.run_cli(go)


if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
