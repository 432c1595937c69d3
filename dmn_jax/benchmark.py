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
  epoch_steps: int = 0           # steps of this bucket's shape in a training epoch
  num_buckets: int = 1           # the buckets of train.length_buckets (`bucket` picks one)

  def compile(self):
    return jax.jit(self.fn, donate_argnums=0).lower(
        self.state, self.batches[0], self.controls, self.active).compile()


def prepare_step(cfg, data, spec, batch_size: int, num_seeds: int = 1, devices: int = 1,
                 bucket: int = -1) -> PreparedStep:
  """The train step `train.train_and_evaluate` runs (vmapped over `num_seeds` seeds, each on its
  own batch of `batch_size`; `train.steps_per_call` steps per call) and real batches of the
  task's first epoch. With train.length_buckets > 1 the batches are those of the bucket number
  `bucket` (default the largest: the most a training step pays; shorter buckets are cheaper),
  cropped as training crops them, and `epoch_steps` counts them. Story batches
  (train.story_batches) as training makes them. `devices`: spread over that many local devices
  as training spreads a run (`parallel.layout`; 0: all)."""
  tx = make_optimizer(cfg.train, cfg.model)
  seeds = [cfg.seed + i for i in range(num_seeds)]
  state = jax.tree.map(lambda *xs: jax.numpy.stack(xs),
                       *[train.init_state(cfg, spec, tx, s) for s in seeds])
  rows = input_pipeline.story_rows(cfg, data, batch_size)
  maker = input_pipeline.Batcher(data['train'], batch_size, rows)
  buckets = maker.buckets(cfg.train.length_buckets)
  bucket = range(len(buckets))[bucket]
  batches = [b for i, b in input_pipeline.epoch_batches(maker, seeds, 0, buckets) if i == bucket]
  epoch_steps = len(batches)
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
    batches = batches * -(-k // len(batches))            # a bucket of fewer than k batches
    batches = [input_pipeline.stack_chunk(batches[i:i + k], active, k)[0]
               for i in range(0, len(batches) - k + 1, k)]
    active = np.ones((k, num_seeds), bool)
  lead = int(k > 1)
  return PreparedStep(one, lay.state(state), [lay.batch(b, lead) for b in batches],
                      lay.state(w), lay.steps_active(active, lead), k, flops, lay.num_devices,
                      epoch_steps, len(buckets))


def bench_one(cfg, data, spec, batch_size: int, seconds: float, num_seeds: int = 1,
              devices: int = 1, epoch: bool = False) -> dict:
  """Compile time, step time, examples/s and XLA's FLOP count of one train step
  (`prepare_step`'s: the largest length bucket's). Times at least 3 steps and at least
  `seconds`, after `WARMUP_SECONDS` of training. `ex_per_s` counts seed-examples (num_seeds ×
  batch_size per step). With XLA's persistent compilation cache on (`jax_compilation_cache_dir`),
  `compile_cached_s` is a second compile of the same step after JAX's in-memory caches are
  cleared (a new run of an already compiled config); None otherwise.

  epoch: also `epoch_ex_per_s`, the throughput of a whole training epoch: with
  train.length_buckets > 1 every bucket's step is compiled and timed (`seconds` each) and
  weighted by its number of steps in the epoch (shorter buckets are cheaper, so this is above
  `ex_per_s`); with one bucket, `ex_per_s` itself.
  """
  prep = prepare_step(cfg, data, spec, batch_size, num_seeds, devices)
  step_s, compile_s = _time_step(prep, seconds)
  cached_s = _cached_compile_s(prep)
  ex_per_s = num_seeds * batch_size / step_s
  out = {'batch': batch_size, 'seeds': num_seeds, 'compile_s': compile_s,
         'compile_cached_s': cached_s, 'step_ms': step_s * 1e3, 'ex_per_s': ex_per_s,
         'gflop_per_step': prep.flops / 1e9, 'gflop_per_s': prep.flops / step_s / 1e9,
         'steps_per_call': prep.steps_per_call, 'devices': prep.num_devices}
  if epoch and prep.num_buckets == 1:
    out['epoch_ex_per_s'], out['buckets'] = ex_per_s, 1
  elif epoch:
    steps, total = prep.epoch_steps, prep.epoch_steps * step_s
    for b in range(prep.num_buckets - 1):               # the largest is timed above
      other = prepare_step(cfg, data, spec, batch_size, num_seeds, devices, bucket=b)
      steps, total = steps + other.epoch_steps, total + other.epoch_steps * _time_step(
          other, seconds)[0]
    out['epoch_ex_per_s'] = num_seeds * batch_size * steps / total
    out['buckets'] = prep.num_buckets
  return out


# Training before the timing starts: the state leaves its first steps, whose large gradients
# some steps treat differently (the MemN2N per-matrix clip's power method runs only while a
# gradient matrix is over the bound: every step at the initial params, rarely after an epoch).
WARMUP_SECONDS = 1.0


def _cached_compile_s(prep: PreparedStep) -> float | None:
  """Seconds to compile `prep`'s step again with JAX's in-memory caches dropped and XLA's
  persistent cache (which the first compile filled) kept, as a new run of the config compiles;
  None without a persistent cache."""
  if not jax.config.jax_compilation_cache_dir:
    return None
  jax.clear_caches()
  t0 = time.perf_counter()
  prep.compile()
  return time.perf_counter() - t0


def _time_step(prep: PreparedStep, seconds: float) -> tuple[float, float]:
  """(seconds per step, compile seconds) of `prep`'s step: rounds of ~0.5 s, the median round
  (robust to a busy neighbour), at least 3 rounds and `seconds`, after `WARMUP_SECONDS` (at least
  one call) of training on the same batches."""
  state, batches, w, active = prep.state, prep.batches, prep.controls, prep.active
  t0 = time.perf_counter()
  step = prep.compile()
  compile_s = time.perf_counter() - t0
  steps, t0 = 0, time.perf_counter()
  while steps < 1 or time.perf_counter() - t0 < WARMUP_SECONDS:
    state, _ = step(state, batches[steps % len(batches)], w, active)
    jax.block_until_ready(state)
    steps += 1
  rounds, t_all = [], time.perf_counter()
  while len(rounds) < 3 or time.perf_counter() - t_all < seconds:
    n, t0 = 0, time.perf_counter()
    while n < 1 or time.perf_counter() - t0 < 0.5:
      state, _ = step(state, batches[steps % len(batches)], w, active)
      jax.block_until_ready(state)
      n, steps = n + 1, steps + 1
    rounds.append((time.perf_counter() - t0) / n)
  return float(np.median(rounds)) / prep.steps_per_call, compile_s
