"""Dynamic Memory Network (Kumar et al. 2016, "Ask Me Anything", §2) as pure functions.

    params = init(key, cfg, spec)
    out = apply(params, batch, keys, cfg, train=True)     # batched: vmap of `forward`

`forward` works on ONE example; `apply` vmaps it over the batch. `cfg` is the config's `model`
block (static per run): embed_dim, hidden, gate_hidden, passes, attention ('gru' | 'softmax'),
gate_norm ('sigmoid' | 'softmax'),
fact_mode ('sentence' | 'word'), share_question_gru, dropout.

Modules (paper section in brackets):
  input     [2.1] GRU over the story's word stream; facts c_t = its states at sentence ends
            (fact_mode='sentence') or at every word (fact_mode='word', single-sentence input).
            Optional, beyond the paper: fact_fusion='bigru' adds a backward GRU over the facts
            (DMN+'s input fusion layer, Xiong et al. 2016); fact_time=True adds a learned vector
            per recency to each fact (MemN2N's temporal encoding, Sukhbaatar et al. 2015).
  question  [2.2] GRU over the question with the same embedding; q = last state.
  episodic  [2.3] per pass i, gate features z(c, m, q) (9 blocks), g = σ(W2 tanh(W1 z + b1) + b2);
            episode e^i by the attention GRU h_t = g_t GRU(c_t, h_{t−1}) + (1 − g_t) h_{t−1},
            e = h_T (attention='gru'), or e = Σ_t softmax(g_pre)_t c_t (attention='softmax');
            with gate_norm='softmax' the attention GRU uses g = softmax_t(g_pre) instead of
            σ(g_pre) (as DMN+, Xiong et al. 2016), matching the softmax gate supervision;
            memory m^i = GRU(e^i, m^{i−1}), m^0 = q. Passes are a `lax.scan`.
  answer    [2.4] a_0 = m^T; a_t = GRU([y_{t−1}, q], a_{t−1}); y_t = softmax(W a_t).
            y_0 is all zeros; training feeds the gold previous token (teacher forcing), evaluation
            the one-hot of the previous argmax. A one-word task decodes a single step. The
            answers range over `spec.answer_vocab_size` outputs when the spec has it (sentiment
            classes, POS tags), else over the input vocabulary.
            head='tagging' (sequence tagging, §2.4, with fact_mode='word'): an answer at every
            word t, one decode step from a_0 = e_t = h^T_t, the attention GRU's state at word t
            in the last pass (the input GRU's state with passes = 0).

Padding: padded words leave the input/question GRU state unchanged, padded facts get gate 0
(attention GRU) or weight 0 (softmax), so no padding changes any state, gate or output.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from dmn_jax.data import Spec
from dmn_jax.nn.batch import map_examples
from dmn_jax.nn.gru import gru_cell, gru_init, gru_scan, gru_step

Params = dict[str, Any]
NEG_INF = -1e30  # masked logits: finite, so an all-padding row gives a uniform, not NaN, softmax


def init(key: jax.Array, cfg, spec: Spec) -> Params:
  """Initialises the DMN params for `spec` (`dmn_jax.data.Spec`: vocabulary and answer sizes,
  pretrained vectors)."""
  v, d, h, hg = spec.vocab_size, cfg.embed_dim, cfg.hidden, cfg.gate_hidden
  va = spec.answer_vocab_size                                      # answer outputs
  if cfg.passes < 0:
    raise ValueError(f'model.passes must be >= 0, got {cfg.passes}')
  ks = jax.random.split(key, 9)
  glorot = jax.nn.initializers.glorot_uniform()
  emb_scale = 3.0 ** 0.5  # uniform(-√3, √3): unit variance embeddings
  p = {
      'embed': jax.random.uniform(ks[0], (v, d), minval=-emb_scale, maxval=emb_scale),
      'input_gru': gru_init(ks[1], d, h),
      'gate': {
          'Wb': glorot(ks[2], (h, h)),                  # bilinear terms cᵀ Wb q, cᵀ Wb m
          'W1': glorot(ks[3], (7 * h + 2, hg)),
          'b1': jnp.zeros((hg,)),
          'W2': glorot(ks[4], (hg, 1))[:, 0],
          'b2': jnp.zeros(()),
      },
      'attn_gru': gru_init(ks[5], h, h),
      'memory_gru': gru_init(ks[6], h, h),
      'answer_gru': gru_init(ks[7], va + h, h),
      'out': {'W': glorot(ks[8], (h, va)), 'b': jnp.zeros((va,))},
  }
  if not cfg.share_question_gru:
    p['question_gru'] = gru_init(jax.random.fold_in(key, 99), d, h)
  if cfg.fact_fusion == 'bigru':
    p['fusion_gru'] = gru_init(jax.random.fold_in(key, 97), h, h)
  if cfg.fact_time:
    # A learned vector per recency (0 = the latest fact), added to the facts (as MemN2N's
    # temporal encoding); F rows, F = the task's fact count.
    p['fact_time'] = 0.1 * jax.random.normal(jax.random.fold_in(key, 96), (spec.max_facts, h))
  if cfg.end_pass:
    # The learned "end of passes" fact, appended after the story's facts.
    p['end_fact'] = 0.1 * jax.random.normal(jax.random.fold_in(key, 98), (h,))
  table = spec.embed_init
  if table is not None:                     # pretrained word vectors (GloVe), [V, D]
    if table.shape != (v, d):
      raise ValueError(f'spec.embed_init has shape {table.shape}, the model wants {(v, d)}')
    p['embed'] = jnp.asarray(table)
  return p


def gate_features(c: jax.Array, m: jax.Array, q: jax.Array, wb: jax.Array) -> jax.Array:
  """The 9-block feature vector z(c, m, q) of the paper's eq. (5), for every fact.

  Args:
    c: <float32>[F, H] facts; m: <float32>[H] memory; q: <float32>[H] question; wb: [H, H].

  Returns:
    <float32>[F, 7H + 2]: [c, m, q, c∘q, c∘m, |c−q|, |c−m|, cᵀWq, cᵀWm].
  """
  f = c.shape[0]
  mb, qb = jnp.broadcast_to(m, c.shape), jnp.broadcast_to(q, c.shape)
  cw = c @ wb                                                        # [F, H]
  return jnp.concatenate([
      c, mb, qb, c * qb, c * mb, jnp.abs(c - qb), jnp.abs(c - mb),
      (cw @ q).reshape(f, 1), (cw @ m).reshape(f, 1)], axis=-1)     # [F, 7H + 2]


def gate_logits(p: Params, c: jax.Array, m: jax.Array, q: jax.Array, mask: jax.Array
                ) -> jax.Array:
  """Pre-sigmoid gate scores W2 tanh(W1 z + b1) + b2, <float32>[F]; NEG_INF at padded facts.

  The reference form (builds z); `forward` uses the equal, cheaper `gate_precompute` +
  `gate_logits_from` pair.
  """
  z = gate_features(c, m, q, p['Wb'])
  s = jnp.tanh(z @ p['W1'] + p['b1']) @ p['W2'] + p['b2']            # [F]
  return jnp.where(mask, s, NEG_INF)


def gate_precompute(p: Params, c: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
  """The memory-independent part of W1 z + b1, computed once for all passes.

  W1 z splits into one [H, Hg] block per feature; the blocks of c, q, c∘q, |c−q| and cᵀWq do
  not change between passes. Returns (that sum <float32>[F, Hg], c Wb <float32>[F, H]).
  """
  h = c.shape[-1]
  w = p['W1']
  cw = c @ p['Wb']                                                   # [F, H]
  pre = (c @ w[:h] + q @ w[2 * h:3 * h] + (c * q) @ w[3 * h:4 * h]
         + jnp.abs(c - q) @ w[5 * h:6 * h] + jnp.outer(cw @ q, w[7 * h]) + p['b1'])
  return pre, cw


def gate_logits_from(p: Params, pre: jax.Array, cw: jax.Array, c: jax.Array, m: jax.Array,
                     mask: jax.Array) -> jax.Array:
  """`gate_logits` given `gate_precompute`'s output: only the m-dependent blocks per pass."""
  h = c.shape[-1]
  w = p['W1']
  a = (pre + m @ w[h:2 * h] + (c * m) @ w[4 * h:5 * h] + jnp.abs(c - m) @ w[6 * h:7 * h]
       + jnp.outer(cw @ m, w[7 * h + 1]))                             # [F, Hg]
  s = jnp.tanh(a) @ p['W2'] + p['b2']                                 # [F]
  return jnp.where(mask, s, NEG_INF)


def episode(p: Params, c: jax.Array, logits: jax.Array, mask: jax.Array, attention: str,
            gate_norm: str = 'sigmoid', all_states: bool = False) -> jax.Array:
  """The episode e <float32>[H] of one pass from facts c [F, H] and gate logits [F]
  (all_states: the attention GRU's state at every fact, <float32>[F, H]).

  attention='softmax': e = Σ_t softmax(logits)_t c_t. attention='gru': the attention GRU
  h_t = g_t GRU(c_t, h_{t−1}) + (1 − g_t) h_{t−1}, e = h_F, with g = σ(logits)
  (gate_norm='sigmoid', the paper) or g = softmax(logits) (gate_norm='softmax'); 0 at padding.
  """
  if attention == 'softmax':
    return jax.nn.softmax(logits) @ c
  if attention != 'gru':
    raise ValueError(f"model.attention must be 'gru' or 'softmax', got {attention!r}")
  if gate_norm == 'sigmoid':
    g = jax.nn.sigmoid(logits) * mask                                 # [F], 0 at padding
  elif gate_norm == 'softmax':
    g = jax.nn.softmax(logits) * mask
  else:
    raise ValueError(f"model.gate_norm must be 'sigmoid' or 'softmax', got {gate_norm!r}")
  xws = c @ p['attn_gru']['W'] + p['attn_gru']['b']                   # [F, 3H]

  def step(h, inp):
    xw, gt = inp
    h = gt * gru_step(p['attn_gru'], h, xw) + (1.0 - gt) * h
    return h, (h if all_states else None)

  h, states = jax.lax.scan(step, jnp.zeros(c.shape[-1:], c.dtype), (xws, g))
  return states if all_states else h


def _embed(p: Params, tokens: jax.Array, key: jax.Array | None, rate: float) -> jax.Array:
  x = p['embed'][tokens]                                             # [L, D]
  if key is not None and rate > 0:
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    x = jnp.where(keep, x / (1.0 - rate), 0.0)
  return x


def input_states(p: Params, story: jax.Array, story_mask: jax.Array, key: jax.Array | None,
                 cfg) -> jax.Array:
  """The input GRU's state after every word, <float32>[S, H], of story <int32>[S] (dropout on
  the embeddings with `key`)."""
  xs = _embed(p, story, key, cfg.dropout)                            # [S, D]
  _, hs = gru_scan(p['input_gru'], jnp.zeros((cfg.hidden,)), xs, story_mask)
  return hs


def forward(p: Params, ex: dict[str, jax.Array], key: jax.Array | None, cfg, *,
            train: bool) -> dict[str, jax.Array]:
  """Runs the DMN on one example.

  Args:
    p: params from `init`.
    ex: one example's arrays (see `dmn_jax.data.babi`): story [S], story_mask [S],
      fact_pos [F], fact_mask [F], question [Q], question_mask [Q], answer [A] (used for
      teacher forcing when `train`).
    key: PRNG key for embedding dropout (None or train=False: no dropout).
    cfg: the config's `model` block.

  Returns:
    answer_logits <float32>[A, V], prediction <int32>[A], gate_logits <float32>[T, F']
    (T = passes; F' = F facts, or S words when fact_mode='word'), fact_mask <bool>[F'].
  """
  drop_key = key if train else None
  k_story, k_question = jax.random.split(drop_key) if drop_key is not None else (None, None)
  hidden = cfg.hidden
  h0 = jnp.zeros((hidden,))

  # Input module: states over the word stream; facts at sentence ends (or every word). A story
  # batch (`apply`) brings them from its story's one pass.
  hs = ex['hs'] if 'hs' in ex else input_states(p, ex['story'], ex['story_mask'], k_story, cfg)
  if cfg.fact_mode == 'sentence':
    c, cmask = hs[ex['fact_pos']], ex['fact_mask']                   # [F, H], [F]
  elif cfg.fact_mode == 'word':
    c, cmask = hs, ex['story_mask']                                  # [S, H], [S]
  else:
    raise ValueError(f"model.fact_mode must be 'sentence' or 'word', got {cfg.fact_mode!r}")
  c = c * cmask[:, None]
  fusion = cfg.fact_fusion
  if fusion == 'bigru':
    # DMN+ input fusion (Xiong et al. 2016): a backward GRU over the facts, added to them, so a
    # fact also knows what follows it (the forward input GRU only knows what came before).
    _, hb = gru_scan(p['fusion_gru'], h0, c[::-1], cmask[::-1])     # padding (at the end) first
    c = (c + hb[::-1]) * cmask[:, None]
  elif fusion != 'none':
    raise ValueError(f"model.fact_fusion must be 'none' or 'bigru', got {fusion!r}")
  if cfg.fact_time:
    recency = jnp.maximum(jnp.sum(cmask) - 1 - jnp.arange(c.shape[0]), 0)   # 0 = latest fact
    c = (c + p['fact_time'][jnp.minimum(recency, p['fact_time'].shape[0] - 1)]) * cmask[:, None]

  # Question module: same embedding; its own GRU unless shared.
  qgru = p['input_gru'] if cfg.share_question_gru else p['question_gru']
  xq = _embed(p, ex['question'], k_question, cfg.dropout)            # [Q, D]
  q, _ = gru_scan(qgru, h0, xq, ex['question_mask'])                 # [H]

  # Episodic memory: one scan step per pass.
  m, gates, passes_used, last = episodic_memory(p, c, cmask, q, hs, ex, cfg, train=train)

  # Answer module.
  if cfg.head == 'tagging':   # one answer per word, from e_t = h^T_t
    logits, prediction = jax.vmap(
        lambda e, y: decode(p, e, q, y[None], teacher_forcing=train))(last, ex['tags'])
    logits, prediction = logits[:, 0], prediction[:, 0]               # [S, V'], [S]
  else:
    logits, prediction = decode(p, m, q, ex['answer'], teacher_forcing=train)
  return {'answer_logits': logits, 'prediction': prediction, 'gate_logits': gates,
          'fact_mask': cmask, 'passes_used': passes_used}


def episodic_memory(p: Params, c: jax.Array, cmask: jax.Array, q: jax.Array, hs: jax.Array,
                    ex: dict[str, jax.Array], cfg, *, train: bool
                    ) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array | None]:
  """The memory after cfg.passes passes, starting from m^0 = q.

  Args:
    c: <float32>[F, H] facts (0 at padding); cmask: <bool>[F]; q: <float32>[H];
    hs: <float32>[S, H] input-module states (read only with passes = 0);
    ex: the example (its support_mask tells the gold stop pass when training with end_pass).

  Returns:
    m <float32>[H]; gate logits <float32>[T, F] ([T, F + 1] with end_pass: the last column is
    the end fact); passes that changed the memory <int32>[]; with head='tagging', the last
    pass's attention-GRU state at every fact <float32>[F, H] (else None).

  passes = 0: no episodic memory; the answer module starts from the input module's last state
  (the story read as a whole), with the question fed at every answer step (the paper's Table 4
  "0 passes" row).

  end_pass: a learned end fact joins the facts; once a pass's gate picks it (argmax; in training
  the gold stop, the pass after the last supporting fact), that pass and every later one leave
  the memory unchanged (paper §2.3, "end-of-passes representation").
  """
  tagging = cfg.head == 'tagging'
  if cfg.passes == 0:
    # Padded steps carry the state, so the last row is the state after the last real word.
    return (hs[-1], jnp.zeros((0, c.shape[0]), c.dtype), jnp.zeros((), jnp.int32),
            hs if tagging else None)
  end_pass = cfg.end_pass
  if end_pass:
    c = jnp.concatenate([c, p['end_fact'][None]], axis=0)                # [F + 1, H]
    cmask = jnp.concatenate([cmask, jnp.ones((1,), bool)])
    gold_stop = jnp.sum(ex['support_mask']).astype(jnp.int32)            # pass index of "end"
  end = c.shape[0] - 1
  pre, cw = gate_precompute(p['gate'], c, q)                         # [F, Hg], [F, H]

  def one_pass(carry, i):
    m, done = carry
    logits = gate_logits_from(p['gate'], pre, cw, c, m, cmask)       # [F]
    if end_pass:
      picked_end = (i >= gold_stop) if train else (jnp.argmax(logits) == end)
      done = done | picked_end
    if tagging:                                                      # e_t = h_t, every word
      states = episode(p, c, logits, cmask, cfg.attention, cfg.gate_norm, all_states=True)
      e = states[-1]                                                 # padded steps carry h
    else:
      states, e = None, episode(p, c, logits, cmask, cfg.attention, cfg.gate_norm)   # [H]
    m_new = jnp.where(done, m, gru_cell(p['memory_gru'], m, e))      # [H]
    return (m_new, done), (logits, jnp.logical_not(done), states)

  (m, _), (gates, changed, states) = jax.lax.scan(
      one_pass, (q, jnp.zeros((), bool)), jnp.arange(cfg.passes))    # [H], [T, F]
  return m, gates, jnp.sum(changed).astype(jnp.int32), (states[-1] if tagging else None)


def decode(p: Params, m: jax.Array, q: jax.Array, answer: jax.Array, *, teacher_forcing: bool
           ) -> tuple[jax.Array, jax.Array]:
  """Answer GRU: a_0 = m; a_t = GRU([y_{t-1}, q], a_{t-1}); logits_t = W a_t + b.

  Args:
    m: <float32>[H] final memory; q: <float32>[H] question; answer: <int32>[A] gold tokens
      (read only when `teacher_forcing`; its length A sets the number of steps).

  Returns:
    logits <float32>[A, V], prediction <int32>[A] (argmax per step).
  """
  v = p['out']['W'].shape[-1]
  g = p['answer_gru']

  def step(carry, gold):
    a, y_prev = carry
    x = jnp.concatenate([y_prev, q])                                  # [V + H]
    a = gru_cell(g, a, x)                                             # [H]
    logits = a @ p['out']['W'] + p['out']['b']                        # [V]
    pred = jnp.argmax(logits).astype(jnp.int32)
    y = jax.nn.one_hot(gold if teacher_forcing else pred, v)
    return (a, y), (logits, pred)

  _, (logits, pred) = jax.lax.scan(step, (m, jnp.zeros((v,))), answer)
  return logits, pred


def apply(p: Params, batch: dict[str, jax.Array], keys: jax.Array | None, cfg, *, train: bool
          ) -> dict[str, jax.Array]:
  """`forward` vmapped over a batch: every array gains a leading B axis; keys [B] or None."""
  fn = lambda ex, k: forward(p, ex, k, cfg, train=train)
  chunk = cfg.get('batch_chunk', 0)
  ex = {k: batch[k] for k in ('story', 'story_mask', 'fact_pos', 'fact_mask', 'question',
                              'question_mask', 'answer', 'support_mask', 'tags') if k in batch}
  if 'story_row' in batch:
    # A story batch (`dmn_jax.data.stories`): story [R, S] rows, each encoded once; question b
    # reads the states of row story_row[b] (a one-hot matmul: its gradient is dense too).
    # The rows are chunked like the questions (`batch_chunk`).
    rows = batch['story'].shape[0]
    stories = (batch['story'], batch['story_mask'])
    if keys is None or not train:
      hs_rows = map_examples(lambda sm: input_states(p, *sm, None, cfg), stories, chunk)
    else:
      story_keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(keys[:rows])
      hs_rows = map_examples(lambda smk: input_states(p, *smk, cfg),
                             (*stories, story_keys), chunk)                     # [R, S, H]
    pick = jax.nn.one_hot(batch['story_row'], rows, dtype=hs_rows.dtype)      # [B, R]
    ex = {k: v for k, v in ex.items() if k not in ('story', 'story_mask')}
    ex['hs'] = jnp.einsum('br,rsh->bsh', pick, hs_rows)                        # [B, S, H]
  if keys is None:
    return map_examples(lambda e: fn(e, None), ex, chunk)
  return map_examples(lambda e_k: fn(*e_k), (ex, keys), chunk)
