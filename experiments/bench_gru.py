"""Microbenchmark of the scanned GRU (the DMN's input module), for issue 16's profile.

  python -m experiments.bench_gru                   # batch 32, 300 steps, hidden 80
  python -m experiments.bench_gru --steps=68        # task 1's story length

Times, per scan step (median of interleaved rounds), the forward and forward + backward of:
  - `gru_scan` as the library runs it: the projected input [T, 3H] sliced into the three gates
    inside the loop;
  - `split`: the same GRU with the projected input split into three [T, H] arrays BEFORE the
    scan (same arithmetic, different fusion inputs);
and two single-fusion probes that isolate what XLA's CPU loop fusions do with them: one
transcendental on one slice of the step's input vs one transcendental plus a second slice.
The maximum relative difference of `split` from `gru_scan` (forward and gradients) is printed.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from dmn_jax.nn import gru

_BATCH = flags.DEFINE_integer('batch', 32, 'sequences per call (vmapped, as in the model)')
_STEPS = flags.DEFINE_integer('steps', 300, 'scan length')
_HIDDEN = flags.DEFINE_integer('hidden', 80, 'hidden size (= input size)')
_ROUNDS = flags.DEFINE_integer('rounds', 7, 'interleaved timing rounds')


def split_scan(p, h0, xs, mask):
  """`gru.gru_scan` with the gates' inputs split before the loop."""
  xz, xr, xh = jnp.split(xs @ p['W'] + p['b'], 3, axis=-1)

  def step(h, inp):
    az, ar, ah, m = inp
    hz, hr, hh = jnp.split(h @ p['U'], 3, axis=-1)
    z = jax.nn.sigmoid(az + hz)
    r = jax.nn.sigmoid(ar + hr)
    h = jnp.where(m, z * jnp.tanh(ah + r * hh) + (1.0 - z) * h, h)
    return h, h

  return jax.lax.scan(step, h0, (xz, xr, xh, mask))


def main(argv):
  del argv
  b, t, h = _BATCH.value, _STEPS.value, _HIDDEN.value
  rng = np.random.default_rng(0)
  p = gru.gru_init(jax.random.PRNGKey(0), h, h)
  xs = jnp.asarray(rng.normal(size=(b, t, h)).astype(np.float32))
  mask = jnp.asarray(np.arange(t)[None] < rng.integers(t // 2, t + 1, size=(b, 1)))

  def total(scan):
    def f(p, xs):
      _, hs = jax.vmap(lambda x, m: scan(p, jnp.zeros((h,)), x, m))(xs, mask)
      return jnp.sum(hs ** 2)
    return f

  def probe(two_slices):
    def f(x):
      def step(c, xt):
        y = jax.nn.sigmoid(xt[:, :h] + c)
        return (y + c * xt[:, h:2 * h] if two_slices else y), None
      return jax.lax.scan(step, jnp.zeros((b, h)), x)[0]
    return f

  x3 = jnp.asarray(rng.normal(size=(t, b, 3 * h)).astype(np.float32))
  cases = {
      'gru_scan forward': (jax.jit(total(gru.gru_scan)), (p, xs)),
      'split forward': (jax.jit(total(split_scan)), (p, xs)),
      'gru_scan forward + backward': (jax.jit(jax.grad(total(gru.gru_scan), (0, 1))), (p, xs)),
      'split forward + backward': (jax.jit(jax.grad(total(split_scan), (0, 1))), (p, xs)),
      'probe: sigmoid of one slice': (jax.jit(probe(False)), (x3,)),
      'probe: sigmoid + a second slice': (jax.jit(probe(True)), (x3,)),
  }
  for f, args in cases.values():
    jax.block_until_ready(f(*args))
  times = {k: [] for k in cases}
  for _ in range(_ROUNDS.value):
    for k, (f, args) in cases.items():
      start = time.perf_counter()
      for _ in range(3):
        jax.block_until_ready(f(*args))
      times[k].append((time.perf_counter() - start) / 3 / t * 1e6)
  print(f'batch {b}, {t} steps, hidden {h}; {jax.devices()[0].platform}; microseconds per step '
        f'(median of {_ROUNDS.value} interleaved rounds)')
  for k, v in times.items():
    print(f'  {k:34s} {np.median(v):8.1f}')
  ref = cases['gru_scan forward + backward'][0](p, xs)
  new = cases['split forward + backward'][0](p, xs)
  rel = max(float(jnp.abs(a - c).max() / (jnp.abs(a).max() + 1e-12))
            for a, c in zip(jax.tree.leaves(ref), jax.tree.leaves(new)))
  print(f'  split vs gru_scan: max relative difference of the gradients {rel:.1e}')


if __name__ == '__main__':
  app.run(main)
