import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import pytest

from dmn_jax import profiling

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ev(name, ts, dur, tid=1):
  return {'name': name, 'ts': ts, 'dur': dur, 'pid': 1, 'tid': tid, 'ph': 'X'}


def test_self_time_subtracts_nested_ops_once_per_thread():
  events = [
      _ev('ThunkExecutor::Execute', 0, 200),              # runtime bookkeeping: not an op
      _ev('while.1', 10, 100), _ev('dot.2', 20, 30), _ev('add.3', 60, 10),   # a loop's body
      _ev('dot.2', 75, 20),
      _ev('fusion.4', 150, 40), _ev('fusion.4', 15, 50, tid=2),            # another thread
  ]
  t = profiling.self_times(events)
  assert t['while.1'] == (100 - 30 - 10 - 20, 1)
  assert t['dot.2'] == (50, 2) and t['add.3'] == (10, 1)
  assert t['fusion.4'] == (90, 2)                     # not nested in while.1 on thread 2
  assert 'ThunkExecutor::Execute' not in t
  # Self times add up to the ops' outermost durations: nothing counted twice.
  assert sum(v for v, _ in t.values()) == 100 + 40 + 50


def test_a_child_that_starts_as_its_parent_ends_is_not_nested():
  t = profiling.self_times([_ev('a', 0, 10), _ev('b', 10, 5), _ev('c', 0, 10, tid=3)])
  assert t == {'a': (10.0, 1), 'b': (5.0, 1), 'c': (10.0, 1)}


def test_hlo_ops_reads_shapes_tuples_and_sources():
  text = '\n'.join([
      '  %svd.0 = (f32[1,4,33,20]{3,2,1,0}, f32[1,4,20]{2,1,0}, /*index=2*/s32[1,4]{1,0}) '
      'custom-call(%x), metadata={op_name="jit(f)/svd" source_file="x.py"}',
      '  ROOT %tuple.1 = (f32[2]{0}) tuple(%a)',
      '  %ynn_fusion = f32[32,240]{1,0} fusion(%b.2, %b.3), kind=kCustom',
  ])
  assert profiling.hlo_ops(text) == {'svd.0': ('(f32[1,4,33,20], f32[1,4,20], s32[1,4])',
                                               'jit(f)/svd'),
                                     'tuple.1': ('(f32[2])', ''),
                                     'ynn_fusion': ('f32[32,240]', '')}


def test_a_traced_scan_lists_its_body_ops_with_their_jax_source():
  def f(x):
    return jax.lax.scan(lambda c, xt: (jnp.tanh(c @ x + xt), None), x[0], x)[0]

  step = jax.jit(f).lower(jnp.ones((64, 64))).compile()
  x = jnp.ones((64, 64)) * 0.01
  times = profiling.self_times(profiling.trace_calls(lambda: step(x), 3))
  info = profiling.hlo_ops(step.as_text())
  loops = [k for k in times if k.startswith('while')]
  assert loops and times[loops[0]][1] == 3                  # the loop ran once per call
  body = [k for k in times if 'while/body' in info.get(k, ('', ''))[1]]
  assert body and all(times[k][1] == 3 * 64 for k in body)  # 64 iterations per call
  lines = profiling.report(times, info, calls=3, top=5)
  assert lines[2].startswith('| op | self ms / call |') and len(lines) == 4 + 5


@pytest.mark.slow
def test_profile_step_cli_profiles_a_config_and_refuses_an_unknown_row(tmp_path):
  from tests.conftest import synthetic_task, write_task
  data = tmp_path / 'data'
  write_task(data, task=1, train=synthetic_task(40, seed=1), test=synthetic_task(10, seed=2))
  env = dict(os.environ, JAX_PLATFORMS='cpu', DMN_DATA_DIR=str(data))
  out = tmp_path / 'profile.md'
  r = subprocess.run([sys.executable, '-m', 'experiments.profile_step',
                      '--config=experiments/configs/babi.py:1,tiny', '--batch_size=8',
                      '--calls=2', '--top=5', f'--out={out}'], cwd=ROOT, env=env,
                     capture_output=True, text=True, timeout=600)
  assert r.returncode == 0, r.stderr
  text = out.read_text()
  assert '| op | self ms / call |' in text and 'transpose(jvp(' in text   # the backward pass
  r = subprocess.run([sys.executable, '-m', 'experiments.profile_step', '--row=nope'], cwd=ROOT,
                     env=env, capture_output=True, text=True, timeout=300)
  assert r.returncode == 1 and r.stderr.startswith('error: --row=')
  assert 'Traceback' not in r.stderr
