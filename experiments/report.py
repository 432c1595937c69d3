"""Writes a markdown (+ JSON) table of finished bAbI runs beside the DMN paper's Table 1.

  python -m experiments.report --workdirs=runs/babi1,runs/babi2,runs/babi3 \
      --out=results/babi_dmn_single_seed --command="<the commands that made the workdirs>"

Each workdir must hold the `summary.json` and `config.json` of a finished run.
"""

import json
import os

from absl import app, flags

from dmn_jax import paper
from experiments import common

_WORKDIRS = flags.DEFINE_list('workdirs', None, 'finished run folders')
_OUT = flags.DEFINE_string('out', None, 'output path without extension (.md and .json written)')
_COMMAND = flags.DEFINE_string('command', '', 'the command(s) that produced the workdirs')
_NOTE = flags.DEFINE_string('note', '', 'a sentence on how the runs were made (e.g. shared cores)')
flags.mark_flags_as_required(['workdirs', 'out'])


def load(workdir: str) -> dict:
  with open(os.path.join(workdir, 'summary.json')) as f:
    s = json.load(f)
  with open(os.path.join(workdir, 'config.json')) as f:
    c = json.load(f)
  return {'workdir': workdir, 'task': s['task'], 'babi_set': s['babi_set'], 'seed': s['seed'],
          'test_accuracy': 100 * s['test_accuracy'], 'dev_accuracy': 100 * s['dev_accuracy'],
          'test_gate_accuracy': 100 * s['test_gate_accuracy'], 'epochs': s['epochs_run'],
          'best_epoch': s['best_epoch'], 'train_seconds': s['train_seconds'],
          'examples_per_second': s['examples_per_second'],
          'compile_seconds': s['compile_seconds'], 'machine': s['machine'],
          'passes': c['model']['passes'], 'attention': c['model']['attention'],
          'paper_dmn': paper.DMN_TABLE1_BABI_1K[s['task']],
          'paper_memnn': paper.MEMNN_TABLE1_BABI_1K[s['task']]}


def main(argv):
  del argv
  rows = sorted((load(w) for w in _WORKDIRS.value), key=lambda r: (r['task'], r['seed']))
  lines = [
      '# DMN on bAbI (1k), single seed',
      '',
      'Test accuracy (%) of the best-by-dev epoch, beside Kumar et al. 2016 Table 1.',
      '',
      '| task | paper DMN | paper MemNN | ours (test) | dev | gate acc (test) | passes | '
      'attention | epochs (best) | train s | ex/s | compile s |',
      '|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|',
  ]
  for r in rows:
    lines.append(
        f"| {r['task']} | {r['paper_dmn']} | {r['paper_memnn']} | {r['test_accuracy']:.1f} | "
        f"{r['dev_accuracy']:.1f} | {r['test_gate_accuracy']:.1f} | {r['passes']} | "
        f"{r['attention']} | {r['epochs']} ({r['best_epoch']}) | {r['train_seconds']:.0f} | "
        f"{r['examples_per_second']:,.0f} | {r['compile_seconds']:.1f} |")
  lines += ['', f"Seeds: {sorted({r['seed'] for r in rows})}. Machine: {rows[0]['machine']}.",
            _NOTE.value, '',
            'Regenerate:', '', '```', _COMMAND.value, '```', '']
  os.makedirs(os.path.dirname(_OUT.value) or '.', exist_ok=True)
  with open(_OUT.value + '.md', 'w') as f:
    f.write('\n'.join(lines))
  with open(_OUT.value + '.json', 'w') as f:
    json.dump({'rows': rows, 'command': _COMMAND.value}, f, indent=1)
  print('\n'.join(lines))


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
