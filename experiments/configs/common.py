"""What every config shares: `parse_arg`, the run-level keys, and the DMN and MemN2N model blocks.

Every key a run reads is written out here or in the task's config (no defaults hidden in the
code): `python -m experiments.babi --config=... --config.model.hidden=128` can override any of
them, and a typo fails with "Did you mean".
"""

import ml_collections
from ml_collections import config_dict


def parse_arg(arg: str | None, **defaults) -> ml_collections.ConfigDict:
  """'1' | 'task=1' | 'task=3,tiny' -> ConfigDict (big_vision's configs/common.py style).

  A bare number sets `task`; a bare word sets that switch to True; `k=v` is cast to the type of
  the default. Unknown names are errors.
  """
  out = ml_collections.ConfigDict(defaults)
  for part in filter(None, (arg or '').split(',')):
    if '=' in part:
      k, v = part.split('=', 1)
    elif part.isdigit():
      k, v = 'task', part
    else:
      k, v = part, 'True'
    if k not in out:
      raise KeyError(f'unknown config argument {k!r}; known: {sorted(out)}')
    kind = type(defaults[k])
    try:
      out[k] = kind(v == 'True' if isinstance(defaults[k], bool) else v)
    except ValueError:
      raise ValueError(f'config argument {k} must be {kind.__name__}, got {v!r}') from None
  return out


def run_config(model_family: str, num_seeds: int) -> ml_collections.ConfigDict:
  """The keys of every run: family, data location, seeds, logging and the compile cache."""
  c = ml_collections.ConfigDict()
  c.model_family = model_family
  c.data_dir = config_dict.placeholder(str)     # None: $DMN_DATA_DIR, else download (cache)
  c.seed = 0                                    # first seed
  c.num_seeds = num_seeds                       # seeds seed..seed+num_seeds-1, vmapped in one program
  c.tensorboard = True                          # event files in <workdir>/tb beside metrics.jsonl
  # XLA's persistent compilation cache ($DMN_CACHE_DIR, default ~/.cache/dmn_jax/xla): a rerun
  # of a config compiles in a fraction of the time.
  c.compilation_cache = True
  # Training steps per compiled call (a `lax.scan` over that many batches): the host dispatches
  # once per call. Same steps, same results; with length buckets, runs of this many batches of
  # one bucket are shuffled as units. Worth it where a step is short (MemN2N: ~1 ms).
  c.steps_per_call = 1
  # How the seeds run (`dmn_jax.seeds.over_seeds`): 0 side by side (vmap); 1 one after the
  # other, each the unbatched step, so seed s trains bit for bit as it does alone whatever the
  # seeds beside it (on one device), and in a working set that stays in the CPU's cache;
  # k > 1 k at a time. Speed otherwise: same model, same data.
  c.seed_chunk = 0
  # Local devices the run uses (0: all): seeds spread over them when they divide evenly, else
  # the batch (`dmn_jax/parallel.py`). Same results as one device.
  c.devices = 0
  return c


def dmn_model(embed_dim: int, hidden: int, passes: int, fact_mode: str, dropout: float,
              head: str = 'answer') -> ml_collections.ConfigDict:
  """The DMN's `model` block (Kumar et al. 2016) with the paper's choices; see
  `dmn_jax/models/dmn.py` for each key."""
  m = ml_collections.ConfigDict()
  m.embed_dim = embed_dim
  m.hidden = hidden
  m.gate_hidden = hidden
  m.passes = passes
  m.end_pass = False                            # learned end-of-passes fact (paper §2.3)
  m.attention = 'gru'                           # 'gru' (paper's modified GRU) | 'softmax'
  m.gate_norm = 'sigmoid'                       # attention-GRU gate: σ (paper) | softmax (DMN+)
  # Gate supervision's loss (read by the loss, `losses.gate_terms`): 'softmax' (a softmax CE
  # over the facts' scores) | 'bce' (a binary CE on every sigmoid gate).
  m.gate_loss = 'softmax'
  m.fact_fusion = 'none'                        # 'none' (paper) | 'bigru' (DMN+ input fusion)
  m.fact_time = False                           # learned recency vectors added to the facts
  m.fact_mode = fact_mode                       # 'sentence' | 'word' (a fact per word)
  m.share_question_gru = False
  m.dropout = dropout                           # on word embeddings
  m.head = head                                 # 'answer' (answer GRU) | 'tagging' (per word)
  m.batch_chunk = 0                             # speed only: examples a chunk at a time
  return m


def dmn_train(batch_size: int, num_epochs: int, patience: int, l2: float, gate_supervision: bool,
              length_buckets: int = 1) -> ml_collections.ConfigDict:
  """The DMN's `train` block: Adam, clip 10, J = α·CE(gates) + β·CE(answers)."""
  t = ml_collections.ConfigDict()
  t.optimizer = 'adam'
  t.batch_size = batch_size
  # >1: batches of similar story length, cropped to it (one compile per bucket).
  t.length_buckets = length_buckets
  # True: batches of whole stories' questions, each story's input GRU run once for all of them
  # (`dmn_jax/data/stories.py`; same model, other batch composition).
  t.story_batches = False
  t.learning_rate = 1e-3
  t.l2 = l2                                     # ½λ‖θ‖² added to the gradient before Adam
  # Which embedding rows L2 decays: 'all' (every step, the paper's penalty) | 'seen' (only the
  # rows of words in the step's batch: pretrained vectors of words training never uses keep
  # their values).
  t.l2_embeddings = 'all'
  t.clip_norm = 10.0
  t.num_epochs = num_epochs
  t.patience = patience                         # epochs without a dev accuracy gain
  t.select_seed_by = 'dev'                      # the reported seed: best dev accuracy
  t.gate_supervision = gate_supervision
  t.gate_weight = 1.0 if gate_supervision else 0.0   # α
  t.answer_weight = 1.0                         # β
  t.answer_start_epoch = 0                      # β = 0 before this epoch (gates only)
  return t


def memn2n_model(embed_dim: int, hops: int, query: str) -> ml_collections.ConfigDict:
  """The MemN2N's `model` block (Sukhbaatar et al. 2015); see `dmn_jax/models/memn2n.py`."""
  m = ml_collections.ConfigDict()
  m.embed_dim = embed_dim                       # d
  m.hops = hops                                 # K
  m.tying = 'adjacent'                          # 'adjacent' | 'layerwise'
  m.encoding = 'pe'                             # 'bow' | 'pe'
  m.temporal = True
  m.random_noise = 0.1                          # share of empty memories added in training
  m.nonlinearity = 'none'                       # 'none' | 'relu' | 'relu_half'
  m.init_std = 0.1
  m.query = query                               # 'question' (bAbI) | 'constant' (language model)
  # The paper's reading (defaults here) or the authors' released code (see models/memn2n.py):
  m.pe_form = 'sentence'                        # 'sentence' (J = own length) | 'authors'
  m.time_encoding = 'table'                     # 'table' | 'word' (time words, answer outputs)
  m.mask_empty = True                           # False: empty slots stay in the softmax
  m.batch_chunk = 0                             # speed only: hops on chunks of this many examples
  return m


def size_arg(arg: str | None, default: str, config_name: str) -> str:
  """A sweep config's argument: '1k' or '10k' (the bAbI training set), `default` when empty."""
  size = arg or default
  if size not in ('1k', '10k'):
    raise KeyError(f"{config_name} argument must be '1k' or '10k', got {arg!r}")
  return size


def grid_sweep(out: str, *, tasks: str, grid_key: str, grid_values: tuple, num_seeds: int,
               run_config: str = 'babi', table: str = 'grid',
               overrides: dict | None = None, run_arg: str = '') -> ml_collections.ConfigDict:
  """A sweep config (`python -m experiments.babi_sweep`) of one grid: `grid_key` over
  `grid_values` on each task of `tasks`, every other setting the run config's (plus
  `overrides`); the table goes to `<out>.md/.json`, the finished cells to results/cells/<name>."""
  c = ml_collections.ConfigDict()
  c.run_config = run_config                     # experiments/configs/<run_config>.py
  c.run_arg = run_arg                           # added to each task's config argument: '10k'
  c.tasks = tasks
  c.num_seeds = num_seeds
  c.table = table
  c.out = out
  c.cells_dir = f"results/cells/{out.split('/')[-1]}"   # finished cells' summary + config
  c.grid_key = grid_key
  c.grid_values = grid_values
  c.overrides = ml_collections.ConfigDict(overrides or {})
  c.train_cells = '*'                          # fnmatch pattern: the cells this process trains
  return c
