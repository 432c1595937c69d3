"""Training-step benchmark (DMN or MemN2N): compile time, examples/s and FLOP/s per batch size.

  python -m experiments.bench --config=experiments/configs/babi.py:1 --batch_sizes=32,128
  python -m experiments.bench --config=experiments/configs/babi.py:3 --out=results/bench_dmn.md
  python -m experiments.bench --config=experiments/configs/babi.py:1 --batch_sizes=32 \
      --seeds=1,5,10                       # seeds vmapped in one program
  python -m experiments.bench --config=experiments/configs/babi_memn2n.py:1,10k --batch_sizes=32

Times the jit-compiled train step (forward, backward, Adam) on real batches of the task after one
warm-up call, nothing else running; FLOPs per step are XLA's cost analysis of the compiled step.
"""

import os
import platform
import sys
from absl import app, flags
import jax
import ml_collections
from ml_collections import config_flags

from dmn_jax import families
from dmn_jax.benchmark import bench_one
from experiments import common

_CONFIG = config_flags.DEFINE_config_file('config', 'experiments/configs/babi.py:1',
                                          'task config', lock_config=True)
_BATCH_SIZES = flags.DEFINE_list('batch_sizes', ['32', '128'], 'batch sizes to time')
_SEEDS = flags.DEFINE_list('seeds', ['1'], 'numbers of seeds trained together (vmapped) to time')
_SECONDS = flags.DEFINE_float('seconds', 10.0, 'timed seconds per batch size (at least 3 steps)')
_OUT = flags.DEFINE_string('out', None, 'also append the table to this markdown file')


def _ratio(row, one) -> str:
  base = one.get(row['batch'])
  return f"{row['step_ms'] / base:.2f}x" if base else '–'


def main(argv):
  del argv
  cfg = ml_collections.FrozenConfigDict(_CONFIG.value)
  family = families.of(cfg)
  data, spec = family.load(cfg)
  rows = [bench_one(cfg, data, spec, int(b), _SECONDS.value, int(s))
          for b in _BATCH_SIZES.value for s in _SEEDS.value]
  one = {r['batch']: r['step_ms'] for r in rows if r['seeds'] == 1}
  machine = (f'{platform.machine()}, {os.cpu_count()} cpus, {jax.default_backend()} '
             f'({jax.devices()[0].device_kind}), jax {jax.__version__}')
  model = family.describe_model(cfg.model)
  if cfg.train.length_buckets > 1:
    from dmn_jax.data import batching
    longest = batching.length_buckets(data['train'], cfg.train.length_buckets)[-1]
    model += f'; batches cropped to the longest story ({batching.bucket_shape(longest)})'
  lines = [
      f'{family.name} train step ({model}); {family.describe(cfg, data, spec)}; {machine}',
      '',
      '| batch | seeds | compile s | step ms | time vs 1 seed | seed-examples/s | GFLOP/step '
      '| GFLOP/s |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ] + [f"| {r['batch']} | {r['seeds']} | {r['compile_s']:.1f} | {r['step_ms']:.1f} | "
       f"{_ratio(r, one)} | {r['ex_per_s']:,.0f} | {r['gflop_per_step']:.3f} | "
       f"{r['gflop_per_s']:.2f} |" for r in rows]
  lines += ['', 'Command: `python -m experiments.bench ' + ' '.join(sys.argv[1:]) + '`']
  text = '\n'.join(lines)
  print(text)
  if _OUT.value:
    with open(_OUT.value, 'a') as f:
      f.write(text + '\n\n')


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
