"""`results/babi_dmn_single_seed.md`: single-seed DMN runs on bAbI beside Kumar et al. Table 1."""

from __future__ import annotations

import os

from dmn_jax import paper
from dmn_jax import workdir as workdir_lib


def load(workdir: str) -> dict:
  s = workdir_lib.run_summary(workdir, required=True)
  c = workdir_lib.run_config(workdir)
  return {'workdir': workdir, 'task': s['task'], 'babi_set': s['babi_set'], 'seed': s['seed'],
          'test_accuracy': 100 * s['test_accuracy'], 'dev_accuracy': 100 * s['dev_accuracy'],
          'test_gate_accuracy': 100 * s['test_gate_accuracy'], 'epochs': s['epochs_run'],
          'best_epoch': s['best_epoch'], 'train_seconds': s['train_seconds'],
          'examples_per_second': s['examples_per_second'],
          'compile_seconds': s['compile_seconds'], 'machine': s['machine'],
          'passes': c['model']['passes'], 'attention': c['model']['attention'],
          'gate_norm': c['model'].get('gate_norm', 'sigmoid'),
          'paper_dmn': paper.DMN_TABLE1_BABI_1K[s['task']],
          'paper_memnn': paper.MEMNN_TABLE1_BABI_1K[s['task']]}


def _attention(r: dict) -> str:
  return 'softmax' if r['attention'] == 'softmax' else f"GRU, {r['gate_norm']} gates"


def make_table(workdirs: list[str], command: str, note: str = '') -> tuple[str, list[dict]]:
  """Markdown table (and its rows) of finished runs beside the paper's Table 1."""
  rows = sorted((load(w) for w in workdirs), key=lambda r: (r['task'], r['seed']))
  lines = [
      '# DMN on bAbI (1k), single seed',
      '',
      'Test accuracy (%) of the best-by-dev epoch, beside Kumar et al. 2016 Table 1.',
      '',
      '| task | paper DMN | paper MemNN | ours (test) | dev | gate acc (test) | passes | '
      'attention | epochs (best) | train s | ex/s | compile s | run |',
      '|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|',
  ]
  for r in rows:
    lines.append(
        f"| {r['task']} | {r['paper_dmn']} | {r['paper_memnn']} | {r['test_accuracy']:.1f} | "
        f"{r['dev_accuracy']:.1f} | {r['test_gate_accuracy']:.1f} | {r['passes']} | "
        f"{_attention(r)} | {r['epochs']} ({r['best_epoch']}) | {r['train_seconds']:.0f} | "
        f"{r['examples_per_second']:,.0f} | {r['compile_seconds']:.1f} | "
        f"{os.path.basename(os.path.normpath(r['workdir']))} |")
  lines += ['', f"Seeds: {sorted({r['seed'] for r in rows})}. Machine: {rows[0]['machine']}.",
            note, '', 'Regenerate:', '', '```', command, '```', '']
  return '\n'.join(lines), rows
