"""inspect_memory.gate_errors and `experiments.gate_errors`: per-pass gate accuracy, the recency
share of wrong gates, and answer accuracy split by whether every gate was right."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dmn_jax import inspect_memory, train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_gate_error_counts_against_a_hand_count():
  """Five questions, two supervised passes (question 4 supervises only pass 1), the model's
  choices fixed: every figure counted by hand."""
  pick = np.array([[2, 5], [2, 1], [0, 5], [3, 0], [4, 2]])       # argmax fact per pass
  pred = np.array([[7, 0], [7, 0], [6, 0], [9, 1], [8, 3]])
  arrays = {'supports': np.array([[2, 5], [2, 5], [2, 5], [3, 0], [1, 2]]),
            'support_mask': np.array([[1, 1], [1, 1], [1, 1], [1, 0], [1, 1]], bool),
            'answer': np.array([[7, 0], [7, 0], [7, 0], [9, 2], [8, 3]]),
            'answer_mask': np.array([[1, 0], [1, 0], [1, 0], [1, 0], [1, 1]], bool)}
  out = inspect_memory.gate_error_counts(pick, pred, arrays)
  # Answers: rows 0, 1 right; 2 wrong (6 vs 7); 3 right (its second token is masked); 4 right.
  assert out['examples'] == 5 and out['answer_accuracy'] == pytest.approx(4 / 5)
  p1, p2 = out['passes']
  # Pass 1: rows 0, 1, 3 right; row 2 picks 0 < 2 (earlier), row 4 picks 4 > 1 (later).
  assert p1 == {'pass': 1, 'supervised': 5, 'gate_accuracy': pytest.approx(3 / 5), 'errors': 2,
                'earlier': pytest.approx(1 / 2)}
  # Pass 2 (row 3 unsupervised): rows 0, 2, 4 right; row 1 picks 1 < 5.
  assert p2 == {'pass': 2, 'supervised': 4, 'gate_accuracy': pytest.approx(3 / 4), 'errors': 1,
                'earlier': pytest.approx(1.0)}
  # Every gate right: rows 0 and 3 (answers right); not: rows 1 (right), 2 (wrong), 4 (right).
  assert out['all_gates_right'] == pytest.approx(2 / 5)
  assert out['answer_accuracy_gates_right'] == pytest.approx(1.0)
  assert out['answer_accuracy_gates_wrong'] == pytest.approx(2 / 3)
  none = inspect_memory.gate_error_counts(pick[:1], pred[:1], {k: v[:1] for k, v in arrays.items()})
  assert none['answer_accuracy_gates_wrong'] is None and none['passes'][0]['earlier'] is None


@pytest.mark.slow
def test_gate_errors_cli_agrees_with_the_runs_own_metrics(tiny_cfg, tmp_path):
  """On a trained tiny run: the pooled per-pass gate accuracy and the answer accuracy on dev
  equal the training loop's dev metrics at the best epoch; the command writes both files."""
  tiny_cfg.num_seeds = 1
  work = str(tmp_path / 'w')
  train.train_and_evaluate(tiny_cfg, work, log=lambda s: None)
  with open(os.path.join(work, 'config.json')) as f:
    assert json.load(f)['task'] == 1
  out = tmp_path / 'report'
  r = subprocess.run([sys.executable, '-m', 'experiments.gate_errors', f'--workdirs={work}',
                      '--labels=tiny', f'--out={out}'], cwd=ROOT, capture_output=True, text=True,
                     env=dict(os.environ, JAX_PLATFORMS='cpu'), timeout=300)
  assert r.returncode == 0, r.stderr
  report = json.loads((tmp_path / 'report.json').read_text())
  dev = report['rows'][0]['dev']
  with open(os.path.join(work, 'metrics.jsonl')) as f:
    lines = [json.loads(l) for l in f]
  summary = json.loads(open(os.path.join(work, 'summary.json')).read())
  best = [l for l in lines if l['epoch'] == summary['seeds'][0]['best_epoch']][0]
  gates = sum(p['gate_accuracy'] * p['supervised'] for p in dev['passes'])
  assert gates / sum(p['supervised'] for p in dev['passes']) == pytest.approx(
      best['dev_gate_accuracy'], abs=1e-6)
  assert dev['answer_accuracy'] == pytest.approx(best['dev_accuracy'], abs=1e-6)
  assert '| tiny | 1 |' in (tmp_path / 'report.md').read_text()


def test_gate_errors_cli_names_a_directory_that_is_not_a_run(tmp_path):
  r = subprocess.run([sys.executable, '-m', 'experiments.gate_errors', f'--workdirs={tmp_path}',
                      f'--out={tmp_path / "r"}'], cwd=ROOT, capture_output=True, text=True,
                     env=dict(os.environ, JAX_PLATFORMS='cpu'), timeout=120)
  assert r.returncode != 0 and 'no config.json' in r.stderr and 'Traceback' not in r.stderr
  assert not (tmp_path / 'r.json').exists()
