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
