r"""MemN2N language model on Penn Treebank (Sukhbaatar et al. 2015, §5, Table 2).

  python -m experiments.ptb_lm --config=experiments/configs/ptb_memn2n.py --workdir=runs/ptb
  python -m experiments.ptb_lm --config=experiments/configs/ptb_memn2n.py:small --workdir=runs/ptb_s

Default: the paper's 150 hidden / 7 hops / memory 200 row (test perplexity 111). `small`:
150 / 2 hops / memory 100 (test 121). `hops=H,memory=M`: any other row of Table 2, e.g.
`:hops=3,memory=100` (test 122). `tiny`: a seconds-long smoke configuration.
Each memory slot is one previous word (temporal encoding marks its distance); the query is the
constant 0.1 vector; layer-wise tying; ReLU on half the units of every hop; lr 0.01 divided by
1.5 after every epoch whose validation cost did not fall, stop once it is below 1e-5; gradient
clipping at 50; batch 128; N(0, 0.05) init. Reads `$DMN_DATA_DIR/ptb/ptb.{train,valid,test}.txt`.
"""

import ml_collections

from experiments.configs import common
from experiments.configs.common import parse_arg


def get_config(arg=None):
  a = parse_arg(arg, small=False, tiny=False, hops=0, memory=0)
  hops = a.hops or (2 if a.small else 7)
  c = common.run_config('memn2n_lm', num_seeds=1)
  c.memory_size = a.memory or (100 if a.small else 200)
  c.model = common.memn2n_model(embed_dim=150, hops=hops, query='constant')
  c.model.tying = 'layerwise'
  c.model.encoding = 'bow'                       # one word per memory slot
  c.model.random_noise = 0.0
  c.model.nonlinearity = 'relu_half'
  c.model.init_std = 0.05
  c.model.batch_chunk = 8                        # speed: hops on 8 windows at a time (in cache)

  c.train = ml_collections.ConfigDict()
  c.train.optimizer = 'sgd'
  c.train.batch_size = 128
  c.train.cost = 'sum'
  c.train.learning_rate = 0.01
  c.train.min_learning_rate = 1e-5
  c.train.clip_norm = 50.0
  c.train.l2 = 0.0
  c.train.l2_embeddings = 'all'
  c.train.num_epochs = 100                       # a cap: the lr rule stops the run
  c.train.patience = 10 ** 6
  # As the authors' code (facebookarchive/MemNN, MemN2N-lang-model/main.lua): an epoch of
  # floor(words / 128) windows drawn with replacement (the code: ceil), lr / 1.5 when the
  # validation cost exceeds 0.9999 x the previous epoch's, the params after the last epoch, the
  # run of lowest validation cost kept (the paper: best of 10 runs; 1 here: CPU budget).
  c.train.sampling = 'with_replacement'
  c.train.anneal_against = 'previous'
  c.train.best_by = 'final'
  c.train.select_seed_by = 'dev_loss'
  c.train.length_buckets = 1

  if a.tiny:
    c.memory_size, c.model.embed_dim, c.model.hops = 8, 16, 2
    c.train.num_epochs = 2
  return c
