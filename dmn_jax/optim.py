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


def make_optimizer(cfg) -> optax.GradientTransformation:
  """optax chain, applied in order.

  cfg fields: learning_rate, l2 (coefficient λ of the L2 penalty ½λ‖θ‖², added to the gradient
  before Adam as in the paper; 0 disables), l2_embeddings ('all': every embedding row decays
  every step; 'seen': only rows with a gradient this step, see `l2_seen_rows`), clip_norm
  (global-norm clip; 0 disables), optimizer ('adam' | 'sgd').
  """
  parts: list[Any] = []
  if cfg.clip_norm > 0:
    parts.append(optax.clip_by_global_norm(cfg.clip_norm))
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
