import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from dmn_jax.data import babi
from dmn_jax.models import dmn
from experiments.configs import babi as babi_config
from tests.conftest import TINY_TRAIN, row, with_keys, write_task


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
  data_dir = write_task(tmp_path_factory.mktemp('d'), train=TINY_TRAIN)
  data, spec = babi.load_task(data_dir, 1, dev_fraction=0.5)
  cfg = babi_config.get_config('tiny').model
  params = dmn.init(jax.random.PRNGKey(0), cfg, spec)
  return data['test'], spec, cfg, params


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


@pytest.mark.parametrize('attention, gate_norm, fusion', [
    ('gru', 'sigmoid', 'none'), ('gru', 'softmax', 'none'), ('softmax', 'sigmoid', 'none'),
    ('gru', 'softmax', 'bigru'), ('gru', 'softmax', 'time')])
def test_padding_changes_nothing(setup, attention, gate_norm, fusion):
  test, spec, cfg, params = setup
  cfg = ml_collections.ConfigDict(cfg.to_dict())
  cfg.attention, cfg.gate_norm = attention, gate_norm
  cfg.fact_fusion = 'bigru' if fusion == 'bigru' else 'none'
  cfg.fact_time = fusion == 'time'
  if fusion != 'none':
    params = dmn.init(jax.random.PRNGKey(0), cfg, spec)
  ex = row(test, 3)
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
    single = dmn.forward(params, row(test, i), None, cfg, train=False)
    np.testing.assert_allclose(batched['answer_logits'][i], single['answer_logits'], rtol=1e-5,
                               atol=1e-6)


def test_batch_chunks_compute_the_same_function(setup):
  """model.batch_chunk: examples a chunk at a time, with dropout keys in training: the same
  outputs and gradients as the whole batch."""
  test, spec, cfg, params = setup
  n = len(test['story'])
  keys = jax.random.split(jax.random.PRNGKey(2), n)

  def run(c):
    c_cfg = ml_collections.ConfigDict(cfg.to_dict())
    c_cfg.batch_chunk = c

    def loss(p):
      out = dmn.apply(p, test, keys, c_cfg, train=True)
      return jnp.sum(out['answer_logits'] ** 2) + jnp.sum(out['gate_logits']), out
    return jax.jit(jax.value_and_grad(loss, has_aux=True))(params)     # compiled: seconds, not a minute

  (_, whole), g_whole = run(0)
  (_, chunked), g = run(n - 1)                 # a chunk of n - 1 and a remainder of 1
  for k in ('answer_logits', 'gate_logits', 'prediction'):
    np.testing.assert_allclose(chunked[k], whole[k], rtol=1e-5, atol=1e-5)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4), g, g_whole)


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
  ex = row(test, 3)                                  # multi-token answer (A = 3)
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
  out = dmn.forward(params, row(test, 0), None, cfg, train=False)
  assert out['gate_logits'].shape == (cfg.passes, spec.max_story_tokens)
  assert np.array_equal(out['fact_mask'], test['story_mask'][0])


def test_zero_passes_answers_from_the_input_module(setup):
  test, spec, cfg, params = setup
  cfg0 = with_keys(cfg, passes=0, dropout=0.0)
  ex = row(test, 0)
  out = dmn.forward(params, ex, None, cfg0, train=False)
  assert out['gate_logits'].shape == (0, spec.max_facts) and int(out['passes_used']) == 0
  # The answer starts from the input GRU's state after the last real word...
  _, hs = dmn.gru_scan(params['input_gru'], jnp.zeros(cfg.hidden),
                       params['embed'][ex['story']], ex['story_mask'])
  q, _ = dmn.gru_scan(params['question_gru'], jnp.zeros(cfg.hidden),
                      params['embed'][ex['question']], ex['question_mask'])
  n = int(ex['story_mask'].sum())
  logits, _ = dmn.decode(params, hs[n - 1], q, ex['answer'], teacher_forcing=False)
  np.testing.assert_allclose(out['answer_logits'], logits, rtol=1e-5, atol=1e-6)
  # ...so it depends on the story, and no gate parameter matters.
  other = dict(ex, story=np.where(ex['story_mask'], (ex['story'] + 1) % spec.vocab_size, 0))
  assert not np.allclose(dmn.forward(params, other, None, cfg0, train=False)['answer_logits'],
                         out['answer_logits'])
  no_gate = dict(params, gate=jax.tree.map(jnp.zeros_like, params['gate']))
  np.testing.assert_array_equal(dmn.forward(no_gate, ex, None, cfg0, train=False)['answer_logits'],
                                out['answer_logits'])


def test_end_pass_freezes_the_memory_after_the_gold_stop(setup):
  test, spec, cfg, _ = setup
  cfg3 = with_keys(cfg, passes=3, end_pass=True, dropout=0.0)
  params = dmn.init(jax.random.PRNGKey(1), cfg3, spec)
  assert params['end_fact'].shape == (cfg.hidden,)
  ex = row(test, 0)                              # one supporting fact: stop at pass index 1
  assert ex['support_mask'].sum() == 1
  out3 = dmn.forward(params, ex, jax.random.PRNGKey(0), cfg3, train=True)
  assert out3['gate_logits'].shape == (3, spec.max_facts + 1)    # + the end fact
  assert int(out3['passes_used']) == 1
  out1 = dmn.forward(params, ex, jax.random.PRNGKey(0), with_keys(cfg3, passes=1), train=True)
  np.testing.assert_allclose(out3['answer_logits'], out1['answer_logits'], rtol=1e-5, atol=1e-6)
  # Without the end fact the two later passes change the memory, hence the answer.
  plain = dmn.forward(params, ex, jax.random.PRNGKey(0), with_keys(cfg3, end_pass=False), train=True)
  assert not np.allclose(plain['answer_logits'], out1['answer_logits'])


def test_end_pass_at_evaluation_stops_where_the_gate_picks_the_end(setup):
  test, spec, cfg, _ = setup
  cfg3 = with_keys(cfg, passes=3, end_pass=True)
  params = dmn.init(jax.random.PRNGKey(1), cfg3, spec)
  ex = row(test, 0)
  out = dmn.forward(params, ex, None, cfg3, train=False)
  picks = np.argmax(np.asarray(out['gate_logits']), -1)
  end = spec.max_facts
  first_end = next((i for i, k in enumerate(picks) if k == end), 3)
  assert int(out['passes_used']) == first_end


def test_bigru_fusion_lets_a_fact_see_later_facts(setup):
  test, spec, cfg, _ = setup
  cfgf = with_keys(cfg, fact_fusion='bigru')
  params = dmn.init(jax.random.PRNGKey(2), cfgf, spec)
  assert 'fusion_gru' in params and 'fusion_gru' not in dmn.init(jax.random.PRNGKey(2), cfg, spec)
  ex = row(test, 3)
  n = int(ex['fact_mask'].sum())
  assert n >= 2
  # Change the words of the LAST sentence only: with fusion the FIRST pass's gate on the first
  # fact changes; without it the first fact (a forward GRU state) cannot.
  last_start = int(ex['fact_pos'][n - 2]) + 1
  story = ex['story'].copy()
  story[last_start:int(ex['fact_pos'][n - 1])] = (story[last_start:int(ex['fact_pos'][n - 1])]
                                                   + 1) % spec.vocab_size
  other = dict(ex, story=story)
  for c, changes in ((cfgf, True), (with_keys(cfg, fact_fusion='none'), False)):
    p = dmn.init(jax.random.PRNGKey(2), c, spec)
    a = dmn.forward(p, ex, None, c, train=False)['gate_logits'][0, 0]
    b = dmn.forward(p, other, None, c, train=False)['gate_logits'][0, 0]
    assert bool(np.abs(a - b) > 1e-6) == changes


def test_fact_time_marks_recency(setup):
  test, spec, cfg, _ = setup
  cfgt = with_keys(cfg, fact_time=True)
  params = dmn.init(jax.random.PRNGKey(3), cfgt, spec)
  assert params['fact_time'].shape == (spec.max_facts, cfg.hidden)
  ex = row(test, 3)
  n = int(ex['fact_mask'].sum())
  # With all recency vectors equal the encoding changes nothing but a shift of every fact;
  # distinct vectors change the gates, and the LATEST fact always gets row 0.
  flat = dict(params, fact_time=jnp.zeros_like(params['fact_time']))
  a = dmn.forward(flat, ex, None, cfgt, train=False)
  b = dmn.forward(flat, ex, None, with_keys(cfg, fact_time=False), train=False)
  np.testing.assert_allclose(a['answer_logits'], b['answer_logits'], rtol=1e-5, atol=1e-6)
  only_latest = dict(params, fact_time=jnp.zeros_like(params['fact_time']).at[0].set(5.0))
  c = dmn.forward(only_latest, ex, None, cfgt, train=False)
  changed = np.abs(np.asarray(c['gate_logits'][0] - b['gate_logits'][0])) > 1e-6
  assert changed[n - 1] and not changed[:n - 1].any()


def _tagging_setup(passes=1, fusion='bigru'):
  from dmn_jax.data import text
  from dmn_jax.data.vocab import Vocab
  from experiments.configs import pos as pos_config
  sents = [['the', 'dog', 'runs'], ['a', 'cat'], ['the', 'cat', 'sees', 'a', 'dog']]
  tag_of = {'the': 0, 'a': 0, 'dog': 1, 'cat': 1, 'runs': 2, 'sees': 2}
  vocab = Vocab.build(sents + [['<tag>']])
  arrays = text.encode(sents, [[tag_of[w] for w in s] for s in sents], vocab,
                       vocab.encode(['<tag>'])[0], 6, tagging=True)
  spec = text.TextSpec(vocab=vocab, answers=('DT', 'NN', 'VB'), max_story_tokens=6)
  cfg = with_keys(pos_config.get_config('ud_ewt,tiny').model, passes=passes, fact_fusion=fusion)
  return arrays, spec, cfg, dmn.init(jax.random.PRNGKey(3), cfg, spec)


@pytest.mark.parametrize('passes, fusion', [(1, 'bigru'), (2, 'none'), (0, 'none')])
def test_tagging_head_one_tag_per_real_word_none_for_padding(passes, fusion):
  """head='tagging': logits [B, S, tags]; the tag at a real word ignores how much padding
  follows; the loss and accuracy count real words only (3 + 2 + 5 = 10), whatever the
  predictions at padded positions are."""
  from dmn_jax import losses
  arrays, spec, cfg, params = _tagging_setup(passes, fusion)
  out = dmn.apply(params, arrays, None, cfg, train=False)
  assert out['answer_logits'].shape == (3, 6, 3) and out['prediction'].shape == (3, 6)
  # Padding invariance: the same sentences with 4 more padded (junk) positions.
  wide = {k: (np.concatenate([v, np.full((3, 4), 7 if k != 'story_mask' else 0, v.dtype)], 1)
              if k in ('story', 'story_mask', 'tags', 'tag_mask') else v)
          for k, v in arrays.items()}
  wide['tag_mask'] = wide['story_mask']
  out_w = dmn.apply(params, wide, None, cfg, train=False)
  real = arrays['tag_mask']
  np.testing.assert_allclose(np.asarray(out_w['answer_logits'])[:, :6][real],
                             np.asarray(out['answer_logits'])[real], rtol=1e-5, atol=1e-6)
  batch = dict(arrays, weight=np.ones((3,), np.float32))
  terms = losses.tagging_terms(out, batch)
  assert float(terms['count']) == 10
  # Wrong logits at padded positions change nothing; at a real word they do.
  noisy = dict(out, answer_logits=jnp.where(real[..., None], out['answer_logits'], 1e3 * (
      jnp.arange(3) == 2)))
  t2 = losses.tagging_terms(noisy, batch)
  for k in ('answer_loss_sum', 'correct', 'count'):
    assert float(t2[k]) == pytest.approx(float(terms[k]), rel=1e-6), k
  flipped = dict(out, answer_logits=out['answer_logits'].at[0, 0].set(
      jnp.array([-50.0, 50.0, -50.0])))                   # 'the' tagged NN: wrong
  assert float(losses.tagging_terms(flipped, batch)['correct']) <= float(terms['correct'])
  assert float(losses.tagging_terms(flipped, batch)['answer_loss_sum']) > float(
      terms['answer_loss_sum'])
