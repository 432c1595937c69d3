import json
import os
import shutil

import ml_collections
import numpy as np
import pytest

from dmn_jax import results, sweep
from dmn_jax.results.registry import Registry
from dmn_jax.results import table1 as table1_results
from dmn_jax.errors import ConfigError
from experiments.configs import babi as babi_config
from experiments.configs import babi_end_pass, babi_hard, babi_passes, babi_sweep
from tests.conftest import synthetic_task, write_task


def _tiny_dmn(data_dir):
  """get_config(arg) of one-epoch tiny DMN runs on the data under `data_dir`."""
  def run_config(arg):
    c = babi_config.get_config(f'task={arg},tiny')
    c.data_dir = data_dir
    c.train.num_epochs = 1
    c.train.batch_size = 8
    return c
  return run_config


def _finished_table1(tmp_path, num_seeds):
  """(run_config, sweep config) of a Table 1 sweep of synthetic task 1, run to completion in
  `tmp_path` (cells archived under res/cells/a)."""
  data = write_task(tmp_path / 'data', task=1, train=synthetic_task(30),
                    test=synthetic_task(10, seed=1))
  run_config = _tiny_dmn(data)
  table1 = babi_sweep.get_config()
  table1.tasks, table1.num_seeds = '1', num_seeds
  table1.out = str(tmp_path / 'res' / 'a')
  table1.cells_dir = str(tmp_path / 'res' / 'cells' / 'a')
  sweep.run_sweep(table1, str(tmp_path / 'runs_a'), run_config, 'A', log=lambda m: None)
  return run_config, table1


def _fact_time_study(tmp_path):
  """A one-seed grid study of task 1 over model.fact_time, archiving under res/cells/b."""
  study = babi_sweep.get_config()
  study.tasks, study.num_seeds = '1', 1
  study.grid_key, study.grid_values = 'model.fact_time', (False, True)
  study.table = 'grid'
  study.out = str(tmp_path / 'res' / 'b')
  study.cells_dir = str(tmp_path / 'res' / 'cells' / 'b')
  return study


def test_parse_tasks():
  assert sweep.parse_tasks('1-3,7') == [1, 2, 3, 7]
  assert sweep.parse_tasks('7,3,7') == [7, 3]                     # order kept, duplicates dropped
  assert sweep.parse_tasks(babi_sweep.ORDER) != list(range(1, 21))
  assert sorted(sweep.parse_tasks(babi_sweep.ORDER)) == list(range(1, 21))
  for bad in ('0', '21', 'x', ''):
    with pytest.raises(ConfigError):
      sweep.parse_tasks(bad)


def test_cells_take_task_configs_overrides_and_grid():
  cfg = babi_passes.get_config()
  cfg.overrides = ml_collections.ConfigDict({'train': {'num_epochs': 7}})
  cells = sweep.make_cells(cfg, babi_config.get_config)
  assert len(cells) == 15
  assert {c['config'].model.passes for c in cells} == {0, 1, 2, 3, 5}
  assert all(c['config'].train.num_epochs == 7 and c['config'].num_seeds == 3 for c in cells)
  c3 = next(c for c in cells if c['task'] == 3 and c['value'] == 5)
  assert c3['name'] == 'task03_passes5'
  # The per-task choices of configs/babi.py survive (task 3 uses softmax gates).
  assert c3['config'].model.gate_norm == babi_config.get_config('3').model.gate_norm
  cfg.overrides = ml_collections.ConfigDict({'train': {'num_epoch': 7}})
  with pytest.raises(ConfigError, match='num_epoch'):
    sweep.make_cells(cfg, babi_config.get_config)


def test_end_pass_study_reuses_the_table4_five_pass_cells():
  study = sweep.make_cells(babi_end_pass.get_config(), babi_config.get_config)
  table4 = {c['name']: c['config'] for c in
            sweep.make_cells(babi_passes.get_config(), babi_config.get_config)}
  assert len(study) == 6                      # tasks 3, 7, 8 x (False, True)
  for c in study:
    assert c['config'].model.passes == 5 and c['config'].model.end_pass == c['value']
    same = json.loads(table4[f"task{c['task']:02d}_passes5"].to_json_best_effort())
    diff = sweep.workdir_lib.config_diff(same, json.loads(c['config'].to_json_best_effort()), ())
    # end_pass=False is exactly Table 4's 5-pass cell (reused); True differs in that key only.
    assert diff == ([] if not c['value'] else ['model.end_pass'])


@pytest.mark.parametrize('study', ['dropout_t1', 'gate_weight_t1', 'hidden_t1', 'l2_t1', 'dropout_a5'])
def test_table1_protocol_studies_differ_from_table1_in_the_studied_key_only(study):
  cfg = babi_hard.get_config(study)
  table1 = {c['task']: json.loads(c['config'].to_json_best_effort())
            for c in sweep.make_cells(babi_sweep.get_config(), babi_config.get_config)}
  key = cfg.grid_key
  for c in sweep.make_cells(cfg, babi_config.get_config):
    diff = sweep.workdir_lib.config_diff(table1[c['task']],
                                   json.loads(c['config'].to_json_best_effort()), ())
    flat = sweep.workdir_lib.flatten(table1[c['task']])
    same = c['value'] == flat[key]
    # Keys the study pins (it ran before a task adopted another value) differ where adopted.
    pinned = {k for k, v in sweep.workdir_lib.flatten(cfg.overrides.to_dict()).items() if flat[k] != v}
    # The cell with Table 1's value is Table 1's run with fewer seeds: its seed prefix is reused.
    assert diff == sorted({'num_seeds'} | (set() if same else {key}) | pinned)
    assert pinned <= (({'train.gate_weight'} if c['task'] in (3, 13, 19) else set())
                      | ({'model.dropout'} if c['task'] in (2, 3) else set()))
    # Tasks 3, 13 and 19 adopted α = 5 here, tasks 2 and 3 dropout 0.3: Table 1's is the second.
    adopted = {'gate_weight_t1': (3, 13, 19), 'dropout_t1': (2, 3), 'dropout_a5': (3,)}.get(
        study, ())
    assert same == (c['value'] == cfg.grid_values[1 if c['task'] in adopted else 0])


def test_sweep_runs_cells_writes_table_and_skips_finished(tmp_path):
  data = write_task(tmp_path / 'data', task=1, train=synthetic_task(40),
                    test=synthetic_task(10, seed=1))
  write_task(tmp_path / 'data', task=4, train=synthetic_task(40), test=synthetic_task(10, seed=2))
  run_config = _tiny_dmn(data)

  cfg = babi_sweep.get_config()
  cfg.tasks, cfg.num_seeds = '4,1', 2
  cfg.out = str(tmp_path / 'res' / 'table')
  cfg.cells_dir = str(tmp_path / 'res' / 'cells')
  logs = []
  text = sweep.run_sweep(cfg, str(tmp_path / 'runs'), run_config, 'CMD', log=logs.append)
  assert '| 1 | 100 | 100 |' in text and '| 4 | 100 | 100 |' in text and 'CMD' in text
  assert text.index('| 1 | 100') < text.index('| 4 | 100')         # rows in task order
  with open(cfg.out + '.json') as f:
    obj = json.load(f)
  assert obj['summary']['tasks_done'] == 2
  rows = {r['task']: r for r in obj['rows']}
  assert len(rows[1]['per_seed']) == 2 and rows[1]['seeds'] == [0, 1]
  assert os.path.exists(os.path.join(cfg.cells_dir, 'task01', 'summary.json'))
  # Rerun without the workdir (another machine): archived cells are not trained again.
  logs.clear()
  sweep.run_sweep(cfg, str(tmp_path / 'other_runs'), run_config, 'CMD', log=logs.append)
  assert not any('compiled' in l for l in logs) and sum(': done (' in l for l in logs) == 2
  # A changed cell config is not taken for done: until its run finishes, the archived run of
  # the previous config stands in, marked ‡ (the table stays whole).
  def changed(arg):
    c = run_config(arg)
    c.train.num_epochs = 2
    return c
  cells = sweep.make_cells(cfg, changed)
  text = results.write_table(cfg, cells, str(tmp_path / 'other_runs'), 'CMD')
  assert '(pending)' not in text and '| 1 | 100 | 100 | 15.0‡ |' in text
  assert 'task 1: `' in text and 'train.num_epochs=1' in text and 'not started' in text
  with open(cfg.out + '.json') as f:
    assert [r['status'] for r in json.load(f)['rows']] == ['superseded', 'superseded']


def test_memn2n_sweep_table_reports_errors_per_task_and_joint(tmp_path):
  from experiments.configs import babi_memn2n, babi_memn2n_sweep
  data = write_task(tmp_path / 'data', task=1, train=synthetic_task(40),
                    test=synthetic_task(10, seed=1))
  write_task(tmp_path / 'data', task=4, train=synthetic_task(40, seed=3),
             test=synthetic_task(10, seed=4))

  def run_config(arg):
    c = babi_memn2n.get_config(f'{arg},tiny' if 'joint' in arg else f'task={arg},tiny')
    c.data_dir = data
    c.train.num_epochs = 2
    return c

  cfg = babi_memn2n_sweep.get_config()
  cfg.tasks = '1'
  cfg.num_seeds = 2
  cfg.out = str(tmp_path / 'res' / 'm')
  cfg.cells_dir = str(tmp_path / 'res' / 'cells')
  cfg.variants = ml_collections.ConfigDict({'joint_x': {
      'rank': 0, 'label': 'PE LS RN joint', 'arg': 'joint', 'num_seeds': 2,
      'overrides': {'tasks': (1, 4)}}})
  # One process trains the per-task cells only: the joint column stays pending.
  cfg.train_cells = 'task*'
  text = sweep.run_sweep(cfg, str(tmp_path / 'runs'), run_config, 'CMD', log=lambda m: None)
  with open(cfg.out + '.json') as f:
    obj = json.load(f)
  row = obj['rows'][0]
  assert row['status'] == 'done' and row['restarts'] == 2
  assert f"| 1 | 0.0 | {row['error']:.1f} |" in text and 'failed tasks' in text
  assert obj['variants'][0]['status'] == 'pending' and '(pending)' in text
  # The other process trains the joint cell: one model, a test error per task.
  cfg.train_cells = 'joint*'
  text = sweep.run_sweep(cfg, str(tmp_path / 'runs'), run_config, 'CMD', log=lambda m: None)
  with open(cfg.out + '.json') as f:
    col = json.load(f)['variants'][0]
  assert col['status'] == 'done' and col['restarts'] == 2 and col['tasks'] == [1, 4]
  assert set(col['error_by_task']) == {'1', '4'}
  assert col['mean_error'] == pytest.approx(np.mean(list(col['error_by_task'].values())))
  assert f"| 4 | {col['error_by_task']['4']:.1f} / 13.4 |" in text    # ours / paper
  assert '| 5 | – / 14.4 |' in text                                   # a task it did not train


def test_a_cell_with_the_config_of_a_finished_run_of_another_sweep_is_reused(tmp_path):
  run_config, first = _finished_table1(tmp_path, num_seeds=1)
  study = _fact_time_study(tmp_path)
  logs = []
  sweep.run_sweep(study, str(tmp_path / 'runs_b'), run_config, 'B', log=logs.append)
  assert any('fact_timeFalse: done as' in l for l in logs)        # the baseline is reused
  assert sum('compiled' in l for l in logs) == 1                   # only fact_time=True trains
  assert os.path.exists(os.path.join(study.cells_dir, 'task01_fact_timeFalse', 'summary.json'))


def test_a_failing_cell_is_recorded_and_the_sweep_goes_on(tmp_path):
  data = write_task(tmp_path / 'data', task=1, train=synthetic_task(30),
                    test=synthetic_task(10, seed=1))
  write_task(tmp_path / 'data', task=4, train=synthetic_task(30), test=synthetic_task(10, seed=2))
  tiny = _tiny_dmn(data)

  def run_config(arg):
    c = tiny(arg)
    if arg == '4':                       # diverges: non-finite loss
      c.train.learning_rate, c.train.clip_norm, c.train.l2 = 1e38, 0.0, 0.0
      c.model.dropout = 0.0
    return c

  cfg = babi_sweep.get_config()
  cfg.tasks, cfg.num_seeds = '4,1', 1
  cfg.out = str(tmp_path / 'res' / 't')
  cfg.cells_dir = str(tmp_path / 'res' / 'cells')
  logs = []
  text = sweep.run_sweep(cfg, str(tmp_path / 'runs'), run_config, 'CMD', log=logs.append)
  assert any('task04] FAILED (Diverged: non-finite training loss or gradients in epoch 1, step'
             in l for l in logs)
  assert '| 4 | 100 | 100 | (failed: Diverged' in text
  assert '| 1 | 100 | 100 | (' not in text                         # task 1 still ran
  assert 'FAILED cells' in logs[-1]


def test_a_workdir_holding_another_sweeps_cell_of_the_same_name_is_left_untouched(tmp_path):
  data = write_task(tmp_path / 'data', task=1, train=synthetic_task(30),
                    test=synthetic_task(10, seed=1))
  run_config = _tiny_dmn(data)
  other = run_config('1')
  other.model.hidden += 4                  # the other sweep's cell: same name, another config
  wd = tmp_path / 'runs' / 'task01'
  wd.mkdir(parents=True)
  (wd / 'config.json').write_text(other.to_json_best_effort())
  (wd / 'metrics.jsonl').write_text(json.dumps({'epoch': 3}) + '\n')
  before = sorted(os.listdir(wd))
  cfg = babi_sweep.get_config()
  cfg.tasks, cfg.num_seeds = '1', 1
  cfg.out, cfg.cells_dir = str(tmp_path / 'res' / 't'), str(tmp_path / 'res' / 'cells')
  logs = []
  text = sweep.run_sweep(cfg, str(tmp_path / 'runs'), run_config, 'CMD', log=logs.append)
  assert any('task01] FAILED (workdir' in l and 'different config' in l for l in logs)
  assert not any('compiled' in l for l in logs) and 'FAILED cells' in logs[-1]
  assert sorted(os.listdir(wd)) == before                          # no FAILED.txt written there
  assert json.loads((wd / 'config.json').read_text())['model']['hidden'] == other.model.hidden
  # Its table row is pending, not "started, 3 epochs done" (that is the other run's progress).
  assert '| 1 | 100 | 100 | (pending: its workdir holds another config)' in text


def test_a_cell_is_never_taken_from_a_run_with_more_seeds(tmp_path):
  """Seed s beside S − 1 others is not bit-identical to seed s beside fewer (the vmapped
  program's float order depends on S): a 2-seed cell trains, even when a 3-seed run of its
  config is archived; a cell with the very same config (and seed count) is taken."""
  run_config, table1 = _finished_table1(tmp_path, num_seeds=3)
  passes = babi_passes.get_config()
  passes.tasks, passes.num_seeds = '1', 2
  passes.grid_values = (babi_config.PASSES[1], 1)
  passes.out = str(tmp_path / 'res' / 'b')
  passes.cells_dir = str(tmp_path / 'res' / 'cells' / 'b')
  logs = []
  md = sweep.run_sweep(passes, str(tmp_path / 'runs_b'), run_config, 'B', log=logs.append)
  assert not any('done as the first' in l for l in logs)
  assert sum('compiled' in l for l in logs) == 2               # both cells train
  assert '†' not in md
  # Table 1's "what was tried" lists the other sweep's cells by their config change.
  with open(os.path.join(table1.cells_dir, 'task01', 'config.json')) as f:
    registry, own = Registry.of(table1.cells_dir)
    tried = registry.attempts(1, json.load(f), own)
  assert sorted(a['change'] for a in tried) == ['(none: same config)', 'model.passes=1']
  assert all(a['sweep'] == 'b' and a['seeds'] == 2 for a in tried)


def test_a_table_names_each_machine_its_cells_ran_on(tmp_path):
  run_config, first = _finished_table1(tmp_path, num_seeds=1)
  study = _fact_time_study(tmp_path)
  md = sweep.run_sweep(study, str(tmp_path / 'runs_b'), run_config, 'B', log=lambda m: None)
  assert md.count('Machine: ') == 1 and 'Machines' not in md        # one machine: one line
  # One cell trained elsewhere (say on a lent GPU, another jax): the footer names it.
  path = os.path.join(study.cells_dir, 'task01_fact_timeTrue', 'summary.json')
  with open(path) as f:
    s = json.load(f)
  s.update(machine='x86_64 16 cpus, gpu (H100)', jax_version='9.9.9')
  with open(path, 'w') as f:
    json.dump(s, f)
  md = results.write_table(study, sweep.make_cells(study, run_config), str(tmp_path / 'runs_b'), 'B')
  footer = next(l for l in md.splitlines() if l.startswith('Machines'))
  assert '**x86_64 16 cpus, gpu (H100); jax 9.9.9**: task 1: True' in footer
  assert ': the other cells' in footer and 'task 1: False' not in footer


def test_a_retrained_cell_keeps_its_old_run_as_superseded(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)                     # archives named by relative paths, as in use
  run_config, table1 = _finished_table1(tmp_path, num_seeds=2)
  table1.cells_dir = os.path.join('res', 'cells', 'a')
  sweep.run_sweep(table1, 'runs_a', run_config, 'A', log=lambda m: None)   # (already done)
  passes = babi_passes.get_config()
  passes.tasks, passes.num_seeds = '1', 1
  passes.grid_values = (babi_config.PASSES[1],)
  passes.out, passes.cells_dir = 'res/b', os.path.join('res', 'cells', 'b')
  # A cell taken from the first seeds of the larger run (as sweeps did before they stopped
  # taking cells that way: such archived cells remain).
  cell = sweep.make_cells(passes, run_config)[0]
  registry, name = Registry.of(passes.cells_dir)
  source = registry.find_more_seeds(cell['config'])
  registry.archive_seed_prefix(source, cell['config'], name, cell['name'])
  derived = os.path.join(passes.cells_dir, f'task01_passes{babi_config.PASSES[1]}', 'summary.json')
  with open(derived) as f:
    assert json.load(f)['derived_from'] == os.path.join('res', 'cells', 'a', 'task01')
  # Task 1 adopts another config: Table 1 trains it again and keeps the old run aside.
  def adopted(arg):
    c = run_config(arg)
    c.train.gate_weight = 5.0
    return c
  logs = []
  sweep.run_sweep(table1, 'runs_a2', adopted, 'A', log=logs.append)
  old = os.path.join('res', 'cells', 'a_superseded', 'task01')
  assert any(f'moved to {old}' in l for l in logs) and sum('compiled' in l for l in logs) == 1
  with open(os.path.join(old, 'config.json')) as f:
    assert json.load(f)['train']['gate_weight'] == 1.0
  with open(os.path.join(table1.cells_dir, 'task01', 'config.json')) as f:
    assert json.load(f)['train']['gate_weight'] == 5.0
  with open(derived) as f:
    assert json.load(f)['derived_from'] == old                   # still names its real source


def test_paper_model_study_is_the_table1_row_with_the_papers_gates():
  """babi_hard.py:paper_model: tasks 2 and 3's Table 1 configs with sigmoid gates and no
  recency vectors, nothing else changed (seed count included)."""
  table1 = {c['task']: json.loads(c['config'].to_json_best_effort())
            for c in sweep.make_cells(babi_sweep.get_config(), babi_config.get_config)}
  cells = sweep.make_cells(babi_hard.get_config('paper_model'), babi_config.get_config)
  assert sorted(c['task'] for c in cells) == [2, 3]
  for c in cells:
    got = json.loads(c['config'].to_json_best_effort())
    assert sweep.workdir_lib.config_diff(table1[c['task']], got, ()) == [
        'model.fact_time', 'model.gate_norm']
    assert table1_results.beyond_paper(table1[c['task']]) and not table1_results.beyond_paper(got)


def _archive(root, sweep_name, cell, config, dev, test, family='dmn', extra=None):
  d = os.path.join(root, sweep_name, cell)
  os.makedirs(d)
  seeds = [{'seed': i, 'dev_accuracy': a, 'test_accuracy': b, 'epochs_run': 10}
           for i, (a, b) in enumerate(zip(dev, test))]
  best = max(range(len(dev)), key=lambda i: dev[i])
  summary = {'task': 1, 'babi_set': 'en', 'model_family': family, 'num_seeds': len(dev),
             'complete': True, 'seeds': seeds, 'test_accuracy': test[best],
             'dev_accuracy': dev[best], 'seed': best, **(extra or {})}
  sweep.workdir_lib.write_json(os.path.join(d, 'summary.json'), summary)
  sweep.workdir_lib.write_json(os.path.join(d, 'config.json'), config)


def test_two_columns_choose_on_dev_within_the_papers_options(tmp_path):
  """Paper model: the best dev mean among runs with only the paper's options; ours best: among
  all; a config counts by its largest run; fewer than 3 seeds is no candidate; test accuracy
  never decides."""
  row = {'babi_set': 'en', 'model': {'gate_norm': 'sigmoid', 'fact_time': False, 'dropout': 0.1},
         'num_seeds': 5}
  root = str(tmp_path / 'cells')
  _archive(root, 'table', 'task01', row, [.90] * 5, [.91] * 5)                 # the row
  _archive(root, 'study', 'task01_small', {**row, 'num_seeds': 3}, [.99] * 3, [.2] * 3)
  drop = {**row, 'model': {**row['model'], 'dropout': 0.3}, 'num_seeds': 3}
  _archive(root, 'study', 'task01_drop', drop, [.93] * 3, [.5] * 3)           # paper's options
  soft = {**row, 'model': {**row['model'], 'gate_norm': 'softmax'}, 'num_seeds': 3}
  _archive(root, 'study', 'task01_soft', soft, [.95] * 3, [.4] * 3)           # beyond the paper
  two = {**row, 'model': {**row['model'], 'dropout': 0.5}, 'num_seeds': 2}
  _archive(root, 'study', 'task01_two', two, [1.0] * 2, [1.0] * 2)            # too few seeds
  done = [{'task': 1, 'paper_dmn': 100, 'per_seed': [91.0] * 5}]
  out = table1_results.two_columns(done, {1: row}, Registry(root))
  assert done[0]['paper_model']['cell'] == 'task01_drop'     # not the row's 3-seed rerun
  assert done[0]['paper_model']['change'] == 'model.dropout=0.3'
  assert done[0]['ours_best']['cell'] == 'task01_soft'
  assert done[0]['ours_best']['beyond_paper'] == ['model.gate_norm=softmax']
  assert out['summary']['paper_model']['mean'] == pytest.approx(50.0)
  assert out['summary']['ours_best']['below_paper_on_solved'] == [1]


def test_attempts_are_of_one_family_and_name_the_change(tmp_path):
  root = str(tmp_path / 'cells')
  row = {'babi_set': 'en', 'model': {'dropout': 0.1}, 'num_seeds': 3}
  _archive(root, 'own', 'task01', row, [.9] * 3, [.9] * 3, family='dmn_plus')
  _archive(root, 'study', 'task01_d', {**row, 'model': {'dropout': 0.3}}, [.8] * 3, [.7] * 3,
           family='dmn_plus')
  _archive(root, 'dmn_study', 'task01', row, [.5] * 3, [.5] * 3, family='dmn')
  got = Registry(root).attempts(1, row, 'own', 'dmn_plus')
  assert [(a['sweep'], a['change']) for a in got] == [('study', 'model.dropout=0.3')]
  assert got[0]['test_mean'] == pytest.approx(70.0)
  assert [a['sweep'] for a in Registry(root).attempts(1, row, 'own')] == ['dmn_study']


def test_dmn_plus_tried_lists_a_changed_config_even_with_the_rows_results(tmp_path):
  """DMN+ "what was tried": the row's own run archived by a study is not an attempt; a study
  whose changed config happened to keep the same params (the same per-seed results; DMN+ 1k task 13
  best by accuracy) is one."""
  from dmn_jax.results import dmn_plus
  root = str(tmp_path / 'cells')
  row = {'babi_set': 'en', 'model': {'dropout': 0.1}, 'train': {'best_by': 'loss'},
         'num_seeds': 3}
  _archive(root, 'own', 'task01', row, [.92] * 3, [.94] * 3, family='dmn_plus')
  _archive(root, 'study', 'task01_loss', row, [.92] * 3, [.94] * 3, family='dmn_plus')
  _archive(root, 'study', 'task01_acc', {**row, 'train': {'best_by': 'accuracy'}}, [.92] * 3,
           [.94] * 3, family='dmn_plus')
  cells = [{'task': 1, 'value': False, 'config': ml_collections.ConfigDict(row)}]
  cols = {False: {1: {'status': 'done', 'error': 6.0, 'per_seed_test': [.94] * 3}}}
  out_rows = [{'task': 1}]
  lines = dmn_plus._attempts(cells, cols, Registry(root), 'own', out_rows)
  assert [a['change'] for a in out_rows[0]['attempts']] == ['train.best_by=accuracy']
  assert any('train.best_by=accuracy' in l for l in lines)


def test_passes_table_keeps_a_previous_configs_run_marked_until_the_new_one_finishes(tmp_path):
  import shutil
  from dmn_jax.results import passes as passes_results
  cfg = babi_passes.get_config()
  cfg.tasks, cfg.grid_values = '3', (5,)
  cells = sweep.make_cells(cfg, babi_config.get_config)
  new_config = json.loads(cells[0]['config'].to_json_best_effort())
  old_config = json.loads(json.dumps(new_config))
  old_config['train']['gate_weight'] = 1.0                  # the config before task 3 adopted 5
  root = str(tmp_path / 'cells')
  cell = os.path.join(root, 'tbl', 'task03_passes5')
  timing = {'train_seconds': 1.0, 'compile_seconds': 1.0, 'machine': 'm'}

  def table():
    return passes_results.table_passes(cells, str(tmp_path / 'runs'), Registry(root), 'tbl',
                                       'CMD')

  _archive(root, 'tbl', 'task03_passes5', old_config, [.8] * 3, [.7, .75, .8], extra=timing)
  text, data = table()
  assert data['rows'][0]['status'] == 'superseded'
  assert data['rows'][0]['best_by_dev'] == pytest.approx(70.0)      # seed 0: the first best dev
  assert '**70.0**‡' in text and 'train.gate_weight=1.0' in text
  # Once the current config's run is archived there, it is the cell's figure, unmarked.
  shutil.rmtree(cell)
  _archive(root, 'tbl', 'task03_passes5', new_config, [.9] * 3, [.9] * 3, extra=timing)
  text, data = table()
  assert data['rows'][0]['status'] == 'done' and '‡' not in text


def test_grid_table_pairs_the_two_values_seed_by_seed(tmp_path):
  from dmn_jax.results import grid
  cfg = babi_hard.get_config('dropout')
  cfg.tasks = '2'
  cells = sweep.make_cells(cfg, babi_config.get_config)
  root = str(tmp_path / 'cells')
  timing = {'train_seconds': 1.0, 'compile_seconds': 1.0, 'machine': 'm'}
  for c, dev in zip(cells, ([.90, .80, .85], [.95, .90, .86])):
    _archive(root, 'st', c['name'], json.loads(c['config'].to_json_best_effort()), dev,
             [.5] * 3, extra=timing)
  text, data = grid.table_grid(cells, str(tmp_path / 'runs'), Registry(root), 'st', 'CMD')
  r = data['paired']['per_task'][0]
  assert (data['paired']['a'], data['paired']['b']) == ('0.1', '0.3')
  assert r['n'] == 3 and r['mean_diff'] == pytest.approx((5 + 10 + 1) / 3)
  assert r['wins'] == 3 and r['p'] == pytest.approx(0.25)
  assert ('| 2 | 3 | +5.3 ± 4.5 | 3 / 0 | 0.250 | dropout=0.3 better on every seed; p = 0.25, '
          'the least 3 seeds allow: not shown on this task alone |') in text
  assert '## Paired on dev: dropout=0.3 minus dropout=0.1, seed by seed' in text
  assert [grid.value_label(v, k) for v, k in (('bce', 'model.gate_loss'), (10, 'train.x'),
                                              ('', 'glove'), (True, None), ('0.1', 'a.b'))] == [
      'bce', 'x=10', "glove=''", 'value=True', "b='0.1'"]
  assert [grid._shown(v) for v in ('', 'kumo', 0.3, False)] == ["''", 'kumo', '0.3', 'False']
  # Seeds that disagree: no difference shown.
  shutil.rmtree(os.path.join(root, 'st', cells[1]['name']))
  _archive(root, 'st', cells[1]['name'], json.loads(cells[1]['config'].to_json_best_effort()),
           [.95, .70, .86], [.5] * 3, extra=timing)
  text, data = grid.table_grid(cells, str(tmp_path / 'runs'), Registry(root), 'st', 'CMD')
  assert '| 2 | 3 | -1.3 ± 7.8 | 2 / 1 | 1.000 | no difference shown (p = 1.00) |' in text, text


@pytest.mark.parametrize('study', ['attention_pm', 'gate_loss_pm', 'schedule_pm', 'glove_pm'])
def test_paper_model_comparisons_reuse_the_archived_baseline(study):
  """The baseline value of issue 18's comparisons is the paper model: Table 1's row itself (5
  seeds, the same config) on the tasks whose rows use only the paper's options, and the
  `paper_model` study's cell on tasks 2 and 3, so only the other value trains (glove_pm
  excepted: both its values run at embedding size 50)."""
  table1 = {c['task']: json.loads(c['config'].to_json_best_effort())
            for c in sweep.make_cells(babi_sweep.get_config(), babi_config.get_config)}
  pm = {c['task']: json.loads(c['config'].to_json_best_effort())
        for c in sweep.make_cells(babi_hard.get_config('paper_model'), babi_config.get_config)}
  cfg = babi_hard.get_config(study)
  base = [c for c in sweep.make_cells(cfg, babi_config.get_config)
          if c['value'] == cfg.grid_values[0]]
  assert len(base) == 10
  for c in base:
    got = json.loads(c['config'].to_json_best_effort())
    want = pm.get(c['task'], table1[c['task']])
    diff = sweep.workdir_lib.config_diff(want, got, ())
    if study == 'glove_pm':   # both values at embedding size 50 (GloVe's only size): trained
      assert set(diff) <= {'model.embed_dim', 'train.l2_embeddings'}
    else:
      assert diff == []


@pytest.mark.parametrize('study,source,value', [('schedule_softmax_pm', 'attention_pm', 'softmax'),
                                                ('schedule_bce_pm', 'gate_loss_pm', 'bce')])
def test_paired_option_studies_reuse_the_single_option_cells(study, source, value):
  """Gates first under another paper option: its joint-schedule cells (answer_start_epoch=0)
  are exactly the `source` study's cells of that option, so they are reused, not trained."""
  src = {c['task']: json.loads(c['config'].to_json_best_effort())
         for c in sweep.make_cells(babi_hard.get_config(source), babi_config.get_config)
         if c['value'] == value}
  cfg = babi_hard.get_config(study)
  cells = sweep.make_cells(cfg, babi_config.get_config)
  assert sorted({c['task'] for c in cells}) == [2, 3, 19]
  for c in cells:
    got = json.loads(c['config'].to_json_best_effort())
    diff = sweep.workdir_lib.config_diff(src[c['task']], got, ())
    assert diff == ([] if c['value'] == 0 else ['train.answer_start_epoch']), (c['name'], diff)


def test_dmnplus_table_keeps_a_previous_configs_run_marked(tmp_path):
  """The DMN+ 10k sweep adopted L2 0: its task-17 cell's run under L2 1e-3 stands in, marked ‡
  and counted, until the new run finishes."""
  from dmn_jax.results import dmn_plus as dmn_plus_results
  from experiments.configs import babi_dmnplus, babi_dmnplus_sweep
  cfg = babi_dmnplus_sweep.get_config('10k')
  cfg.tasks = '17'
  cells = sweep.make_cells(cfg, babi_dmnplus.get_config)
  assert cells[0]['config'].train.l2 == 0.0
  old = json.loads(cells[0]['config'].to_json_best_effort())
  old['train']['l2'] = 1e-3
  root = str(tmp_path / 'cells')
  _archive(root, 'p10k', cells[0]['name'], old, [.6] * 3, [.614, .5, .52], family='dmn_plus',
           extra={'train_seconds': 1.0, 'compile_seconds': 1.0, 'machine': 'm'})
  text, data = dmn_plus_results.table_dmn_plus(cells, str(tmp_path / 'runs'), Registry(root),
                                               'p10k', 'CMD')
  assert '**38.6**‡' in text and 'train.l2=0.001' in text
  s = data['summary'][data['settings'][0]]
  assert s['tasks_done'] == 1 and s['superseded'] == 1
  assert s['mean_error'] == pytest.approx(38.6)
