"""The command line: bad input ends in one `error:` paragraph, exit 1, nothing written."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(args, tmp_path, **env):
  e = dict(os.environ, JAX_PLATFORMS='cpu', **env)
  return subprocess.run([sys.executable, '-m', 'experiments.babi', *args], cwd=ROOT, env=e,
                        capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize('args, env, expect', [
    (['--config=experiments/configs/babi.py:1', '--config.train.learnig_rate=3'], {},
     'Did you mean "learning_rate"'),
    (['--config=experiments/configs/babi.py:tsk=1'], {}, "unknown config argument 'tsk'"),
    (['--config=experiments/configs/babi.py:task=x'], {}, "config argument task must be int, got 'x'"),
    (['--config=experiments/configs/babi.py:1'], {'DMN_DATA_DIR': '/no/such/dir'},
     "$DMN_DATA_DIR is '/no/such/dir', which is not a folder"),
])
def test_bad_input_is_one_paragraph(tmp_path, args, env, expect):
  workdir = tmp_path / 'w'
  r = _run([*args, f'--workdir={workdir}'], tmp_path, **env)
  assert r.returncode == 1
  assert expect in r.stderr
  assert 'Traceback' not in r.stderr
  assert r.stderr.strip().startswith('error:')
  assert not workdir.exists()


def test_ptb_lm_cli_reports_perplexity_and_names_a_missing_file(tmp_path):
  d = tmp_path / 'data' / 'ptb'
  d.mkdir(parents=True)
  for name in ('train', 'valid', 'test'):
    (d / f'ptb.{name}.txt').write_text('a b c d\nb c a d\n' * 20)
  e = dict(os.environ, JAX_PLATFORMS='cpu')
  base = [sys.executable, '-m', 'experiments.ptb_lm',
          '--config=experiments/configs/ptb_memn2n.py:tiny']
  r = subprocess.run([*base, f'--config.data_dir={tmp_path / "data"}',
                      f'--workdir={tmp_path / "w"}'], cwd=ROOT, env=e, capture_output=True,
                     text=True, timeout=300)
  assert r.returncode == 0, r.stderr
  assert 'validation perplexity' in r.stdout and 'test perplexity' in r.stdout
  (d / 'ptb.test.txt').unlink()
  r = subprocess.run([*base, f'--config.data_dir={tmp_path / "data"}',
                      f'--workdir={tmp_path / "w2"}'], cwd=ROOT, env=e, capture_output=True,
                     text=True, timeout=300)
  assert r.returncode == 1 and 'ptb.test.txt does not exist' in r.stderr
  assert not (tmp_path / 'w2').exists()


def _babi_cmd(tmp_path, data, workdir, *extra):
  return [sys.executable, '-u', '-m', 'experiments.babi', '--config=experiments/configs/babi.py:1,tiny',
          f'--config.data_dir={data}', '--config.train.batch_size=4', f'--workdir={workdir}',
          *extra]


def _wait_for(pred, proc, seconds):
  import time
  t0 = time.time()
  while time.time() - t0 < seconds:
    if pred():
      return True
    if proc.poll() is not None:
      return False
    time.sleep(0.05)
  return False


@pytest.mark.slow
def test_ctrl_c_ends_in_one_line_and_the_run_resumes(tmp_path):
  """SIGINT mid-run: no traceback, one line naming the intact checkpoint; rerunning resumes."""
  import json
  import signal
  from tests.conftest import synthetic_task, write_task
  data = write_task(tmp_path / 'data', task=1, train=synthetic_task(200),
                    test=synthetic_task(20, seed=1))
  w = tmp_path / 'w'
  env = dict(os.environ, JAX_PLATFORMS='cpu', DMN_CACHE_DIR=str(tmp_path / 'cache'))
  cmd = _babi_cmd(tmp_path, data, w, '--config.train.num_epochs=2000',   # minutes: never ends
                  '--config.train.patience=2000')
  proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
  metrics = w / 'metrics.jsonl'
  assert _wait_for(lambda: metrics.exists() and metrics.read_text().count('\n') >= 2, proc, 240)
  proc.send_signal(signal.SIGINT)
  out, err = proc.communicate(timeout=120)
  assert proc.returncode == 130, err
  assert 'Traceback' not in err and 'RuntimeError' not in err, err
  last = err.strip().splitlines()[-1]
  assert last.startswith('interrupted in epoch ') and 'rerun the same command' in last, err
  done = int(last.split('epoch ')[2].split(',')[0])            # "the last checkpoint, epoch N"
  assert done >= 2
  assert [json.loads(l)['epoch'] for l in metrics.read_text().splitlines()][-1] >= done
  # The same command resumes from that checkpoint (interrupted again once it has gone on).
  proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
  assert _wait_for(lambda: metrics.read_text().count('\n') >= done + 1, proc, 240)
  proc.send_signal(signal.SIGINT)
  out, err = proc.communicate(timeout=120)
  assert f'resuming from {w} after epoch {done}' in out, out + err
  lines = [json.loads(l) for l in metrics.read_text().splitlines()]
  assert [l['epoch'] for l in lines][:done + 1] == list(range(1, done + 2))


@pytest.mark.slow
def test_a_rerun_compiles_from_the_persistent_cache(tmp_path):
  from tests.conftest import synthetic_task, write_task
  data = write_task(tmp_path / 'data', task=1, train=synthetic_task(20),
                    test=synthetic_task(10, seed=1))
  env = dict(os.environ, JAX_PLATFORMS='cpu', DMN_CACHE_DIR=str(tmp_path / 'cache'))
  times = []
  for name in ('a', 'b'):
    r = subprocess.run(_babi_cmd(tmp_path, data, tmp_path / name, '--config.train.num_epochs=1'),
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.startswith('compiled train + eval'))
    times.append(float(line.split(' in ')[1].split(' s')[0]))
  assert os.listdir(tmp_path / 'cache' / 'xla')
  assert times[1] < 0.5 * times[0], times


def test_ptb_report_rebuilds_a_table_from_its_json(tmp_path):
  import json
  out = tmp_path / 'ptb'
  row = {'workdir': 'runs/gone', 'hidden': 150, 'hops': 3, 'memory': 100, 'paper': [129, 122],
         'epochs': 2, 'epoch_cap': 100, 'valid_ppl_by_epoch': [335.6, 241.2],
         'words_per_second': 325.5, 'train_seconds': 5711.5, 'complete': False}
  (tmp_path / 'ptb.json').write_text(json.dumps(
      {'rows': [row], 'command': 'python -m experiments.ptb_lm X', 'note': 'A NOTE.'}))
  run = lambda *a: subprocess.run([sys.executable, '-m', 'experiments.ptb_report', *a],
                                  cwd=ROOT, env=dict(os.environ, JAX_PLATFORMS='cpu'),
                                  capture_output=True, text=True, timeout=300)
  r = run('--from_json', f'--out={out}')
  assert r.returncode == 0, r.stderr
  text = (tmp_path / 'ptb.md').read_text()
  assert '| 150 | 3 | 100 | 129 | 122 | 241.2 (so far) | – | 2 | unfinished | 326 | 5712 |' in text
  assert 'A NOTE.' in text and 'python -m experiments.ptb_lm X' in text
  assert (tmp_path / 'ptb.png').read_bytes()[:4] == b'\x89PNG'
  saved = json.loads((tmp_path / 'ptb.json').read_text())
  assert saved['rows'] == [row] and saved['note'] == 'A NOTE.'
  r = run('--from_json', f'--out={tmp_path / "none"}')
  assert r.returncode == 1 and 'no ' in r.stderr and 'Traceback' not in r.stderr
  r = run(f'--out={out}')
  assert r.returncode == 1 and '--workdirs' in r.stderr


def test_ptb_report_keep_rows_replaces_only_the_retrained_model(tmp_path):
  import json
  from experiments import ptb_report
  old = lambda hops, ppl: {'workdir': 'runs/gone', 'hidden': 150, 'hops': hops,
                           'memory': 100 * (1 + (hops == 7)), 'valid_ppl_by_epoch': [ppl]}
  path = tmp_path / 'ptb.json'
  path.write_text(json.dumps({'rows': [old(7, 469.0), old(3, 335.6)], 'command': 'OLD CMD',
                              'note': 'OLD NOTE'}))
  fresh = dict(old(7, 216.0), workdir='runs/ptb_authors')
  extra = dict(old(2, 300.0), workdir='runs/ptb_small')
  rows, command, note = ptb_report.keep_rows(str(path), [fresh, extra], '', '')
  assert rows == [fresh, old(3, 335.6), extra]           # in place; the other model kept
  assert (command, note) == ('OLD CMD', 'OLD NOTE')
  assert ptb_report.keep_rows(str(path), [fresh], 'NEW', 'N')[1:] == ('NEW', 'N')
  with pytest.raises(ptb_report.ConfigError, match='no '):
    ptb_report.keep_rows(str(tmp_path / 'none.json'), [fresh], '', '')


@pytest.mark.slow
def test_bench_times_a_second_compile_from_the_persistent_cache(tmp_path):
  import json
  from tests.conftest import synthetic_task, write_task
  data = tmp_path / 'data'
  write_task(data, task=1, train=synthetic_task(40, seed=1), test=synthetic_task(10, seed=2))
  out = tmp_path / 'bench'
  r = subprocess.run([sys.executable, '-m', 'experiments.bench',
                      '--config=experiments/configs/babi.py:1,tiny', '--batch_sizes=8',
                      '--seconds=0', f'--out={out}'], cwd=ROOT,
                     env=dict(os.environ, JAX_PLATFORMS='cpu', DMN_DATA_DIR=str(data)),
                     capture_output=True, text=True, timeout=600)
  assert r.returncode == 0, r.stderr
  row, = json.loads((tmp_path / 'bench.json').read_text())['rows']
  # The cold compile fills the run's own cache; the second, from it, skips XLA's compile.
  assert 0 < row['compile_cached_seconds'] < row['compile_seconds']
  assert '| cached s |' in (tmp_path / 'bench.md').read_text()
  assert not any(p.name.startswith('dmn_bench_xla_') for p in tmp_path.iterdir())
