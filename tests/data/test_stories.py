"""Story batches: units, batch layout, and the model's outputs and gradients equal to ordinary
batches' (`dmn_jax/data/stories.py`)."""

import jax
import numpy as np
import pytest

from dmn_jax import families
from dmn_jax.data import babi, batching, stories
from dmn_jax.input_pipeline import Batcher, epoch_batches
from dmn_jax.models import dmn
from experiments.configs import babi as babi_config
from tests.conftest import TINY_TRAIN, synthetic_task, write_task


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
  d = write_task(tmp_path_factory.mktemp('s'), train=TINY_TRAIN)
  data, spec = babi.load_task(d, 1, dev_fraction=0.0)
  return data['train'], spec


def test_units_group_the_questions_of_a_story(tiny):
  arrays, _ = tiny
  # Story 1: questions at lines 3 and 6; story 2: lines 3 and 5.
  np.testing.assert_array_equal(stories.units(arrays), [0, 0, 1, 1])
  np.testing.assert_array_equal(stories.representatives(stories.units(arrays)), [1, 3])


def test_a_slid_window_starts_a_new_unit(tmp_path):
  """With max_facts truncation the second question's window no longer starts at the story's
  first sentence: its story is not an extension of the first one's, so it is its own unit."""
  d = write_task(tmp_path, train=TINY_TRAIN)
  data, _ = babi.load_task(d, 1, dev_fraction=0.0, max_facts=2)
  np.testing.assert_array_equal(stories.units(data['train']), [0, 1, 2, 3])
  data, _ = babi.load_task(d, 1, dev_fraction=0.0, max_facts=4)
  np.testing.assert_array_equal(stories.units(data['train']), [0, 0, 1, 1])


def test_rows_bound_holds_for_every_shuffled_batch(tmp_path):
  d = write_task(tmp_path, train=synthetic_task(40))
  data, _ = babi.load_task(d, 1, dev_fraction=0.0)
  arrays = data['train']
  u = stories.units(arrays)
  assert np.all(np.bincount(u) == 2)                           # two questions per story
  for bs in (1, 3, 5, 8):
    rows = stories.rows_bound(u, bs)
    assert rows == min(bs, (bs - 2) // 2 + 2) if bs > 2 else rows == bs
    maker = Batcher(arrays, bs, rows)
    for epoch in range(3):                                     # make_batch raises on overflow
      order = maker.shuffle(np.arange(len(u)), np.random.default_rng(epoch))
      assert sum(b['weight'].sum() for b in maker.batches(order)) == len(u)
      # A unit's questions stay together and in order.
      pos = np.argsort(order)
      for unit in range(u.max() + 1):
        rows_of_unit = np.flatnonzero(u == unit)
        assert np.all(np.diff(pos[rows_of_unit]) == 1)


def test_story_batch_layout(tiny):
  arrays, _ = tiny
  maker = Batcher(arrays, 4, 2)
  b = next(maker.batches(np.array([2, 3, 0, 1])))
  assert b['story'].shape[0] == 2 and b['question'].shape[0] == 4
  np.testing.assert_array_equal(b['story_row'], [0, 0, 1, 1])
  np.testing.assert_array_equal(b['story'][0], arrays['story'][3])      # the unit's longest
  np.testing.assert_array_equal(b['story'][1], arrays['story'][1])
  np.testing.assert_array_equal(b['question'], arrays['question'][[2, 3, 0, 1]])


@pytest.mark.parametrize('fact_time,fusion,chunk', [(False, 'none', 0), (True, 'bigru', 0),
                                                     (False, 'none', 4)])
def test_story_batches_give_the_ordinary_outputs_and_gradients(tmp_path, fact_time, fusion, chunk):
  """Facts, gates, answers, loss and every gradient equal those of ordinary batches of the same
  questions (no dropout: with dropout the masks are drawn per story, not per question); also
  with `batch_chunk` (story rows and questions a chunk at a time, remainders included)."""
  d = write_task(tmp_path, train=synthetic_task(12), test=synthetic_task(12, seed=1))
  data, spec = babi.load_task(d, 1, dev_fraction=0.0)
  cfg = babi_config.get_config('tiny')
  cfg.model.dropout = 0.0
  cfg.model.fact_time, cfg.model.fact_fusion = fact_time, fusion
  cfg.model.batch_chunk = chunk
  fam = families.of(cfg)
  params = fam.init(jax.random.PRNGKey(0), cfg.model, spec)
  arrays = data['train']
  order = np.random.default_rng(0).permutation(len(arrays['story']))
  story_maker = Batcher(arrays, 6, stories.rows_bound(stories.units(arrays), 6))
  order = story_maker.shuffle(order, np.random.default_rng(1))
  ctl = {'loss_weights': np.array([1.0, 1.0], np.float32)}
  keys = jax.random.split(jax.random.PRNGKey(3), 6)

  def loss(p, batch):
    t = fam.terms(p, batch, keys, cfg.model, train=True, controls=ctl)
    return fam.objective(t, ctl), t

  apply = jax.jit(lambda p, b: dmn.apply(p, b, None, cfg.model, train=False))
  grad = jax.jit(jax.value_and_grad(loss, has_aux=True))
  pairs = list(zip(story_maker.batches(order), Batcher(arrays, 6).batches(order)))[:2]
  for sb, ob in pairs:
    assert sb['story'].shape[0] < ob['story'].shape[0]
    out_s, out_o = apply(params, sb), apply(params, ob)
    for k in ('answer_logits', 'gate_logits'):
      np.testing.assert_allclose(out_s[k], out_o[k], rtol=1e-4, atol=1e-5)
    (ls, ts), gs = grad(params, sb)
    (lo, to), go = grad(params, ob)
    np.testing.assert_allclose(ls, lo, rtol=1e-5)
    for a, b in zip(jax.tree.leaves(gs), jax.tree.leaves(go)):
      np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_story_buckets_keep_units_whole(tmp_path):
  d = write_task(tmp_path, train=TINY_TRAIN * 3)
  data, _ = babi.load_task(d, 1, dev_fraction=0.0)
  arrays = data['train']
  u = stories.units(arrays)
  maker = Batcher(arrays, 2, stories.rows_bound(u, 2))
  buckets = maker.buckets(2)
  for b in buckets:
    for unit in np.unique(u[b['idx']]):
      assert set(np.flatnonzero(u == unit)) <= set(b['idx'].tolist())
  steps = list(epoch_batches(maker, [0, 1], 0, buckets))
  assert sum(float(b['weight'][0].sum()) for _, b in steps) == len(u)
  for j, b in steps:
    assert b['story'].shape[-1] == buckets[j]['words']
    assert batching.num_examples(b) == 2                      # the seed axis
