"""The MemN2N switches that follow the authors' released code (facebookarchive/MemNN,
MemN2N-babi-matlab), each against a hand computation."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from dmn_jax import optim
from dmn_jax.data import babi_memory
from dmn_jax import input_pipeline
from dmn_jax.models import memn2n
from tests.conftest import TINY_TRAIN, write_task


def _cfg(**kw):
  c = ml_collections.ConfigDict(dict(
      embed_dim=6, hops=2, tying='adjacent', encoding='pe', temporal=True, random_noise=0.0,
      nonlinearity='none', init_std=0.1, query='question', pe_form='authors',
      time_encoding='word', mask_empty=False))
  c.update(kw)
  return c


@pytest.fixture(scope='module')
def data(tmp_path_factory):
  d = write_task(tmp_path_factory.mktemp('m'), train=TINY_TRAIN)
  arrays, spec = babi_memory.load_tasks(d, [1], dev_fraction=0.0, memory_size=50,
                                        punctuation=False, fit_memory=True)
  return arrays['train'], spec


def _authors_pe(d, big_j):
  """The authors' build_model.m weight, by loops: [J, d]."""
  w = np.zeros((big_j, d))
  for j in range(1, big_j + 1):
    for k in range(1, d + 1):
      w[j - 1, k - 1] = 1 + 4 * (k - (d + 1) / 2) * (j - (big_j + 1) / 2) / d / big_j
  return w


def test_authors_position_encoding_by_hand():
  d, big_j = 5, 7
  tokens = jnp.array([[4, 2, 9, 0, 0, 0], [3, 0, 0, 0, 0, 0]])
  w = np.asarray(memn2n.sentence_weights(tokens, d, 'pe', 'authors', big_j))
  want = _authors_pe(d, big_j)
  np.testing.assert_allclose(w[0, :3], want[:3], rtol=1e-6)
  np.testing.assert_allclose(w[1, :1], want[:1], rtol=1e-6)
  assert (w[0, 3:] == 0).all() and (w[1, 1:] == 0).all()
  # The time word sits at the last position J.
  np.testing.assert_allclose(memn2n.time_word_weight(d, 'authors', big_j), want[-1], rtol=1e-6)
  # The two-bag factorisation gives the same sentence vectors.
  emb = jax.random.normal(jax.random.PRNGKey(0), (10, d))
  bags = memn2n.sentence_bags(tokens, 10, 'pe', 'authors', big_j)
  g = memn2n.pe_terms(tokens, d, 'authors', big_j)[2]
  np.testing.assert_allclose(memn2n.encode_bags(bags, emb, g),
                             memn2n.encode_sentences(emb, tokens, 'pe', jnp.asarray(w)),
                             rtol=1e-5, atol=1e-6)


def test_data_switches(data, tmp_path):
  arrays, spec = data
  # No '.' or '?' tokens; the memory is the longest story (4 statements), not 50.
  assert '.' not in spec.vocab.words and '?' not in spec.vocab.words
  assert spec.memory_size == 4 and arrays['memory'].shape[1] == 4
  d = write_task(tmp_path, train=TINY_TRAIN)
  split, spec = babi_memory.load_tasks(d, [1], dev_fraction=0.25, dev_split='last')
  # 4 questions: the first floor(0.75 * 4) = 3 train, the last one is dev (file order).
  assert len(split['train']['answer']) == 3 and len(split['dev']['answer']) == 1
  assert spec.vocab.words[int(split['dev']['answer'][0])] == 'apple,milk'


def test_time_words_weighted_and_in_the_answer_softmax(data):
  arrays, spec = data
  cfg = _cfg()
  p = memn2n.init(jax.random.PRNGKey(1), cfg, spec)
  ex = {k: v[1] for k, v in arrays.items()}
  out = memn2n.forward(p, ex, None, cfg, train=False)
  t_rows = p['T'].shape[1]
  assert out['logits'].shape == (spec.vocab_size + t_rows,)
  u_final_logits = out['logits'][spec.vocab_size:]
  # Hand computation of the hops (mask_empty=False: every slot in the softmax).
  big_j = max(arrays['memory'].shape[-1], arrays['question'].shape[-1]) + 1
  w = _authors_pe(cfg.embed_dim, big_j)
  mem, q, mask = ex['memory'], ex['question'], ex['memory_mask']

  def enc(e, tokens):
    return sum(w[j] * e[t] for j, t in enumerate(tokens) if t != 0) if any(tokens) else \
        np.zeros(cfg.embed_dim)

  E, T = np.asarray(p['E']), np.asarray(p['T'])
  u = enc(E[0], q)
  for k in range(cfg.hops):
    m = np.stack([enc(E[k], s) + (w[-1] * T[k][i] if mask[i] else 0) for i, s in enumerate(mem)])
    c = np.stack([enc(E[k + 1], s) + (w[-1] * T[k + 1][i] if mask[i] else 0)
                  for i, s in enumerate(mem)])
    s = m @ u
    pr = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    u = u + pr @ c
  np.testing.assert_allclose(out['logits'][1:spec.vocab_size], (u @ E[-1].T)[1:], rtol=1e-4,
                             atol=1e-5)
  np.testing.assert_allclose(u_final_logits, u @ T[-1].T, rtol=1e-4, atol=1e-5)


def test_empty_slots_take_part_in_the_softmax(data):
  arrays, spec = data
  ex = {k: v[0] for k, v in arrays.items()}          # 2 statements in a 4-slot memory
  n = int(ex['memory_mask'].sum())
  assert n < ex['memory_mask'].shape[0]
  cfg = _cfg()
  p = memn2n.init(jax.random.PRNGKey(2), cfg, spec)
  att = np.asarray(memn2n.forward(p, ex, None, cfg, train=False)['attention'])
  masked = np.asarray(memn2n.forward(p, ex, None, _cfg(mask_empty=True), train=False)['attention'])
  np.testing.assert_allclose(masked[0, :n].sum(), 1.0, rtol=1e-5)
  # First hop: the same scores, one more exp(0) per empty slot in the normaliser.
  z = att[0, :n].sum() + att[0, n:].sum()
  np.testing.assert_allclose(z, 1.0, rtol=1e-5)
  np.testing.assert_allclose(att[0, n:], att[0, n], rtol=1e-5)        # equal: all score 0
  ratio = att[0, :n] / masked[0, :n]
  np.testing.assert_allclose(ratio, ratio[0], rtol=1e-4)


def _spectral(x):
  return np.linalg.svd(np.asarray(x, np.float64), compute_uv=False)[0]


def test_per_matrix_clipping_by_hand():
  rng = np.random.default_rng(0)
  g = {'E': jnp.asarray(rng.normal(size=(3, 5, 4)) * 30, jnp.float32),
       'T': jnp.asarray(rng.normal(size=(3, 2, 4)) * 30, jnp.float32),
       'H': jnp.asarray(rng.normal(size=(4, 4)) * 0.01, jnp.float32)}
  tx = optim.clip_per_matrix(40.0)
  out, _ = tx.update(g, tx.init(g))
  for k in range(3):                 # each matrix of the stack alone, to 2-norm 40
    for name in ('E', 'T'):
      n = _spectral(g[name][k])
      want = np.asarray(g[name][k]) * (40 / n if n > 40 else 1.0)
      np.testing.assert_allclose(out[name][k], want, rtol=1e-4)
  np.testing.assert_allclose(out['H'], g['H'])                       # small: untouched
  tx = optim.clip_per_matrix(40.0, (('E', 'T'),))
  out, _ = tx.update(g, tx.init(g))
  for k in range(3):                 # time rows and word rows: one matrix
    n = _spectral(np.concatenate([g['E'][k], g['T'][k]]))
    np.testing.assert_allclose(out['E'][k], np.asarray(g['E'][k]) * 40 / n, rtol=1e-4)
    np.testing.assert_allclose(out['T'][k], np.asarray(g['T'][k]) * 40 / n, rtol=1e-4)
  # Not the global norm: a global clip scales every matrix by one factor.
  glob, _ = optax.clip_by_global_norm(40.0).update(g, None)
  assert not np.allclose(glob['E'][0], out['E'][0])


def test_per_matrix_clipping_skips_the_svd_only_where_no_matrix_can_be_over():
  tx = optim.clip_per_matrix(40.0)
  # Frobenius norm 60 but 2-norm 30 (four equal singular values): not clipped, the SVD runs
  # because the Frobenius bound cannot rule it out; beside it a matrix over the bound.
  g = {'E': jnp.stack([30 * jnp.eye(4), 50 * jnp.eye(4)[::-1]])}
  out, _ = tx.update(g, tx.init(g))
  np.testing.assert_array_equal(out['E'][0], g['E'][0])
  np.testing.assert_allclose(out['E'][1], g['E'][1] * 40 / 50, rtol=1e-6)
  small = {'E': jnp.stack([9 * jnp.eye(4), -9 * jnp.eye(4)])}           # Frobenius 18 < 40
  out, _ = tx.update(small, tx.init(small))
  np.testing.assert_array_equal(out['E'], small['E'])                    # exactly untouched
  # The 2-norm's power iterations sit in one branch of a cond (skipped at run time when no
  # Frobenius norm is over).
  eqns = jax.make_jaxpr(lambda u: tx.update(u, tx.init(u))[0])(small).jaxpr.eqns
  loops = ('while', 'scan')
  assert not any(e.primitive.name in loops for e in eqns)
  cond, = [e for e in eqns if e.primitive.name == 'cond']
  assert any(e.primitive.name in loops for b in cond.params['branches'] for e in b.jaxpr.eqns)


@pytest.mark.parametrize('shape', [(40, 6), (3, 235, 50), (5, 4), (6, 9), (10, 4, 33, 20),
                                   (2, 20, 150)])
def test_spectral_norm_is_the_largest_singular_value(shape):
  """Each matrix of a stack alone, tall and wide, at scales from 1e-3 to 1e3: LAPACK's largest
  singular value (float64) within float32 rounding."""
  rng = np.random.default_rng(1)
  for scale in (1e-3, 1.0, 1e3):
    x = (rng.normal(size=shape) * scale).astype(np.float32)
    got = np.asarray(optim.spectral_norm(jnp.asarray(x)))
    want = np.array([_spectral(m) for m in x.reshape((-1,) + shape[-2:])]).reshape(shape[:-2])
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize('gap', [0.1, 1e-3, 1e-5, 1e-6, 0.0])
def test_spectral_norm_when_the_top_singular_values_nearly_coincide(gap):
  """The power method cannot tell σ1 from σ2 when they nearly coincide; its estimate then lies
  between them, still σ1 within rounding. Also the zero matrix and a multiple of the identity."""
  rng = np.random.default_rng(2)
  u, _ = np.linalg.qr(rng.normal(size=(33, 20)))
  v, _ = np.linalg.qr(rng.normal(size=(20, 20)))
  sv = np.linspace(1.0, 0.1, 20)
  sv[1] = 1.0 - gap
  x = jnp.asarray((u * sv) @ v.T, jnp.float32)
  np.testing.assert_allclose(float(optim.spectral_norm(x)), 1.0, rtol=2e-6)
  np.testing.assert_array_equal(optim.spectral_norm(jnp.zeros((3, 5, 4))), np.zeros(3))
  np.testing.assert_allclose(float(optim.spectral_norm(30 * jnp.eye(4))), 30.0, rtol=1e-6)


def test_sampling_with_replacement_reproducible_from_the_seed(data):
  arrays, spec = data
  arrays = {k: np.concatenate([v] * 10) for k, v in arrays.items()}   # 40 rows
  maker = input_pipeline.Batcher(arrays, 8)
  buckets = maker.buckets(1)

  def rows(seeds, epoch):
    out = []
    for _, b in input_pipeline.epoch_batches(maker, seeds, epoch, buckets,
                                             sampling='with_replacement'):
      out.append(np.asarray(b['answer']))
    return out

  a, b = rows([0, 1], 3), rows([0, 1], 3)
  assert len(a) == 40 // 8                                   # floor(N / batch) batches
  for x, y in zip(a, b):
    np.testing.assert_array_equal(x, y)
  # Seed 0 draws the same rows alone as beside seed 1; another epoch draws others.
  alone = rows([0], 3)
  np.testing.assert_array_equal(np.stack([x[0] for x in a]), np.stack([x[0] for x in alone]))
  draws = np.random.default_rng((0, 3, 1)).choice(40, 40, replace=True)
  assert len(set(draws.tolist())) < 40                      # with replacement: repeats
  with pytest.raises(ValueError, match='one length bucket'):
    list(input_pipeline.epoch_batches(maker, [0], 0, buckets * 2, sampling='with_replacement'))

