"""The optimizer: clip → (paper-style L2) → Adam or SGD, from the config's `train` block.

The training step multiplies the final update by a traced `lr_scale` (see `dmn_jax.families`),
which is how learning-rate schedules reach the compiled step without recompiling.
"""

from __future__ import annotations

import optax


def make_optimizer(cfg) -> optax.GradientTransformation:
  """optax chain, applied in order.

  cfg fields: learning_rate, l2 (coefficient λ of the L2 penalty ½λ‖θ‖², added to the gradient
  before Adam as in the paper; 0 disables), clip_norm (global-norm clip; 0 disables).
  """
  parts = []
  if cfg.clip_norm > 0:
    parts.append(optax.clip_by_global_norm(cfg.clip_norm))
  if cfg.l2 > 0:
    parts.append(optax.add_decayed_weights(cfg.l2))
  name = cfg.get('optimizer', 'adam')
  if name == 'adam':
    parts.append(optax.adam(cfg.learning_rate))
  elif name == 'sgd':                      # MemN2N (Sukhbaatar et al.): plain SGD
    parts.append(optax.sgd(cfg.learning_rate))
  else:
    raise ValueError(f"train.optimizer must be 'adam' or 'sgd', got {name!r}")
  return optax.chain(*parts)
