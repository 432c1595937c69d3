"""End-To-End Memory Networks (Sukhbaatar et al. 2015): bAbI (per task or joint) and the Penn
Treebank language model. Controls beyond the loop's: `linear` (1 = linear start, no softmax in
the hops) and `cost_divisor` (1 for the paper's summed cost, the batch size for a mean)."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import optax

from dmn_jax import losses
from dmn_jax.data import babi, babi_memory, ptb
from dmn_jax.families.base import Family, register
from dmn_jax.models import memn2n


# ---------------------------------------------------------------------------------------------
# End-To-End Memory Network (Sukhbaatar et al. 2015).

def _memn2n_load(cfg):
  return babi_memory.load_tasks(
      cfg.data_dir, tuple(cfg.tasks), cfg.babi_set, cfg.dev_fraction, cfg.dev_seed,
      cfg.memory_size, cfg.babi_train_fallback or None, cfg.get('dev_split', 'stories'),
      cfg.get('punctuation', True), fit_memory=not cfg.model.get('mask_empty', True))


def _memn2n_terms(params, batch, keys, model_cfg, *, train, controls):
  out = memn2n.apply(params, batch, keys, model_cfg, train=train, linear=controls['linear'])
  w = batch['weight']
  ce = optax.softmax_cross_entropy_with_integer_labels(out['logits'], batch['answer'])  # [B]
  hit = losses.argmax_is(out['logits'], batch['answer'])
  terms = {'answer_loss_sum': jnp.sum(w * ce), 'correct': jnp.sum(w * hit), 'count': jnp.sum(w)}
  if 'supports' in batch:
    # Diagnostic: does the last hop's strongest attention fall on a supporting fact?
    top = jnp.argmax(out['attention'][:, -1], -1)                                     # [B]
    on_support = jnp.any((batch['supports'] == top[:, None]) & batch['support_mask'], -1)
    has_support = jnp.any(batch['support_mask'], -1)
    terms.update(support_correct=jnp.sum(w * on_support),
                 support_count=jnp.sum(w * has_support))
  return terms


def _cost_divisor(cfg) -> np.float32:
  """1 for the paper's summed cost (train.cost='sum'), the batch size for a mean."""
  return np.float32(1.0 if cfg.train.cost == 'sum' else cfg.train.batch_size)


def _memn2n_objective(terms, controls):
  """The paper's cost: answer cross-entropy SUMMED over the batch (train.cost='sum')."""
  return controls['loss_weights'][1] * terms['answer_loss_sum'] / controls['cost_divisor']


def _memn2n_init_seed_meta(cfg):
  return {'linear': bool(cfg.train.linear_start), 'ls_end_epoch': 0, 'ls_last_dev_loss': 1e30}


def _memn2n_controls(cfg, epoch, seed_meta):
  """lr = train.ls_learning_rate while in linear start; then train.learning_rate, halved every
  train.lr_decay_every epochs counted from the end of linear start. train.lr_decay_offset = 1
  halves one epoch earlier, as the authors' code (at the start of every 25th epoch of the phase,
  so 24 epochs run at the first rate)."""
  t = cfg.train
  linear = bool(seed_meta.get('linear', False))
  if linear:
    scale = t.ls_learning_rate / t.learning_rate
  else:
    done = epoch - seed_meta.get('ls_end_epoch', 0) + t.get('lr_decay_offset', 0)
    scale = 0.5 ** (done // t.lr_decay_every)
  return {'loss_weights': np.array([0.0, 1.0], np.float32), 'lr_scale': np.float32(scale),
          'linear': np.float32(linear),
          'cost_divisor': _cost_divisor(cfg)}


def _memn2n_after_epoch(cfg, sm, dev_m, epoch):
  """Linear start ends (softmaxes back in) after train.ls_epochs epochs (the authors' released
  code: 20 per task, 30 joint) or, with ls_epochs = 0, once the dev loss stops falling (the
  paper's wording). `epoch`: the number of epochs done."""
  if not sm.get('linear'):
    return ''
  fixed = cfg.train.ls_epochs
  if fixed > 0:
    if epoch >= fixed:
      sm.update(linear=False, ls_end_epoch=epoch)
      return 'linear start ended'
    return ''
  if dev_m['answer_loss'] >= sm['ls_last_dev_loss']:
    sm.update(linear=False, ls_end_epoch=epoch)
    return 'linear start ended'
  sm['ls_last_dev_loss'] = dev_m['answer_loss']
  return ''


def _selects_best(cfg, epoch, record):
  """Dev figures of a linear-start epoch never choose the best params: those params would be
  evaluated with the softmax back on."""
  del cfg, epoch
  return not record.get('linear', False)


def _memory_net_checks(cfg):
  """Checks shared by the MemN2N families (bAbI and language model)."""
  t, m = cfg.train, cfg.model
  exact = 'the authors\' fixed-size memory'
  return [
      (m.get('pe_form', 'sentence') in ('sentence', 'authors'),
       f"model.pe_form must be 'sentence' or 'authors', got {m.get('pe_form')!r}"),
      (m.get('time_encoding', 'table') in ('table', 'word'),
       f"model.time_encoding must be 'table' or 'word', got {m.get('time_encoding')!r}"),
      (m.get('time_encoding', 'table') == 'table' or (m.tying == 'adjacent' and m.temporal),
       "model.time_encoding='word' needs adjacent tying and model.temporal=True"),
      (m.get('mask_empty', True) or t.length_buckets == 1,
       f'model.mask_empty=False ({exact}) needs train.length_buckets=1'),
      (t.get('sampling', 'shuffle') in ('shuffle', 'with_replacement'),
       f"train.sampling must be 'shuffle' or 'with_replacement', got {t.get('sampling')!r}"),
      (t.get('sampling', 'shuffle') == 'shuffle' or t.length_buckets == 1,
       "train.sampling='with_replacement' needs train.length_buckets=1"),
      (t.get('clip', 'global') in ('global', 'per_matrix'),
       f"train.clip must be 'global' or 'per_matrix', got {t.get('clip')!r}"),
      (m.hops >= 1, f'model.hops must be >= 1, got {m.hops}'),
      (m.tying in ('adjacent', 'layerwise'),
       f"model.tying must be 'adjacent' or 'layerwise', got {m.tying!r}"),
      (m.encoding in ('bow', 'pe'), f"model.encoding must be 'bow' or 'pe', got {m.encoding!r}"),
      (m.nonlinearity in ('none', 'relu', 'relu_half'),
       f"model.nonlinearity must be 'none', 'relu' or 'relu_half', got {m.nonlinearity!r}"),
      (0 <= m.random_noise < 1, f'model.random_noise must be in [0, 1), got {m.random_noise}'),
      (cfg.memory_size >= 1, f'memory_size must be >= 1, got {cfg.memory_size}'),
      (t.cost in ('sum', 'mean'), f"train.cost must be 'sum' or 'mean', got {t.cost!r}"),
  ]


def _memn2n_checks(cfg):
  tasks = tuple(cfg.tasks)
  return [
      (len(tasks) >= 1 and all(1 <= x <= 20 for x in tasks), f'tasks must be in 1..20: {tasks}'),
      (cfg.model.query == 'question',
       "bAbI needs model.query='question'"),
      (cfg.train.lr_decay_every >= 1,
       f'train.lr_decay_every must be >= 1, got {cfg.train.lr_decay_every}'),
  ] + _memory_net_checks(cfg)


def _memn2n_describe(cfg, data, spec):
  tasks = tuple(cfg.tasks)
  name = (f'task {tasks[0]} ({babi.TASK_NAMES[tasks[0]]})' if len(tasks) == 1
          else f'{len(tasks)} tasks jointly')
  return (f'MemN2N, bAbI {cfg.babi_set} {name}: {len(data["train"]["answer"])} train / '
          f'{len(data["dev"]["answer"])} dev / {len(data["test"]["answer"])} test; vocab '
          f'{spec.vocab_size}, memory {spec.memory_size} x {spec.sentence_len} words')


def _memn2n_test_subsets(arrays):
  """Joint training: each task's test questions, reported apiece."""
  return {str(t): arrays['task'] == t for t in sorted(set(arrays['task'].tolist()))}


def _memn2n_seed_fields(test_m, record):
  out = {'test_support_accuracy': test_m.get('support_accuracy', float('nan'))}
  if 'ls_end_epoch' in record:
    out['ls_end_epoch'] = record['ls_end_epoch']
  return out


def _describe_model(m):
  return f'd {m.embed_dim}, {m.hops} hops, {m.tying} tying, {m.encoding}'


def _log_fields(m):
  return f"loss {m['loss']:.3f}"


MEMN2N = register(Family(
    name='memn2n', load=_memn2n_load, init=memn2n.init, terms=_memn2n_terms,
    objective=_memn2n_objective, controls=_memn2n_controls, checks=_memn2n_checks,
    describe=_memn2n_describe, after_epoch=_memn2n_after_epoch,
    init_record=_memn2n_init_seed_meta, log_fields=_log_fields, selects_best=_selects_best,
    describe_model=_describe_model,
    summary_fields=lambda cfg: {'tasks': list(cfg.tasks), 'babi_set': cfg.babi_set},
    seed_fields=_memn2n_seed_fields, test_subsets=_memn2n_test_subsets))

# ---------------------------------------------------------------------------------------------
# MemN2N language model on Penn Treebank (Sukhbaatar et al. 2015, §5).

@dataclasses.dataclass(frozen=True)
class LMSpec:
  vocab: list
  memory_size: int

  embed_init = None

  @property
  def vocab_size(self) -> int:
    return len(self.vocab)

  @property
  def answer_vocab_size(self) -> int:   # the next word: the input vocabulary
    return len(self.vocab)


def _lm_load(cfg):
  data, vocab = ptb.load(cfg.data_dir, cfg.memory_size)
  return data, LMSpec(vocab=vocab, memory_size=cfg.memory_size)


def _lm_init_seed_meta(cfg):
  return {'lr': float(cfg.train.learning_rate), 'best_dev_cost': 1e30, 'prev_dev_cost': 1e30}


def _lm_controls(cfg, epoch, seed_meta):
  """lr = the seed's current lr (divided by 1.5 after every epoch whose dev cost did not fall)."""
  del epoch
  lr = seed_meta.get('lr', cfg.train.learning_rate)
  return {'loss_weights': np.array([0.0, 1.0], np.float32),
          'lr_scale': np.float32(lr / cfg.train.learning_rate), 'linear': np.float32(0.0),
          'cost_divisor': _cost_divisor(cfg)}


def _lm_after_epoch(cfg, sm, dev_m, epoch):
  """The paper's annealing: lr / 1.5 when the validation cost did not fall; stop below
  train.min_learning_rate (1e-5). train.anneal_against: 'best' (the cost must beat the best so
  far) | 'previous' (the authors' code: lr / 1.5 when the cost exceeds 0.9999 × the previous
  epoch's; not after the first epoch)."""
  cost = dev_m['answer_loss']
  if cfg.train.get('anneal_against', 'best') == 'previous':
    prev = sm.get('prev_dev_cost', 1e30)
    sm['prev_dev_cost'] = cost
    sm['best_dev_cost'] = min(sm['best_dev_cost'], cost)
    if epoch <= 1 or cost <= 0.9999 * prev:
      return ''
  elif cost < sm['best_dev_cost']:
    sm['best_dev_cost'] = cost
    return ''
  sm['lr'] /= 1.5
  if sm['lr'] < cfg.train.min_learning_rate:
    sm['stopped'] = True
    return f"lr {sm['lr']:.2g} < {cfg.train.min_learning_rate:g}: stopped"
  return f"dev cost did not fall: lr -> {sm['lr']:.3g}"


def _lm_checks(cfg):
  return [(cfg.model.query == 'constant',
           "the language model needs model.query='constant'"),
          (cfg.train.length_buckets == 1,
           'train.length_buckets: language-model memories are always full (use 1)'),
          ] + _memory_net_checks(cfg)


def _lm_describe(cfg, data, spec):
  return (f"MemN2N language model, Penn Treebank: {len(data['train']['answer']):,} train / "
          f"{len(data['dev']['answer']):,} valid / {len(data['test']['answer']):,} test words; "
          f'vocab {spec.vocab_size - 1}, memory {spec.memory_size} words')


MEMN2N_LM = register(Family(
    name='memn2n_lm', load=_lm_load, init=memn2n.init, terms=_memn2n_terms,
    objective=_memn2n_objective, controls=_lm_controls, checks=_lm_checks,
    describe=_lm_describe, after_epoch=_lm_after_epoch, init_record=_lm_init_seed_meta,
    log_fields=_log_fields, describe_model=_describe_model))
