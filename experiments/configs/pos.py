r"""The DMN as a part-of-speech tagger (Kumar et al. 2016, §2.4 and §4.3).

  python -m experiments.pos --config=experiments/configs/pos.py:ud_ewt --workdir=runs/pos_ewt
  python -m experiments.pos --config=experiments/configs/pos.py:wsj_sample --workdir=runs/pos_wsj

`ud_ewt`: UD English-EWT, XPOS (Penn Treebank tags), the official train/dev/test split.
`wsj_sample`: the NLTK WSJ sample (199 files), our split by file number — a SAMPLE, not the
standard WSJ split the paper's 97.56 is measured on. `tiny`: a smoke configuration.
The sentence is the input (a fact at every word); an answer (tag) at every word from the last
pass's attention-GRU state there; no gate supervision; GloVe 6B 50d initial vectors.
"""

from experiments.configs import common
from experiments.configs.common import parse_arg


def get_config(arg=None):
  a = parse_arg(arg, ud_ewt=False, wsj_sample=False, tiny=False)
  if a.ud_ewt == a.wsj_sample:
    raise ValueError("give exactly one corpus: 'ud_ewt' or 'wsj_sample', e.g. pos.py:ud_ewt")
  c = common.run_config('dmn_pos', num_seeds=3)
  c.corpus = 'ud_ewt' if a.ud_ewt else 'wsj_sample'
  c.glove = 'kumo'
  c.glove_vocab = True                          # + dev/test words GloVe knows: 93.0 vs 88.9 test
  c.max_len = 80                                # longer sentences are tagged in pieces
  c.model = common.dmn_model(embed_dim=50, hidden=100, passes=1, fact_mode='word', dropout=0.2,
                             head='tagging')
  c.model.fact_fusion = 'bigru'                 # a tag needs the words after it too
  c.train = common.dmn_train(batch_size=32, num_epochs=20, patience=4, l2=0.0,
                             gate_supervision=False, length_buckets=4)
  c.train.l2_embeddings = 'seen'                # GloVe rows of unseen words keep their values
  if a.tiny:
    c.model.hidden = c.model.gate_hidden = 16
    c.train.num_epochs, c.train.patience = 2, 2
    c.num_seeds = 1
  return c
