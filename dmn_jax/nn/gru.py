"""A GRU as plain functions: `gru_init`, `gru_cell` (one step) and `gru_scan` (a masked sequence).

Gates follow Cho et al. (2014) as written in the DMN paper (Kumar et al. 2016, eq. 1-4):

  z = σ(W_z x + U_z h + b_z)          update gate
  r = σ(W_r x + U_r h + b_r)          reset gate
  h~ = tanh(W_h x + r ∘ (U_h h) + b_h)
  h' = z ∘ h~ + (1 − z) ∘ h

The three input (and hidden) projections are stored side by side in one matrix, `W` [D, 3H]
(`U` [H, 3H]), so `gru_scan` projects a whole sequence with one matmul before the scan.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Params = dict[str, jax.Array]


def gru_init(key: jax.Array, in_dim: int, hidden: int) -> Params:
  """Glorot-uniform input weights, orthogonal recurrent weights, zero biases."""
  kw, ku = jax.random.split(key)
  glorot = jax.nn.initializers.glorot_uniform()
  orth = jax.nn.initializers.orthogonal()
  return {
      'W': jnp.concatenate([glorot(k, (in_dim, hidden)) for k in jax.random.split(kw, 3)], 1),
      'U': jnp.concatenate([orth(k, (hidden, hidden)) for k in jax.random.split(ku, 3)], 1),
      'b': jnp.zeros((3 * hidden,)),
  }


def gru_step(p: Params, h: jax.Array, xw: jax.Array) -> jax.Array:
  """One GRU step from the projected input `xw` = x @ W + b <float32>[3H] (hoisted out of scans)."""
  hu = h @ p['U']                                  # [3H]
  xz, xr, xh = jnp.split(xw, 3, axis=-1)
  hz, hr, hh = jnp.split(hu, 3, axis=-1)
  z = jax.nn.sigmoid(xz + hz)
  r = jax.nn.sigmoid(xr + hr)
  h_tilde = jnp.tanh(xh + r * hh)
  return z * h_tilde + (1.0 - z) * h


def gru_cell(p: Params, h: jax.Array, x: jax.Array) -> jax.Array:
  """One GRU step. h <float32>[H], x <float32>[D] -> new h <float32>[H]."""
  return gru_step(p, h, x @ p['W'] + p['b'])


def gru_scan(p: Params, h0: jax.Array, xs: jax.Array, mask: jax.Array | None = None
             ) -> tuple[jax.Array, jax.Array]:
  """Runs the GRU over a sequence; where `mask` is False the state is carried unchanged.

  Args:
    p: GRU params from `gru_init`.
    h0: <float32>[H] initial state.
    xs: <float32>[T, D] inputs.
    mask: <bool>[T] real (True) vs padding (False) steps; None means all real.

  Returns:
    (last state <float32>[H], all states <float32>[T, H]). At a padded step the state equals
    the previous one, so the last state is the state after the last real step.
  """
  if mask is None:
    mask = jnp.ones(xs.shape[:1], bool)
  xws = xs @ p['W'] + p['b']                       # [T, 3H], one matmul for the sequence

  def step(h, inp):
    xw, m = inp
    h = jnp.where(m, gru_step(p, h, xw), h)
    return h, h

  return jax.lax.scan(step, h0, (xws, mask))
