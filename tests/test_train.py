import json
import os

import jax
import ml_collections
import numpy as np
import pytest

from dmn_jax import workdir as workdir_lib
from dmn_jax import seeds as seeds_lib
from dmn_jax import input_pipeline
from dmn_jax import train
from dmn_jax.data import babi, batching
from dmn_jax.errors import ConfigError, DataError
from dmn_jax.optim import make_optimizer
from experiments.configs import babi as babi_config
from tests.conftest import with_keys


def _setup(cfg):
  cfg = ml_collections.FrozenConfigDict(cfg)
  data, spec = babi.load_task(cfg.data_dir, cfg.task, dev_fraction=cfg.dev_fraction)
  tx = make_optimizer(cfg.train)
  return cfg, data, spec, tx, train.init_state(cfg, spec, tx)


def test_train_step_lowers_loss_and_changes_every_param(tiny_cfg):
  tiny_cfg.train.learning_rate = 1e-2
  tiny_cfg.model.dropout = 0.0
  cfg, data, spec, tx, state = _setup(tiny_cfg)
  step = jax.jit(train.make_train_step(cfg.model, tx))
  batch = next(batching.batches(data['train'], 16))
  w = train.controls(cfg, 0)
  params0 = jax.tree.map(np.array, state['params'])
  losses = []
  for _ in range(30):
    state, terms = step(state, batch, w)
    losses.append(float(terms['answer_loss_sum'] + terms['gate_loss_sum']))
  assert losses[-1] < 0.5 * losses[0]
  changed = jax.tree.map(lambda a, b: bool(np.any(np.asarray(a) != b)), state['params'], params0)
  assert all(jax.tree.leaves(changed)), changed
  assert int(state['step']) == 30


def test_schedule_switch_does_not_recompile(tiny_cfg):
  cfg, data, spec, tx, state = _setup(tiny_cfg)
  traces = []
  inner = train.make_train_step(cfg.model, tx)

  def counted(state, batch, w):
    traces.append(1)                      # runs only while tracing
    return inner(state, batch, w)

  step = jax.jit(counted)
  batch = next(batching.batches(data['train'], 8))
  for w in ([1, 0], [1, 1], [0, 1], [0.5, 2]):
    ctl = dict(train.controls(cfg, 0), loss_weights=np.array(w, np.float32),
               lr_scale=np.float32(w[0] + 0.5))
    state, _ = step(state, batch, ctl)
  assert len(traces) == 1


def test_answer_weight_zero_trains_gates_only(tiny_cfg):
  tiny_cfg.train.l2 = 0.0                 # weight decay would move every param
  cfg, data, spec, tx, state = _setup(tiny_cfg)
  step = jax.jit(train.make_train_step(cfg.model, tx))
  batch = next(batching.batches(data['train'], 8))
  before = state['params']['out']['W'].copy()
  state, _ = step(state, batch, dict(train.controls(cfg, 0),
                                     loss_weights=np.array([1, 0], np.float32)))
  # β = 0: the output layer gets no gradient (Adam's update of a zero gradient is zero).
  np.testing.assert_array_equal(state['params']['out']['W'], before)


def _lines(workdir):
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [json.loads(l) for l in f]


def _recount_test_accuracy(cfg, workdir):
  from dmn_jax import checkpoint, families
  cfg = ml_collections.FrozenConfigDict(cfg)
  family = families.of(cfg)
  data, spec = family.load(cfg)
  tx = make_optimizer(cfg.train)
  template = train.init_states(cfg, spec, tx)['params']
  ckpts = checkpoint.RunCheckpoints(str(workdir))
  params, _ = ckpts.restore_best(template)
  ckpts.close()
  ctl = train.stack_controls([train.controls(cfg, 0)] * cfg.num_seeds)
  step = jax.jit(train.make_seeds_eval_step(cfg.model, family))
  return train.evaluate(step, params, data['test'], cfg.train.batch_size, ctl)[0]['accuracy']


def test_smoke_loss_falls_and_summary(tiny_cfg, tmp_path):
  tiny_cfg.train.num_epochs = 4
  summary = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda s: None)
  lines = _lines(tmp_path / 'w')
  assert len(lines) == 4
  assert lines[-1]['train_loss'] < lines[0]['train_loss']
  with open(tmp_path / 'w' / 'summary.json') as f:
    on_disk = json.load(f)
  for k in ('test_accuracy', 'dev_accuracy', 'examples_per_second', 'compile_seconds',
            'train_seconds'):
    assert k in on_disk and on_disk[k] == summary[k]
  # The reported test accuracy is that of the saved best params, evaluated afresh.
  assert summary['test_accuracy'] == pytest.approx(_recount_test_accuracy(tiny_cfg, tmp_path / 'w'))
  # Rerunning a finished run neither trains nor recompiles: it returns the saved summary.
  msgs = []
  assert train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=msgs.append) == on_disk
  assert not any('compiled' in m for m in msgs) and len(_lines(tmp_path / 'w')) == 4
  # The results table reads the finished workdir back.
  from dmn_jax.results import single_seed
  text, rows = single_seed.make_table([str(tmp_path / 'w')], 'cmd')
  assert rows[0]['test_accuracy'] == pytest.approx(100 * summary['test_accuracy'])
  assert '| 1 | 100 | 100 |' in text and 'cmd' in text


def test_bench_one_times_the_train_step(tiny_cfg):
  from dmn_jax import benchmark
  cfg, data, spec, _, _ = _setup(tiny_cfg)
  row = benchmark.bench_one(cfg, data, spec, batch_size=8, seconds=0.0, epoch=True)
  assert row['ex_per_s'] > 0 and row['compile_s'] > 0 and row['gflop_per_step'] > 0
  assert row['buckets'] == 1 and row['epoch_ex_per_s'] == row['ex_per_s']   # one bucket


def test_bench_times_an_epoch_over_every_length_bucket(tiny_cfg, monkeypatch):
  """With length buckets the bench's steps are one bucket's real batches (default the largest),
  the buckets' steps add up to the epoch's, and the epoch figure weighs each bucket's step time
  by them (step times faked: 1 ms per story token, no compile)."""
  from dmn_jax import benchmark, input_pipeline
  tiny_cfg.train.length_buckets = 2
  cfg, data, spec, _, _ = _setup(tiny_cfg)
  preps = [benchmark.prepare_step(cfg, data, spec, 8, bucket=b) for b in (0, 1)]
  assert [p.num_buckets for p in preps] == [2, 2]
  short, long_ = (p.batches[0]['story'].shape[-1] for p in preps)
  assert short < long_            # the synthetic task's questions after 2 and after 4 sentences
  assert benchmark.prepare_step(cfg, data, spec, 8).batches[0]['story'].shape[-1] == long_
  maker = input_pipeline.Batcher(data['train'], 8)
  epoch = list(input_pipeline.epoch_batches(maker, [cfg.seed], 0, maker.buckets(2)))
  assert sum(p.epoch_steps for p in preps) == len(epoch) and min(p.epoch_steps for p in preps) > 0
  ms_per_token = lambda prep, seconds: (1e-3 * prep.batches[0]['story'].shape[-1], 0.0)
  monkeypatch.setattr(benchmark, '_time_step', ms_per_token)
  monkeypatch.setattr(benchmark, '_cached_compile_s', lambda prep: None)
  row = benchmark.bench_one(cfg, data, spec, batch_size=8, seconds=0.0, epoch=True)
  assert row['buckets'] == 2 and row['ex_per_s'] == pytest.approx(8 / (1e-3 * long_))
  epoch_s = sum(p.epoch_steps * 1e-3 * n for p, n in zip(preps, (short, long_)))
  assert row['epoch_ex_per_s'] == pytest.approx(8 * len(epoch) / epoch_s)


def test_resume_equals_uninterrupted_run(tiny_cfg, tmp_path):
  tiny_cfg.train.num_epochs = 3
  full = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'a'), log=lambda s: None)
  first = []
  part = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'b'), stop_after_epochs=1,
                                  log=first.append)
  assert part == {'complete': False, 'epoch': 1}
  compiled = lambda logs: float(next(m for m in logs if m.startswith('compiled train'))
                                .split(' in ')[1].split(' s ')[0])
  assert not (tmp_path / 'b' / 'summary.json').exists()
  # A crash after writing a metrics line but before the next checkpoint leaves a stale line.
  with open(tmp_path / 'b' / 'metrics.jsonl', 'a') as f:
    f.write(json.dumps({'epoch': 2, 'stale': True}) + '\n')
  second = []
  resumed = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'b'), log=second.append)
  a, b = _lines(tmp_path / 'a'), _lines(tmp_path / 'b')
  assert [l['epoch'] for l in b] == [1, 2, 3]
  for la, lb in zip(a, b):
    for k in ('train_loss', 'dev_loss', 'dev_accuracy', 'step'):
      assert la[k] == pytest.approx(lb[k], rel=1e-6), k
  assert full['test_accuracy'] == resumed['test_accuracy']
  # Compile time counts both processes' compiles, not only the last one's.
  assert resumed['compile_seconds'] == pytest.approx(compiled(first) + compiled(second), abs=0.11)


def test_a_run_resumed_on_another_machine_names_both(tiny_cfg, tmp_path, monkeypatch):
  tiny_cfg.train.num_epochs = 2
  here = workdir_lib.this_machine()
  gpu = {'machine': 'x86_64 16 cpus, gpu (NVIDIA H100 80GB HBM3)', 'jax_version': '9.9'}
  with monkeypatch.context() as m:
    m.setattr(workdir_lib, 'this_machine', lambda: gpu)
    train.train_and_evaluate(tiny_cfg, str(tmp_path), stop_after_epochs=1, log=lambda s: None)
  s = train.train_and_evaluate(tiny_cfg, str(tmp_path), log=lambda s: None)
  assert s['machines'] == [{**gpu, 'from_epoch': 1}, {**here, 'from_epoch': 2}]
  assert s['machine'] == (f"{gpu['machine']}, jax 9.9 (from epoch 1) then {here['machine']}, "
                          f"jax {here['jax_version']} (from epoch 2)")
  # A run that stays on one machine records it once, however often it is resumed.
  train.train_and_evaluate(tiny_cfg, str(tmp_path / 'b'), stop_after_epochs=1, log=lambda s: None)
  s = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'b'), log=lambda s: None)
  assert s['machines'] == [{**here, 'from_epoch': 1}]
  assert (s['machine'], s['jax_version']) == (here['machine'], here['jax_version'])


def test_resume_with_other_config_is_refused(tiny_cfg, tmp_path):
  tiny_cfg.train.num_epochs = 1
  train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda s: None)
  tiny_cfg.model.passes = 3
  with pytest.raises(ConfigError, match='model.passes'):
    train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda s: None)


def test_bad_input_writes_nothing(tiny_cfg, tmp_path):
  tiny_cfg.data_dir = str(tmp_path / 'missing')
  with pytest.raises(DataError):
    train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda s: None)
  tiny_cfg.data_dir = None
  tiny_cfg.model.attention = 'dot'
  with pytest.raises(ConfigError, match='attention'):
    train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda s: None)
  assert not (tmp_path / 'w').exists()


@pytest.mark.slow
def test_babi_task1_end_to_end(tmp_path):
  """Trains task 1 (1k) from $DMN_DATA_DIR; the paper reports 100%."""
  if not os.environ.get('DMN_DATA_DIR'):
    pytest.skip('DMN_DATA_DIR not set')
  cfg = babi_config.get_config('1')
  cfg.train.num_epochs = 20
  summary = train.train_and_evaluate(cfg, str(tmp_path / 'w'))
  assert summary['test_accuracy'] >= 0.95


@pytest.mark.parametrize('buckets', [1, 3])
def test_seeds_in_one_program_equal_separate_runs(tiny_cfg, tmp_path, buckets):
  """Seed 1 trained beside seed 0 (vmapped) == seed 1 trained alone to float rounding (not bit
  for bit: the float order depends on the number of seeds): same shuffle, init, dropout."""
  tiny_cfg.train.num_epochs = 2
  tiny_cfg.train.length_buckets = buckets
  tiny_cfg.num_seeds = 2
  both = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'both'), log=lambda s: None)
  tiny_cfg.num_seeds = 1
  tiny_cfg.seed = 1
  alone = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'alone'), log=lambda s: None)
  lines_both = [l for l in _lines(tmp_path / 'both') if l['seed'] == 1]
  lines_alone = _lines(tmp_path / 'alone')
  assert len(lines_both) == len(lines_alone) == 2
  for a, b in zip(lines_alone, lines_both):
    for k in ('train_loss', 'train_gate_loss', 'dev_loss', 'dev_accuracy', 'step'):
      assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-6), k
  assert both['num_seeds'] == 2 and [s['seed'] for s in both['seeds']] == [0, 1]
  assert both['seeds'][1]['test_accuracy'] == pytest.approx(alone['test_accuracy'])
  # Seed 0 differs from seed 1 (its own init and shuffle).
  l0 = [l for l in _lines(tmp_path / 'both') if l['seed'] == 0]
  assert l0[0]['train_loss'] != pytest.approx(lines_both[0]['train_loss'], rel=1e-6)
  # The top-level figures are the best-by-dev seed's, with mean and std over seeds.
  chosen = both['seeds'][seeds_lib.best_seed(both['seeds'])]
  assert both['test_accuracy'] == chosen['test_accuracy'] and both['seed'] == chosen['seed']
  accs = [s['test_accuracy'] for s in both['seeds']]
  assert both['test_accuracy_mean'] == pytest.approx(np.mean(accs))


def test_stopped_seed_is_frozen(tiny_cfg):
  tiny_cfg.num_seeds = 2
  cfg = ml_collections.FrozenConfigDict(tiny_cfg)
  data, spec = babi.load_task(cfg.data_dir, cfg.task, dev_fraction=cfg.dev_fraction)
  tx = make_optimizer(cfg.train)
  state = train.init_states(cfg, spec, tx)
  assert state['params']['embed'].shape[0] == 2
  before = jax.tree.map(np.array, state)
  step = jax.jit(train.make_seeds_train_step(cfg.model, tx))
  n = batching.num_examples(data['train'])
  batch = next(input_pipeline.seed_batches(data['train'], 8, [np.arange(n)] * 2))
  ctl = train.stack_controls([train.controls(cfg, 0)] * 2)
  state, terms = step(state, batch, ctl, np.array([True, False]))
  assert terms['count'].shape == (2,)
  moved = jax.tree.map(lambda a, b: bool(np.any(np.asarray(a)[0] != b[0])), state, before)
  frozen = jax.tree.map(lambda a, b: bool(np.all(np.asarray(a)[1] == b[1])), state, before)
  assert all(jax.tree.leaves(frozen)) and any(jax.tree.leaves(moved))


def test_best_seed_is_chosen_by_dev_not_test():
  seeds = [{'dev_accuracy': 0.9, 'dev_answer_loss': 0.5, 'test_accuracy': 1.0},
           {'dev_accuracy': 0.95, 'dev_answer_loss': 0.9, 'test_accuracy': 0.5},
           {'dev_accuracy': 0.95, 'dev_answer_loss': 0.4, 'test_accuracy': 0.6}]
  assert seeds_lib.best_seed(seeds) == 2


@pytest.mark.parametrize('passes, end_pass', [(0, False), (3, True)])
def test_zero_passes_and_end_pass_train(tiny_cfg, tmp_path, passes, end_pass):
  tiny_cfg.train.num_epochs = 2
  tiny_cfg.model.passes, tiny_cfg.model.end_pass = passes, end_pass
  summary = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda s: None)
  lines = _lines(tmp_path / 'w')
  assert summary['complete'] and lines[-1]['train_loss'] < lines[0]['train_loss']
  if passes == 0:
    assert lines[-1]['train_gate_loss'] == 0 and lines[-1]['train_passes'] == 0
  else:   # one supporting fact: memory changes in pass 1 only (gold stop in training)
    assert lines[-1]['train_passes'] == pytest.approx(1.0)
    assert 0 <= lines[-1]['dev_passes'] <= 3


def test_early_stopping_patience_counts_accuracy_only():
  sm = seeds_lib.fresh_record()
  history = [(0.5, 1.0), (0.9, 0.5), (0.9, 0.4), (0.9, 0.3), (0.8, 0.2)]
  improved = [seeds_lib.early_stopping_update(sm, {'accuracy': a, 'answer_loss': l}, e + 1, 3)
              for e, (a, l) in enumerate(history)]
  # Equal accuracy with a lower loss replaces the best params (epochs 3, 4)...
  assert improved == [True, True, True, True, False] and sm['best_epoch'] == 4
  # ...but patience counts from the last accuracy gain (epoch 2): 3 epochs without one.
  assert sm['bad_epochs'] == 3 and sm['stopped']


def test_cropped_batch_gives_the_same_step(tiny_cfg):
  """A length bucket's cropped batch trains exactly as the full-width batch (padding only)."""
  tiny_cfg.model.dropout = 0.0
  cfg, data, spec, tx, state = _setup(tiny_cfg)
  step = jax.jit(train.make_train_step(cfg.model, tx))
  lengths = data['train']['story_mask'].sum(1)
  short = np.flatnonzero(lengths < lengths.max())[:8]              # the first question of a story
  batch = batching.make_batch(data['train'], short, 8)
  words = int(batch['story_mask'].sum(1).max())
  facts = int(batch['fact_mask'].sum(1).max())
  assert words < batch['story'].shape[1]
  w = train.controls(cfg, 0)
  full_state, full_terms = step(state, batch, w)
  crop_state, crop_terms = step(state, batching.crop(batch, {'words': words, 'facts': facts}), w)
  for k in ('answer_loss_sum', 'gate_loss_sum', 'correct'):
    assert float(full_terms[k]) == pytest.approx(float(crop_terms[k]), rel=1e-5), k
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
               full_state['params'], crop_state['params'])


def test_early_stopped_seeds_leave_the_step_and_the_others_train_as_alone(tiny_cfg, tmp_path,
                                                                         monkeypatch):
  """Seeds stop at epochs 2, 4 and never: the step shrinks to the active seeds (3 -> 2 -> 1,
  stopped seeds filling a size up), and every seed's history equals its single-seed run."""
  stop_at = {0: 2, 1: 4, 2: 99}
  order, seen = [], {}                # seeds of the current run; id(seed record) -> seed

  real_update = seeds_lib.early_stopping_update

  def update(sm, dev_m, epoch, patience, best_by='accuracy'):
    improved = real_update(sm, dev_m, epoch, patience, best_by)
    if id(sm) not in seen:              # epoch 1 visits the seeds in order
      seen[id(sm)] = order[len(seen)]
    sm['stopped'] = epoch >= stop_at[seen[id(sm)]]
    return improved

  monkeypatch.setattr(seeds_lib, 'early_stopping_update', update)
  tiny_cfg.train.num_epochs = 6
  tiny_cfg.train.patience = 100
  tiny_cfg.num_seeds = 3
  order[:] = [0, 1, 2]
  seen.clear()
  train.train_and_evaluate(tiny_cfg, str(tmp_path / 'all'), log=lambda s: None)
  lines = _lines(tmp_path / 'all')
  per_seed = {s: [l for l in lines if l['seed'] == s] for s in range(3)}
  assert [len(per_seed[s]) for s in range(3)] == [2, 4, 6]
  tiny_cfg.num_seeds = 1
  for seed, mine in per_seed.items():
    tiny_cfg.seed = seed
    order[:] = [seed]
    seen.clear()
    train.train_and_evaluate(tiny_cfg, str(tmp_path / f'alone{seed}'), log=lambda s: None)
    alone = _lines(tmp_path / f'alone{seed}')
    assert len(alone) == len(mine)
    for a, b in zip(alone, mine):
      for k in ('train_loss', 'dev_loss', 'dev_accuracy', 'step'):
        assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-6), (seed, k)


def test_config_diff_treats_a_later_key_at_its_neutral_default_as_equal():
  old = {'model': {'passes': 2}, 'data_dir': '/a'}
  same = {'model': {'passes': 2, 'fact_time': False}, 'data_dir': '/b'}
  assert workdir_lib.config_diff(old, same) == []                     # data_dir may change on resume
  assert workdir_lib.config_diff(old, same, ()) == ['data_dir']
  on = {'model': {'passes': 2, 'fact_time': True}, 'data_dir': '/a'}
  assert workdir_lib.config_diff(old, on) == ['model.fact_time']
  assert workdir_lib.config_diff(old, {'model': {'passes': 3}, 'data_dir': '/a'}) == ['model.passes']
  # Speed only (the same function): a run resumes, and a cell matches, across batch chunks.
  chunked = {'model': {'passes': 2, 'batch_chunk': 32}, 'data_dir': '/a'}
  assert workdir_lib.config_diff(old, chunked) == []


def test_an_older_config_gets_the_later_keys_at_their_neutral_defaults():
  old = {'model': {'passes': 2, 'fact_time': True}, 'train': {}, 'data_dir': '/a'}
  filled = workdir_lib.with_neutral_defaults(old)
  assert filled['model']['fact_time'] is True                         # recorded values stay
  assert filled['model']['pe_form'] == 'sentence' and filled['train']['best_by'] == 'accuracy'
  assert filled['steps_per_call'] == 1 and 'model' not in workdir_lib.with_neutral_defaults({})
  assert 'pe_form' not in old['model']                                # the input is not changed
  assert workdir_lib.config_diff(old, filled) == []


def test_a_diverged_loss_stops_the_run_naming_epoch_and_step_and_checkpoints_nothing(
    tiny_cfg, tmp_path):
  from dmn_jax.errors import Diverged
  tiny_cfg.train.num_epochs = 3
  train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), stop_after_epochs=1,
                           log=lambda s: None)
  # The run resumed with an absurd learning rate (another config is refused, so the recorded
  # one is edited too): its second epoch diverges. Adam's update is ~lr whatever the clip.
  cfg_path = tmp_path / 'w' / 'config.json'
  recorded = json.loads(cfg_path.read_text())
  recorded['train']['learning_rate'] = 1e38
  cfg_path.write_text(json.dumps(recorded))
  tiny_cfg.train.learning_rate = 1e38
  with pytest.raises(Diverged, match=r'epoch 2, step \d+ \(step \d+ of the epoch; seeds \[0\]\)'):
    train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda s: None)
  # The newest checkpoint is still epoch 1's, and its params are finite.
  from dmn_jax import checkpoint
  ckpts = checkpoint.RunCheckpoints(str(tmp_path / 'w'))
  assert ckpts.latest.all_steps() == [1]
  cfg = ml_collections.FrozenConfigDict(tiny_cfg)
  data, spec = babi.load_task(cfg.data_dir, cfg.task, dev_fraction=cfg.dev_fraction)
  state, meta = ckpts.restore_latest(train.init_states(cfg, spec, make_optimizer(cfg.train)))
  ckpts.close()
  assert meta['epoch'] == 1
  assert all(np.all(np.isfinite(x)) for x in jax.tree.leaves(state['params']))
  assert not (tmp_path / 'w' / 'summary.json').exists()


def _read_events(path):
  """Scalars of a TensorBoard event file: {tag: [(step, value)]} (TFRecord framing)."""
  import struct
  from tensorboardX.proto import event_pb2
  out = {}
  data = open(path, 'rb').read()
  i = 0
  while i < len(data):
    (n,) = struct.unpack('<Q', data[i:i + 8])
    ev = event_pb2.Event.FromString(data[i + 12:i + 12 + n])
    i += 12 + n + 4
    for v in ev.summary.value:
      out.setdefault(v.tag, []).append((ev.step, v.simple_value))
  return out


def test_tensorboard_event_files_hold_the_metrics_curves(tiny_cfg, tmp_path):
  tiny_cfg.train.num_epochs = 3
  tiny_cfg.num_seeds = 2
  train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda s: None)
  lines = _lines(tmp_path / 'w')
  for seed in (0, 1):
    folder = tmp_path / 'w' / 'tb' / f'seed_{seed}'
    (event_file,) = [f for f in os.listdir(folder) if f.startswith('events.out')]
    scalars = _read_events(folder / event_file)
    mine = [l for l in lines if l['seed'] == seed]
    assert [s for s, _ in scalars['train/loss']] == [l['epoch'] for l in mine]
    np.testing.assert_allclose([v for _, v in scalars['train/loss']],
                               [l['train_loss'] for l in mine], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars['dev/accuracy']],
                               [l['dev_accuracy'] for l in mine], rtol=1e-6)


def test_story_batches_train_and_evaluate_exactly(tiny_cfg, tmp_path):
  """A run with story batches trains (loss falls); its best params' test accuracy, recounted
  with ordinary batches, is the summary's (evaluation with story batches is exact)."""
  from dmn_jax.input_pipeline import story_rows
  tiny_cfg.train.num_epochs = 4
  tiny_cfg.train.story_batches = True
  logs = []
  summary = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=logs.append)
  assert any('story batches of' in m for m in logs)
  lines = _lines(tmp_path / 'w')
  assert summary['complete'] and lines[-1]['train_loss'] < lines[0]['train_loss']
  assert _recount_test_accuracy(tiny_cfg, tmp_path / 'w') == pytest.approx(
      summary['test_accuracy'], abs=1e-6)
  from dmn_jax import families
  data, _ = families.of(tiny_cfg).load(tiny_cfg)
  assert 0 < story_rows(tiny_cfg, data) < tiny_cfg.train.batch_size


def test_babi_glove_vectors_start_the_embedding(tiny_cfg, tmp_path):
  """glove=<GloVe text file>: the vocabulary's rows start from its vectors (others random)."""
  from dmn_jax import families
  path = tmp_path / 'glove.txt'
  path.write_text('mary 1 2 3 4\nkitchen 0.5 0.5 0.5 0.5\n')
  tiny_cfg.glove = str(path)
  tiny_cfg.model.embed_dim = 4
  cfg = ml_collections.FrozenConfigDict(tiny_cfg)
  data, spec = families.of(cfg).load(cfg)
  table = spec.embed_init
  np.testing.assert_array_equal(table[spec.vocab.encode(['mary'])[0]], [1, 2, 3, 4])
  np.testing.assert_array_equal(table[spec.vocab.encode(['kitchen'])[0]], [0.5] * 4)
  params = train.init_state(cfg, spec, make_optimizer(cfg.train))['params']
  np.testing.assert_array_equal(params['embed'], table)
  tiny_cfg.model.gate_loss = 'bce'
  s = train.train_and_evaluate(tiny_cfg, str(tmp_path / 'w'), log=lambda m: None)
  assert s['complete']


def _run_seeds(cfg, spec, data, tx, seeds, steps, seed_chunk):
  """Params after `steps` train steps of `seeds` side by side, and eval sums of the result."""
  state = jax.tree.map(lambda *xs: jax.numpy.stack(xs),
                       *[train.init_state(cfg, spec, tx, s) for s in seeds])
  step = jax.jit(train.make_seeds_train_step(cfg.model, tx, seed_chunk=seed_chunk))
  evaluate = jax.jit(train.make_seeds_eval_step(cfg.model, seed_chunk=seed_chunk))
  n = batching.num_examples(data['train'])
  orders = [np.random.RandomState(s).permutation(n) for s in seeds]
  batches = list(input_pipeline.seed_batches(data['train'], 8, orders))
  ctl = train.stack_controls([train.controls(cfg, 0)] * len(seeds))
  for t in range(steps):
    state, _ = step(state, batches[t % len(batches)], ctl, np.ones(len(seeds), bool))
  test = next(input_pipeline.seed_batches(data['test'], 8, [np.arange(8)]))
  sums = evaluate(state['params'], jax.tree.map(lambda x: x[0], test), ctl)
  return jax.tree.map(np.asarray, state['params']), jax.tree.map(np.asarray, sums)


def test_seeds_in_turn_train_each_seed_bit_for_bit_as_alone(tiny_cfg):
  tiny_cfg.model.dropout = 0.1                    # the seed's own dropout keys take part too
  cfg = ml_collections.FrozenConfigDict(tiny_cfg)
  data, spec = babi.load_task(cfg.data_dir, cfg.task, dev_fraction=cfg.dev_fraction)
  tx = make_optimizer(cfg.train)
  alone = _run_seeds(cfg, spec, data, tx, [1], 12, seed_chunk=1)
  among = _run_seeds(cfg, spec, data, tx, [0, 1, 2], 12, seed_chunk=1)
  seed1 = jax.tree.map(lambda x: x[1:2], among)
  assert all(jax.tree.leaves(jax.tree.map(np.array_equal, alone, seed1)))   # exactly
  # Side by side (vmap) and two at a time: the same function, to float rounding.
  for chunk in (0, 2):
    other = _run_seeds(cfg, spec, data, tx, [0, 1, 2], 12, seed_chunk=chunk)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4), other, among)
  assert not np.array_equal(among[0]['embed'][0], among[0]['embed'][1])    # seeds do differ


def test_seeds_in_turn_skip_a_stopped_seed(tiny_cfg):
  """One after the other, a seed whose active entry is False does not run: its state stays as
  it was and its sums are zero, while the running seeds train bit for bit as before."""
  cfg = ml_collections.FrozenConfigDict(tiny_cfg)
  data, spec = babi.load_task(cfg.data_dir, cfg.task, dev_fraction=cfg.dev_fraction)
  tx = make_optimizer(cfg.train)
  seeds = [0, 1, 2]
  init = jax.tree.map(lambda *xs: jax.numpy.stack(xs),
                      *[train.init_state(cfg, spec, tx, s) for s in seeds])
  step = jax.jit(train.make_seeds_train_step(cfg.model, tx, seed_chunk=1))
  n = batching.num_examples(data['train'])
  batch = next(input_pipeline.seed_batches(
      data['train'], 8, [np.random.RandomState(s).permutation(n) for s in seeds]))
  ctl = train.stack_controls([train.controls(cfg, 0)] * 3)
  every, _ = step(init, batch, ctl, np.ones(3, bool))
  some, sums = step(init, batch, ctl, np.array([False, True, False]))
  for leaf_some, leaf_every, leaf_init in zip(jax.tree.leaves(some), jax.tree.leaves(every),
                                              jax.tree.leaves(init)):
    np.testing.assert_array_equal(leaf_some[1], leaf_every[1])       # seed 1: as before
    np.testing.assert_array_equal(leaf_some[0], leaf_init[0])        # seeds 0, 2: untouched
    np.testing.assert_array_equal(leaf_some[2], leaf_init[2])
  assert not np.array_equal(some['params']['embed'][1], init['params']['embed'][1])
  for v in jax.tree.leaves(sums):
    assert v[0] == 0 and v[2] == 0
  assert sums['count'][1] > 0


@pytest.mark.parametrize('chunk', [1, 0])
def test_seeds_stopping_early_need_no_new_compile_in_turn(tiny_cfg, tmp_path, chunk):
  """Seeds one after the other keep the full seed set (stopped ones skipped inside the step):
  no compile after the first, and a seed's metrics are those of its run alone even while the
  seeds beside it stop. Side by side (vmap) the set shrinks and compiles a smaller step."""
  tiny_cfg.seed_chunk = chunk
  tiny_cfg.train.num_epochs = 8
  tiny_cfg.train.patience = 1          # with this lr, the seeds' dev losses turn at epochs 3, 3, 2
  tiny_cfg.train.best_by = 'loss'
  tiny_cfg.train.learning_rate = 0.03
  tiny_cfg.train.length_buckets = 1
  logs = []
  train.train_and_evaluate(with_keys(tiny_cfg, num_seeds=3), str(tmp_path / 'three'),
                           log=logs.append)
  epochs = {s: max(l['epoch'] for l in _lines(tmp_path / 'three') if l['seed'] == s)
            for s in range(3)}
  assert min(epochs.values()) < 8 and len(set(epochs.values())) > 1, epochs  # stops differ
  recompiled = [m for m in logs if m.startswith('compiled the train step for')]
  assert bool(recompiled) == (chunk == 0), recompiled
  if chunk == 1:
    last = max(epochs, key=epochs.get)          # the seed that ran longest, beside stopped ones
    train.train_and_evaluate(with_keys(tiny_cfg, seed=last, num_seeds=1), str(tmp_path / 'one'),
                             log=lambda m: None)
    drop = ('examples_per_second', 'epoch_seconds')
    pick = lambda lines: [{k: v for k, v in l.items() if k not in drop} for l in lines
                          if l['seed'] == last]
    assert pick(_lines(tmp_path / 'one')) == pick(_lines(tmp_path / 'three'))


def test_run_of_one_seed_equals_that_seed_of_a_larger_run(tiny_cfg, tmp_path):
  tiny_cfg.seed_chunk = 1
  tiny_cfg.train.num_epochs = 3
  three = dict(tiny_cfg.to_dict(), seed=0, num_seeds=3)
  one = dict(tiny_cfg.to_dict(), seed=1, num_seeds=1)
  for name, c in (('three', three), ('one', one)):
    train.train_and_evaluate(ml_collections.ConfigDict(c), str(tmp_path / name), log=lambda s: None)
  drop = ('examples_per_second', 'epoch_seconds')
  pick = lambda lines: [{k: v for k, v in l.items() if k not in drop} for l in lines if l['seed'] == 1]
  assert pick(_lines(tmp_path / 'one')) == pick(_lines(tmp_path / 'three'))
