"""seeds.over_seeds: one seed's step over a leading seed axis."""

import jax
import jax.extend
import jax.numpy as jnp
import numpy as np

from dmn_jax import seeds as seeds_lib


def _step(x, scale):
  """A step with a data-dependent branch (as the per-matrix clip's): x [3] -> ([3], [])."""
  y = jax.lax.cond(jnp.sum(x) > 1.0, lambda v: v / jnp.sum(v), lambda v: v * 2.0, x)
  return y * scale, jnp.sum(y)


def _primitives(jaxpr) -> set[str]:
  names = set()
  for eqn in jaxpr.eqns:
    names.add(eqn.primitive.name)
    for sub in jax.extend.core.jaxprs_in_params(eqn.params):
      names |= _primitives(sub)
  return names


def test_side_by_side_equals_vmap_and_one_seed_keeps_its_branches():
  run = seeds_lib.over_seeds(_step, 0, (0, None))
  xs = jnp.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0], [0.0, 0.5, 0.0]])
  for n in (1, 2, 3):
    got = run(xs[:n], 0.5)
    want = jax.vmap(_step, in_axes=(0, None))(xs[:n], 0.5)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), got, want)
    assert got[0].shape == (n, 3) and got[1].shape == (n,)
  # Seeds vmapped: the branch is a select of both sides; one seed runs unbatched, one side.
  one = _primitives(jax.make_jaxpr(lambda x: run(x, 0.5))(xs[:1]).jaxpr)
  two = _primitives(jax.make_jaxpr(lambda x: run(x, 0.5))(xs[:2]).jaxpr)
  assert 'cond' in one and 'cond' not in two
