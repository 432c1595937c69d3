import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from dmn_jax.data import babi
from dmn_jax.models import dmn
from experiments.configs import babi as babi_config
from tests.conftest import TINY_TRAIN, write_task


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
  data_dir = write_task(tmp_path_factory.mktemp('d'), train=TINY_TRAIN)
  data, spec = babi.load_task(data_dir, 1, dev_fraction=0.5)
  cfg = babi_config.get_config('tiny').model
  params = dmn.init(jax.random.PRNGKey(0), cfg, spec)
  return data['test'], spec, cfg, params


def _row(arrays, i):
  return {k: v[i] for k, v in arrays.items()}


def _pad(ex, extra_tokens=0, extra_facts=0, extra_q=0):
  """The same example with more padding on every axis."""
  out = dict(ex)
  for k, n in (('story', extra_tokens), ('fact_pos', extra_facts), ('question', extra_q)):
    m = 'fact_mask' if k == 'fact_pos' else k + '_mask'
    out[k] = np.concatenate([ex[k], np.full(n, 7, ex[k].dtype)])   # junk ids under the mask
    out[m] = np.concatenate([ex[m], np.zeros(n, bool)])
  return out


def test_shapes(setup):
  test, spec, cfg, params = setup
  out = dmn.apply(params, test, None, cfg, train=False)
  b = len(test['story'])
  assert out['answer_logits'].shape == (b, spec.answer_len, spec.vocab_size)
  assert out['prediction'].shape == (b, spec.answer_len)
  assert out['gate_logits'].shape == (b, cfg.passes, spec.max_facts)


@pytest.mark.parametrize('attention, gate_norm', [('gru', 'sigmoid'), ('gru', 'softmax'),
                                                  ('softmax', 'sigmoid')])
def test_padding_changes_nothing(setup, attention, gate_norm):
  test, spec, cfg, params = setup
  cfg = ml_collections.ConfigDict(cfg.to_dict())
  cfg.attention, cfg.gate_norm = attention, gate_norm
  ex = _row(test, 3)
  a = dmn.forward(params, ex, None, cfg, train=False)
  b = dmn.forward(params, _pad(ex, 5, 3, 2), None, cfg, train=False)
  np.testing.assert_allclose(a['answer_logits'], b['answer_logits'], rtol=1e-5, atol=1e-6)
  nf = ex['fact_mask'].sum()
  np.testing.assert_allclose(a['gate_logits'][:, :nf], b['gate_logits'][:, :nf], rtol=1e-5,
                             atol=1e-6)
  assert (b['gate_logits'][:, nf:] < -1e20).all()          # padded facts never attended


def test_batch_row_equals_single_example(setup):
  test, spec, cfg, params = setup
  batched = dmn.apply(params, test, None, cfg, train=False)
  for i in range(len(test['story'])):
    single = dmn.forward(params, _row(test, i), None, cfg, train=False)
    np.testing.assert_allclose(batched['answer_logits'][i], single['answer_logits'], rtol=1e-5,
                               atol=1e-6)


def test_gate_features_nine_blocks():
  h = 3
  c = jnp.array([[1., 2., 3.], [0., -1., 2.]])
  m = jnp.array([0.5, 0., -1.])
  q = jnp.array([2., 1., 0.])
  wb = jnp.arange(9.).reshape(3, 3)
  z = dmn.gate_features(c, m, q, wb)
  assert z.shape == (2, 7 * h + 2)
  blocks = [c, jnp.tile(m, (2, 1)), jnp.tile(q, (2, 1)), c * q, c * m, jnp.abs(c - q),
            jnp.abs(c - m)]
  for i, blk in enumerate(blocks):
    np.testing.assert_allclose(z[:, i * h:(i + 1) * h], blk)
  np.testing.assert_allclose(z[:, 7 * h], [c[0] @ wb @ q, c[1] @ wb @ q])
  np.testing.assert_allclose(z[:, 7 * h + 1], [c[0] @ wb @ m, c[1] @ wb @ m])


def test_precomputed_gates_equal_reference(setup):
  _, _, _, params = setup
  g = dict(params['gate'], b1=jax.random.normal(jax.random.PRNGKey(5), params['gate']['b1'].shape))
  h = g['Wb'].shape[0]
  k = jax.random.split(jax.random.PRNGKey(1), 3)
  c, m, q = (jax.random.normal(k[0], (6, h)), jax.random.normal(k[1], (h,)),
             jax.random.normal(k[2], (h,)))
  mask = jnp.array([1, 1, 1, 1, 0, 0], bool)
  pre, cw = dmn.gate_precompute(g, c, q)
  np.testing.assert_allclose(dmn.gate_logits_from(g, pre, cw, c, m, mask),
                             dmn.gate_logits(g, c, m, q, mask), rtol=1e-4, atol=1e-5)


def test_attention_gru_zero_gates_give_zero_episode(setup):
  _, _, _, params = setup
  c = jax.random.normal(jax.random.PRNGKey(0), (4, params['memory_gru']['U'].shape[0]))
  logits = jnp.full((4,), -1e30)
  e = dmn.episode(params, c, logits, jnp.ones(4, bool), 'gru')
  np.testing.assert_allclose(e, 0.0, atol=1e-7)   # g = 0 everywhere: h stays at h_0 = 0


def test_softmax_normalised_attention_gru(setup):
  _, _, _, params = setup
  h = params['memory_gru']['U'].shape[0]
  c = jax.random.normal(jax.random.PRNGKey(0), (3, h))
  # g = softmax = [0, 1, 0]: facts 0 and 2 keep the state, so e = GRU(c_1, h_0 = 0).
  logits = jnp.array([-1e30, 0.0, -1e30])
  e = dmn.episode(params, c, logits, jnp.ones(3, bool), 'gru', 'softmax')
  from dmn_jax.nn.gru import gru_cell
  np.testing.assert_allclose(e, gru_cell(params['attn_gru'], jnp.zeros(h), c[1]), rtol=1e-5)


def test_softmax_episode_is_weighted_sum(setup):
  _, _, _, params = setup
  c = jnp.eye(3)
  logits = jnp.array([0., jnp.log(3.), -1e30])
  e = dmn.episode(params, c, logits, jnp.array([True, True, False]), 'softmax')
  np.testing.assert_allclose(e, [0.25, 0.75, 0.0], rtol=1e-6)


def test_teacher_forcing_only_in_training(setup):
  test, spec, cfg, params = setup
  cfg = ml_collections.ConfigDict(cfg.to_dict())
  cfg.dropout = 0.0
  ex = _row(test, 3)                                  # multi-token answer (A = 3)
  other = dict(ex, answer=np.array([5, 6, 7], np.int32))
  # Evaluation decodes greedily: the gold answer is never read.
  a = dmn.forward(params, ex, None, cfg, train=False)
  b = dmn.forward(params, other, None, cfg, train=False)
  np.testing.assert_allclose(a['answer_logits'], b['answer_logits'])
  # Training feeds the gold previous token: step 0 is the same, later steps differ.
  ta = dmn.forward(params, ex, jax.random.PRNGKey(0), cfg, train=True)
  tb = dmn.forward(params, other, jax.random.PRNGKey(0), cfg, train=True)
  np.testing.assert_allclose(ta['answer_logits'][0], tb['answer_logits'][0], rtol=1e-6)
  assert not np.allclose(ta['answer_logits'][1:], tb['answer_logits'][1:])


def test_word_fact_mode(setup):
  test, spec, cfg, params = setup
  cfg = ml_collections.ConfigDict(cfg.to_dict())
  cfg.fact_mode = 'word'
  out = dmn.forward(params, _row(test, 0), None, cfg, train=False)
  assert out['gate_logits'].shape == (cfg.passes, spec.max_story_tokens)
  assert np.array_equal(out['fact_mask'], test['story_mask'][0])
