"""Training and evaluation of the DMN on one bAbI task: `train_and_evaluate(cfg, workdir)`.

The workdir holds
  config.json     the resolved config (a rerun with a different config is refused)
  metrics.jsonl   one JSON line per epoch (losses, accuracies, ex/s, loss weights)
  ckpt/latest/    newest epoch (params, optimizer state, step, rng + JSON meta) to resume from
  ckpt/best/      params of the best epoch by dev accuracy (ties: lower dev loss)
  summary.json    test/dev accuracy, examples/s, compile and train seconds (written at the end)

Rerunning the same command on a workdir resumes after its latest checkpoint; the randomness is
a function of (seed, step) and the shuffle of (seed, epoch), so a resumed run replays exactly
what the uninterrupted run would have done.

Loss schedule: J = α·CE(gates) + β·CE(answers) with α = train.gate_weight (0 when
train.gate_supervision is off) and β = 0 for the first train.answer_start_epoch epochs, then
train.answer_weight. The weights enter the compiled step as a float32[2] argument, so switching
them does not recompile.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from dmn_jax import checkpoint, losses, metrics
from dmn_jax.data import babi, batching
from dmn_jax.errors import ConfigError
from dmn_jax.models import dmn
from dmn_jax.optim import make_optimizer

State = dict[str, Any]
# Config fields that may differ when a run is resumed (they do not change what is computed).
RESUMABLE_CHANGES = ('data_dir',)


def loss_weights(cfg, epoch: int) -> np.ndarray:
  """[α, β] for `epoch` (0-based), as float32 (a traced value, never a static one)."""
  alpha = cfg.train.gate_weight if cfg.train.gate_supervision else 0.0
  beta = cfg.train.answer_weight if epoch >= cfg.train.answer_start_epoch else 0.0
  return np.array([alpha, beta], np.float32)


def make_train_step(model_cfg, tx: optax.GradientTransformation
                    ) -> Callable[[State, dict, jax.Array], tuple[State, dict]]:
  """step(state, batch, loss_weights) -> (state, metric sums). Pure; jit it at the call site."""

  def step(state, batch, weights):
    key = jax.random.fold_in(state['rng'], state['step'])
    keys = jax.random.split(key, batch['weight'].shape[0])         # one dropout key per example

    def loss_fn(params):
      out = dmn.apply(params, batch, keys, model_cfg, train=True)
      terms = losses.dmn_terms(out, batch)
      return losses.objective(terms, weights), terms

    (loss, terms), grads = jax.value_and_grad(loss_fn, has_aux=True)(state['params'])
    updates, opt_state = tx.update(grads, state['opt_state'], state['params'])
    new_state = {'params': optax.apply_updates(state['params'], updates),
                 'opt_state': opt_state, 'step': state['step'] + 1, 'rng': state['rng']}
    terms['nonfinite'] = jnp.logical_not(jnp.isfinite(loss)).astype(jnp.float32)
    return new_state, terms

  return step


def make_eval_step(model_cfg) -> Callable[[Any, dict], dict]:
  """step(params, batch) -> metric sums, decoding answers greedily (no teacher forcing)."""

  def step(params, batch):
    return losses.dmn_terms(dmn.apply(params, batch, None, model_cfg, train=False), batch)

  return step


def init_state(cfg, spec, tx) -> State:
  k_init, k_rng = jax.random.split(jax.random.PRNGKey(cfg.seed))
  params = dmn.init(k_init, cfg.model, spec)
  return {'params': params, 'opt_state': tx.init(params), 'step': jnp.zeros((), jnp.int32),
          'rng': k_rng}


def evaluate(eval_step, params, arrays: dict[str, np.ndarray], batch_size: int,
             weights=(1.0, 1.0)) -> dict[str, float]:
  """Means over a whole split (padded rows weigh 0)."""
  sums = [eval_step(params, b) for b in batching.batches(arrays, batch_size)]
  return metrics.normalize(metrics.accumulate(sums), weights)


def validate_config(cfg) -> None:
  """Raises ConfigError for values that cannot work (before anything is read or written)."""
  t, m = cfg.train, cfg.model
  checks = [
      (1 <= cfg.task <= 20, f'task must be 1..20, got {cfg.task}'),
      (0 < cfg.dev_fraction < 1, f'dev_fraction must be in (0, 1), got {cfg.dev_fraction}'),
      (t.batch_size >= 1, f'train.batch_size must be >= 1, got {t.batch_size}'),
      (t.num_epochs >= 1, f'train.num_epochs must be >= 1, got {t.num_epochs}'),
      (t.patience >= 1, f'train.patience must be >= 1, got {t.patience}'),
      (t.learning_rate > 0, f'train.learning_rate must be > 0, got {t.learning_rate}'),
      (m.passes >= 1, f'model.passes must be >= 1, got {m.passes}'),
      (m.attention in ('gru', 'softmax'),
       f"model.attention must be 'gru' or 'softmax', got {m.attention!r}"),
      (m.gate_norm in ('sigmoid', 'softmax'),
       f"model.gate_norm must be 'sigmoid' or 'softmax', got {m.gate_norm!r}"),
      (m.fact_mode in ('sentence', 'word'),
       f"model.fact_mode must be 'sentence' or 'word', got {m.fact_mode!r}"),
      (0 <= m.dropout < 1, f'model.dropout must be in [0, 1), got {m.dropout}'),
      (not (m.fact_mode == 'word' and t.gate_supervision),
       "gate supervision needs sentence facts: set train.gate_supervision=False with "
       "model.fact_mode='word'"),
  ]
  for ok, msg in checks:
    if not ok:
      raise ConfigError(msg)


def _flatten(d: dict, prefix: str = '') -> dict[str, Any]:
  out = {}
  for k, v in d.items():
    if isinstance(v, dict):
      out.update(_flatten(v, f'{prefix}{k}.'))
    else:
      out[prefix + k] = v
  return out


def _check_or_write_config(workdir: str, cfg) -> None:
  path = os.path.join(workdir, 'config.json')
  new = json.loads(cfg.to_json_best_effort())
  if os.path.exists(path):
    with open(path) as f:
      old = json.load(f)
    a, b = _flatten(old), _flatten(new)
    diff = sorted(k for k in a.keys() | b.keys()
                  if a.get(k) != b.get(k) and k not in RESUMABLE_CHANGES)
    if diff:
      shown = ', '.join(f'{k}: {a.get(k)!r} -> {b.get(k)!r}' for k in diff[:5])
      raise ConfigError(f'workdir {workdir} holds a run with a different config ({shown}); '
                        'use a new --workdir, or the same config to resume.')
  _write_json(path, new)


def _write_json(path: str, obj: Any) -> None:
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    json.dump(obj, f, indent=1, sort_keys=True)
    f.write('\n')
  os.replace(tmp, path)


def _truncate_metrics(path: str, epochs_done: int) -> None:
  """Drops metric lines of epochs after the checkpoint we resume from (killed mid-epoch)."""
  if not os.path.exists(path):
    return
  with open(path) as f:
    lines = [l for l in f if l.strip() and json.loads(l)['epoch'] <= epochs_done]
  with open(path, 'w') as f:
    f.writelines(lines)


def _fmt(x: float) -> str:
  return 'nan' if math.isnan(x) else f'{x:.3f}'


def train_and_evaluate(cfg: ml_collections.ConfigDict, workdir: str, *,
                       stop_after_epochs: int | None = None,
                       log: Callable[[str], None] = print) -> dict[str, Any]:
  """Trains the DMN on `cfg.task`, evaluates the best-by-dev params on test; returns the summary.

  Args:
    cfg: a config from `experiments/configs/babi.py`.
    workdir: where checkpoints, metrics and the summary go; resumed from if it has a checkpoint.
    stop_after_epochs: return after this many epochs of THIS call (a checkpoint is written), as a
      preempted job would; rerunning continues. None: run to the end.
    log: progress printer.

  Returns:
    the summary dict (also `workdir/summary.json` when the run is complete).
  """
  cfg = ml_collections.FrozenConfigDict(cfg)
  validate_config(cfg)
  data, spec = babi.load_task(cfg.data_dir, cfg.task, cfg.babi_set, cfg.dev_fraction,
                              cfg.dev_seed, cfg.get('max_facts'))
  log(f'bAbI {cfg.babi_set} task {cfg.task} ({babi.TASK_NAMES[cfg.task]}): '
      f"{len(data['train']['story'])} train / {len(data['dev']['story'])} dev / "
      f"{len(data['test']['story'])} test; vocab {spec.vocab_size}, story <= "
      f'{spec.max_story_tokens} tokens / {spec.max_facts} facts, answer steps {spec.answer_len}')

  # Inputs are good: from here on the workdir is written.
  os.makedirs(workdir, exist_ok=True)
  _check_or_write_config(workdir, cfg)
  metrics_path = os.path.join(workdir, 'metrics.jsonl')
  tx = make_optimizer(cfg.train)
  state = init_state(cfg, spec, tx)
  ckpts = checkpoint.RunCheckpoints(workdir)
  meta = {'epoch': 0, 'best_dev_accuracy': -1.0, 'best_dev_loss': 1e30,
          'best_epoch': 0, 'bad_epochs': 0, 'stopped': False, 'train_seconds': 0.0,
          'train_examples': 0}
  restored = ckpts.restore_latest(state)
  if restored is not None:
    state, meta = restored
    log(f"resuming from {workdir} after epoch {meta['epoch']} (step {int(state['step'])})")
  _truncate_metrics(metrics_path, meta['epoch'])
  summary_path = os.path.join(workdir, 'summary.json')
  finished = meta['epoch'] >= cfg.train.num_epochs or meta['stopped']
  if finished and os.path.exists(summary_path):  # nothing to train or evaluate again
    ckpts.close()
    with open(summary_path) as f:
      summary = json.load(f)
    log(f"run already complete: test accuracy {summary['test_accuracy']:.4f} ({summary_path})")
    return summary

  bs = cfg.train.batch_size
  example = next(batching.batches(data['train'], bs))
  t0 = time.perf_counter()
  train_step = jax.jit(make_train_step(cfg.model, tx), donate_argnums=0).lower(
      state, example, loss_weights(cfg, 0)).compile()
  eval_step = jax.jit(make_eval_step(cfg.model)).lower(state['params'], example).compile()
  compile_seconds = time.perf_counter() - t0
  log(f'compiled train + eval steps in {compile_seconds:.1f} s '
      f'({jax.default_backend()}, batch {bs})')

  n_train = batching.num_examples(data['train'])
  epochs_this_call = 0
  while meta['epoch'] < cfg.train.num_epochs and not meta['stopped']:
    if stop_after_epochs is not None and epochs_this_call >= stop_after_epochs:
      break
    epoch = meta['epoch']
    weights = loss_weights(cfg, epoch)
    order = batching.epoch_order(n_train, cfg.seed, epoch)
    t_epoch = time.perf_counter()
    sums = []
    for batch in batching.batches(data['train'], bs, order):
      state, terms = train_step(state, batch, weights)
      sums.append(terms)
    total = metrics.accumulate(sums)                 # waits for the device
    seconds = time.perf_counter() - t_epoch
    if total['nonfinite']:
      raise FloatingPointError(f'non-finite training loss in epoch {epoch + 1}; '
                               f'lower train.learning_rate or set train.clip_norm')
    train_m = metrics.normalize(total, weights)
    dev_m = evaluate(eval_step, state['params'], data['dev'], bs, weights)

    meta['epoch'] = epoch + 1
    meta['train_seconds'] += seconds
    meta['train_examples'] += n_train
    improved = False
    if weights[1] > 0:  # early stopping only counts once answers are trained
      key_new = (dev_m['accuracy'], -dev_m['answer_loss'])
      key_old = (meta['best_dev_accuracy'], -meta['best_dev_loss'])
      improved = key_new > key_old
      if improved:
        meta.update(best_dev_accuracy=dev_m['accuracy'], best_dev_loss=dev_m['answer_loss'],
                    best_epoch=epoch + 1, bad_epochs=0)
        ckpts.save_best(epoch + 1, state['params'], dict(meta))
      else:
        meta['bad_epochs'] += 1
        meta['stopped'] = meta['bad_epochs'] >= cfg.train.patience
    ckpts.save_latest(epoch + 1, state, dict(meta))

    record = {'epoch': epoch + 1, 'step': int(state['step']), 'alpha': float(weights[0]),
              'beta': float(weights[1]), 'examples_per_second': n_train / seconds,
              'epoch_seconds': seconds,
              **{f'train_{k}': v for k, v in train_m.items() if k != 'examples'},
              **{f'dev_{k}': v for k, v in dev_m.items() if k != 'examples'}}
    with open(metrics_path, 'a') as f:
      f.write(json.dumps(record) + '\n')
    log(f"epoch {epoch + 1:3d}/{cfg.train.num_epochs} | α {weights[0]:g} β {weights[1]:g} | "
        f"loss {train_m['loss']:.3f} (gate {train_m['gate_loss']:.3f}, answer "
        f"{train_m['answer_loss']:.3f}) | gate acc {_fmt(train_m['gate_accuracy'])} | "
        f"train acc {train_m['accuracy']:.3f} | dev acc {dev_m['accuracy']:.3f}"
        f"{' *' if improved else '  '} | {n_train / seconds:,.0f} ex/s")
    epochs_this_call += 1

  done = meta['epoch'] >= cfg.train.num_epochs or meta['stopped']
  if not done:
    ckpts.close()
    log(f"stopped after epoch {meta['epoch']}; rerun the same command to continue")
    return {'complete': False, 'epoch': meta['epoch']}

  best = ckpts.restore_best(state['params'])
  ckpts.close()
  params = best[0] if best is not None else state['params']
  test_m = evaluate(eval_step, params, data['test'], bs)
  dev_m = evaluate(eval_step, params, data['dev'], bs)
  summary = {
      'complete': True,
      'task': cfg.task, 'babi_set': cfg.babi_set, 'seed': cfg.seed,
      'test_accuracy': test_m['accuracy'], 'test_gate_accuracy': test_m['gate_accuracy'],
      'dev_accuracy': dev_m['accuracy'], 'best_epoch': meta['best_epoch'],
      'epochs_run': meta['epoch'], 'early_stopped': meta['stopped'],
      'examples_per_second': meta['train_examples'] / max(meta['train_seconds'], 1e-9),
      'compile_seconds': compile_seconds, 'train_seconds': meta['train_seconds'],
      'machine': f'{platform.machine()} {os.cpu_count()} cpus, {jax.default_backend()} '
                 f'({jax.devices()[0].device_kind})',
      'jax_version': jax.__version__,
  }
  _write_json(summary_path, summary)
  log(f"test accuracy {test_m['accuracy']:.4f} (dev {dev_m['accuracy']:.4f}, best epoch "
      f"{meta['best_epoch']}, {meta['epoch']} epochs, {summary['examples_per_second']:,.0f} ex/s, "
      f"train {meta['train_seconds']:.0f} s, compile {compile_seconds:.1f} s)")
  return summary
