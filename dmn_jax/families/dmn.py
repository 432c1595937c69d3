"""The Dynamic Memory Network on bAbI (Kumar et al. 2016): J = α·CE(gates) + β·CE(answers)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from dmn_jax import losses
from dmn_jax.data import babi, text
from dmn_jax.families.base import Family, register
from dmn_jax.models import dmn


def load(cfg):
  """The task's arrays; with `glove` set (the paper's "word vectors are pre-trained using
  GloVe"), the vocabulary's GloVe vectors as the embedding's initial value."""
  data, spec = babi.load_task(cfg.data_dir, cfg.task, cfg.babi_set, cfg.dev_fraction,
                              cfg.dev_seed, cfg.max_facts)
  if cfg.get('glove'):
    spec = dataclasses.replace(spec, embed_init=text.embed_table(
        spec.vocab, cfg.glove, cfg.model.embed_dim, cfg.seed))
  return data, spec


def terms(params, batch, keys, model_cfg, *, train, controls):
  """The DMN's sums: answer CE and accuracy, gate CE and accuracy, passes used."""
  del controls
  out = dmn.apply(params, batch, keys, model_cfg, train=train)
  return losses.dmn_terms(out, batch, model_cfg.end_pass, model_cfg.get('gate_loss', 'softmax'))


def objective(sums, controls):
  return losses.objective(sums, controls['loss_weights'])


def controls(cfg, epoch, record):
  """α = train.gate_weight (0 without gate supervision); β = 0 before
  train.answer_start_epoch, then train.answer_weight."""
  del record
  alpha = cfg.train.gate_weight if cfg.train.gate_supervision else 0.0
  beta = cfg.train.answer_weight if epoch >= cfg.train.answer_start_epoch else 0.0
  return {'loss_weights': np.array([alpha, beta], np.float32), 'lr_scale': np.float32(1.0)}


def selects_best(cfg, epoch, record=None):
  """Early stopping and best params count only once the answers are trained (β > 0)."""
  del record
  return epoch >= cfg.train.answer_start_epoch and cfg.train.answer_weight > 0


def checks(cfg):
  t, m = cfg.train, cfg.model
  return [
      (1 <= cfg.task <= 20, f'task must be 1..20, got {cfg.task}'),
      (m.passes >= 0, f'model.passes must be >= 0, got {m.passes}'),
      (not (m.end_pass and not t.gate_supervision),
       'model.end_pass needs gate supervision (the end fact is a supervised gate target)'),
      (m.attention in ('gru', 'softmax'),
       f"model.attention must be 'gru' or 'softmax', got {m.attention!r}"),
      (m.gate_norm in ('sigmoid', 'softmax'),
       f"model.gate_norm must be 'sigmoid' or 'softmax', got {m.gate_norm!r}"),
      (m.fact_fusion in ('none', 'bigru'),
       f"model.fact_fusion must be 'none' or 'bigru', got {m.fact_fusion!r}"),
      (m.get('gate_loss', 'softmax') in ('softmax', 'bce'),
       f"model.gate_loss must be 'softmax' or 'bce', got {m.get('gate_loss')!r}"),
      (m.get('gate_loss', 'softmax') == 'softmax' or (
          m.gate_norm == 'sigmoid' and m.attention == 'gru'),
       "model.gate_loss='bce' trains sigmoid gates: it needs model.gate_norm='sigmoid' and "
       "model.attention='gru'"),
      (not cfg.get('glove') or m.embed_dim == 50 or cfg.glove != 'kumo',
       'glove=kumo gives 50-dimensional vectors: set model.embed_dim=50'),
      (m.fact_mode in ('sentence', 'word'),
       f"model.fact_mode must be 'sentence' or 'word', got {m.fact_mode!r}"),
      (0 <= m.dropout < 1, f'model.dropout must be in [0, 1), got {m.dropout}'),
      (not (m.fact_mode == 'word' and t.gate_supervision),
       "gate supervision needs sentence facts: set train.gate_supervision=False with "
       "model.fact_mode='word'"),
      (not (t.story_batches and (m.fact_mode != 'sentence' or m.head != 'answer'
                                 or m.passes == 0)),
       'train.story_batches needs sentence facts, the answer head and passes >= 1 (it shares '
       "a story's input-GRU pass among its questions' facts)"),
  ]


def describe(cfg, data, spec):
  return (f'bAbI {cfg.babi_set} task {cfg.task} ({babi.TASK_NAMES[cfg.task]}): '
          f"{len(data['train']['story'])} train / {len(data['dev']['story'])} dev / "
          f"{len(data['test']['story'])} test; vocab {spec.vocab_size}, story <= "
          f'{spec.max_story_tokens} tokens / {spec.max_facts} facts, answer steps '
          f'{spec.answer_len}')


def describe_model(m):
  return f'hidden {m.hidden}, passes {m.passes}, attention {m.attention}'


def _fmt(x: float) -> str:
  return 'nan' if math.isnan(x) else f'{x:.3f}'


def log_fields(m):
  return (f"loss {m['loss']:.3f} (gate {m['gate_loss']:.3f}, answer {m['answer_loss']:.3f}) | "
          f"gate acc {_fmt(m['gate_accuracy'])}")


DMN = register(Family(
    name='dmn', load=load, init=dmn.init, terms=terms, objective=objective, controls=controls,
    checks=checks, describe=describe, selects_best=selects_best, log_fields=log_fields,
    describe_model=describe_model,
    summary_fields=lambda cfg: {'task': cfg.task, 'babi_set': cfg.babi_set},
    seed_fields=lambda test_m, record: {'test_gate_accuracy': test_m['gate_accuracy']}))
