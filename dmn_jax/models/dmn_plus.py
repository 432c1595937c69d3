"""DMN+ (Xiong, Merity & Socher 2016, "Dynamic Memory Networks for Visual and Textual Question
Answering", ICML) as pure functions.

    params = init(key, cfg, spec)
    out = apply(params, batch, keys, cfg, train=True)     # batched: vmap of `forward`

`forward` works on ONE example in the sentence-memory layout of `dmn_jax.data.babi_memory`
(memory <int32>[M, J], slot i = the i-th most recent sentence; memory_mask <bool>[M]; question
<int32>[Jq]; word id 0 = padding). Inside, the facts are put in story order (oldest first,
padding last); every output over facts is given back in slot order, so the supports and the
attention line up with the MemN2N's.

`cfg` is the config's `model` block: embed_dim D, hidden H, passes T, dropout (the drop rate;
the paper keeps inputs with p = 0.9), fusion ('bigru' | 'none').

Modules (paper section in brackets):
  input     [3.1] sentence reader: positional encoding of the word embeddings,
            f_i = Σ_j l_j ∘ E[w_ij], l_jd = (1 − j/J) − (d/D)(1 − 2j/J) for word j = 1..J of a
            J-word sentence (Sukhbaatar et al. 2015's encoding, the paper's choice); dropout on
            the f_i. Input fusion layer: a bidirectional GRU over the sentence encodings, the
            facts the sum of both directions' states, f↔_i = f→_i + f←_i.
  question  [3.1 / Kumar et al. §2.2] a GRU over the question's word embeddings; q = its last
            state.
  episodic  [3.3] per pass t: z_i = [f_i∘q; f_i∘m^{t−1}; |f_i − q|; |f_i − m^{t−1}|],
            Z_i = W2 tanh(W1 z_i + b1) + b2, gates g_i = softmax_i(Z_i) over the story's facts;
            the attention GRU (update gate replaced by the scalar gate):
              r_i = σ(W_r f_i + U_r h_{i−1} + b_r),
              h~_i = tanh(W f_i + r_i ∘ U h_{i−1} + b),
              h_i = g_i h~_i + (1 − g_i) h_{i−1},
            the context c^t = h_N (the final state); the memory update, untied per pass,
            m^t = ReLU(W^t [m^{t−1}; c^t; q] + b^t), m^0 = q. Passes are a `lax.scan`.
  answer    [3.4 / Kumar et al. §2.4] one word: softmax(W_a [m^T; q] + b_a) over the vocabulary
            (list answers such as "apple,milk" are one word of it, as in the MemN2N), with
            dropout on [m^T; q].

Initialisation [4.2, "Training details"]: Xavier (Glorot uniform) for every weight matrix,
zero biases, word embeddings uniform in [−√3, √3].

Padding: padded words get position weight 0, padded facts leave both fusion GRUs' states
unchanged and get gate 0 (logit −1e30 before the softmax), so padding changes no state, gate or
output (tests/models/test_dmn_plus.py checks it).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from dmn_jax.models import memn2n
from dmn_jax.nn.batch import map_examples
from dmn_jax.nn.gru import gru_scan

Params = dict[str, Any]
NEG_INF = -1e30


def _gru_init(key: jax.Array, in_dim: int, hidden: int, gates: int = 3) -> Params:
  """A GRU (`dmn_jax.nn.gru` layout) with Xavier init on both matrices, as the paper says for
  all weights. gates=2: the attention GRU's reset gate and candidate only."""
  glorot = jax.nn.initializers.glorot_uniform()
  kw, ku = jax.random.split(key)
  return {
      'W': jnp.concatenate([glorot(k, (in_dim, hidden)) for k in jax.random.split(kw, gates)], 1),
      'U': jnp.concatenate([glorot(k, (hidden, hidden)) for k in jax.random.split(ku, gates)], 1),
      'b': jnp.zeros((gates * hidden,)),
  }


def init(key: jax.Array, cfg, spec) -> Params:
  """DMN+ params for `spec` (vocab_size; `answer_vocab_size` outputs)."""
  v, d, h, t = spec.vocab_size, cfg.embed_dim, cfg.hidden, cfg.passes
  if t < 1:
    raise ValueError(f'model.passes must be >= 1, got {t}')
  ks = iter(jax.random.split(key, 16))
  glorot = jax.nn.initializers.glorot_uniform()
  emb_scale = 3.0 ** 0.5
  p = {
      'embed': jax.random.uniform(next(ks), (v, d), minval=-emb_scale, maxval=emb_scale),
      'question_gru': _gru_init(next(ks), d, h),
      'gate': {'W1': glorot(next(ks), (4 * h, h)), 'b1': jnp.zeros((h,)),
               'W2': glorot(next(ks), (h, 1))[:, 0], 'b2': jnp.zeros(())},
      'attn_gru': _gru_init(next(ks), h, h, gates=2),
      # Untied memory updates: one [3H, H] matrix per pass.
      'memory': {'W': jnp.stack([glorot(k, (3 * h, h)) for k in jax.random.split(next(ks), t)]),
                 'b': jnp.zeros((t, h))},
      'out': {'W': glorot(next(ks), (2 * h, spec.answer_vocab_size)),
              'b': jnp.zeros((spec.answer_vocab_size,))},
  }
  if cfg.fusion == 'bigru':
    p['fusion_fwd'] = _gru_init(next(ks), d, h)
    p['fusion_bwd'] = _gru_init(next(ks), d, h)
  elif cfg.fusion == 'none':
    if d != h:
      raise ValueError(f'model.fusion=none needs embed_dim == hidden, got {d} and {h}')
  else:
    raise ValueError(f"model.fusion must be 'bigru' or 'none', got {cfg.fusion!r}")
  return p


def story_order(n: jax.Array, size: int) -> jax.Array:
  """The permutation between slot order (most recent first) and story order (oldest first) of
  a memory with `n` real slots out of `size`: index i -> n−1−i for i < n, padding stays put.
  It is its own inverse. <int32>[size]."""
  i = jnp.arange(size)
  return jnp.where(i < n, n - 1 - i, i)


def sentence_encodings(p: Params, memory: jax.Array, form: str = 'sentence') -> jax.Array:
  """The positional-encoding sentence reader: memory <int32>[M, J] -> f <float32>[M, D],
  f_i = Σ_j l_ij ∘ E[w_ij] (0 for an empty slot).

  form: 'sentence' (the MemN2N paper's l_jd = (1 − j/J) − (d/D)(1 − 2j/J), J the sentence's own
  length, which DMN+ cites) or 'authors' (the MemN2N authors' code: one J for all sentences,
  here the padded sentence length; `memn2n.pe_terms`)."""
  emb = p['embed']
  d, pe_len = emb.shape[-1], memory.shape[-1]
  if emb.shape[0] <= memn2n.ONEHOT_MAX_VOCAB:
    # Two weighted word bags per sentence (`memn2n.sentence_bags`): matmuls, not a gather.
    bags = memn2n.sentence_bags(memory, emb.shape[0], 'pe', form, pe_len)     # [M, 2, V]
    g = memn2n.pe_terms(memory[:1], d, form, pe_len)[2]                       # [D]
    return memn2n.encode_bags(bags, emb, g)
  weights = memn2n.sentence_weights(memory, d, 'pe', form, pe_len)
  return memn2n.encode_sentences(emb, memory, 'pe', weights)


def _dropout(x: jax.Array, key: jax.Array | None, rate: float) -> jax.Array:
  if key is None or rate <= 0:
    return x
  keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
  return jnp.where(keep, x / (1.0 - rate), 0.0)


def facts(p: Params, memory: jax.Array, mask: jax.Array, key: jax.Array | None, cfg
          ) -> jax.Array:
  """The input module: facts <float32>[M, H] in STORY order (oldest first, padding last).

  Args:
    memory: <int32>[M, J] sentences, slot order (most recent first); mask: <bool>[M].
  """
  order = story_order(jnp.sum(mask), mask.shape[0])
  return _story_facts(p, memory, order, mask[order], key, cfg)


def _story_facts(p: Params, memory: jax.Array, order: jax.Array, fmask: jax.Array,
                 key: jax.Array | None, cfg) -> jax.Array:
  """`facts` given the slot -> story permutation `order` <int32>[M] and the story-order mask
  `fmask` <bool>[M] (real facts first)."""
  f = _dropout(sentence_encodings(p, memory, cfg.pe_form), key, cfg.dropout)[order]      # [M, D]
  if cfg.fusion == 'none':
    return f * fmask[:, None]
  h0 = jnp.zeros((cfg.hidden,))
  _, fwd = gru_scan(p['fusion_fwd'], h0, f, fmask)                          # oldest -> newest
  _, bwd = gru_scan(p['fusion_bwd'], h0, f[::-1], fmask[::-1])              # padding first: 0
  return (fwd + bwd[::-1]) * fmask[:, None]


def question_vector(p: Params, question: jax.Array) -> jax.Array:
  """q <float32>[H]: the question GRU's last state over question <int32>[Jq] (0 = padding)."""
  h = p['question_gru']['U'].shape[0]
  q, _ = gru_scan(p['question_gru'], jnp.zeros((h,)), p['embed'][question], question != 0)
  return q


def gate_logits(p: Params, pre: jax.Array, f: jax.Array, m: jax.Array, mask: jax.Array
                ) -> jax.Array:
  """Z_i = W2 tanh(W1 z_i + b1) + b2 for every fact, <float32>[F] (NEG_INF at padding).

  `pre` = the m-independent part [f∘q; |f−q|] W1 + b1 (<float32>[F, Hg], `gate_precompute`).
  """
  h = f.shape[-1]
  w1 = p['W1']
  a = pre + (f * m) @ w1[h:2 * h] + jnp.abs(f - m) @ w1[3 * h:4 * h]
  return jnp.where(mask, jnp.tanh(a) @ p['W2'] + p['b2'], NEG_INF)


def gate_precompute(p: Params, f: jax.Array, q: jax.Array) -> jax.Array:
  """The blocks of W1 z + b1 that do not change between passes (those of f∘q and |f−q|)."""
  h = f.shape[-1]
  w1 = p['W1']
  return (f * q) @ w1[:h] + jnp.abs(f - q) @ w1[2 * h:3 * h] + p['b1']


def gate_features(f: jax.Array, m: jax.Array, q: jax.Array) -> jax.Array:
  """z <float32>[F, 4H] = [f∘q, f∘m, |f−q|, |f−m|] (the reference form; `forward` uses the
  equal split of W1 in `gate_precompute` + `gate_logits`)."""
  qb, mb = jnp.broadcast_to(q, f.shape), jnp.broadcast_to(m, f.shape)
  return jnp.concatenate([f * qb, f * mb, jnp.abs(f - qb), jnp.abs(f - mb)], axis=-1)


def attention_gru(p: Params, f: jax.Array, g: jax.Array) -> jax.Array:
  """The attention GRU over facts f <float32>[F, H] with gates g <float32>[F] (0 at padding):
  returns the context c = h_F <float32>[H]."""
  h_dim = f.shape[-1]
  xw = f @ p['W'] + p['b']                                                  # [F, 2H]

  def step(h, inp):
    x, gi = inp
    hu = h @ p['U']                                                         # [2H]
    r = jax.nn.sigmoid(x[:h_dim] + hu[:h_dim])
    h_tilde = jnp.tanh(x[h_dim:] + r * hu[h_dim:])
    return gi * h_tilde + (1.0 - gi) * h, None

  h, _ = jax.lax.scan(step, jnp.zeros((h_dim,), f.dtype), (xw, g))
  return h


def forward(p: Params, ex: dict[str, jax.Array], key: jax.Array | None, cfg, *,
            train: bool) -> dict[str, jax.Array]:
  """Runs DMN+ on one example.

  Args:
    ex: memory <int32>[M, J], memory_mask <bool>[M], question <int32>[Jq].
    key: PRNG key for dropout (None or train=False: no dropout).

  Returns:
    logits <float32>[V]; gate_logits <float32>[T, M] and attention <float32>[T, M] (the
    softmax gates), both in SLOT order (slot i = the i-th most recent sentence).
  """
  drop = jax.random.split(key) if (train and key is not None) else (None, None)
  mask = ex['memory_mask']
  order = story_order(jnp.sum(mask), mask.shape[0])
  fmask = mask[order]                                                        # real first
  f = _story_facts(p, ex['memory'], order, fmask, drop[0], cfg)              # [M, H] story order
  q = question_vector(p, ex['question'])                                     # [H]
  pre = gate_precompute(p['gate'], f, q)                                     # [M, H]

  def one_pass(m, w):
    logits = gate_logits(p['gate'], pre, f, m, fmask)                        # [M]
    g = jax.nn.softmax(logits) * fmask
    c = attention_gru(p['attn_gru'], f, g)                                   # [H]
    m = jax.nn.relu(jnp.concatenate([m, c, q]) @ w['W'] + w['b'])            # [H]
    return m, logits

  m, logits = jax.lax.scan(one_pass, q, p['memory'])                         # [H], [T, M]
  a = _dropout(jnp.concatenate([m, q]), drop[1], cfg.dropout)
  answer_logits = a @ p['out']['W'] + p['out']['b']
  slot_logits = logits[:, order]                                             # back to slots
  return {'logits': answer_logits, 'gate_logits': slot_logits,
          'attention': jax.nn.softmax(slot_logits, axis=-1) * mask}


def apply(p: Params, batch: dict[str, jax.Array], keys: jax.Array | None, cfg, *, train: bool
          ) -> dict[str, jax.Array]:
  """`forward` vmapped over a batch: every array gains a leading B axis; keys [B] or None."""
  ex = {k: batch[k] for k in ('memory', 'memory_mask', 'question')}
  chunk = cfg.get('batch_chunk', 0)
  if keys is None:
    return map_examples(lambda e: forward(p, e, None, cfg, train=train), ex, chunk)
  return map_examples(lambda e_k: forward(p, *e_k, cfg, train=train), (ex, keys), chunk)
