import json

from dmn_jax.results import story_batches


def _cell(root, task, accs, story):
  d = root / f'task{task:02d}'
  d.mkdir(parents=True)
  seeds = [{'seed': i, 'test_accuracy': a, 'epochs_run': 10 + i} for i, a in enumerate(accs)]
  best = max(range(len(accs)), key=lambda i: accs[i])
  (d / 'summary.json').write_text(json.dumps({
      'task': task, 'seeds': seeds, 'test_accuracy': accs[best], 'train_seconds': 100.0,
      'examples_per_second': 900.0, 'machine': 'm'}))
  (d / 'config.json').write_text(json.dumps({'task': task, 'model_family': 'dmn',
                                             'train': {'story_batches': story, 'l2': 1e-5}}))
  return d


def test_table_pairs_each_story_run_with_its_table1_run(tmp_path):
  base, story, work = tmp_path / 'base', tmp_path / 'story', tmp_path / 'w'
  _cell(base, 2, [0.9, 0.8], False)
  run = _cell(work, 2, [0.95, 0.85], True)
  assert story_batches.archive(str(tmp_path / 'missing')) is None
  assert story_batches.archive(str(run), str(story)).endswith('task02')
  text, rows = story_batches.make_table('CMD', str(story), str(base))
  assert len(rows) == 1 and rows[0]['task'] == 2
  assert rows[0]['ordinary_per_seed'] == [90.0, 80.0] and rows[0]['story_per_seed'] == [95.0, 85.0]
  assert rows[0]['config_differences'] == []
  assert '| 2 | 98.2 | 90.0 | 95.0 | 85.0 ± 5.0 | 90.0 ± 5.0 |' in text and 'CMD' in text
