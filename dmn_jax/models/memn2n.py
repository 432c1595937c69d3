"""End-To-End Memory Network (Sukhbaatar, Szlam, Weston, Fergus 2015) as pure functions.

    params = init(key, cfg, spec)
    out = apply(params, batch, keys, cfg, train=True, linear=0.0)   # vmap of `forward`

`cfg` is the config's `model` block: embed_dim d, hops K, tying ('adjacent' | 'layerwise'),
encoding ('bow' | 'pe'), temporal (bool), random_noise (fraction of empty memories added in
training, 0 = off), nonlinearity ('none' | 'relu' | 'relu_half'), init_std, and query
('question', or 'constant' for the language model: u^1 = 0.1 · 1, no question).

One hop k (paper §2.1-2.2), for memories x_i (slot i = the i-th most recent sentence):
  m_i = Σ_j l_j ∘ A^k x_ij + T_A^k(i)        input memory
  c_i = Σ_j l_j ∘ C^k x_ij + T_C^k(i)        output memory
  p   = softmax(uᵀ m)  (linear start: p = uᵀ m)
  o   = Σ_i p_i c_i
  u^{k+1} = u^k + o^k  (adjacent)  |  H u^k + o^k  (layer-wise)   [then the nonlinearity]
with u^1 = Σ_j l_j ∘ B q_j and the answer â = softmax(W u^{K+1}).

Weight tying (§2.2):
  adjacent   K + 1 embedding matrices E^0..E^K (and temporal tables T^0..T^K):
             A^k = E^{k−1}, C^k = E^k, B = A^1 = E^0, Wᵀ = C^K = E^K.
  layerwise  one A, one C (and T_A, T_C) shared by all hops, plus B, W and the linear map H.

Sentence representation (§4.1): 'bow' l_j = 1; 'pe' (position encoding)
l_kj = (1 − j/J) − (k/d)(1 − 2j/J) for word j = 1..J of a J-word sentence, dimension k = 1..d.
The null word (id 0, padding) has no embedding: lookups of id 0 give zeros, so padding words,
padding slots and the zero row contribute nothing.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from dmn_jax.nn.batch import map_examples

Params = dict[str, Any]
NEG_INF = -1e30


def time_rows(cfg, spec) -> int:
  """Rows of the temporal tables: the memory size plus room for the random-noise slots."""
  return spec.memory_size + math.ceil(cfg.random_noise * spec.memory_size)


def init(key: jax.Array, cfg, spec) -> Params:
  """N(0, init_std) params (the paper: 0.1) for vocabulary size `spec.vocab_size`."""
  v, d, k_hops, t = spec.vocab_size, cfg.embed_dim, cfg.hops, time_rows(cfg, spec)
  std = cfg.init_std
  normal = lambda k, shape: std * jax.random.normal(k, shape)
  ks = iter(jax.random.split(key, 8))
  if cfg.tying == 'adjacent':
    return {'E': normal(next(ks), (k_hops + 1, v, d)), 'T': normal(next(ks), (k_hops + 1, t, d))}
  if cfg.tying == 'layerwise':
    p = {'A': normal(next(ks), (v, d)), 'C': normal(next(ks), (v, d)),
         'B': normal(next(ks), (v, d)), 'W': normal(next(ks), (d, v)),
         'T_A': normal(next(ks), (t, d)), 'T_C': normal(next(ks), (t, d)),
         'H': normal(next(ks), (d, d))}
    if cfg.query == 'constant':   # no question to embed (the language model): no B to update
      del p['B']
    return p
  raise ValueError(f"model.tying must be 'adjacent' or 'layerwise', got {cfg.tying!r}")


def hop_weights(p: Params, cfg, k: int) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
  """(A^k, C^k, T_A^k, T_C^k) of hop k (0-based) under the config's tying."""
  if cfg.tying == 'adjacent':
    return p['E'][k], p['E'][k + 1], p['T'][k], p['T'][k + 1]
  return p['A'], p['C'], p['T_A'], p['T_C']


def question_embedding(p: Params, cfg) -> jax.Array:
  return p['E'][0] if cfg.tying == 'adjacent' else p['B']


def output_weights(p: Params, cfg) -> jax.Array:
  """W <float32>[d, V]: the answer layer (Wᵀ = C^K under adjacent tying)."""
  return p['E'][-1].T if cfg.tying == 'adjacent' else p['W']


def position_encoding(length: jax.Array, max_len: int, d: int) -> jax.Array:
  """l <float32>[max_len, d] for a sentence of `length` words; rows past the length are 0.

  l_kj = (1 − j/J) − (k/d)(1 − 2j/J), j = 1..J words, k = 1..d dimensions.
  """
  j = jnp.arange(1, max_len + 1, dtype=jnp.float32)[:, None]        # [max_len, 1]
  k = jnp.arange(1, d + 1, dtype=jnp.float32)[None, :]              # [1, d]
  big_j = jnp.maximum(length, 1).astype(jnp.float32)
  l = (1 - j / big_j) - (k / d) * (1 - 2 * j / big_j)
  return jnp.where(j <= big_j, l, 0.0)


def pe_terms(tokens: jax.Array, d: int, form: str = 'sentence', pe_len: int = 0
             ) -> tuple[jax.Array, jax.Array, jax.Array]:
  """Position encoding as l_kj = a_j + g_k c_j (word j, dimension k): (a, c) <float32>[..., J],
  g <float32>[d].

  form='sentence' (the paper, §4.1): l_kj = (1 − j/J) − (k/d)(1 − 2j/J), J the sentence's own
    word count: a_j = 1 − j/J, c_j = 2j/J − 1, g_k = k/d.
  form='authors' (the authors' released code): l_kj = 1 + 4(k − (d+1)/2)(j − (J+1)/2)/(dJ), J =
    `pe_len`, one fixed length for every sentence and question (the longest line, + 1 for the
    time word): a_j = 1, c_j = 4(j − (J+1)/2)/J, g_k = (k − (d+1)/2)/d.
  Neither a nor c depends on d (the word bags are made without it).
  """
  j = jnp.arange(1, tokens.shape[-1] + 1, dtype=jnp.float32)
  k = jnp.arange(1, d + 1, dtype=jnp.float32)
  if form == 'sentence':
    big_j = jnp.maximum((tokens != 0).sum(-1, keepdims=True), 1).astype(jnp.float32)
    return 1 - j / big_j, 2 * j / big_j - 1, k / d
  if form == 'authors':
    if pe_len < tokens.shape[-1]:
      raise ValueError(f'pe_len {pe_len} is shorter than the {tokens.shape[-1]}-word rows')
    c = 4 * (j - (pe_len + 1) / 2) / pe_len
    return (jnp.ones(tokens.shape, jnp.float32), jnp.broadcast_to(c, tokens.shape),
            (k - (d + 1) / 2) / d)
  raise ValueError(f"model.pe_form must be 'sentence' or 'authors', got {form!r}")


def time_word_weight(d: int, form: str, pe_len: int) -> jax.Array | float:
  """The position weight of the time word, appended after the last word (position J = pe_len)
  under form='authors'; 1 otherwise (the paper adds the temporal vectors unweighted)."""
  if form != 'authors':
    return 1.0
  k = jnp.arange(1, d + 1, dtype=jnp.float32)
  return 1 + 4 * (k - (d + 1) / 2) * ((pe_len - 1) / 2) / (d * pe_len)


def sentence_weights(tokens: jax.Array, d: int, encoding: str, form: str = 'sentence',
                     pe_len: int = 0) -> jax.Array | None:
  """The l_j of every word: <float32>[..., J, d] for 'pe' (zeros at padding), None for 'bow'."""
  if encoding == 'bow':
    return None
  if encoding != 'pe':
    raise ValueError(f"model.encoding must be 'bow' or 'pe', got {encoding!r}")
  a, c, g = pe_terms(tokens, d, form, pe_len)
  l = a[..., None] + c[..., None] * g                                 # [..., J, d]
  return jnp.where((tokens != 0)[..., None], l, 0.0)


def encode_sentences(emb: jax.Array, tokens: jax.Array, encoding: str,
                     weights: jax.Array | None = None) -> jax.Array:
  """Σ_j l_j ∘ emb[x_j] per sentence: tokens <int32>[..., J] -> <float32>[..., d].

  `weights`: `sentence_weights(tokens, d, encoding)` if already computed (shared by the hops).
  """
  x = emb[tokens] * (tokens != 0)[..., None]                          # null word: zeros
  if encoding == 'bow':
    return x.sum(-2)
  if weights is None:
    weights = sentence_weights(tokens, emb.shape[-1], encoding)
  return (weights * x).sum(-2)


# Vocabularies up to this size are embedded by a matmul of per-sentence word bags with the
# embedding matrix (`sentence_bags`) instead of a gather: its gradient is a matmul too, where a
# gather's is a scatter-add, which XLA runs as a slow serial loop on CPU. The language model's
# 10k-word vocabulary keeps the gather.
ONEHOT_MAX_VOCAB = 1024


def sentence_bags(tokens: jax.Array, vocab_size: int, encoding: str, form: str = 'sentence',
                  pe_len: int = 0) -> jax.Array:
  """The sentences as weighted word bags, a function of the tokens only (no parameters).

  Position encoding factorises (`pe_terms`): l_kj = a_j + g_k c_j, so Σ_j l_kj E[x_j]_k =
  (Σ_j a_j onehot(x_j)) E + g_k ∘ (Σ_j c_j onehot(x_j)) E: two bags of words per sentence, the
  same for every embedding matrix and every hop. 'bow' has one bag (word counts). The null word
  (id 0) is in no bag.

  The bags are built by adding each word's weight at its id (a scatter-add over J words per
  sentence; no gradient flows here), not from a [..., J, V] one-hot and a contraction over J,
  which cost as much as the rest of a joint-vocabulary step.

  Args:
    tokens: <int32>[..., J] word ids, 0 = padding.
  Returns:
    <float32>[..., 2, V] for 'pe' (the a- and c-weighted bags), [..., 1, V] for 'bow'.
  """
  lead, j = tokens.shape[:-1], tokens.shape[-1]
  n = math.prod(lead)
  words = tokens.reshape(n, j)
  real = (words != 0).astype(jnp.float32)                  # the null word is in no bag
  if encoding == 'bow':
    weights = [real]
  else:
    a, c, _ = pe_terms(words, 1, form, pe_len)
    weights = [a * real, c * real]
  rows = jnp.broadcast_to(jnp.arange(n)[:, None], (n, j))
  bags = [jnp.zeros((n, vocab_size), jnp.float32).at[rows, words].add(w) for w in weights]
  return jnp.stack(bags, -2).reshape(lead + (len(weights), vocab_size))


def encode_bags(bags: jax.Array, emb: jax.Array, g: jax.Array | None = None) -> jax.Array:
  """`encode_sentences` from `sentence_bags`: bags <float32>[..., 1|2, V], emb [..., V, d] ->
  [..., <emb lead>, d]: the leading axes of emb (e.g. the K + 1 matrices of adjacent tying) go
  just before d, so that the sentences' encodings by every matrix are one matmul's output rows
  ([sentences, (K + 1)·d]) and their gradient is that matmul's input as it stands. (With the
  matrices' axis first, the seeds-vmapped step spent more in transposing the encodings'
  gradient than in the matmuls.)
  g <float32>[d]: the per-dimension factor of `pe_terms` (None: k/d, the paper's form).

  Two bags: Σ_v a_v E_v + g ∘ Σ_v c_v E_v = [a, c] @ [E; g ∘ E], one matmul over 2V that gives
  the encodings directly (a [..., 2, d] product and its two slices cost more in the backward
  pass, a pad and a transpose of the whole product, than the matmuls themselves).
  """
  lead, (v, d) = emb.shape[:-2], emb.shape[-2:]
  mats = emb.reshape((-1, v, d))                                                  # [k, V, d]
  if bags.shape[-2] == 2:
    if g is None:
      g = jnp.arange(1, d + 1, dtype=jnp.float32) / d
    mats = jnp.concatenate([mats, mats * g], axis=-2)                             # [k, 2V, d]
  w = jnp.moveaxis(mats, 0, 1).reshape(mats.shape[1], -1)                         # [2V, k d]
  x = bags.reshape(bags.shape[:-2] + (-1,)) @ w                                   # [..., k d]
  return x.reshape(x.shape[:-1] + lead + (d,))


def noisy_times(key: jax.Array, n_real: jax.Array, slots: int, fraction: float) -> jax.Array:
  """Temporal indices with random empty memories (the paper's "random noise", §4.1).

  Draws nb ~ U{0..ceil(fraction · n_real)} empty memories — a share of the story's own
  sentences, as the authors' code does, so it does not depend on how far the memory is padded
  or cropped (length buckets) — and gives the n_real real memories sorted distinct indices drawn
  uniformly from 0..n_real + nb − 1, as if the nb empty memories were interleaved among them.
  Returns <int32>[slots] (entries past n_real: their slot number, unused).
  """
  k_nb, k_pos = jax.random.split(key)
  per_mille = round(1000 * fraction)                  # exact integer ceil(fraction · n_real)
  most = (n_real.astype(jnp.int32) * per_mille + 999) // 1000
  nb = jax.random.randint(k_nb, (), 0, most + 1)
  total = slots + math.ceil(fraction * slots)         # a static bound on n_real + nb
  scores = jax.random.uniform(k_pos, (total,))
  valid = jnp.arange(total) < n_real + nb
  scores = jnp.where(valid, scores, 2.0)
  # The n_real valid positions of lowest score, in increasing position order. Done with dense
  # comparisons ([total, total] and [slots, total]) rather than sorts, which XLA runs slowly on
  # CPU; the result equals sort(argsort(scores)[:n_real]).
  rank = jnp.sum(scores[None, :] < scores[:, None], axis=1)              # [total]
  real = rank < n_real
  nth = jnp.cumsum(real)                                                 # [total]
  slot = jnp.arange(slots)
  hit = real[None, :] & (nth[None, :] == slot[:, None] + 1)             # [slots, total]
  times = jnp.sum(hit * jnp.arange(total)[None, :], axis=1)
  return jnp.where(slot < n_real, times, slot).astype(jnp.int32)


def _nonlinear(u: jax.Array, kind: str) -> jax.Array:
  if kind == 'none':
    return u
  if kind == 'relu':
    return jax.nn.relu(u)
  if kind == 'relu_half':                   # ReLU on half of the units (the paper's LM)
    h = u.shape[-1] // 2
    return jnp.concatenate([u[:h], jax.nn.relu(u[h:])])
  raise ValueError(f"model.nonlinearity must be 'none', 'relu' or 'relu_half', got {kind!r}")


def forward(p: Params, ex: dict[str, jax.Array], key: jax.Array | None, cfg, *, train: bool,
            linear: jax.Array | float = 0.0, readout: bool = True) -> dict[str, jax.Array]:
  """One example: memory [M, J], memory_mask [M], question [Jq].

  Args:
    key: PRNG key for the random-noise time indices (train with cfg.random_noise > 0).
    linear: 1.0 for linear start (no softmax in the hops), 0.0 otherwise; a traced value, so
      switching it does not recompile.

  Returns:
    logits <float32>[V] over the word vocabulary (the null word's at -1e30); [V + T] with
      time_encoding='word', the time words being outputs too (never a target); only with
      `readout` (`answer_logits` of the state),
    state <float32>[d] (u after the last hop),
    attention <float32>[K, M] (per hop, over memory slots; 0 at empty slots unless
      mask_empty=False).

  Switches of the authors' released code (cfg keys; the paper's reading when absent):
    pe_form='authors'    position encoding with one fixed length J (`pe_terms`);
    time_encoding='word' the temporal vectors are time WORDS of the same embedding matrices:
                         weighted by the position encoding at the last position (J), and outputs
                         of the answer softmax (the matrices' extra rows);
    mask_empty=False     empty memory slots stay in the attention softmax (with score 0 and
                         nothing to read), as in the authors' fixed-size memory.
  """
  mem, mask = ex['memory'], ex['memory_mask']
  m_slots = mem.shape[0]
  form = cfg.get('pe_form', 'sentence')
  q_len = ex['question'].shape[-1] if 'question' in ex else 0     # the LM has no question
  pe_len = max(mem.shape[-1], q_len) + int(cfg.temporal)
  time_word = cfg.get('time_encoding', 'table') == 'word'
  mask_empty = cfg.get('mask_empty', True)
  noisy = train and cfg.random_noise > 0 and key is not None
  times = noisy_times(key, mask.sum(), m_slots, cfg.random_noise) if noisy else None
  vocab = output_weights(p, cfg).shape[-1]
  bags = vocab <= ONEHOT_MAX_VOCAB

  g = pe_terms(mem, cfg.embed_dim, form, pe_len)[2]

  def embed(emb, tokens, weights=None):
    """[..., J] -> [..., d] by one matrix emb [V, d]; by a stack [K+1, V, d], a list of K + 1."""
    if bags:
      x = encode_bags(sentence_bags(tokens, vocab, cfg.encoding, form, pe_len), emb, g)
      return [x[..., i, :] for i in range(emb.shape[0])] if emb.ndim == 3 else x
    if tokens.shape[-1] == 1 and emb.ndim == 2 and cfg.encoding == 'bow':
      # One word per slot (the language model): a slot without a word is an empty, masked
      # slot, so the null word needs no zeroing (one pass less over the [M, d] memory).
      return emb[tokens[..., 0]]
    if emb.ndim == 3:
      return [encode_sentences(e, tokens, cfg.encoding, weights) for e in emb]
    if weights is None:
      weights = sentence_weights(tokens, cfg.embed_dim, cfg.encoding, form, pe_len)
    return encode_sentences(emb, tokens, cfg.encoding, weights)

  def temporal(table):                                     # [..., T, d] -> [..., M, d]
    if not cfg.temporal:
      return 0.0
    if time_word:                                          # the time word's position weight
      table = table * time_word_weight(cfg.embed_dim, form, pe_len)
    if times is None:
      return table[..., :m_slots, :]
    # The rows of the noisy times, a gather whose gradient is a scatter-add of B·M rows: on CPU
    # cheaper than the dense alternative (a one-hot mix of shifted copies of the table), whose
    # gradient needed the batch's [M, (K+1)·d, B] transposed.
    return jnp.take(table, times, axis=-2)

  if cfg.query == 'constant':     # the language model: u = 0.1 · 1
    u = jnp.full((cfg.embed_dim,), 0.1)
  else:
    u = embed(question_embedding(p, cfg), ex['question'])                          # [d]
  pe = None if bags else sentence_weights(mem, cfg.embed_dim, cfg.encoding, form, pe_len)

  # Memory m_i = (word part)_i + T(i), kept as its two parts: the scores uᵀm and the read-out
  # pᵀc are sums of a word term and a temporal term, so the [M, d] sums are never formed (on
  # the language model's [128, 200, 150] memories those passes, and the batch reduction of the
  # tables' gradient, were most of the step). Empty slots need no zeroing: their scores are
  # masked and their weights are 0.
  if cfg.tying == 'layerwise':              # the same A and C memories in every hop
    words = [embed(p['A'], mem, pe), embed(p['C'], mem, pe)]                       # 2 x [M, d]
    times_ = [temporal(p['T_A']), temporal(p['T_C'])]
    hop_memories = [(words[0], times_[0], words[1], times_[1])] * cfg.hops
  else:                                     # C^k = A^{k+1}: K + 1 encodings serve the 2K uses
    words, times_ = embed(p['E'], mem, pe), temporal(p['T'])      # K+1 x [M, d]; [K+1, M, d]
    if not cfg.temporal:
      times_ = [0.0] * (cfg.hops + 1)
    hop_memories = [(words[k], times_[k], words[k + 1], times_[k + 1]) for k in range(cfg.hops)]
  attention = []
  for m_words, m_time, c_words, c_time in hop_memories:
    scores = m_words @ u                                                            # [M]
    if cfg.temporal:
      scores = scores + m_time @ u
    if mask_empty:
      soft = jax.nn.softmax(jnp.where(mask, scores, NEG_INF))
      probs = jnp.where(mask, linear * scores + (1.0 - linear) * soft, 0.0)
    else:   # an empty slot: no words, no time word, so a zero memory and a score of 0
      scores = jnp.where(mask, scores, 0.0)
      probs = linear * scores + (1.0 - linear) * jax.nn.softmax(scores)
    o = probs @ c_words                                                             # [d]
    if cfg.temporal:
      o = o + jnp.where(mask, probs, 0.0) @ c_time
    u = (p['H'] @ u if cfg.tying == 'layerwise' else u) + o
    u = _nonlinear(u, cfg.nonlinearity)
    attention.append(probs)
  out = {'state': u, 'attention': jnp.stack(attention)}
  if readout:
    out['logits'] = answer_logits(p, u, cfg)
  return out


def answer_logits(p: Params, u: jax.Array, cfg) -> jax.Array:
  """The answer softmax's logits from the last hop's state u <float32>[d]: <float32>[V] (the
  null word's at -1e30), [V + T] with time_encoding='word' (time words are outputs too)."""
  logits = u @ output_weights(p, cfg)                                            # [V]
  logits = jnp.where(jnp.arange(logits.shape[-1]) == 0, NEG_INF, logits)  # never the null word
  if cfg.get('time_encoding', 'table') == 'word' and cfg.temporal:   # Wᵀ = C^K's time rows too
    logits = jnp.concatenate([logits, u @ p['T'][-1].T])
  return logits


def apply(p: Params, batch: dict[str, jax.Array], keys: jax.Array | None, cfg, *, train: bool,
          linear: jax.Array | float = 0.0) -> dict[str, jax.Array]:
  """`forward` vmapped over a batch; keys [B] or None.

  With cfg.batch_chunk = c > 0 and a batch larger than c, the hops run on chunks of c examples
  at a time (`lax.map`), so that a chunk's memories stay in the CPU's cache through all hops
  and their gradient (the language model's [128, 200, 150] memories are 15 MB each: read from
  DRAM ~14 times a step at batch 128, from cache at 16); the answer softmax still runs on the
  whole batch. The same function: only the order of floating-point sums changes.
  """
  ex = {k: batch[k] for k in ('memory', 'memory_mask', 'question') if k in batch}
  if keys is None:
    xs, one = ex, lambda e: forward(p, e, None, cfg, train=train, linear=linear, readout=False)
  else:
    xs, one = (ex, keys), lambda e_k: forward(p, *e_k, cfg, train=train, linear=linear,
                                                readout=False)
  # Rematerialised: the backward pass recomputes a chunk's memories (a gather) instead of
  # keeping all of them (as large as the unchunked step's), equally fast here.
  out = map_examples(one, xs, cfg.get('batch_chunk', 0), remat=True)
  out['logits'] = jax.vmap(lambda u: answer_logits(p, u, cfg))(out['state'])
  return out
