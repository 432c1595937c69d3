"""The shared training loop with the single-sentence DMN families: sentiment (SST) and POS."""

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from dmn_jax import inspect_memory, train
from dmn_jax.results import text_tasks
from experiments.configs import pos as pos_config
from experiments.configs import sst as sst_config


def _sst_tree(rng):
  """A sentence tree whose label is its adjective's: (4 (2 (2 the) (2 film)) (4 (2 is) (4 good)))."""
  noun = rng.choice(['film', 'movie', 'plot', 'cast'])
  adj, label = rng.choice([('good', 4), ('great', 4), ('bad', 0), ('awful', 0), ('fine', 3),
                           ('dull', 1)])
  return f'({label} (2 (2 the) (2 {noun})) ({label} (2 is) ({label} {adj})))'


def _write_sst(root, n_train=120):
  rng = random.Random(0)
  folder = root / 'sst'
  folder.mkdir(parents=True)
  for name, n in (('train', n_train), ('dev', 30), ('test', 30)):
    (folder / f'{name}.txt').write_text('\n'.join(_sst_tree(rng) for _ in range(n)) + '\n')
  return str(root)


def _lines(path):
  with open(path / 'metrics.jsonl') as f:
    return [json.loads(l) for l in f]


@pytest.mark.parametrize('setting', ['binary', 'fine'])
def test_sst_learns_a_toy_treebank_and_samples_phrases(tmp_path, setting):
  cfg = sst_config.get_config(f'{setting},tiny')
  cfg.data_dir = _write_sst(tmp_path / 'data')
  cfg.glove = ''
  cfg.train.num_epochs, cfg.train.patience = 6, 6
  cfg.train.batch_size = 16
  cfg.train.length_buckets = 1                # one compile (the toy sentences are 1-5 words)
  cfg.train.learning_rate = 1e-2
  cfg.model.dropout = 0.0
  logs = []
  s = train.train_and_evaluate(cfg, str(tmp_path / 'w'), log=logs.append)
  assert s['complete'] and s['model_family'] == 'dmn_sst'
  assert s['test_accuracy'] >= 0.9, s['test_accuracy']
  # Every epoch trains on all 120 sentences plus about half of the distinct phrases.
  desc = next(l for l in logs if 'train sentences' in l)
  assert '120 train sentences' in desc, desc
  lines = _lines(tmp_path / 'w')
  assert lines[-1]['train_loss'] < lines[0]['train_loss']
  # The results table: mean over seeds beside the paper (Table 2; fine also in Table 4).
  text, rows = text_tasks.sst_table([str(tmp_path / 'w')], 'CMD')
  assert rows[0]['complete'] and rows[0]['test_mean'] == pytest.approx(
      100 * s['test_accuracy_mean'])
  row_lines = [l for l in text.splitlines() if l.startswith(f'| {setting} | 2 |')]
  assert len(row_lines) == (2 if setting == 'fine' else 1)
  assert all(f"**{rows[0]['test_mean']:.1f}**" in l and ('52.1' if setting == 'fine' else '88.6')
             in l for l in row_lines) and 'CMD' in text
  # A run of the same setting and passes with another choice is listed apart, with the change.
  import shutil
  shutil.copytree(tmp_path / 'w', tmp_path / 'w_drop', ignore=shutil.ignore_patterns('ckpt'))
  c = json.loads((tmp_path / 'w_drop' / 'config.json').read_text())
  c['model']['dropout'] = 0.5
  (tmp_path / 'w_drop' / 'config.json').write_text(json.dumps(c))
  text, rows = text_tasks.sst_table([str(tmp_path / 'w'), str(tmp_path / 'w_drop')], 'CMD')
  main_part, tried = text.split('## Other settings tried')
  assert len([l for l in main_part.splitlines() if l.startswith(f'| {setting} | 2 |')]) == len(
      row_lines)
  assert '| model.dropout=0.5 |' in tried and '| none (the row above) |' in tried
  if setting == 'binary':
    _check_gates(cfg, tmp_path)


def _check_gates(cfg, tmp_path):
  """The gate heatmap of a trained run: σ gates per pass and word, 0 at padding; the command
  writes the PNG and JSON and names words outside the vocabulary."""
  params, data, spec, _ = inspect_memory.load_best(cfg, str(tmp_path / 'w'))
  row = {k: v[0] for k, v in data['test'].items()}
  gates, pred = inspect_memory.dmn_gates(params, row, cfg.model)
  n = int(row['story_mask'].sum())
  assert gates.shape == (cfg.model.passes, spec.max_story_tokens) and pred.shape == (1,)
  assert np.all(gates[:, n:] == 0) and np.all((gates[:, :n] > 0) & (gates[:, :n] < 1))
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  out = tmp_path / 'gates.png'
  r = subprocess.run(
      [sys.executable, '-m', 'experiments.dmn_attention', '--config=experiments/configs/sst.py:'
       'binary,tiny', f'--config.data_dir={cfg.data_dir}', '--config.glove=',
       f'--workdir={tmp_path / "w"}', '--sentence=the plot is splendid', f'--out={out}'],
      cwd=root, env=dict(os.environ, JAX_PLATFORMS='cpu'), capture_output=True, text=True,
      timeout=300)
  assert r.returncode == 0, r.stderr
  info = json.loads((tmp_path / 'gates.json').read_text())
  assert out.stat().st_size > 1000 and info['words'] == ['the', 'plot', 'is', 'splendid']
  assert info['unknown_words'] == ['splendid'] and len(info['gates']) == cfg.model.passes
  assert info['predicted'] in spec.answers and 'pass 1: highest gates' in r.stdout


CONLLU_WORDS = {'DT': ['the', 'a'], 'NN': ['dog', 'cat', 'man'], 'VBZ': ['sees', 'likes'],
                'JJ': ['big', 'small'], '.': ['.']}


def _sentence(rng):
  pick = lambda t: (rng.choice(CONLLU_WORDS[t]), t)
  s = [pick('DT')] + ([pick('JJ')] if rng.random() < 0.5 else []) + [pick('NN'), pick('VBZ'),
                                                                      pick('DT'), pick('NN')]
  return s + [pick('.')]


def _write_ewt(root, n_train=80):
  rng = random.Random(1)
  folder = root / 'pos' / 'ud_english_ewt'
  folder.mkdir(parents=True)
  for name, n in (('train', n_train), ('dev', 20), ('test', 20)):
    blocks = []
    for k in range(n):
      rows = [f'# sent_id = {name}-{k}']
      rows += [f'{i}\t{w}\t{w}\tX\t{t}\t_\t0\tdep\t_\t_'
               for i, (w, t) in enumerate(_sentence(rng), 1)]
      blocks.append('\n'.join(rows))
    (folder / f'en_ewt-ud-{name}.conllu').write_text('\n\n'.join(blocks) + '\n\n')
  return str(root)


def test_pos_tagger_learns_a_toy_grammar(tmp_path):
  cfg = pos_config.get_config('ud_ewt,tiny')
  cfg.data_dir = _write_ewt(tmp_path / 'data')
  cfg.glove = ''
  cfg.train.num_epochs, cfg.train.patience = 5, 5
  cfg.train.batch_size = 16
  cfg.train.length_buckets = 1
  cfg.train.learning_rate = 1e-2
  cfg.model.dropout = 0.0
  s = train.train_and_evaluate(cfg, str(tmp_path / 'w'), log=lambda m: None)
  assert s['complete'] and s['model_family'] == 'dmn_pos'
  # Tag accuracy over real words (each word has one tag here: a tagger must reach ~100%).
  assert s['test_accuracy'] >= 0.95, s['test_accuracy']
  text, rows = text_tasks.pos_table([str(tmp_path / 'w')], 'CMD')
  line = next(l for l in text.splitlines() if l.startswith('| ud_ewt |'))
  assert 'UDPipe 2 97.17' in line and f"**{100 * s['test_accuracy_mean']:.1f}**" in line
