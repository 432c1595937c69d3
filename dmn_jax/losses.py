"""Losses and metric sums of the DMN objective J = α·CE(gates) + β·CE(answers) (paper §3).

Everything is returned as SUMS over the batch plus counts (padded examples weigh 0), so that
host code divides once per epoch (see `dmn_jax.metrics`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def argmax_is(logits: jax.Array, labels: jax.Array) -> jax.Array:
  """`argmax(logits, -1) == labels`, ties to the first maximum as argmax breaks them, without
  argmax: XLA's CPU argmax is a two-output (value, index) reduction that does not vectorise,
  where a max and a fused compare do (several times faster on the language model's
  [128, 10001] logits).

  logits <float32>[..., V], labels <int>[...] -> <bool>[...].
  """
  top = jnp.max(logits, -1, keepdims=True)
  at_label = jnp.take_along_axis(logits, labels[..., None].astype(jnp.int32), -1)[..., 0]
  earlier = jnp.any((logits == top) & (jnp.arange(logits.shape[-1]) < labels[..., None]), -1)
  return (at_label == top[..., 0]) & ~earlier


def answer_terms(logits: jax.Array, answer: jax.Array, mask: jax.Array, weight: jax.Array
                 ) -> dict[str, jax.Array]:
  """Answer cross-entropy and exact-match accuracy.

  Args:
    logits: <float32>[B, A, V]; answer: <int32>[B, A]; mask: <bool>[B, A] real answer tokens
      (EOS included); weight: <float32>[B], 0 for padded examples.

  Returns:
    answer_loss_sum: Σ_b weight_b · Σ_t CE_bt (token CEs summed within an answer),
    correct: Σ_b weight_b · [every real token of answer b is predicted].
  """
  ce = optax.softmax_cross_entropy_with_integer_labels(logits, answer)      # [B, A]
  per_example = jnp.sum(jnp.where(mask, ce, 0.0), axis=-1)                 # [B]
  hit = jnp.all(jnp.where(mask, argmax_is(logits, answer), True), axis=-1)
  return {'answer_loss_sum': jnp.sum(weight * per_example),
          'correct': jnp.sum(weight * hit)}


def gate_terms(gate_logits: jax.Array, supports: jax.Array, support_mask: jax.Array,
               weight: jax.Array, end_pass: bool = False, kind: str = 'softmax'
               ) -> dict[str, jax.Array]:
  """Gate supervision: pass i's gate softmax over facts targets the i-th supporting fact.

  Passes beyond the example's supporting facts (and supports beyond the number of passes) are
  not supervised; with `end_pass`, the pass right after the last supporting fact targets the
  end fact (the last column of gate_logits) and later passes are not supervised.

  Args:
    gate_logits: <float32>[B, T, F] (padded facts at a large negative value; [B, T, F + 1]
      with end_pass);
    supports: <int32>[B, P]; support_mask: <bool>[B, P]; weight: <float32>[B].

  kind='softmax': CE_bi is the cross-entropy of the softmax over the facts (it constrains only
  the gates' relative scores). kind='bce': CE_bi = Σ_f BCE(σ(logit_f), [f is the target]) over
  the real facts (padded facts, at a large negative logit, are left out): each sigmoid gate is
  pushed to 1 on the supporting fact and to 0 elsewhere.

  Returns:
    gate_loss_sum: Σ_b weight_b · Σ_i CE_bi over supervised passes,
    gate_correct / gate_count: supervised passes whose argmax gate is the supporting fact.
  """
  if end_pass:  # one more target per example: the end fact, right after its last support
    end = gate_logits.shape[-1] - 1
    n_sup = jnp.sum(support_mask, axis=1)                                  # [B]
    slots = jnp.arange(supports.shape[1] + 1)
    supports = jnp.where(slots[None] == n_sup[:, None], end,
                         jnp.pad(supports, ((0, 0), (0, 1))))
    support_mask = slots[None] <= n_sup[:, None]
  n = min(gate_logits.shape[1], supports.shape[1])
  logits, target = gate_logits[:, :n], supports[:, :n]                     # [B, n, F], [B, n]
  supervised = support_mask[:, :n] & (weight[:, None] > 0)                 # [B, n]
  if kind == 'softmax':
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, target)   # [B, n]
  elif kind == 'bce':
    real = logits > -1e20                                                  # [B, n, F]
    onehot = jax.nn.one_hot(target, logits.shape[-1])
    bce = optax.sigmoid_binary_cross_entropy(jnp.where(real, logits, 0.0), onehot)
    ce = jnp.sum(jnp.where(real, bce, 0.0), axis=-1)                       # [B, n]
  else:
    raise ValueError(f"gate loss kind must be 'softmax' or 'bce', got {kind!r}")
  hit = jnp.argmax(logits, -1) == target
  w = weight[:, None] * supervised
  return {'gate_loss_sum': jnp.sum(w * ce),
          'gate_correct': jnp.sum(w * hit),
          'gate_count': jnp.sum(w)}


def dmn_terms(out: dict[str, jax.Array], batch: dict[str, jax.Array], end_pass: bool = False,
              gate_loss: str = 'softmax') -> dict[str, jax.Array]:
  """All loss/metric sums of a DMN batch; `count` is the number of real examples;
  `passes_sum` the passes that changed the memory, summed over real examples."""
  w = batch['weight']
  terms = answer_terms(out['answer_logits'], batch['answer'], batch['answer_mask'], w)
  terms.update(gate_terms(out['gate_logits'], batch['supports'], batch['support_mask'], w,
                          end_pass, gate_loss))
  terms['passes_sum'] = jnp.sum(w * out['passes_used'])
  terms['count'] = jnp.sum(w)
  return terms


def tagging_terms(out: dict[str, jax.Array], batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
  """Sequence tagging: one answer per real word. Sums over WORDS (`count` = real words), so
  answer_loss is the mean CE per word and accuracy the share of words tagged right; padding
  words (tag_mask False) and padded examples (weight 0) count nowhere.

  out['answer_logits'] <float32>[B, S, V']; batch tags <int32>[B, S], tag_mask [B, S].
  """
  w = batch['weight'][:, None] * batch['tag_mask']                          # [B, S]
  ce = optax.softmax_cross_entropy_with_integer_labels(out['answer_logits'], batch['tags'])
  hit = jnp.argmax(out['answer_logits'], -1) == batch['tags']
  return {'answer_loss_sum': jnp.sum(w * ce), 'correct': jnp.sum(w * hit), 'count': jnp.sum(w)}


def objective(terms: dict[str, jax.Array], loss_weights: jax.Array) -> jax.Array:
  """J = α · mean gate CE + β · mean answer CE over real examples; loss_weights = [α, β]. Sums
  without gate terms (tagging) have J = β · mean answer CE."""
  n = jnp.maximum(terms['count'], 1.0)
  gate = terms['gate_loss_sum'] if 'gate_loss_sum' in terms else 0.0
  return (loss_weights[0] * gate + loss_weights[1] * terms['answer_loss_sum']) / n
