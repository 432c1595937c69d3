"""Timing of the jit-compiled DMN train step (used by `python -m experiments.bench`)."""

import time

import jax

from dmn_jax import train
from dmn_jax.data import batching
from dmn_jax.optim import make_optimizer


def bench_one(cfg, data, spec, batch_size: int, seconds: float) -> dict:
  """Compile time, step time, examples/s and XLA's FLOP count of one train step at `batch_size`.

  Times at least 3 steps and at least `seconds`, after one warm-up step.
  """
  tx = make_optimizer(cfg.train)
  state = train.init_state(cfg, spec, tx)
  batches = list(batching.batches(data['train'], batch_size,
                                  batching.epoch_order(len(data['train']['story']), 0, 0)))
  w = train.loss_weights(cfg, 0)
  t0 = time.perf_counter()
  step = jax.jit(train.make_train_step(cfg.model, tx), donate_argnums=0).lower(
      state, batches[0], w).compile()
  compile_s = time.perf_counter() - t0
  cost = step.cost_analysis()
  cost = cost[0] if isinstance(cost, list) else cost
  flops = float(cost.get('flops', float('nan'))) if cost else float('nan')
  state, _ = step(state, batches[0], w)
  jax.block_until_ready(state)
  n, t0 = 0, time.perf_counter()
  while n < 3 or time.perf_counter() - t0 < seconds:
    state, _ = step(state, batches[n % len(batches)], w)
    n += 1
  jax.block_until_ready(state)
  dt = (time.perf_counter() - t0) / n
  return {'batch': batch_size, 'compile_s': compile_s, 'step_ms': dt * 1e3,
          'ex_per_s': batch_size / dt, 'gflop_per_step': flops / 1e9,
          'gflop_per_s': flops / dt / 1e9}
