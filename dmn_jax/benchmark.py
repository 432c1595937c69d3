"""Timing of the jit-compiled train step (any family) (used by `python -m experiments.bench`)."""

import time
from typing import Any, Callable, NamedTuple

import jax
import numpy as np

from dmn_jax import families, input_pipeline, parallel, train
from dmn_jax.optim import make_optimizer


class PreparedStep(NamedTuple):
  """A train step as training runs it, with its inputs: `compile()` lowers and compiles it (state
  donated); each call is `state, terms = step(state, batches[i], controls, active)`."""
  fn: Callable
  state: Any
  batches: list
  controls: Any
  active: Any
  steps_per_call: int
  flops: float                   # XLA's count for one step (a scan's body counted once)
  num_devices: int

  def compile(self):
    return jax.jit(self.fn, donate_argnums=0).lower(
        self.state, self.batches[0], self.controls, self.active).compile()


def prepare_step(cfg, data, spec, batch_size: int, num_seeds: int = 1, devices: int = 1
                 ) -> PreparedStep:
  """The train step `train.train_and_evaluate` runs (vmapped over `num_seeds` seeds, each on its
  own batch of `batch_size`; `train.steps_per_call` steps per call) and real batches of the
  task's first epoch. With train.length_buckets > 1 the batches are the largest bucket's (the
  most a training step pays; shorter buckets are cheaper), cropped as training crops them. Story
  batches (train.story_batches) as training makes them. `devices`: spread over that many local
  devices as training spreads a run (`parallel.layout`; 0: all)."""
  tx = make_optimizer(cfg.train, cfg.model)
  seeds = [cfg.seed + i for i in range(num_seeds)]
  state = jax.tree.map(lambda *xs: jax.numpy.stack(xs),
                       *[train.init_state(cfg, spec, tx, s) for s in seeds])
  rows = input_pipeline.story_rows(cfg, data, batch_size)
  maker = input_pipeline.Batcher(data['train'], batch_size, rows)
  buckets = maker.buckets(cfg.train.length_buckets)
  batches = [b for _, b in input_pipeline.epoch_batches(maker, seeds, 0, buckets[-1:])]
  w = train.stack_controls([train.controls(cfg, 0)] * num_seeds)
  active = np.ones((num_seeds,), bool)
  k = cfg.steps_per_call
  lay = parallel.layout(devices, num_seeds, batch_size)
  one = train.make_seeds_train_step(cfg.model, tx, families.of(cfg), train.seed_chunk(cfg, lay))
  # FLOPs of one step (XLA's cost analysis does not multiply a scan's body by its length).
  cost = jax.jit(one).lower(state, batches[0], w, active).cost_analysis()   # HLO, uncompiled
  cost = cost[0] if isinstance(cost, list) else cost
  flops = float(cost.get('flops', float('nan'))) if cost else float('nan')
  if k > 1:                                 # calls of k steps, as training makes them
    one = train.make_chunk_train_step(one)
    batches = [input_pipeline.stack_chunk(batches[i:i + k], active, k)[0]
               for i in range(0, len(batches) - k + 1, k)]
    active = np.ones((k, num_seeds), bool)
  lead = int(k > 1)
  return PreparedStep(one, lay.state(state), [lay.batch(b, lead) for b in batches],
                      lay.state(w), lay.steps_active(active, lead), k, flops, lay.num_devices)


def bench_one(cfg, data, spec, batch_size: int, seconds: float, num_seeds: int = 1,
              devices: int = 1) -> dict:
  """Compile time, step time, examples/s and XLA's FLOP count of one train step
  (`prepare_step`'s). Times at least 3 steps and at least `seconds`, after one warm-up step.
  `ex_per_s` counts seed-examples (num_seeds × batch_size per step). With XLA's persistent
  compilation cache on (`jax_compilation_cache_dir`), `compile_cached_s` is a second compile of
  the same step after JAX's in-memory caches are cleared (a new run of an already compiled
  config); None otherwise.
  """
  prep = prepare_step(cfg, data, spec, batch_size, num_seeds, devices)
  state, batches, w, active, k = (prep.state, prep.batches, prep.controls, prep.active,
                                  prep.steps_per_call)

  def compile_step():
    t0 = time.perf_counter()
    fn = prep.compile()
    return fn, time.perf_counter() - t0

  step, compile_s = compile_step()
  state, _ = step(state, batches[0], w, active)
  jax.block_until_ready(state)
  # Rounds of ~0.5 s; the median round's time per step (robust to a busy neighbour).
  rounds, steps, t_all = [], 0, time.perf_counter()
  while len(rounds) < 3 or time.perf_counter() - t_all < seconds:
    n, t0 = 0, time.perf_counter()
    while n < 1 or time.perf_counter() - t0 < 0.5:
      state, _ = step(state, batches[steps % len(batches)], w, active)
      jax.block_until_ready(state)
      n, steps = n + 1, steps + 1
    rounds.append((time.perf_counter() - t0) / n)
  dt = float(np.median(rounds)) / k                    # per step
  cached_s = None
  if jax.config.jax_compilation_cache_dir:
    # The same step compiled again by a new process, as a second run of the config does: JAX's
    # in-memory caches dropped, XLA's persistent cache (which the first compile filled) kept.
    jax.clear_caches()
    cached_s = compile_step()[1]
  return {'batch': batch_size, 'seeds': num_seeds, 'compile_s': compile_s,
          'compile_cached_s': cached_s, 'step_ms': dt * 1e3,
          'ex_per_s': num_seeds * batch_size / dt, 'gflop_per_step': prep.flops / 1e9,
          'gflop_per_s': prep.flops / dt / 1e9, 'steps_per_call': k,
          'devices': prep.num_devices}
