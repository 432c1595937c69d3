r"""Profile of a compiled train step: its XLA ops by self time, with shapes and JAX sources.

  python -m experiments.profile_step --row=dmn_t1_10k            # a row of experiments.bench
  python -m experiments.profile_step --config=experiments/configs/babi.py:3 --batch_size=32
  XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1' \
      taskset -c 1 python -m experiments.profile_step --row=ptb_lm_7x200   # one core, one thread

The step is the one `experiments.bench` times (`benchmark.prepare_step`), run `--calls` times
under `jax.profiler` after warm-up calls; the table lists the `--top` ops by self time per call
(see `dmn_jax.profiling`). One thread on one core gives the plainest profile (each op's time is
its own, not a wait on another thread); `--out=F` also writes it to F.
"""

import itertools
import os
import sys

from absl import app, flags
import jax
import ml_collections
from ml_collections import config_flags

from dmn_jax import benchmark, families, profiling
from dmn_jax.errors import ConfigError
from experiments import common
from experiments.bench_suite import SUITE, machine, row_config

_CONFIG = config_flags.DEFINE_config_file('config', None, 'a config to profile (or --row)',
                                          lock_config=True)
_ROW = flags.DEFINE_string('row', None, 'a row of experiments.bench (its config, batch, seeds '
                           'and speed switches)')
_BATCH = flags.DEFINE_integer('batch_size', 32, 'with --config: the batch size')
_SEEDS = flags.DEFINE_integer('seeds', 1, 'with --config: seeds trained together')
_CALLS = flags.DEFINE_integer('calls', 10, 'traced calls of the step')
_TOP = flags.DEFINE_integer('top', 25, 'ops listed')
_OUT = flags.DEFINE_string('out', None, 'also write the markdown table here')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')

  def go():
    if (_ROW.value is None) == (_CONFIG.value is None):
      raise ConfigError('give --row or --config (one of them)')
    if _CALLS.value < 1 or _TOP.value < 1:
      raise ConfigError('--calls and --top must be at least 1')
    if _ROW.value is not None:
      if _ROW.value not in SUITE:
        raise ConfigError(f'--row={_ROW.value!r}: not a row of experiments.bench '
                          f'({", ".join(SUITE)})')
      cfg, batch, seeds, what = row_config(_ROW.value)
    else:
      cfg, batch, seeds, what = _CONFIG.value, _BATCH.value, _SEEDS.value, 'command line'
    cfg = ml_collections.FrozenConfigDict(cfg)
    data, spec = families.of(cfg).load(cfg)
    prep = benchmark.prepare_step(cfg, data, spec, batch, seeds)
    step = prep.compile()
    state, batches = prep.state, itertools.cycle(prep.batches)

    def call():
      nonlocal state
      state, _ = step(state, next(batches), prep.controls, prep.active)
      return state

    for _ in range(3):                      # warm-up: first-call costs stay out of the profile
      jax.block_until_ready(call())
    events = profiling.trace_calls(call, _CALLS.value)
    lines = [f'# Profile of the train step: {what}', '',
             f'Batch {batch}, {seeds} seed(s), {prep.steps_per_call} step(s) per call; '
             f'{machine()}.', '']
    lines += profiling.report(profiling.self_times(events), profiling.hlo_ops(step.as_text()),
                              _CALLS.value, _TOP.value)
    env = ' '.join(f'{k}={os.environ[k]!r}' for k in ('XLA_FLAGS',) if os.environ.get(k))
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < os.cpu_count():                 # pinned (taskset): part of the command
      env += f' taskset -c {",".join(map(str, cpus))}'
    lines += ['', 'Command: `' + (env.strip() + ' ' if env else '') + 'python -m experiments.profile_step '
              + ' '.join(sys.argv[1:]) + '`']
    text = '\n'.join(lines) + '\n'
    print(text)
    if _OUT.value:
      with open(_OUT.value, 'w') as f:
        f.write(text)

  common.run_cli(go)


if __name__ == '__main__':
  app.run(main, flags_parser=common.parse_flags)
