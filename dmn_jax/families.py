"""Model families: what `dmn_jax.train` needs to know about a model, and nothing else.

A family bundles the data loader, params init, the loss/metric sums of a batch, the objective,
the per-epoch controls (traced values of the compiled step: loss weights, learning-rate scale,
linear start) and its config checks. The training loop — seeds in one program, early stopping,
checkpoints, summaries — is shared (`dmn_jax.train`); `cfg.model_family` picks the family.

Controls are one dict per seed of float32 arrays: `loss_weights` [2] (α gates, β answers),
`lr_scale` [] (multiplies the optimizer's update), `linear` [] (MemN2N linear start: 1 = no
softmax in the memory hops). They enter the compiled step as arguments, so schedules never
recompile.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dmn_jax import losses
from dmn_jax.data import babi, babi_memory, pos, ptb, sst
from dmn_jax.models import dmn, memn2n


@dataclasses.dataclass(frozen=True)
class Family:
  name: str
  load: Callable[[Any], tuple[dict, Any]]                   # cfg -> (splits, spec)
  init: Callable[[jax.Array, Any, Any], Any]                # (key, model cfg, spec) -> params
  terms: Callable[..., dict]                                # (params, batch, keys, model cfg,
                                                            #  train=, controls=) -> sums
  objective: Callable[[dict, dict], jax.Array]              # (sums, controls) -> loss
  controls: Callable[[Any, int, dict], dict]                # (cfg, epoch, seed meta) -> controls
  checks: Callable[[Any], list]                             # cfg -> [(ok, message)]
  describe: Callable[[Any, dict, Any], str]                 # (cfg, splits, spec) -> one line
  after_epoch: Callable[[Any, dict, dict, int], str] = lambda cfg, sm, dev_m, epoch: ''
  init_seed_meta: Callable[[Any], dict] = lambda cfg: {}
  # (cfg, train arrays, epoch) -> the training rows of that epoch (None: all), the same for
  # every seed (SST: every sentence plus a fresh sample of the phrases).
  train_rows: Callable[[Any, dict, int], Any] = lambda cfg, arrays, epoch: None


# ---------------------------------------------------------------------------------------------
# DMN (Kumar et al. 2016).

def _dmn_load(cfg):
  return babi.load_task(cfg.data_dir, cfg.task, cfg.babi_set, cfg.dev_fraction, cfg.dev_seed,
                        cfg.get('max_facts'))


def _dmn_terms(params, batch, keys, model_cfg, *, train, controls):
  del controls
  out = dmn.apply(params, batch, keys, model_cfg, train=train)
  return losses.dmn_terms(out, batch, model_cfg.get('end_pass', False))


def _dmn_controls(cfg, epoch, seed_meta):
  """α = train.gate_weight (0 without gate supervision); β = 0 before
  train.answer_start_epoch, then train.answer_weight."""
  del seed_meta
  alpha = cfg.train.gate_weight if cfg.train.gate_supervision else 0.0
  beta = cfg.train.answer_weight if epoch >= cfg.train.answer_start_epoch else 0.0
  return {'loss_weights': np.array([alpha, beta], np.float32),
          'lr_scale': np.float32(1.0), 'linear': np.float32(0.0)}


def _dmn_checks(cfg):
  t, m = cfg.train, cfg.model
  return [
      (1 <= cfg.task <= 20, f'task must be 1..20, got {cfg.task}'),
      (m.passes >= 0, f'model.passes must be >= 0, got {m.passes}'),
      (not (m.get('end_pass', False) and not t.gate_supervision),
       'model.end_pass needs gate supervision (the end fact is a supervised gate target)'),
      (m.attention in ('gru', 'softmax'),
       f"model.attention must be 'gru' or 'softmax', got {m.attention!r}"),
      (m.gate_norm in ('sigmoid', 'softmax'),
       f"model.gate_norm must be 'sigmoid' or 'softmax', got {m.gate_norm!r}"),
      (m.get('fact_fusion', 'none') in ('none', 'bigru'),
       f"model.fact_fusion must be 'none' or 'bigru', got {m.get('fact_fusion')!r}"),
      (m.fact_mode in ('sentence', 'word'),
       f"model.fact_mode must be 'sentence' or 'word', got {m.fact_mode!r}"),
      (0 <= m.dropout < 1, f'model.dropout must be in [0, 1), got {m.dropout}'),
      (not (m.fact_mode == 'word' and t.gate_supervision),
       "gate supervision needs sentence facts: set train.gate_supervision=False with "
       "model.fact_mode='word'"),
  ]


def _dmn_describe(cfg, data, spec):
  return (f'bAbI {cfg.babi_set} task {cfg.task} ({babi.TASK_NAMES[cfg.task]}): '
          f"{len(data['train']['story'])} train / {len(data['dev']['story'])} dev / "
          f"{len(data['test']['story'])} test; vocab {spec.vocab_size}, story <= "
          f'{spec.max_story_tokens} tokens / {spec.max_facts} facts, answer steps '
          f'{spec.answer_len}')


DMN = Family(name='dmn', load=_dmn_load, init=dmn.init, terms=_dmn_terms,
             objective=lambda terms, c: losses.objective(terms, c['loss_weights']),
             controls=_dmn_controls, checks=_dmn_checks, describe=_dmn_describe)


# ---------------------------------------------------------------------------------------------
# The DMN on single sentences (Kumar et al. 2016, §4.2-4.3): sentiment (SST) and POS tagging.
# The same model: facts at every word, a fixed question token, answers over the classes / tags.

def _text_controls(cfg, epoch, seed_meta):
  """No gate supervision (α = 0), answers from the first epoch (β = 1)."""
  del epoch, seed_meta
  return {'loss_weights': np.array([0.0, 1.0], np.float32), 'lr_scale': np.float32(1.0),
          'linear': np.float32(0.0)}


def _text_checks(cfg):
  t, m = cfg.train, cfg.model
  return [
      (m.fact_mode == 'word', "single-sentence tasks need model.fact_mode='word'"),
      (not t.gate_supervision, 'single-sentence tasks have no gate supervision'),
      (m.passes >= 0, f'model.passes must be >= 0, got {m.passes}'),
      (not m.get('end_pass', False), 'model.end_pass needs supervised gates (bAbI only)'),
      (0 <= m.dropout < 1, f'model.dropout must be in [0, 1), got {m.dropout}'),
      (m.attention in ('gru', 'softmax'),
       f"model.attention must be 'gru' or 'softmax', got {m.attention!r}"),
      (not cfg.glove or m.embed_dim == 50 or cfg.glove != 'kumo',
       'glove=kumo gives 50-dimensional vectors: set model.embed_dim=50'),
  ]


def _text_family(name, load, terms, describe, checks, train_rows=None) -> 'Family':
  """A single-sentence DMN family: no gate supervision, answers from the first epoch, the
  shared checks plus the task's own (`checks(cfg)` -> [(ok, message)])."""
  extra = {} if train_rows is None else {'train_rows': train_rows}
  return Family(name=name, load=load, init=dmn.init, terms=terms,
                objective=lambda t, c: losses.objective(t, c['loss_weights']),
                controls=_text_controls, checks=lambda cfg: _text_checks(cfg) + checks(cfg),
                describe=describe, **extra)


def _sst_load(cfg):
  return sst.load(cfg.data_dir, cfg.setting, cfg.glove, cfg.model.embed_dim, cfg.seed,
                  cfg.get('glove_vocab', False))


def _sst_rows(cfg, arrays, epoch):
  if cfg.train.phrase_fraction >= 1:
    return None
  return sst.phrase_subsample(arrays['is_root'], cfg.train.phrase_fraction, cfg.seed, epoch)


def _sst_describe(cfg, data, spec):
  tr = data['train']
  return (f"SST {cfg.setting} ({spec.answer_vocab_size} classes): {int(tr['is_root'].sum())} "
          f"train sentences + {int((~tr['is_root']).sum())} phrases (a {cfg.train.phrase_fraction:g}"
          f" sample each epoch) / {len(data['dev']['story'])} dev / {len(data['test']['story'])} "
          f"test sentences; vocab {spec.vocab_size}, <= {spec.max_story_tokens} words"
          f"{'; GloVe ' + cfg.glove if cfg.glove else ''}")


DMN_SST = _text_family(
    'dmn_sst', _sst_load, _dmn_terms, _sst_describe, train_rows=_sst_rows,
    checks=lambda cfg: [
        (cfg.setting in ('fine', 'binary'),
         f"setting must be 'fine' or 'binary', got {cfg.setting!r}"),
        (cfg.model.get('head', 'answer') == 'answer', "SST needs model.head='answer'"),
        (0 < cfg.train.phrase_fraction <= 1, 'train.phrase_fraction must be in (0, 1]')])


def _pos_load(cfg):
  return pos.load(cfg.data_dir, cfg.corpus, cfg.glove, cfg.model.embed_dim, cfg.seed,
                  cfg.get('max_len') or None, cfg.get('glove_vocab', False))


def _pos_terms(params, batch, keys, model_cfg, *, train, controls):
  del controls
  out = dmn.apply(params, batch, keys, model_cfg, train=train)
  return losses.tagging_terms(out, batch)


def _pos_describe(cfg, data, spec):
  words = {k: int(v['tag_mask'].sum()) for k, v in data.items()}
  return (f"POS tagging, {cfg.corpus}: {words['train']:,} / {words['dev']:,} / {words['test']:,} "
          f"train / dev / test words, {spec.answer_vocab_size} tags; vocab {spec.vocab_size}, "
          f"<= {spec.max_story_tokens} words a sentence{'; GloVe ' + cfg.glove if cfg.glove else ''}")


DMN_POS = _text_family(
    'dmn_pos', _pos_load, _pos_terms, _pos_describe,
    checks=lambda cfg: [
        (cfg.model.get('head') == 'tagging', "POS tagging needs model.head='tagging'"),
        (cfg.model.attention == 'gru' or cfg.model.passes == 0,
         "the tagging head reads the attention GRU's states: model.attention='gru'"),
        (cfg.corpus in pos.CORPORA, f'corpus must be one of {pos.CORPORA}')])


# ---------------------------------------------------------------------------------------------
# End-To-End Memory Network (Sukhbaatar et al. 2015).

def _memn2n_load(cfg):
  return babi_memory.load_tasks(cfg.data_dir, tuple(cfg.tasks), cfg.babi_set, cfg.dev_fraction,
                                cfg.dev_seed, cfg.memory_size,
                                cfg.get('babi_train_fallback') or None)


def _memn2n_terms(params, batch, keys, model_cfg, *, train, controls):
  out = memn2n.apply(params, batch, keys, model_cfg, train=train, linear=controls['linear'])
  w = batch['weight']
  ce = optax.softmax_cross_entropy_with_integer_labels(out['logits'], batch['answer'])  # [B]
  hit = jnp.argmax(out['logits'], -1) == batch['answer']
  zero = jnp.zeros(())
  terms = {'answer_loss_sum': jnp.sum(w * ce), 'correct': jnp.sum(w * hit),
           'count': jnp.sum(w), 'gate_loss_sum': zero, 'gate_correct': zero, 'gate_count': zero}
  if 'supports' in batch:
    # Diagnostic: does the last hop's strongest attention fall on a supporting fact?
    top = jnp.argmax(out['attention'][:, -1], -1)                                     # [B]
    on_support = jnp.any((batch['supports'] == top[:, None]) & batch['support_mask'], -1)
    has_support = jnp.any(batch['support_mask'], -1)
    terms.update(gate_correct=jnp.sum(w * on_support), gate_count=jnp.sum(w * has_support))
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
  train.lr_decay_every epochs counted from the end of linear start."""
  t = cfg.train
  linear = bool(seed_meta.get('linear', False))
  if linear:
    scale = t.ls_learning_rate / t.learning_rate
  else:
    scale = 0.5 ** ((epoch - seed_meta.get('ls_end_epoch', 0)) // t.lr_decay_every)
  return {'loss_weights': np.array([0.0, 1.0], np.float32), 'lr_scale': np.float32(scale),
          'linear': np.float32(linear),
          'cost_divisor': _cost_divisor(cfg)}


def _memn2n_after_epoch(cfg, sm, dev_m, epoch):
  """Linear start ends (softmaxes back in) after train.ls_epochs epochs (the authors' released
  code: 20 per task, 30 joint) or, with ls_epochs = 0, once the dev loss stops falling (the
  paper's wording). `epoch`: the number of epochs done."""
  if not sm.get('linear'):
    return ''
  fixed = cfg.train.get('ls_epochs', 0)
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


def _memory_net_checks(cfg):
  """Checks shared by the MemN2N families (bAbI and language model)."""
  t, m = cfg.train, cfg.model
  return [
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
      (cfg.model.get('query', 'question') == 'question',
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


MEMN2N = Family(name='memn2n', load=_memn2n_load, init=memn2n.init, terms=_memn2n_terms,
                objective=_memn2n_objective, controls=_memn2n_controls, checks=_memn2n_checks,
                describe=_memn2n_describe, after_epoch=_memn2n_after_epoch,
                init_seed_meta=_memn2n_init_seed_meta)

# ---------------------------------------------------------------------------------------------
# MemN2N language model on Penn Treebank (Sukhbaatar et al. 2015, §5).

@dataclasses.dataclass(frozen=True)
class LMSpec:
  vocab: list
  memory_size: int

  @property
  def vocab_size(self) -> int:
    return len(self.vocab)


def _lm_load(cfg):
  data, vocab = ptb.load(cfg.data_dir, cfg.memory_size)
  return data, LMSpec(vocab=vocab, memory_size=cfg.memory_size)


def _lm_init_seed_meta(cfg):
  return {'lr': float(cfg.train.learning_rate), 'best_dev_cost': 1e30}


def _lm_controls(cfg, epoch, seed_meta):
  """lr = the seed's current lr (divided by 1.5 after every epoch whose dev cost did not fall)."""
  del epoch
  lr = seed_meta.get('lr', cfg.train.learning_rate)
  return {'loss_weights': np.array([0.0, 1.0], np.float32),
          'lr_scale': np.float32(lr / cfg.train.learning_rate), 'linear': np.float32(0.0),
          'cost_divisor': _cost_divisor(cfg)}


def _lm_after_epoch(cfg, sm, dev_m, epoch):
  """The paper's annealing: lr / 1.5 when the validation cost did not fall; stop below
  train.min_learning_rate (1e-5)."""
  del epoch
  if dev_m['answer_loss'] < sm['best_dev_cost']:
    sm['best_dev_cost'] = dev_m['answer_loss']
    return ''
  sm['lr'] /= 1.5
  if sm['lr'] < cfg.train.min_learning_rate:
    sm['stopped'] = True
    return f"lr {sm['lr']:.2g} < {cfg.train.min_learning_rate:g}: stopped"
  return f"dev cost did not fall: lr -> {sm['lr']:.3g}"


def _lm_checks(cfg):
  return [(cfg.model.get('query') == 'constant',
           "the language model needs model.query='constant'"),
          (cfg.train.get('length_buckets', 1) == 1,
           'train.length_buckets: language-model memories are always full (use 1)'),
          ] + _memory_net_checks(cfg)


def _lm_describe(cfg, data, spec):
  return (f"MemN2N language model, Penn Treebank: {len(data['train']['answer']):,} train / "
          f"{len(data['dev']['answer']):,} valid / {len(data['test']['answer']):,} test words; "
          f'vocab {spec.vocab_size - 1}, memory {spec.memory_size} words')


MEMN2N_LM = Family(name='memn2n_lm', load=_lm_load, init=memn2n.init, terms=_memn2n_terms,
                   objective=_memn2n_objective, controls=_lm_controls, checks=_lm_checks,
                   describe=_lm_describe, after_epoch=_lm_after_epoch,
                   init_seed_meta=_lm_init_seed_meta)

FAMILIES = {'dmn': DMN, 'dmn_sst': DMN_SST, 'dmn_pos': DMN_POS, 'memn2n': MEMN2N,
            'memn2n_lm': MEMN2N_LM}


def of(cfg) -> Family:
  name = cfg.get('model_family', 'dmn')
  if name not in FAMILIES:
    raise ValueError(f'model_family must be one of {sorted(FAMILIES)}, got {name!r}')
  return FAMILIES[name]
