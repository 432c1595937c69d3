"""Trains the MemN2N language model on Penn Treebank; prints validation and test perplexity.

  python -m experiments.ptb_lm --config=experiments/configs/ptb_memn2n.py --workdir=runs/ptb
  python -m experiments.ptb_lm --config=experiments/configs/ptb_memn2n.py:small --workdir=runs/ptb_s

Resumable like every run here (rerun the same command). Perplexity = exp(mean cross-entropy per
word) of the params of the epoch with the best validation accuracy (ties: lower validation cost).
"""

import math

from absl import app

from experiments import common


def _perplexities(s):
  chosen = next(x for x in s['seeds'] if x['seed'] == s['seed'])
  print(f"validation perplexity {math.exp(chosen['dev_answer_loss']):.1f}, test perplexity "
        f"{math.exp(chosen['test_answer_loss']):.1f} ({s['examples_per_second']:,.0f} "
        f"words/s, train {s['train_seconds']:.0f} s)")


main = common.train_entry('experiments/configs/ptb_memn2n.py', 'language-model config',
                          report=_perplexities)

if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
