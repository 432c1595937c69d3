"""The optimizer: clip → (paper-style L2) → Adam or SGD, from the config's `train` block.

The training step multiplies the final update by a traced `lr_scale` (see `dmn_jax.families`),
which is how learning-rate schedules reach the compiled step without recompiling.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

# Params whose rows are word vectors: a [V, D] table under one of these names.
EMBEDDING_NAMES = ('embed',)


def _is_embedding(path) -> bool:
  return any(getattr(k, 'key', None) in EMBEDDING_NAMES for k in path)


def l2_seen_rows(l2: float) -> optax.GradientTransformation:
  """Adds l2 · θ to the gradient (the gradient of ½λ‖θ‖²), except on the rows of embedding
  tables (`EMBEDDING_NAMES`) whose gradient is zero this step: a word absent from the batch
  keeps its vector (pretrained GloVe rows of words that training never uses stay as loaded),
  while every other param decays as with `optax.add_decayed_weights`."""

  def update(updates, state, params):
    def one(path, g, p):
      if _is_embedding(path) and g.ndim == 2:
        seen = jnp.any(g != 0, axis=-1, keepdims=True)                  # [V, 1]
        return g + l2 * jnp.where(seen, p, 0.0)
      return g + l2 * p
    return jax.tree_util.tree_map_with_path(one, updates, params), state

  return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


# Squarings of the Gram matrix in `spectral_norm`: its 2^16-th power, whose largest column lies
# along the top singular vector, or in the span of singular values too close to tell apart.
_SQUARINGS = 16


def spectral_norm(x: jax.Array) -> jax.Array:
  """The 2-norm of each matrix of x <float32>[..., R, C] (its largest singular value; MATLAB's
  `norm(M)`); of a vector its Euclidean norm; of a scalar its absolute value. Shape x.shape[:-2].

  The power method on the small Gram matrix G (xᵀx or xxᵀ, whichever is smaller), by repeated
  squaring: the largest column v of G^(2^16) (rescaled at every squaring) lies along G's top
  eigenvector, and σ² = vᵀGv / vᵀv. Where the top two singular values are too close for 2^16
  powers to separate them, v lies in their span and the quotient lies between them, so the
  result is within float32 rounding of LAPACK's SVD either way (tested, near-equal singular
  values included). Half the time of the SVD, which was a fifth of the 10-restart MemN2N step
  (`python -m experiments.profile_step --row=memn2n_t1_10k_x10`, one thread).
  """
  if x.ndim < 2:
    return jnp.sqrt(jnp.sum(jnp.square(x)))
  xt = jnp.swapaxes(x, -1, -2)
  gram = xt @ x if x.shape[-1] <= x.shape[-2] else x @ xt                       # [..., n, n]

  def rescaled(a):
    return a / jnp.maximum(jnp.max(jnp.abs(a), axis=(-2, -1), keepdims=True), 1e-30)

  power = jax.lax.fori_loop(0, _SQUARINGS, lambda _, a: rescaled(a @ a), rescaled(gram))
  col = jnp.argmax(jnp.sum(jnp.square(power), axis=-2), axis=-1)                 # [...]
  v = jnp.take_along_axis(power, col[..., None, None], axis=-1)[..., 0]         # [..., n]
  quotient = (jnp.sum(v * jnp.einsum('...ij,...j->...i', gram, v), axis=-1)
              / jnp.maximum(jnp.sum(v * v, axis=-1), 1e-30))
  return jnp.sqrt(jnp.maximum(quotient, 0.0))


def clip_per_matrix(max_norm: float, joined: tuple[tuple[str, str], ...] = ()
                    ) -> optax.GradientTransformation:
  """Clips the gradient of every weight matrix to 2-norm `max_norm` on its own (the MemN2N
  authors' code: `if norm(grad) > max: grad *= max / norm(grad)` per weight), not by the global
  norm. A param with leading axes (e.g. E [K+1, V, d] under adjacent tying) is a stack of
  matrices, each clipped alone. `joined`: pairs of top-level param names whose matrices are one
  matrix, rows stacked (('E', 'T'): the time words are rows of the embedding matrices)."""

  def scale(norm):
    return jnp.where(norm > max_norm, max_norm / jnp.maximum(norm, 1e-30), 1.0)

  def factor(x):
    """The clip factor of each matrix of x [..., R, C] (of a vector or scalar: of x)."""
    if x.ndim < 2:
      return scale(spectral_norm(x))
    # The 2-norm never exceeds the Frobenius norm, so where no matrix's Frobenius norm is over
    # the bound every factor is exactly 1 and the SVD is skipped (lax.cond runs one branch):
    # after the first epoch almost every step (MemN2N bAbI task 1: 3 of 564 steps in epochs
    # 2-3 had a matrix over 40). It pays where seeds run in turn (`seed_chunk=1`, the joint
    # MemN2N: bench step 80-82 -> 75-78 ms); under a seeds vmap (`seed_chunk=0`, MemN2N per
    # task) the cond becomes a select and both branches run, as before. Same results either way.
    frob = jnp.sqrt(jnp.sum(jnp.square(x), axis=(-2, -1)))
    return jax.lax.cond(jnp.any(frob > max_norm), lambda y: scale(spectral_norm(y)),
                        lambda y: jnp.ones(y.shape[:-2], y.dtype), x)

  def update(updates, state, params=None):
    del params
    out = dict(updates) if isinstance(updates, dict) else updates
    done = set()
    if isinstance(updates, dict):
      for a, b in joined:
        if a in updates and b in updates:
          f = factor(jnp.concatenate([updates[a], updates[b]], axis=-2))[..., None, None]
          out[a], out[b] = updates[a] * f, updates[b] * f
          done |= {a, b}

    def one(path, g):
      if getattr(path[0], 'key', None) in done:
        return g
      f = factor(g)
      return g * (f[..., None, None] if g.ndim >= 2 else f)

    rest = {k: v for k, v in out.items() if k not in done} if isinstance(out, dict) else out
    clipped = jax.tree_util.tree_map_with_path(one, rest)
    if isinstance(out, dict):
      clipped = {**out, **clipped}
    return clipped, state

  return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


def make_optimizer(cfg, model_cfg=None) -> optax.GradientTransformation:
  """optax chain, applied in order.

  cfg fields: learning_rate, l2 (coefficient λ of the L2 penalty ½λ‖θ‖², added to the gradient
  before Adam as in the paper; 0 disables), l2_embeddings ('all': every embedding row decays
  every step; 'seen': only rows with a gradient this step, see `l2_seen_rows`), clip_norm
  (0 disables), clip ('global': by the global norm, the default | 'per_matrix': each weight
  matrix by its own 2-norm, `clip_per_matrix`), optimizer ('adam' | 'sgd'). `model_cfg`: the
  model block (MemN2N time words join the embedding matrices under per-matrix clipping).
  """
  parts: list[Any] = []
  clip = cfg.get('clip', 'global')
  if clip not in ('global', 'per_matrix'):
    raise ValueError(f"train.clip must be 'global' or 'per_matrix', got {clip!r}")
  if cfg.clip_norm > 0 and clip == 'global':
    parts.append(optax.clip_by_global_norm(cfg.clip_norm))
  elif cfg.clip_norm > 0:
    words = model_cfg is not None and model_cfg.get('time_encoding', 'table') == 'word'
    parts.append(clip_per_matrix(cfg.clip_norm, (('E', 'T'),) if words else ()))
  if cfg.l2 > 0:
    parts.append(optax.add_decayed_weights(cfg.l2) if cfg.l2_embeddings == 'all'
                 else l2_seen_rows(cfg.l2))
  if cfg.optimizer == 'adam':
    parts.append(optax.adam(cfg.learning_rate))
  elif cfg.optimizer == 'sgd':             # MemN2N (Sukhbaatar et al.): plain SGD
    parts.append(optax.sgd(cfg.learning_rate))
  else:
    raise ValueError(f"train.optimizer must be 'adam' or 'sgd', got {cfg.optimizer!r}")
  return optax.chain(*parts)
