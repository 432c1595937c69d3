"""`results/story_batches.md`: Table 1 tasks retrained with story batches beside their Table 1 runs.

Story batches (`train.story_batches`, `dmn_jax/data/stories.py`) compute exactly what ordinary
batches compute for the same questions; what changes is which questions share a batch and the
dropout masks. This table shows whether that changes accuracy: each task's Table 1 config and
seeds, trained both ways.
"""

from __future__ import annotations

import os

import numpy as np

from dmn_jax import paper
from dmn_jax import workdir as workdir_lib
from dmn_jax.results.common import write_files
from dmn_jax.results.registry import Registry

ARCHIVE = 'results/cells/babi_1k_dmn_story'        # finished story-batch runs, kept in the repo
TABLE1 = 'results/cells/babi_1k_dmn'                # the Table 1 runs (ordinary batches)


def archive(workdir: str, archive_root: str = ARCHIVE) -> str | None:
  """Archives a finished run's summary.json and config.json (`Registry.archive`) as
  <archive_root>/task<NN>; returns that folder (None while the run is unfinished)."""
  if workdir_lib.run_summary(workdir) is None:
    return None
  task = workdir_lib.run_config(workdir)['task']
  root, sweep = os.path.split(os.path.normpath(archive_root))
  registry = Registry(root)
  registry.archive(workdir, sweep, f'task{task:02d}')
  return registry.path(sweep, f'task{task:02d}')


def _load(cell: str) -> tuple[dict, dict]:
  return workdir_lib.run_summary(cell, required=True), workdir_lib.run_config(cell)


def _same_but_batches(a: dict, b: dict) -> list[str]:
  """Config keys in which two run configs differ (a key one lacks counts as its neutral
  default), story_batches and the resumable keys aside."""
  return workdir_lib.config_diff(a, b, ignore=workdir_lib.RESUMABLE_CHANGES
                                 + ('train.story_batches',))


def make_table(command: str, archive_root: str = ARCHIVE, table1_root: str = TABLE1
               ) -> tuple[str, list[dict]]:
  rows = []
  for name in sorted(os.listdir(archive_root)) if os.path.isdir(archive_root) else []:
    story, story_cfg = _load(os.path.join(archive_root, name))
    base_cell = os.path.join(table1_root, name)
    if not os.path.exists(os.path.join(base_cell, 'summary.json')):
      continue
    base, base_cfg = _load(base_cell)
    accs = lambda s: [100 * x['test_accuracy'] for x in s['seeds']]
    rows.append({
        'task': story['task'], 'paper': paper.DMN_TABLE1_BABI_1K[story['task']],
        'seeds': [x['seed'] for x in story['seeds']],
        'ordinary_best_by_dev': 100 * base['test_accuracy'],
        'story_best_by_dev': 100 * story['test_accuracy'],
        'ordinary_per_seed': accs(base), 'story_per_seed': accs(story),
        'ordinary_mean': float(np.mean(accs(base))), 'story_mean': float(np.mean(accs(story))),
        'ordinary_std': float(np.std(accs(base))), 'story_std': float(np.std(accs(story))),
        'ordinary_epochs': [x['epochs_run'] for x in base['seeds']],
        'story_epochs': [x['epochs_run'] for x in story['seeds']],
        'ordinary_train_seconds': base['train_seconds'], 'story_train_seconds': story['train_seconds'],
        'ordinary_ex_per_s': base['examples_per_second'],
        'story_ex_per_s': story['examples_per_second'],
        'config_differences': _same_but_batches(base_cfg, story_cfg),
        'machine': story['machine']})
  lines = [
      '# Story batches vs ordinary batches (DMN, bAbI 1k, Table 1 configs)', '',
      'Test accuracy (%) of each task\'s Table 1 run (ordinary batches: questions shuffled one by '
      'one) and the same config and seeds with `--config.train.story_batches=True` (a story\'s '
      'questions share one input-GRU pass and usually a batch; `dmn_jax/data/stories.py`). '
      'Same model and loss; the batch composition and dropout masks differ.', '',
      '| task | paper | ordinary: best-by-dev | story: best-by-dev | ordinary: mean ± std | '
      'story: mean ± std | ordinary per seed | story per seed | epochs (ordinary / story) | '
      'train s (ordinary / story) | ex/s (ordinary / story) |',
      '|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|']
  for r in rows:
    per = lambda xs: ' '.join(f'{x:.1f}' for x in xs)
    lines.append(
        f"| {r['task']} | {r['paper']} | {r['ordinary_best_by_dev']:.1f} | "
        f"{r['story_best_by_dev']:.1f} | {r['ordinary_mean']:.1f} ± {r['ordinary_std']:.1f} | "
        f"{r['story_mean']:.1f} ± {r['story_std']:.1f} | {per(r['ordinary_per_seed'])} | "
        f"{per(r['story_per_seed'])} | {sum(r['ordinary_epochs'])} / {sum(r['story_epochs'])} | "
        f"{r['ordinary_train_seconds']:.0f} / {r['story_train_seconds']:.0f} | "
        f"{r['ordinary_ex_per_s']:,.0f} / {r['story_ex_per_s']:,.0f} |")
  diffs = sorted({k for r in rows for k in r['config_differences']})
  lines += ['', f"Seeds {rows[0]['seeds'] if rows else []}; configs otherwise identical"
            + (f' except {diffs}' if diffs else '') + '. Train seconds and ex/s are whole runs '
            '(dev evaluation included), each on the machine its summary names '
            f"({rows[0]['machine'] if rows else '–'}); they are not speed measurements: the "
            'ordinary runs are older, and the story runs shared the CPU with other work (and '
            'were paused while benchmarks ran). Speed: `results/bench.md`.', '',
            'Regenerate (trains what is missing, then rewrites this table):', '', '```', command,
            '```', '']
  return '\n'.join(lines), rows


def write(out: str, command: str, archive_root: str = ARCHIVE) -> str:
  text, rows = make_table(command, archive_root)
  write_files(out, text, {'rows': rows, 'command': command})
  return text
