import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dmn_jax.nn.batch import map_examples


@pytest.mark.parametrize('chunk,remat', [(0, False), (3, False), (4, True), (10, False), (11, True)])
def test_map_examples_is_vmap_in_value_and_gradient(chunk, remat):
  """Chunks of 3 or 4 of 10 examples (a remainder chunk), or the whole batch: one function."""
  xs = {'a': jnp.arange(30.0).reshape(10, 3), 'b': jnp.arange(10)}
  w = jnp.array([0.5, -1.0, 2.0])

  def f(w, e):
    return {'y': jnp.tanh(e['a'] * w).sum() + e['b'], 'z': e['a'] @ w}

  def loss(w, chunk):
    out = map_examples(lambda e: f(w, e), xs, chunk, remat)
    return jnp.sum(out['y'] ** 2) + jnp.sum(jnp.sin(out['z'])), out

  (l0, out0), g0 = jax.value_and_grad(lambda w: loss(w, 0), has_aux=True)(w)
  (l1, out1), g1 = jax.value_and_grad(lambda w: loss(w, chunk), has_aux=True)(w)
  want = jax.vmap(lambda e: f(w, e))(xs)
  np.testing.assert_allclose(out1['y'], want['y'], rtol=1e-6)
  np.testing.assert_allclose(out1['z'], want['z'], rtol=1e-6)
  np.testing.assert_allclose(l1, l0, rtol=1e-6)
  np.testing.assert_allclose(g1, g0, rtol=1e-5)
