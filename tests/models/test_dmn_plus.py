import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dmn_jax.data import babi_memory
from dmn_jax.models import dmn_plus
from dmn_jax.nn.gru import gru_cell
from experiments.configs import babi_dmnplus as dmnplus_config
from tests.conftest import TINY_TRAIN, row, with_keys, write_task


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
  data_dir = write_task(tmp_path_factory.mktemp('d'), train=TINY_TRAIN)
  data, spec = babi_memory.load_tasks(data_dir, (1,), dev_fraction=0.5, memory_size=6)
  cfg = dmnplus_config.get_config('tiny').model
  params = dmn_plus.init(jax.random.PRNGKey(0), cfg, spec)
  return data['test'], spec, cfg, params


def test_shapes_and_attention_sums_to_one(setup):
  test, spec, cfg, params = setup
  out = dmn_plus.apply(params, test, None, cfg, train=False)
  b, m = test['memory'].shape[:2]
  assert out['logits'].shape == (b, spec.vocab_size)
  assert out['gate_logits'].shape == (b, cfg.passes, m)
  np.testing.assert_allclose(out['attention'].sum(-1), 1.0, rtol=1e-5)
  assert (np.asarray(out['attention'])[~np.broadcast_to(
      test['memory_mask'][:, None], out['attention'].shape)] == 0).all()


@pytest.mark.parametrize('fusion', ['bigru', 'none'])
def test_padding_changes_nothing(setup, fusion):
  """More empty memory slots, longer padded sentences and questions: the same outputs."""
  test, spec, cfg, params = setup
  cfg = with_keys(cfg, fusion=fusion)
  params = dmn_plus.init(jax.random.PRNGKey(1), cfg, spec)
  ex = row(test, 3)
  padded = {'memory': np.pad(ex['memory'], ((0, 4), (0, 3))),
            'memory_mask': np.pad(ex['memory_mask'], (0, 4)),
            'question': np.pad(ex['question'], (0, 2))}
  a = dmn_plus.forward(params, ex, None, cfg, train=False)
  b = dmn_plus.forward(params, padded, None, cfg, train=False)
  np.testing.assert_allclose(a['logits'], b['logits'], rtol=1e-5, atol=1e-6)
  n = ex['memory'].shape[0]
  np.testing.assert_allclose(a['attention'], b['attention'][:, :n], rtol=1e-5, atol=1e-6)
  assert (b['gate_logits'][:, ex['memory_mask'].sum():] < -1e20).all()


def test_batch_row_equals_single_example(setup):
  test, spec, cfg, params = setup
  batched = dmn_plus.apply(params, test, None, cfg, train=False)
  for i in range(len(test['answer'])):
    single = dmn_plus.forward(params, row(test, i), None, cfg, train=False)
    np.testing.assert_allclose(batched['logits'][i], single['logits'], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(batched['attention'][i], single['attention'], atol=1e-6)


def test_sentence_reader_position_weights_by_hand():
  """f = Σ_j l_j ∘ E[w_j], l_jd = (1 − j/J) − (d/D)(1 − 2j/J), computed with plain loops."""
  rng = np.random.default_rng(0)
  v, d = 9, 4
  emb = rng.normal(size=(v, d)).astype(np.float32)
  memory = np.array([[3, 5, 2, 0, 0], [7, 0, 0, 0, 0], [0, 0, 0, 0, 0]], np.int32)
  want = np.zeros((3, d), np.float32)
  for i, sentence in enumerate(memory):
    words = [w for w in sentence if w]
    big_j = len(words)
    for j, w in enumerate(words, start=1):
      for k in range(1, d + 1):
        want[i, k - 1] += ((1 - j / big_j) - (k / d) * (1 - 2 * j / big_j)) * emb[w, k - 1]
  got = dmn_plus.sentence_encodings({'embed': jnp.asarray(emb)}, jnp.asarray(memory))
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  # A 2000-word vocabulary takes the gather path: the same numbers.
  big = np.concatenate([emb, rng.normal(size=(2000, d)).astype(np.float32)])
  got = dmn_plus.sentence_encodings({'embed': jnp.asarray(big)}, jnp.asarray(memory))
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_sentence_reader_authors_form_by_hand():
  """pe_form='authors': l_jk = 1 + 4(k − (D+1)/2)(j − (J+1)/2)/(DJ), J the padded length for
  every sentence, by loops; both the bag and the gather paths."""
  rng = np.random.default_rng(1)
  v, d = 9, 4
  emb = rng.normal(size=(v, d)).astype(np.float32)
  memory = np.array([[3, 5, 2, 0, 0], [7, 0, 0, 0, 0], [0, 0, 0, 0, 0]], np.int32)
  big_j = memory.shape[1]
  want = np.zeros((3, d), np.float32)
  for i, sentence in enumerate(memory):
    for j, w in enumerate(sentence, start=1):
      if w:
        for k in range(1, d + 1):
          want[i, k - 1] += (1 + 4 * (k - (d + 1) / 2) * (j - (big_j + 1) / 2) / (d * big_j)
                             ) * emb[w, k - 1]
  for table in (emb, np.concatenate([emb, rng.normal(size=(2000, d)).astype(np.float32)])):
    got = dmn_plus.sentence_encodings({'embed': jnp.asarray(table)}, jnp.asarray(memory),
                                      'authors')
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_story_order_is_its_own_inverse():
  order = np.asarray(dmn_plus.story_order(jnp.asarray(3), 6))
  np.testing.assert_array_equal(order, [2, 1, 0, 3, 4, 5])
  np.testing.assert_array_equal(order[order], np.arange(6))


def test_fusion_layer_two_directions_by_hand(setup):
  """Facts in story order = forward GRU (oldest → newest) + backward GRU (newest → oldest),
  each run step by step here over the real sentences only."""
  test, spec, cfg, params = setup
  ex = row(test, 3)
  n = int(ex['memory_mask'].sum())
  f = np.asarray(dmn_plus.sentence_encodings(params, ex['memory']))[:n][::-1]   # oldest first
  h = np.zeros(cfg.hidden, np.float32)
  fwd = []
  for x in f:
    h = gru_cell(params['fusion_fwd'], h, x)
    fwd.append(h)
  h = np.zeros(cfg.hidden, np.float32)
  bwd = []
  for x in f[::-1]:
    h = gru_cell(params['fusion_bwd'], h, x)
    bwd.append(h)
  want = np.stack(fwd) + np.stack(bwd[::-1])
  got = dmn_plus.facts(params, ex['memory'], ex['memory_mask'], None, cfg)
  np.testing.assert_allclose(got[:n], want, rtol=1e-5, atol=1e-6)
  assert (np.asarray(got[n:]) == 0).all()
  # The first fact knows the last sentence (backward direction) ...
  changed = dict(ex, memory=ex['memory'].copy())
  changed['memory'][0, 0] = (changed['memory'][0, 0] % (spec.vocab_size - 4)) + 3   # newest
  got2 = dmn_plus.facts(params, changed['memory'], ex['memory_mask'], None, cfg)
  assert not np.allclose(got[0], got2[0])
  # ... which it cannot without the fusion layer.
  cfg_none = with_keys(cfg, fusion='none')
  p_none = dmn_plus.init(jax.random.PRNGKey(0), cfg_none, spec)
  a = dmn_plus.facts(p_none, ex['memory'], ex['memory_mask'], None, cfg_none)
  b = dmn_plus.facts(p_none, changed['memory'], ex['memory_mask'], None, cfg_none)
  np.testing.assert_allclose(a[0], b[0])


def test_gate_split_equals_reference_features(setup):
  test, spec, cfg, params = setup
  rng = np.random.default_rng(1)
  h = cfg.hidden
  f = jnp.asarray(rng.normal(size=(5, h)), jnp.float32)
  m = jnp.asarray(rng.normal(size=(h,)), jnp.float32)
  q = jnp.asarray(rng.normal(size=(h,)), jnp.float32)
  g = params['gate']
  z = dmn_plus.gate_features(f, m, q)
  assert z.shape == (5, 4 * h)
  want = jnp.tanh(z @ g['W1'] + g['b1']) @ g['W2'] + g['b2']
  mask = jnp.array([True, True, True, False, True])
  got = dmn_plus.gate_logits(g, dmn_plus.gate_precompute(g, f, q), f, m, mask)
  np.testing.assert_allclose(np.asarray(got)[np.asarray(mask)], np.asarray(want)[np.asarray(mask)],
                             rtol=1e-5, atol=1e-5)
  assert float(got[3]) < -1e20


def test_attention_gru_gates(setup):
  """g = 0 everywhere keeps h_0 = 0; g = 1 at one fact gives exactly one reset-gated step."""
  test, spec, cfg, params = setup
  p = params['attn_gru']
  h = cfg.hidden
  rng = np.random.default_rng(2)
  f = jnp.asarray(rng.normal(size=(4, h)), jnp.float32)
  np.testing.assert_array_equal(dmn_plus.attention_gru(p, f, jnp.zeros(4)), np.zeros(h))
  x = f[2] @ p['W'] + p['b']
  want = np.tanh(np.asarray(x[h:]))          # h_{i-1} = 0: the candidate alone
  got = dmn_plus.attention_gru(p, f, jnp.array([0.0, 0.0, 1.0, 0.0]))
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_memory_update_untied_per_pass(setup):
  test, spec, cfg, params = setup
  assert params['memory']['W'].shape == (cfg.passes, 3 * cfg.hidden, cfg.hidden)
  # Changing pass 2's weights changes the answer; they are not shared with pass 1.
  ex = row(test, 1)
  a = dmn_plus.forward(params, ex, None, cfg, train=False)['logits']
  p2 = jax.tree.map(lambda x: x, params)
  p2['memory'] = dict(params['memory'], W=params['memory']['W'].at[1].multiply(2.0))
  out = dmn_plus.forward(p2, ex, None, cfg, train=False)
  assert not np.allclose(a, out['logits'])
  np.testing.assert_allclose(out['gate_logits'][:2],
                             dmn_plus.forward(params, ex, None, cfg, train=False)['gate_logits'][:2],
                             rtol=1e-5, atol=1e-6)


def test_dropout_only_in_training(setup):
  test, spec, cfg, params = setup
  cfg = with_keys(cfg, dropout=0.5)
  ex = row(test, 0)
  key = jax.random.PRNGKey(3)
  a = dmn_plus.forward(params, ex, key, cfg, train=False)['logits']
  b = dmn_plus.forward(params, ex, None, cfg, train=False)['logits']
  np.testing.assert_array_equal(a, b)
  c = dmn_plus.forward(params, ex, key, cfg, train=True)['logits']
  assert not np.allclose(a, c)


def test_batch_chunks_compute_the_same_function(setup):
  """model.batch_chunk: examples a chunk at a time (a remainder chunk too), with dropout keys:
  the same outputs and gradients as the whole batch at once."""
  test, spec, cfg, params = setup
  n = len(test['answer'])
  keys = jax.random.split(jax.random.PRNGKey(2), n)

  def run(c):
    def loss(p):
      out = dmn_plus.apply(p, test, keys, with_keys(cfg, batch_chunk=c), train=True)
      return jnp.sum(jax.nn.log_softmax(out['logits'])[jnp.arange(n), test['answer']]), out
    return jax.jit(jax.value_and_grad(loss, has_aux=True))(params)     # compiled: seconds, not a minute

  (_, whole), g_whole = run(0)
  for c in (1, n - 1):
    (_, chunked), g = run(c)
    for k in ('logits', 'gate_logits', 'attention'):
      np.testing.assert_allclose(chunked[k], whole[k], rtol=1e-5, atol=1e-5)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5), g, g_whole)
