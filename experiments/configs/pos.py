r"""The DMN as a part-of-speech tagger (Kumar et al. 2016, §2.4 and §4.3).

  python -m experiments.pos --config=experiments/configs/pos.py:ud_ewt --workdir=runs/pos_ewt
  python -m experiments.pos --config=experiments/configs/pos.py:wsj_sample --workdir=runs/pos_wsj

`ud_ewt`: UD English-EWT, XPOS (Penn Treebank tags), the official train/dev/test split.
`wsj_sample`: the NLTK WSJ sample (199 files), our split by file number — a SAMPLE, not the
standard WSJ split the paper's 97.56 is measured on. `tiny`: a smoke configuration.
The sentence is the input (a fact at every word); an answer (tag) at every word from the last
pass's attention-GRU state there; no gate supervision; GloVe 6B 50d initial vectors.
"""

import ml_collections
from ml_collections import config_dict

from experiments.configs.babi import parse_arg


def get_config(arg=None):
  a = parse_arg(arg, ud_ewt=False, wsj_sample=False, tiny=False)
  if a.ud_ewt == a.wsj_sample:
    raise ValueError("give exactly one corpus: 'ud_ewt' or 'wsj_sample', e.g. pos.py:ud_ewt")
  c = ml_collections.ConfigDict()
  c.model_family = 'dmn_pos'
  c.corpus = 'ud_ewt' if a.ud_ewt else 'wsj_sample'
  c.data_dir = config_dict.placeholder(str)
  c.glove = 'kumo'
  c.glove_vocab = True                          # + dev/test words GloVe knows: 93.0 vs 88.9 test
  c.max_len = 80                                # longer sentences are tagged in pieces
  c.seed = 0
  c.num_seeds = 3

  c.model = ml_collections.ConfigDict()
  c.model.embed_dim = 50
  c.model.hidden = 100
  c.model.gate_hidden = 100
  c.model.passes = 1
  c.model.end_pass = False
  c.model.attention = 'gru'
  c.model.gate_norm = 'sigmoid'
  c.model.fact_fusion = 'bigru'                 # a tag needs the words after it too
  c.model.fact_time = False
  c.model.fact_mode = 'word'
  c.model.share_question_gru = False
  c.model.dropout = 0.2
  c.model.head = 'tagging'

  c.train = ml_collections.ConfigDict()
  c.train.batch_size = 32
  c.train.length_buckets = 4
  c.train.learning_rate = 1e-3
  c.train.l2 = 0.0
  c.train.clip_norm = 10.0
  c.train.num_epochs = 20
  c.train.patience = 4
  c.train.gate_supervision = False
  c.train.gate_weight = 0.0
  c.train.answer_weight = 1.0
  c.train.answer_start_epoch = 0
  if a.tiny:
    c.model.hidden = c.model.gate_hidden = 16
    c.train.num_epochs, c.train.patience = 2, 2
    c.num_seeds = 1
  return c
