"""Several devices (`dmn_jax/parallel.py`): a run sharded over 2 forced host devices equals the
one-device run; checkpoints restore onto another device count."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dmn_jax import parallel, seeds as seeds_lib
from dmn_jax.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _job(tmp, which, devices, seeds, batch, epochs=3, stop_after=None, host_devices=2):
  env = {**os.environ, 'JAX_PLATFORMS': 'cpu',
         'XLA_FLAGS': f'--xla_force_host_platform_device_count={host_devices}'}
  args = [sys.executable, '-m', 'tests.parallel_job', str(tmp), which, str(devices), str(seeds),
          str(batch), str(epochs)] + ([] if stop_after is None else [str(stop_after)])
  r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
  assert r.returncode == 0, r.stderr[-3000:]
  return json.loads(r.stdout.strip().splitlines()[-1])


def _losses(tmp):
  with open(os.path.join(tmp, 'w', 'metrics.jsonl')) as f:
    return [(l['epoch'], l['seed'], l['train_loss'], l['dev_accuracy']) for l in map(json.loads, f)]


def _same(a_dir, b_dir, a, b):
  assert [s['test_accuracy'] for s in a['seeds']] == [s['test_accuracy'] for s in b['seeds']]
  for x, y in zip(_losses(a_dir), _losses(b_dir)):
    assert x[:2] == y[:2] and x[3] == y[3]
    assert x[2] == pytest.approx(y[2], rel=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize('which,seeds,batch,mesh', [
    ('dmn', 2, 8, {'seed': 2, 'batch': 1}),        # seeds over the devices
    ('dmn', 1, 8, {'seed': 1, 'batch': 2}),        # one seed: the batch over the devices
    ('memn2n', 3, 8, {'seed': 1, 'batch': 2}),     # 3 seeds, 3 steps a call, length buckets
])
def test_two_devices_train_as_one(tmp_path, which, seeds, batch, mesh):
  one = _job(tmp_path / 'one', which, 1, seeds, batch)
  two = _job(tmp_path / 'two', which, 0, seeds, batch)
  assert one['num_devices'] == 1 and two['num_devices'] == 2 and two['mesh'] == mesh
  _same(tmp_path / 'one', tmp_path / 'two', one, two)


@pytest.mark.slow
def test_a_two_device_checkpoint_resumes_on_one_device(tmp_path):
  whole = _job(tmp_path / 'whole', 'dmn', 1, 2, 8)
  part = _job(tmp_path / 'part', 'dmn', 0, 2, 8, stop_after=2)
  assert part == {'complete': False, 'epoch': 2}
  rest = _job(tmp_path / 'part', 'dmn', 1, 2, 8, host_devices=1)
  assert rest['num_devices'] == 1
  _same(tmp_path / 'whole', tmp_path / 'part', whole, rest)


def test_layout_choices_and_errors():
  lay = parallel.layout(1, 5, 32)
  assert lay.mesh is None and lay.num_devices == 1 and lay.describe() == {'seed': 1, 'batch': 1}
  with pytest.raises(ConfigError, match='sees 1 device'):
    parallel.layout(2, 4, 32)
  x = {'a': np.ones((3, 2))}
  assert lay.state(x) is x and lay.batch(x) is x           # one device: nothing placed


def test_active_set_sizes_split_evenly_over_the_seed_devices():
  recs = [{'stopped': i != 0} for i in range(8)]          # one seed still training
  assert seeds_lib.ActiveSet(recs).size == 1
  assert seeds_lib.ActiveSet(recs, multiple=2).size == 2
  assert seeds_lib.ActiveSet(recs, multiple=4).size == 4
  full = seeds_lib.ActiveSet(recs, shrink=False)          # seeds in turn skip stopped ones
  assert full.size == 8 and full.full and list(full.active) == [True] + [False] * 7


def _free_port() -> int:
  import socket
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _two_processes(tmp, which, seeds, batch, epochs=3):
  """The same run as two processes on JAX's distributed runtime (one CPU device each)."""
  port = _free_port()
  procs = []
  for i in range(2):
    env = {**os.environ, 'JAX_PLATFORMS': 'cpu', 'DMN_COORDINATOR': f'127.0.0.1:{port}',
           'DMN_PROCESS': f'{i}/2', 'XLA_FLAGS': '--xla_force_host_platform_device_count=1'}
    procs.append(subprocess.Popen(
        [sys.executable, '-m', 'tests.parallel_job', str(tmp), which, '0', str(seeds),
         str(batch), str(epochs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=env))
  outs = [p.communicate(timeout=600) for p in procs]
  failed = [f'process {i} (exit {p.returncode}):\n{err[-3000:]}'
            for i, (p, (_, err)) in enumerate(zip(procs, outs)) if p.returncode != 0]
  assert not failed, '\n\n'.join(failed)       # every process's error: the first cause shows
  return [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]


@pytest.mark.slow
@pytest.mark.parametrize('which,seeds,batch,mesh', [
    ('dmn', 2, 8, {'seed': 2, 'batch': 1}),        # each process trains one seed
    ('memn2n', 3, 8, {'seed': 1, 'batch': 2}),     # each process feeds half of every batch
])
def test_two_processes_train_as_one_device(tmp_path, which, seeds, batch, mesh):
  one = _job(tmp_path / 'one', which, 1, seeds, batch, host_devices=1)
  first, second = _two_processes(tmp_path / 'two', which, seeds, batch)
  assert first['num_processes'] == 2 and first['mesh'] == mesh
  assert [s['test_accuracy'] for s in first['seeds']] == [s['test_accuracy'] for s in second['seeds']]
  _same(tmp_path / 'one', tmp_path / 'two', one, first)      # metrics.jsonl: process 0's, once
