import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from dmn_jax.data import babi_memory
from dmn_jax.models import memn2n
from tests.conftest import TINY_TRAIN, row, write_task


def _cfg(**kw):
  c = ml_collections.ConfigDict(dict(embed_dim=8, hops=3, tying='adjacent', encoding='pe',
                                     temporal=True, random_noise=0.0, nonlinearity='none',
                                     init_std=0.1, query='question'))
  c.update(kw)
  return c


@pytest.fixture(scope='module')
def data(tmp_path_factory):
  d = write_task(tmp_path_factory.mktemp('m'), train=TINY_TRAIN)
  arrays, spec = babi_memory.load_tasks(d, [1], dev_fraction=0.0, memory_size=6)
  return arrays['train'], spec


def test_position_encoding_is_the_closed_form():
  d, max_len, n = 6, 7, 5
  l = np.asarray(memn2n.position_encoding(jnp.asarray(n), max_len, d))
  for j in range(1, max_len + 1):
    for k in range(1, d + 1):
      want = (1 - j / n) - (k / d) * (1 - 2 * j / n) if j <= n else 0.0
      assert l[j - 1, k - 1] == pytest.approx(want, abs=1e-6)


def test_bow_and_pe_sentence_sums():
  emb = jax.random.normal(jax.random.PRNGKey(0), (10, 4))
  tokens = jnp.array([3, 5, 7, 0, 0])
  np.testing.assert_allclose(memn2n.encode_sentences(emb, tokens, 'bow'),
                             emb[3] + emb[5] + emb[7], rtol=1e-6)
  l = memn2n.position_encoding(jnp.asarray(3), 5, 4)
  np.testing.assert_allclose(memn2n.encode_sentences(emb, tokens, 'pe'),
                             l[0] * emb[3] + l[1] * emb[5] + l[2] * emb[7], rtol=1e-5, atol=1e-6)


def test_null_symbol_contributes_nothing(data):
  arrays, spec = data
  cfg = _cfg()
  p = memn2n.init(jax.random.PRNGKey(0), cfg, spec)
  ex = row(arrays, 1)
  out = memn2n.forward(p, ex, None, cfg, train=False)
  # Any value in the null word's rows changes nothing.
  p2 = dict(p, E=p['E'].at[:, 0].set(100.0))
  out2 = memn2n.forward(p2, ex, None, cfg, train=False)
  np.testing.assert_allclose(out['logits'], out2['logits'], rtol=1e-6)
  # Nor do junk words in empty slots (masked) or extra padding words.
  junk = dict(ex, memory=np.where(ex['memory_mask'][:, None], ex['memory'], 5))
  np.testing.assert_allclose(memn2n.forward(p, junk, None, cfg, train=False)['logits'],
                             out['logits'], rtol=1e-6)
  att = np.asarray(out['attention'])
  assert att.shape == (cfg.hops, spec.memory_size)
  assert np.all(att[:, ~ex['memory_mask']] == 0)
  np.testing.assert_allclose(att.sum(1), 1.0, rtol=1e-5)


def _used(p, cfg, spec, arrays):
  """Which param leaves get a gradient from the answer loss."""
  def loss(p):
    out = memn2n.apply(p, arrays, None, cfg, train=False)
    return jnp.sum(jax.nn.log_softmax(out['logits'])[jnp.arange(len(arrays['answer'])),
                                                      arrays['answer']])
  return jax.grad(loss)(p)


def test_adjacent_tying_shares_exactly_what_it_should(data):
  arrays, spec = data
  cfg = _cfg(tying='adjacent', hops=3)
  p = memn2n.init(jax.random.PRNGKey(0), cfg, spec)
  assert set(p) == {'E', 'T'} and p['E'].shape == (4, spec.vocab_size, 8)
  for k in range(3):
    a, c, ta, tc = memn2n.hop_weights(p, cfg, k)
    assert a is not c
    if k + 1 < 3:
      a_next = memn2n.hop_weights(p, cfg, k + 1)[0]
      np.testing.assert_array_equal(a_next, c)           # A^{k+1} = C^k
  np.testing.assert_array_equal(memn2n.question_embedding(p, cfg), memn2n.hop_weights(p, cfg, 0)[0])
  np.testing.assert_array_equal(memn2n.output_weights(p, cfg).T, memn2n.hop_weights(p, cfg, 2)[1])
  # Every embedding matrix E^0..E^K is used (gets a gradient).
  g = _used(p, cfg, spec, arrays)
  assert all(float(jnp.abs(g['E'][k]).sum()) > 0 for k in range(4))


def test_layerwise_tying_shares_a_and_c_across_hops(data):
  arrays, spec = data
  cfg = _cfg(tying='layerwise', hops=3)
  p = memn2n.init(jax.random.PRNGKey(0), cfg, spec)
  assert set(p) == {'A', 'C', 'B', 'W', 'T_A', 'T_C', 'H'}
  w = [memn2n.hop_weights(p, cfg, k) for k in range(3)]
  assert all(x[0] is p['A'] and x[1] is p['C'] for x in w)
  assert memn2n.question_embedding(p, cfg) is p['B'] and memn2n.output_weights(p, cfg) is p['W']
  g = _used(p, cfg, spec, arrays)
  assert all(float(jnp.abs(v).sum()) > 0 for v in jax.tree.leaves(g))
  # H enters: a different H changes the answer.
  out = memn2n.forward(p, row(arrays, 1), None, cfg, train=False)
  out_h = memn2n.forward(dict(p, H=jnp.eye(8)), row(arrays, 1), None, cfg, train=False)
  assert not np.allclose(out['logits'], out_h['logits'])


def test_linear_start_switches_without_recompiling(data):
  arrays, spec = data
  cfg = _cfg()
  p = memn2n.init(jax.random.PRNGKey(0), cfg, spec)
  traces = []

  @jax.jit
  def run(p, linear):
    traces.append(1)
    return memn2n.apply(p, arrays, None, cfg, train=False, linear=linear)

  soft = run(p, jnp.float32(0.0))
  lin = run(p, jnp.float32(1.0))
  assert len(traces) == 1
  np.testing.assert_allclose(np.asarray(soft['attention']).sum(-1), 1.0, rtol=1e-5)
  assert not np.allclose(np.asarray(lin['attention']).sum(-1), 1.0)   # raw scores, no softmax


def test_random_noise_times_are_sorted_distinct_and_spread():
  """6 sentences, 10% noise: at most ceil(0.6) = 1 empty memory, whatever the padded size
  (8 or 50 slots: length buckets must not change the noise)."""
  key = jax.random.PRNGKey(0)
  for slots in (8, 50):
    last = set()
    for i in range(40):
      t = np.asarray(memn2n.noisy_times(jax.random.fold_in(key, i), jnp.asarray(6), slots, 0.1))
      real = t[:6]
      assert np.all(np.diff(real) > 0) and real[0] >= 0
      last.add(int(real[-1]))
    assert last == {5, 6}, last              # one empty memory inserted sometimes, never more
  t = np.asarray(memn2n.noisy_times(key, jnp.asarray(10), 12, 0.1))   # 0.1 · 10: at most 1
  assert t[9] <= 10


def test_temporal_encoding_breaks_ties_of_equal_sentences(data):
  arrays, spec = data
  ex = row(arrays, 1)
  same = dict(ex, memory=np.where(ex['memory_mask'][:, None], ex['memory'][0][None], 0))
  for temporal, distinct in ((False, False), (True, True)):
    cfg = _cfg(temporal=temporal)
    p = memn2n.init(jax.random.PRNGKey(0), cfg, spec)
    att = np.asarray(memn2n.forward(p, same, None, cfg, train=False)['attention'][0])
    real = att[ex['memory_mask']]
    assert (np.ptp(real) > 1e-6) == distinct


def _sorted_times(key, n_real, slots, fraction):
  """The sort-based reference of `noisy_times` (the implementation before issue 16)."""
  import math
  k_nb, k_pos = jax.random.split(key)
  most = (int(n_real) * round(1000 * fraction) + 999) // 1000
  nb = jax.random.randint(k_nb, (), 0, most + 1)
  total = slots + math.ceil(fraction * slots)
  scores = jax.random.uniform(k_pos, (total,))
  picked = jnp.argsort(jnp.where(jnp.arange(total) < n_real + nb, scores, 2.0))[:slots]
  picked = jnp.where(jnp.arange(slots) < n_real, picked, total)
  times = jnp.sort(picked)
  return np.where(np.arange(slots) < n_real, times, np.arange(slots))


def test_sort_free_noisy_times_equal_the_sorted_ones():
  key = jax.random.PRNGKey(3)
  for i in range(60):
    k = jax.random.fold_in(key, i)
    n, slots = 1 + i % 12, 12 + (i % 3) * 19
    np.testing.assert_array_equal(memn2n.noisy_times(k, jnp.asarray(n), slots, 0.1),
                                  _sorted_times(k, n, slots, 0.1))


@pytest.mark.parametrize('tying,encoding,noise', [('adjacent', 'pe', 0.1), ('adjacent', 'bow', 0.0),
                                                  ('layerwise', 'pe', 0.0), ('layerwise', 'bow', 0.1)])
def test_word_bag_matmul_equals_the_gather(data, monkeypatch, tying, encoding, noise):
  """The one-hot word-bag path (small vocabularies) gives the gather path's logits, attention and
  gradients, with and without random-noise times."""
  arrays, spec = data
  cfg = _cfg(tying=tying, encoding=encoding, random_noise=noise)
  p = memn2n.init(jax.random.PRNGKey(1), cfg, spec)
  keys = jax.random.split(jax.random.PRNGKey(2), len(arrays['answer']))

  def run(p):
    out = memn2n.apply(p, arrays, keys, cfg, train=True)
    loss = -jnp.sum(jax.nn.log_softmax(out['logits'])[jnp.arange(len(arrays['answer'])),
                                                        arrays['answer']])
    return loss, out

  assert spec.vocab_size <= memn2n.ONEHOT_MAX_VOCAB
  (loss_bag, out_bag), g_bag = jax.value_and_grad(run, has_aux=True)(p)
  monkeypatch.setattr(memn2n, 'ONEHOT_MAX_VOCAB', 0)                  # the gather path
  (loss_gather, out_gather), g_gather = jax.value_and_grad(run, has_aux=True)(p)
  np.testing.assert_allclose(loss_bag, loss_gather, rtol=1e-5)
  np.testing.assert_allclose(out_bag['attention'], out_gather['attention'], rtol=1e-4, atol=1e-6)
  logits = np.asarray(out_bag['logits'])[:, 1:]
  np.testing.assert_allclose(logits, np.asarray(out_gather['logits'])[:, 1:], rtol=1e-4, atol=1e-5)
  for a, b in zip(jax.tree.leaves(g_bag), jax.tree.leaves(g_gather)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _reference_forward(p, ex, cfg, linear=0.0, times=None):
  """The paper's hop written out with whole memories m_i = Σ_j l_j∘A x_ij + T_A(i) (masked), as
  the code computed it before issue 16 split the word and temporal terms; `times`: the
  temporal rows of random noise (default: slot i uses row i)."""
  mem, mask = np.asarray(ex['memory']), np.asarray(ex['memory_mask'])
  rows = np.arange(len(mem)) if times is None else np.asarray(times)

  def enc(e, tokens):
    x = np.asarray(e)[tokens] * (tokens != 0)[..., None]
    if cfg.encoding == 'bow':
      return x.sum(-2)
    return (np.asarray(memn2n.sentence_weights(jnp.asarray(tokens), e.shape[-1], 'pe')) * x).sum(-2)

  def memory(e, t):
    return (enc(e, mem) + (np.asarray(t)[rows] if cfg.temporal else 0)) * mask[:, None]

  if cfg.query == 'constant':
    u = np.full((cfg.embed_dim,), 0.1, np.float32)
  else:
    u = enc(memn2n.question_embedding(p, cfg), np.asarray(ex['question']))
  for k in range(cfg.hops):
    a, c, ta, tc = memn2n.hop_weights(p, cfg, k)
    m_in, c_out = memory(a, ta), memory(c, tc)
    s = m_in @ u
    e = np.exp(np.where(mask, s, -1e30) - np.where(mask, s, -1e30).max())
    probs = np.where(mask, linear * s + (1 - linear) * e / e.sum(), 0.0)
    u = (np.asarray(p['H']) @ u if cfg.tying == 'layerwise' else u) + probs @ c_out
    if cfg.nonlinearity == 'relu_half':
      u = np.concatenate([u[:len(u) // 2], np.maximum(u[len(u) // 2:], 0)])
  return u @ np.asarray(memn2n.output_weights(p, cfg))


@pytest.mark.parametrize('lm,gather', [(False, False), (False, True), (True, False), (True, True)])
def test_forward_equals_the_whole_memory_reference(data, monkeypatch, lm, gather):
  arrays, spec = data
  if gather:                                    # the large-vocabulary path (as PTB's 10k words)
    monkeypatch.setattr(memn2n, 'ONEHOT_MAX_VOCAB', 0)
  if lm:        # the language model's shape: one word per slot, constant query, layer-wise
    cfg = _cfg(tying='layerwise', encoding='bow', query='constant', nonlinearity='relu_half')
    mem = arrays['memory'][:, :, :1]
    arrays = dict(arrays, memory=mem, memory_mask=mem[..., 0] != 0)
  else:
    cfg = _cfg()
  p = memn2n.init(jax.random.PRNGKey(4), cfg, spec)
  for i in range(3):
    ex = row(arrays, i)
    for linear in (0.0, 1.0):
      got = np.asarray(memn2n.forward(p, ex, None, cfg, train=False, linear=linear)['logits'])
      want = _reference_forward(p, ex, cfg, linear)
      np.testing.assert_allclose(got[1:], want[1:], rtol=1e-4, atol=1e-5)


def test_random_noise_reads_the_temporal_rows_of_the_noisy_times(data):
  """In training with random noise, slot i's temporal vectors are the rows noisy_times gives it
  (the same key), in every hop's input and output memory."""
  arrays, spec = data
  cfg = _cfg(random_noise=0.25)
  p = memn2n.init(jax.random.PRNGKey(5), cfg, spec)
  shifted = 0
  for i in range(3):
    ex = row(arrays, i)
    n = int(ex['memory_mask'].sum())
    for k in range(4):
      key = jax.random.PRNGKey(10 * i + k)
      times = memn2n.noisy_times(key, ex['memory_mask'].sum(), ex['memory'].shape[0], 0.25)
      shifted += int(np.any(np.asarray(times)[:n] != np.arange(n)))
      got = np.asarray(memn2n.forward(p, ex, key, cfg, train=True)['logits'])
      np.testing.assert_allclose(got[1:], _reference_forward(p, ex, cfg, 0.0, times)[1:],
                                 rtol=1e-4, atol=1e-5)
  assert shifted >= 3                                   # the noise did move memories


@pytest.mark.parametrize('chunk', [3])
@pytest.mark.parametrize('tying,noise', [('adjacent', 0.25), ('layerwise', 0.0)])
def test_batch_chunks_compute_the_same_function(data, chunk, tying, noise):
  """model.batch_chunk (hops on chunks of examples, rematerialised) changes no output and no
  gradient: with noise keys, a batch not divisible by the chunk, linear start or softmax."""
  arrays, spec = data
  batch = {k: np.asarray(v)[np.arange(10) % len(v)] for k, v in arrays.items()}   # rows repeat
  keys = jax.random.split(jax.random.PRNGKey(3), 10)
  for linear in (0.0, 1.0):
    outs, grads = [], []
    for c in (0, chunk):
      cfg = _cfg(tying=tying, random_noise=noise, batch_chunk=c)
      p = memn2n.init(jax.random.PRNGKey(0), cfg, spec)

      def loss(p, cfg=cfg):
        out = memn2n.apply(p, batch, keys, cfg, train=True, linear=linear)
        logp = jax.nn.log_softmax(out['logits'])
        return -jnp.sum(logp[jnp.arange(10), batch['answer']]), out
      (_, out), g = jax.jit(jax.value_and_grad(loss, has_aux=True))(p)
      outs.append(out)
      grads.append(g)
    for key in ('logits', 'attention', 'state'):
      np.testing.assert_allclose(outs[1][key], outs[0][key], rtol=1e-5, atol=1e-5)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6), grads[1],
                 grads[0])
    assert outs[0]['logits'].shape == (10, spec.vocab_size)


def test_constant_query_has_no_question_table(data):
  """The language model's query is a constant: no B table (nothing to update), the other
  params as drawn with it (the same init)."""
  _, spec = data
  with_b = memn2n.init(jax.random.PRNGKey(0), _cfg(tying='layerwise'), spec)
  lm = memn2n.init(jax.random.PRNGKey(0), _cfg(tying='layerwise', query='constant'), spec)
  assert set(with_b) - set(lm) == {'B'}
  for k in lm:
    np.testing.assert_array_equal(lm[k], with_b[k])


@pytest.mark.parametrize('encoding,form', [('bow', 'sentence'), ('pe', 'sentence'),
                                           ('pe', 'authors')])
def test_sentence_bags_by_hand(encoding, form):
  """Each word's weight added at its id, repeated words summed, the null word in no bag."""
  rng = np.random.default_rng(3)
  tokens = rng.integers(0, 6, size=(2, 3, 5)).astype(np.int32)
  tokens[0, 0] = [2, 2, 5, 0, 0]                        # a repeated word, then padding
  tokens[1, 2] = 0                                      # an empty slot
  bags = np.asarray(memn2n.sentence_bags(jnp.asarray(tokens), 6, encoding, form, pe_len=6))
  a, c, _ = (np.asarray(t) for t in memn2n.pe_terms(jnp.asarray(tokens), 1, form, 6))
  weights = [np.ones(tokens.shape)] if encoding == 'bow' else [a, c]
  want = np.zeros(tokens.shape[:-1] + (len(weights), 6), np.float32)
  for idx in np.ndindex(tokens.shape):
    if tokens[idx]:
      for b, w in enumerate(weights):
        want[idx[:-1] + (b, tokens[idx])] += w[idx]
  np.testing.assert_allclose(bags, want, rtol=1e-6, atol=1e-7)
  assert not bags[1, 2].any() and not bags[..., 0].any()
