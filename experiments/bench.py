r"""Training-step benchmark: compile time, examples/s and FLOP/s of the jit-compiled train step.

  python -m experiments.bench                      # the suite (issue 16's goals), writes
                                                   # results/bench.md + results/bench.json
  python -m experiments.bench --rows=memn2n_t1_10k,memn2n_t1_10k_x10 --out=
  python -m experiments.bench --config=experiments/configs/babi.py:3 --batch_sizes=32,128 \
      --seeds=1,5 --out=                           # any config (printed only)

Times the train step a training run executes (forward, backward, optimizer; vmapped over seeds;
`train.steps_per_call` steps per compiled call) on real batches of the task after one warm-up
call, nothing else running. `compile s`: the step's first (cold) compile; `cached s`: the same
step compiled again after JAX's in-memory caches are cleared, from XLA's persistent cache (a
fresh one of this run's own), as a second run of a config compiles (issue 16: ≤ 10 s cold,
≤ 5 s cached). FLOPs are XLA's cost analysis of the compiled program. Examples/s
counts seed-examples (a step over S seeds of batch B counts S × B); for the language model an
example is one predicted word, so it is words/s. With length buckets (train.length_buckets > 1)
`ex/s` is the largest bucket's step and `epoch ex/s` a whole epoch's (every bucket's step timed,
weighted by its share of the epoch's steps): the figure the peers' epoch throughputs compare to.
"""

import json
import os
import sys
import tempfile

from absl import app, flags
import ml_collections
from ml_collections import config_flags

from dmn_jax import benchmark, families, runtime
from dmn_jax.workdir import write_json
from experiments import common
from experiments.bench_suite import PEERS, SUITE, machine, row_config

_CONFIG = config_flags.DEFINE_config_file('config', None, 'a config to time instead of the suite',
                                          lock_config=True)
_ROWS = flags.DEFINE_list('rows', [], 'suite rows to run (default: all)')
_BATCH_SIZES = flags.DEFINE_list('batch_sizes', ['32'], 'with --config: batch sizes to time')
_SEEDS = flags.DEFINE_list('seeds', ['1'], 'with --config: numbers of seeds trained together')
_SECONDS = flags.DEFINE_float('seconds', 10.0, 'timed seconds per row (at least 3 calls)')
_OUT = flags.DEFINE_string('out', None, 'write <out>.md and <out>.json ("": print only; default '
                           'results/bench, with --devices results/bench_devices)')
_CACHED = flags.DEFINE_bool('cached_compile', True, 'also time a second compile of each step '
                            "from XLA's persistent cache (a fresh one in a temporary folder)")
_DEVICES = flags.DEFINE_list('devices', [], 'time every row on each of these device counts (more '
                             'than one CPU device: XLA_FLAGS=--xla_force_host_platform_device_count=N)')


def run_row(name, seconds, loaded, devices=1):
  """Times the suite's row `name`; `loaded` caches each config file's data (overrides change
  no data)."""
  cfg, batch, seeds, what = row_config(name)
  cfg = ml_collections.FrozenConfigDict(cfg)
  family = families.of(cfg)
  spec = SUITE[name][0]
  if spec not in loaded:
    loaded[spec] = family.load(cfg)
  data, data_spec = loaded[spec]
  r = benchmark.bench_one(cfg, data, data_spec, batch, seconds, seeds, devices, epoch=True)
  return {**_row(name, what, r), 'model': family.describe_model(cfg.model)}


def _row(name: str, config: str, r: dict) -> dict:
  """A table/JSON row from `benchmark.bench_one`'s result `r`."""
  return {'name': name, 'config': config, 'batch_size': r['batch'], 'seeds': r['seeds'],
          'examples_per_second': r['ex_per_s'], 'epoch_examples_per_second': r['epoch_ex_per_s'],
          'length_buckets': r['buckets'], 'gflops_per_second': r['gflop_per_s'],
          'compile_seconds': r['compile_s'], 'compile_cached_seconds': r['compile_cached_s'],
          'step_ms': r['step_ms'], 'gflop_per_step': r['gflop_per_step'],
          'steps_per_call': r['steps_per_call'], 'devices': r['devices']}


BEFORE = 'results/bench_before.json'     # the suite on the code before issue 16 (its 'note')


def _before() -> dict[str, float]:
  if not os.path.exists(BEFORE):
    return {}
  with open(BEFORE) as f:
    return {r['name']: r['examples_per_second'] for r in json.load(f)['rows']}


def table(rows) -> list[str]:
  before = _before()
  lines = ['| row | config | batch | seeds | devices | steps/call | compile s | cached s | step ms '
           '| ex/s | epoch ex/s | before | GFLOP/s | goal | peer ex/s | ours / peer |',
           '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|']
  for r in rows:
    base = before.get(r['name']) if r.get('devices', 1) == 1 else None
    peer = PEERS.get(r['name'])
    goal = SUITE[r['name']][3] if r['name'] in SUITE else ''
    epoch = r.get('epoch_examples_per_second')
    bucketed = epoch is not None and r.get('length_buckets', 1) > 1
    ours = epoch if epoch is not None else r['examples_per_second']   # the peers' epoch figures
    lines.append(
        f"| {r['name']} | `{r['config']}` | {r['batch_size']} | {r['seeds']} | "
        f"{r.get('devices', 1)} | "
        f"{r['steps_per_call']} | {r['compile_seconds']:.1f} | "
        + (f"{r['compile_cached_seconds']:.1f}" if r.get('compile_cached_seconds') is not None
           else '') + f" | {r['step_ms']:.2f} | "
        f"{r['examples_per_second']:,.0f} | "
        + (f"{epoch:,.0f} ({r['length_buckets']} buckets)" if bucketed else
           'the same' if epoch is not None else '')
        + f" | {f'{base:,.0f}' if base else ''} | "
        f"{r['gflops_per_second']:.1f} | {goal} | "
        + (f"{peer[1]:,} | {ours / peer[1]:.2f}× |" if peer else '| |'))
  return lines


def main(argv):
  del argv
  if not _CACHED.value:
    return _main()
  # A persistent cache of this run's own (empty at the start, so the first compile of each step
  # is cold), set before the first compile as XLA requires; removed at the end.
  with tempfile.TemporaryDirectory(prefix='dmn_bench_xla_') as cache:
    runtime.use_compilation_cache_at(cache, min_compile_seconds=0.0)
    return _main()


def _main():
  loaded = {}
  if _CONFIG.value is not None:
    cfg = ml_collections.FrozenConfigDict(_CONFIG.value)
    family = families.of(cfg)
    data, spec = family.load(cfg)
    rows = []
    for b in _BATCH_SIZES.value:
      for s in _SEEDS.value:
        r = benchmark.bench_one(cfg, data, spec, int(b), _SECONDS.value, int(s), epoch=True)
        rows.append(_row(f'b{b}_s{s}', 'command line', r))
  else:
    names = _ROWS.value or list(SUITE)
    unknown = [n for n in names if n not in SUITE]
    if unknown:
      raise ValueError(f'unknown --rows {unknown}; the suite has {list(SUITE)}')
    rows = []
    for n in names:
      for d in map(int, _DEVICES.value or ['1']):
        rows.append(run_row(n, _SECONDS.value, loaded, d))
        print(table(rows[-1:])[-1], flush=True)
  env = ' '.join(f'{k}={os.environ[k]}' for k in ('XLA_FLAGS',) if os.environ.get(k))
  command = (env + ' ' if env else '') + 'python -m experiments.bench ' + ' '.join(sys.argv[1:])
  lines = ([f'Train-step benchmark; {machine()}.', ''] + table(rows) +
           ['', 'ex/s and step ms: the largest length bucket\'s step (the costliest); epoch ex/s: a '
            'whole training epoch, every bucket\'s step timed and weighted by its number of steps '
            '(train.length_buckets; with one bucket the same as ex/s). ours / peer: epoch ex/s.', '',
            'Peers (steady-state training ex/s on the same 2-core CPU kind, same work, PyTorch at '
            '1 thread; measured and reported in issue 16): ' +
            '; '.join(sorted({f'{v[0]} {v[1]:,}' for v in PEERS.values()})) +
            '; numpy MemN2N (vinhkhuc/MemN2N-babi-python, PE TE RN) 6,109.', '',
            f'before: this suite on the code before issue 16 ({BEFORE}: '
            + (json.load(open(BEFORE))['note'] if os.path.exists(BEFORE) else 'missing') + '). '
            'The MemN2N configs then read the paper (the row memn2n_t1_10k_paper_reading); they '
            'now default to the authors\' recipe (per-matrix spectral clipping, time words, a '
            'fixed memory with empty slots kept), which costs more per step.', '',
            f'Command: `{command.strip()}`'])
  text = '\n'.join(lines)
  print(text)
  out = _OUT.value if _OUT.value is not None else (
      'results/bench_devices' if _DEVICES.value else 'results/bench')
  if out:
    with open(out + '.md', 'w') as f:
      f.write(text + '\n')
    write_json(out + '.json', {'machine': machine(), 'command': command.strip(),
                                      'rows': rows, 'peers': {k: {'system': v[0], 'ex_per_s': v[1]}
                                                              for k, v in PEERS.items()}})


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
