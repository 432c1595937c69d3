import numpy as np

from dmn_jax.data import batching


def _arrays(words, facts, max_words=12, max_facts=5):
  n = len(words)
  story_mask = np.arange(max_words)[None] < np.array(words)[:, None]
  fact_mask = np.arange(max_facts)[None] < np.array(facts)[:, None]
  return {'story': np.where(story_mask, 3, 0).astype(np.int32), 'story_mask': story_mask,
          'fact_pos': np.zeros((n, max_facts), np.int32), 'fact_mask': fact_mask,
          'answer': np.arange(n, dtype=np.int32)[:, None]}


def test_batches_pad_the_last_batch_with_zero_weight():
  a = _arrays([3, 4, 5], [1, 1, 2])
  bs = list(batching.batches(a, 2))
  assert [b['weight'].tolist() for b in bs] == [[1, 1], [1, 0]]
  assert bs[1]['answer'][:, 0].tolist() == [2, 0]


def test_length_buckets_partition_and_shapes():
  words = [10, 2, 3, 12, 5, 6, 7, 1, 4]
  facts = [4, 1, 1, 5, 2, 2, 3, 1, 2]
  a = _arrays(words, facts)
  buckets = batching.length_buckets(a, 3)
  assert sorted(np.concatenate([b['idx'] for b in buckets]).tolist()) == list(range(9))
  for b in buckets:
    assert b['words'] == max(words[i] for i in b['idx'])
    assert b['facts'] == max(facts[i] for i in b['idx'])
  assert [b['words'] for b in buckets] == sorted(b['words'] for b in buckets)
  assert buckets[0]['words'] < 12
  one = batching.length_buckets(a, 1)
  assert len(one) == 1 and one[0]['words'] == 12 and one[0]['facts'] == 5
  # Cropping removes padding only.
  b = batching.make_batch(a, buckets[0]['idx'], 4)
  c = batching.crop(b, buckets[0])
  assert c['story'].shape == (4, buckets[0]['words'])
  assert b['story_mask'].sum() == c['story_mask'].sum()
  assert b['fact_mask'].sum() == c['fact_mask'].sum()


def test_memory_arrays_bucket_and_crop_by_slots():
  slots = [3, 9, 1, 2, 8, 4]
  mask = np.arange(10)[None] < np.array(slots)[:, None]
  a = {'memory': np.where(mask[..., None], 5, 0).astype(np.int32) * np.ones((1, 1, 4), np.int32),
       'memory_mask': mask, 'question': np.ones((6, 3), np.int32)}
  buckets = batching.length_buckets(a, 2)
  assert sorted(np.concatenate([b['idx'] for b in buckets]).tolist()) == list(range(6))
  assert [b['slots'] for b in buckets] == [4, 9] and 'words' not in buckets[0]
  assert batching.length_buckets(a, 1)[0]['slots'] == 10
  b = batching.make_batch(a, buckets[0]['idx'], 4)
  c = batching.crop(b, buckets[0])
  assert c['memory'].shape == (4, 4, 4) and c['memory_mask'].shape == (4, 4)
  assert c['memory_mask'].sum() == b['memory_mask'].sum() and c['question'].shape == (4, 3)
  assert batching.bucket_shape(buckets[0]) == '4 slots'


def test_bucket_schedule_visits_every_batch_once_and_depends_on_epoch_only():
  a = _arrays([10, 2, 3, 12, 5, 6, 7, 1, 4], [1] * 9)
  buckets = batching.length_buckets(a, 2)
  s0 = batching.bucket_schedule(buckets, 2, epoch=0)
  assert sorted(s0) == sorted({(j, i) for j, b in enumerate(buckets)
                               for i in range(-(-len(b['idx']) // 2))})
  assert s0 == batching.bucket_schedule(buckets, 2, epoch=0)
  assert s0 != batching.bucket_schedule(buckets, 2, epoch=1)
  o = batching.bucket_order(buckets[0], seed=3, epoch=0, j=0)
  assert sorted(o.tolist()) == sorted(buckets[0]['idx'].tolist())


def test_bucket_bounds_minimise_padded_work():
  lengths = np.array([1] * 50 + [2] * 50 + [100] * 5)
  # Best 2 groups: {1, 2} and {100} (work 100·2 + 5·100), not {1} and {2, 100}.
  assert batching._bucket_bounds(lengths, 2) == [2, 100]
  assert batching._bucket_bounds(lengths, 3) == [1, 2, 100]
  assert batching._bucket_bounds(lengths, 9) == [1, 2, 100]      # no more groups than lengths
  rng = np.random.default_rng(0)
  x = rng.integers(1, 40, 200)
  def work(bounds):
    lo = [-1] + bounds[:-1]
    return sum(((x > l) & (x <= h)).sum() * h for l, h in zip(lo, bounds))
  best = work(batching._bucket_bounds(x, 3))
  # Brute force over all pairs of inner bounds.
  u = np.unique(x)
  brute = min(work([int(a), int(b), int(u[-1])]) for i, a in enumerate(u) for b in u[i + 1:-1])
  assert best == brute
