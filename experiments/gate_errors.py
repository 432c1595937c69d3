"""Where trained DMNs' gates go wrong: per-pass gate accuracy, how many wrong gates pick an earlier
fact than the supporting one (a recency error on the location tasks), and answer accuracy with
all gates right vs not. One row per finished run, on dev and test.

  python -m experiments.gate_errors --workdirs=runs/babi_hard_softmax/task02_answer_start_epoch10 \\
      --out=results/babi_gate_errors

Each workdir is read with the config it was trained with (its config.json) and its chosen seed's
best checkpoint. Writes <out>.md and <out>.json.
"""

from __future__ import annotations

import shlex
import sys

import ml_collections
from absl import app, flags

from dmn_jax import inspect_memory
from dmn_jax.errors import ConfigError
from dmn_jax.workdir import run_config, write_json, write_text
from experiments import common

_WORKDIRS = flags.DEFINE_list('workdirs', None, 'finished DMN bAbI runs (comma-separated)')
_LABELS = flags.DEFINE_list('labels', None, 'a label per workdir (default: the workdir)')
_OUT = flags.DEFINE_string('out', None, 'path without extension: writes .md and .json')
_SPLITS = flags.DEFINE_list('splits', ['dev', 'test'], 'splits to analyse')
flags.mark_flags_as_required(['workdirs', 'out'])


def _pct(x) -> str:
  return '' if x is None else f'{100 * x:.1f}'


def analyse(workdir: str, splits: list[str]) -> dict:
  """{'workdir', 'task', 'seed', 'model', splits...: inspect_memory.gate_errors(...)}."""
  cfg = ml_collections.ConfigDict(run_config(workdir))
  if cfg.get('model_family', 'dmn') != 'dmn' or not cfg.train.get('gate_supervision', False):
    raise ConfigError(f'{workdir}: not a gate-supervised DMN run')
  params, data, _, summary = inspect_memory.load_best(cfg, workdir)
  unknown = [s for s in splits if s not in data]
  if unknown:
    raise ConfigError(f'--splits: {unknown} not among {sorted(data)}')
  row = {'workdir': workdir, 'task': cfg.task, 'seed': summary['seed'],
         'model': {k: cfg.model[k] for k in ('attention', 'gate_norm', 'gate_loss', 'fact_time')
                   if k in cfg.model}}
  forward = inspect_memory.eval_forward(cfg.model)
  for split in splits:
    row[split] = inspect_memory.gate_errors(params, data[split], cfg.model, forward=forward)
  return row


def markdown(rows: list[dict], labels: list[str], splits: list[str], command: str) -> str:
  lines = ['# Where the DMN\'s gates go wrong', '',
           'Per run (its chosen seed\'s best-by-dev parameters): answer accuracy; per supervised '
           'pass, the gate accuracy (the largest gate on that pass\'s supporting fact) and, of '
           'the wrong gates, the share that pick an EARLIER fact of the story than the target '
           '(on tasks 2 and 3, an older position of the same person or object: recency); the '
           'share of questions with every gate right, and the answer accuracy with and without '
           'them. Percentages.', '']
  for split in splits:
    lines += [f'## {split}', '',
              '| run | task | answer | gates per pass (earlier among errors) | all gates right '
              '| answer, all right | answer, not |', '|---|---:|---:|---|---:|---:|---:|']
    for label, r in zip(labels, rows):
      e = r[split]
      per = '; '.join(f'{p["pass"]}: {_pct(p["gate_accuracy"])} ({_pct(p["earlier"]) or "–"})'
                      for p in e['passes'])
      lines.append(f'| {label} | {r["task"]} | {_pct(e["answer_accuracy"])} | {per} | '
                   f'{_pct(e["all_gates_right"])} | {_pct(e["answer_accuracy_gates_right"])} | '
                   f'{_pct(e["answer_accuracy_gates_wrong"])} |')
    lines.append('')
  lines += ['Runs: ' + '; '.join(f'{l}: `{r["workdir"]}` (seed {r["seed"]}, '
                                 + ', '.join(f'{k}={v}' for k, v in r['model'].items()) + ')'
                                 for l, r in zip(labels, rows)) + '.', '',
            'Regenerate (needs the runs\' checkpoints: each workdir is a cell of a sweep, '
            '`python -m experiments.babi_sweep --config=experiments/configs/babi_hard.py:<study> '
            '--workdir=<root>`, retrained by that command where its checkpoint is gone):', '',
            '```', command, '```', '']
  return '\n'.join(lines)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')

  def go():
    workdirs = _WORKDIRS.value
    labels = _LABELS.value or workdirs
    if len(labels) != len(workdirs):
      raise ConfigError(f'--labels: {len(labels)} labels for {len(workdirs)} workdirs')
    rows = [analyse(w, _SPLITS.value) for w in workdirs]
    command = shlex.join(['python', '-m', 'experiments.gate_errors'] + sys.argv[1:])
    text = markdown(rows, labels, _SPLITS.value, command)
    write_json(_OUT.value + '.json', {'rows': [dict(r, label=l) for l, r in zip(labels, rows)],
                                      'command': command})
    write_text(_OUT.value + '.md', text)
    print(text)

  common.run_cli(go)


if __name__ == '__main__':
  app.run(main)
