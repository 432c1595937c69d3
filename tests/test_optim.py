import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from dmn_jax import optim


def _cfg(l2_embeddings):
  return ml_collections.ConfigDict({
      'optimizer': 'adam', 'learning_rate': 1e-3, 'l2': 1e-1, 'clip_norm': 0.0,
      'l2_embeddings': l2_embeddings})


def _train(l2_embeddings, steps=600):
  """Adam + L2 where the loss only ever touches embedding rows 0-1 (row 2: a GloVe word that
  appears only in dev/test)."""
  params = {'embed': jnp.full((3, 4), 0.4), 'out': {'W': jnp.full((4,), 0.4)}}
  tx = optim.make_optimizer(_cfg(l2_embeddings))
  state = tx.init(params)

  def loss(p):
    return jnp.sum((p['embed'][:2] @ p['out']['W'] - 1.0) ** 2)

  @jax.jit
  def step(p, s):
    u, s = tx.update(jax.grad(loss)(p), s, p)
    return optax.apply_updates(p, u), s

  for _ in range(steps):
    params, state = step(params, state)
  return params


def test_seen_rows_keep_unused_pretrained_vectors():
  all_rows, seen = _train('all'), _train('seen')
  assert float(jnp.abs(all_rows['embed'][2]).max()) < 0.1          # the bug: shrunk to nothing
  np.testing.assert_array_equal(seen['embed'][2], np.full((4,), 0.4, np.float32))   # kept as loaded
  # Rows in the batch and every other param still decay: the same as 'all' there.
  np.testing.assert_allclose(seen['embed'][:2], all_rows['embed'][:2], rtol=1e-5)
  np.testing.assert_allclose(seen['out']['W'], all_rows['out']['W'], rtol=1e-5)


def test_seen_rows_equal_add_decayed_weights_when_every_row_has_a_gradient():
  p = {'embed': jnp.arange(6.0).reshape(3, 2), 'b': jnp.ones((2,))}
  g = {'embed': jnp.ones((3, 2)), 'b': jnp.ones((2,))}
  want, _ = optax.add_decayed_weights(0.5).update(g, optax.EmptyState(), p)
  got, _ = optim.l2_seen_rows(0.5).update(g, optax.EmptyState(), p)
  for a, b in zip(jax.tree.leaves(want), jax.tree.leaves(got)):
    np.testing.assert_allclose(a, b)


def test_unknown_optimizer_is_refused():
  cfg = _cfg('all')
  cfg.optimizer = 'adagrad'
  with pytest.raises(ValueError, match="'adam' or 'sgd'"):
    optim.make_optimizer(cfg)
