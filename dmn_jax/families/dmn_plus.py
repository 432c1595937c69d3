"""DMN+ on bAbI (Xiong, Merity & Socher 2016): trained on answers alone (weak supervision), or
with the DMN's gate loss as a switch (train.gate_supervision): J = α·CE(gates) + β·CE(answers).

Data: the sentence-memory layout of the MemN2N (`dmn_jax.data.babi_memory`): the `memory_size`
most recent sentences (the paper: 70, task 3 130), one answer word (lists as one word).
"""

from __future__ import annotations

import jax.numpy as jnp
import optax

from dmn_jax import losses
from dmn_jax.data import babi, babi_memory
from dmn_jax.families import dmn as dmn_family
from dmn_jax.families.base import Family, register
from dmn_jax.models import dmn_plus


def load(cfg):
  return babi_memory.load_tasks(cfg.data_dir, (cfg.task,), cfg.babi_set, cfg.dev_fraction,
                                cfg.dev_seed, cfg.memory_size, cfg.babi_train_fallback or None)


def terms(params, batch, keys, model_cfg, *, train, controls):
  """Answer CE and accuracy; the gate CE and accuracy of pass i against the i-th supporting
  fact (the objective's α term; without gate supervision α = 0 and they are diagnostics)."""
  del controls
  out = dmn_plus.apply(params, batch, keys, model_cfg, train=train)
  w = batch['weight']
  ce = optax.softmax_cross_entropy_with_integer_labels(out['logits'], batch['answer'])   # [B]
  hit = losses.argmax_is(out['logits'], batch['answer'])
  sums = {'answer_loss_sum': jnp.sum(w * ce), 'correct': jnp.sum(w * hit), 'count': jnp.sum(w)}
  sums.update(losses.gate_terms(out['gate_logits'], batch['supports'], batch['support_mask'], w))
  return sums


def checks(cfg):
  m = cfg.model
  return [
      (1 <= cfg.task <= 20, f'task must be 1..20, got {cfg.task}'),
      (m.passes >= 1, f'model.passes must be >= 1, got {m.passes}'),
      (m.fusion in ('bigru', 'none'), f"model.fusion must be 'bigru' or 'none', got {m.fusion!r}"),
      (m.fusion == 'bigru' or m.embed_dim == m.hidden,
       'model.fusion=none needs model.embed_dim == model.hidden'),
      (0 <= m.dropout < 1, f'model.dropout must be in [0, 1), got {m.dropout}'),
      (cfg.memory_size >= 1, f'memory_size must be >= 1, got {cfg.memory_size}'),
  ]


def describe(cfg, data, spec):
  sup = 'gate supervision' if cfg.train.gate_supervision else 'answers only'
  return (f'DMN+, bAbI {cfg.babi_set} task {cfg.task} ({babi.TASK_NAMES[cfg.task]}), {sup}: '
          f"{len(data['train']['answer'])} train / {len(data['dev']['answer'])} dev / "
          f"{len(data['test']['answer'])} test; vocab {spec.vocab_size}, memory "
          f'{spec.memory_size} x {spec.sentence_len} words')


def describe_model(m):
  return f'hidden {m.hidden}, passes {m.passes}, fusion {m.fusion}'


DMN_PLUS = register(Family(
    name='dmn_plus', load=load, init=dmn_plus.init, terms=terms,
    objective=dmn_family.objective, controls=dmn_family.controls, checks=checks,
    describe=describe, selects_best=dmn_family.selects_best, log_fields=dmn_family.log_fields,
    describe_model=describe_model,
    summary_fields=lambda cfg: {'task': cfg.task, 'babi_set': cfg.babi_set},
    seed_fields=lambda test_m, record: {'test_gate_accuracy': test_m['gate_accuracy']}))
