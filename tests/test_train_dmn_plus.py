"""The DMN+ family in the shared training loop: it learns, one compile per config, the paper's
model selection (lowest dev loss), gate supervision as a switch."""

import json

import jax
import ml_collections
import numpy as np
import pytest

from dmn_jax import families, seeds as seeds_lib, train
from dmn_jax.data import batching
from dmn_jax.optim import make_optimizer
from experiments.configs import babi_dmnplus
from tests.conftest import tiny_task_config


@pytest.fixture
def plus_cfg(tmp_path):
  cfg = tiny_task_config(babi_dmnplus, tmp_path)
  cfg.compilation_cache = False
  cfg.tensorboard = False
  return cfg


def _setup(cfg):
  cfg = ml_collections.FrozenConfigDict(cfg)
  family = families.of(cfg)
  data, spec = family.load(cfg)
  tx = make_optimizer(cfg.train)
  return cfg, family, data, spec, tx, train.init_state(cfg, spec, tx)


def test_steps_lower_loss_and_supervision_switch_does_not_recompile(plus_cfg):
  plus_cfg.train.learning_rate = 1e-2
  plus_cfg.model.dropout = 0.0
  cfg, family, data, spec, tx, state = _setup(plus_cfg)
  traces = []
  inner = train.make_train_step(cfg.model, tx, family)

  def counted(state, batch, ctl):
    traces.append(1)                       # runs only while tracing
    return inner(state, batch, ctl)

  step = jax.jit(counted)
  batch = next(batching.batches(data['train'], 16))
  ctl = family.controls(cfg, 0, {})
  np.testing.assert_array_equal(ctl['loss_weights'], [0, 1])      # answers only: α = 0
  losses = []
  for _ in range(30):
    state, terms = step(state, batch, ctl)
    losses.append(float(terms['answer_loss_sum']))
  assert losses[-1] < 0.5 * losses[0]
  ctl = dict(ctl, loss_weights=np.array([1, 1], np.float32))      # gate supervision on
  state, terms = step(state, batch, ctl)
  assert len(traces) == 1
  assert float(terms['gate_count']) > 0


def test_gate_supervision_switch_sets_alpha(plus_cfg):
  plus_cfg.train.gate_supervision = True
  cfg = ml_collections.FrozenConfigDict(plus_cfg)
  np.testing.assert_array_equal(families.of(cfg).controls(cfg, 0, {})['loss_weights'], [1, 1])


def test_train_and_evaluate_learns_and_keeps_lowest_dev_loss(plus_cfg, tmp_path):
  plus_cfg.train.num_epochs = 12
  plus_cfg.train.patience = 12
  plus_cfg.train.learning_rate = 1e-2
  plus_cfg.model.embed_dim = plus_cfg.model.hidden = 24
  plus_cfg.num_seeds = 2
  s = train.train_and_evaluate(plus_cfg, str(tmp_path / 'w'), log=lambda _: None)
  assert s['test_accuracy'] > 0.6, s['test_accuracy']
  with open(tmp_path / 'w' / 'metrics.jsonl') as f:
    lines = [json.loads(l) for l in f]
  for seed in s['seeds']:
    dev_losses = [l['dev_answer_loss'] for l in lines if l['seed'] == seed['seed']]
    assert len(dev_losses) == 12
    assert seed['best_epoch'] == int(np.argmin(dev_losses)) + 1      # lowest dev loss kept
  chosen = min(s['seeds'], key=lambda x: x['dev_answer_loss'])
  assert s['seed'] == chosen['seed']


def test_early_stopping_by_loss():
  sm = seeds_lib.fresh_record()
  devs = [(0.5, 1.0), (0.9, 0.8), (1.0, 0.9), (1.0, 0.85)]      # (accuracy, loss)
  improved = [seeds_lib.early_stopping_update(sm, {'accuracy': a, 'answer_loss': l}, e + 1, 2,
                                              'loss') for e, (a, l) in enumerate(devs)]
  assert improved == [True, True, False, False]
  assert sm['best_epoch'] == 2 and sm['stopped']
  sm = seeds_lib.fresh_record()
  improved = [seeds_lib.early_stopping_update(sm, {'accuracy': a, 'answer_loss': l}, e + 1, 2)
              for e, (a, l) in enumerate(devs)]
  assert improved == [True, True, True, True] and sm['best_epoch'] == 4
