import jax
import jax.numpy as jnp
import numpy as np

from dmn_jax.nn.gru import gru_cell, gru_init, gru_scan


def reference_gru(p, h, x):
  """The GRU equations written out with separate matrices (numpy, float64)."""
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), p)
  H = h.shape[0]
  W, U, b = p['W'], p['U'], p['b']
  sig = lambda v: 1 / (1 + np.exp(-v))
  z = sig(x @ W[:, :H] + h @ U[:, :H] + b[:H])
  r = sig(x @ W[:, H:2 * H] + h @ U[:, H:2 * H] + b[H:2 * H])
  ht = np.tanh(x @ W[:, 2 * H:] + r * (h @ U[:, 2 * H:]) + b[2 * H:])
  return z * ht + (1 - z) * h


def test_cell_matches_equations():
  p = gru_init(jax.random.PRNGKey(0), 5, 7)
  p['b'] = jax.random.normal(jax.random.PRNGKey(3), p['b'].shape)
  h = np.random.default_rng(0).normal(size=7)
  x = np.random.default_rng(1).normal(size=5)
  np.testing.assert_allclose(gru_cell(p, jnp.asarray(h, jnp.float32), jnp.asarray(x, jnp.float32)),
                             reference_gru(p, h, x), rtol=1e-5, atol=1e-6)


def test_scan_equals_python_loop_masked_and_not():
  p = gru_init(jax.random.PRNGKey(1), 4, 6)
  xs = jax.random.normal(jax.random.PRNGKey(2), (9, 4))
  h0 = jax.random.normal(jax.random.PRNGKey(4), (6,))
  mask = jnp.array([1, 1, 0, 1, 0, 0, 1, 0, 0], bool)
  for m in (None, mask):
    last, hs = gru_scan(p, h0, xs, m)
    h, expect = h0, []
    for t in range(9):
      if m is None or m[t]:
        h = gru_cell(p, h, xs[t])
      expect.append(h)
    np.testing.assert_allclose(hs, jnp.stack(expect), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(last, expect[-1], rtol=1e-5, atol=1e-6)


def test_trailing_padding_keeps_last_real_state():
  p = gru_init(jax.random.PRNGKey(1), 4, 6)
  xs = jax.random.normal(jax.random.PRNGKey(2), (5, 4))
  short, _ = gru_scan(p, jnp.zeros(6), xs[:3])
  padded, _ = gru_scan(p, jnp.zeros(6), xs, jnp.array([1, 1, 1, 0, 0], bool))
  np.testing.assert_allclose(short, padded, rtol=1e-6)


def test_bench_gru_split_variant_is_the_same_gru():
  """experiments.bench_gru times a variant that splits the gates' inputs before the loop; it
  must compute gru_scan's states and gradients (to float rounding), or its timing means nothing."""
  from experiments.bench_gru import split_scan
  p = gru_init(jax.random.PRNGKey(5), 4, 6)
  p['b'] = jax.random.normal(jax.random.PRNGKey(6), p['b'].shape)
  xs = jax.random.normal(jax.random.PRNGKey(7), (9, 4))
  mask = jnp.array([1, 1, 0, 1, 1, 0, 1, 0, 0], bool)
  h0 = jnp.zeros((6,))
  for a, b in zip(gru_scan(p, h0, xs, mask), split_scan(p, h0, xs, mask)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  loss = lambda scan: lambda p, xs: jnp.sum(scan(p, h0, xs, mask)[1] ** 2)
  ga, gb = jax.grad(loss(gru_scan), (0, 1))(p, xs), jax.grad(loss(split_scan), (0, 1))(p, xs)
  for a, b in zip(jax.tree.leaves(ga), jax.tree.leaves(gb)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
