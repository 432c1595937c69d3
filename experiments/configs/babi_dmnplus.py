r"""DMN+ on one bAbI task (Xiong, Merity & Socher 2016), trained on answers alone.

  python -m experiments.babi --config=experiments/configs/babi_dmnplus.py:2,10k --workdir=runs/p2
  python -m experiments.babi --config=experiments/configs/babi_dmnplus.py:2 --workdir=runs/p2_1k
  python -m experiments.babi --config=experiments/configs/babi_dmnplus.py:2,supervised \
      --workdir=runs/p2_sup                    # with the DMN's gate loss (strong supervision)

The argument: a task number (`N` or `task=N`) plus optional switches `10k` (the en-10k training
sets; the shipped en-10k lacks qa3's training file, so task 3 trains on the 1k one),
`supervised` (gate supervision: J = α·CE(gates) + β·CE(answers)) and `tiny` (a smoke test).

Defaults follow the paper's §4.2 "Training details": Adam at lr 0.001, batch 128, up to 256
epochs, early stopping when the validation loss has not improved for 20 epochs and the params of
the lowest validation loss kept; embedding and hidden size 80; L2 on the weights; dropout keeping
90% on the sentence encodings and the answer module's input; 3 passes on every task; the input
cut to the last 70 sentences (task 3: 130); several restarts, the one of lowest validation loss
reported. Departures (each a config key): the dev split is 10% of the training file's stories
at random (the paper: the last 10% of the file); the L2 coefficient (the paper gives none) is
1e-3 on 1k (as the public ports; it also decays the biases) and 0 on 10k (chosen on dev;
task 3 excepted, whose 10k set trains on the 1k file); the global gradient norm is clipped at
10 (not in the paper).
"""

import ml_collections

from experiments.configs import common
from experiments.configs.common import parse_arg


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  a = parse_arg(arg, task=1, tiny=False, supervised=False, **{'10k': False})
  c = common.run_config('dmn_plus', num_seeds=3)
  c.seed_chunk = 1                               # seeds in turn: bit for bit as alone; 1.2-1.6x
  c.task = a.task
  c.babi_set = 'en-10k' if a['10k'] else 'en'
  c.babi_train_fallback = 'en' if a['10k'] else ''   # en-10k has no qa3 training file
  c.dev_fraction = 0.1
  c.dev_seed = 0
  c.memory_size = 130 if a.task == 3 else 70         # the paper's input cut

  c.model = ml_collections.ConfigDict()
  c.model.embed_dim = 80
  c.model.hidden = 80
  c.model.passes = 3
  c.model.fusion = 'bigru'                           # 'bigru' (input fusion layer) | 'none'
  c.model.dropout = 0.1                              # drop rate (the paper keeps p = 0.9)
  c.model.pe_form = 'sentence'                       # 'sentence' (MemN2N paper) | 'authors'
  c.model.batch_chunk = 0                            # speed only: examples a chunk at a time

  # L2 (the paper gives no coefficient): 1e-3 as the public ports on 1k. On 10k none: under
  # 1e-3 task 17 did not fit its training set; mean dev accuracy over 3 restarts 55.4 (1e-3),
  # 83.8 (1e-4), 86.4 (0) (results/babi_10k_dmnplus_l2.md). Task 3 trains on the 1k file
  # even in the 10k set (en-10k lacks it), so it keeps the 1k value.
  l2 = 0.0 if a['10k'] and a.task != 3 else 1e-3
  c.train = common.dmn_train(batch_size=128, num_epochs=256, patience=20, l2=l2,
                             gate_supervision=a.supervised, length_buckets=4)
  # α when gate_supervision is on (the DMN's weight); answers only: α = 0 whatever this says.
  c.train.gate_weight = 1.0
  c.train.best_by = 'loss'                           # best params: lowest dev answer loss
  c.train.select_seed_by = 'dev_loss'                # reported restart: lowest dev loss

  if a.tiny:
    c.model.embed_dim = c.model.hidden = 16
    c.train.num_epochs = 3
    c.train.patience = 3
    c.num_seeds = 2
  return c
