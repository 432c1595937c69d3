"""The benchmark suite's rows and the public peers' figures (no flags: `experiments.bench` times
the rows, `experiments.profile_step` profiles one)."""

import os
import platform

import jax
import ml_collections

# name: (config, batch size, seeds, what issue 16 asks of it, config overrides). The overrides
# are the speed switches a run can set (same model; see the README's "Speed" section).
STORY = {'train.story_batches': True}
CHUNK = {'steps_per_call': 8}
VMAP = {'seed_chunk': 0}            # seeds vmapped side by side (the DMN configs run them in turn)
# The MemN2N configs default to the authors' recipe (per-matrix spectral clipping, time words,
# empty memory slots kept); this is the paper's reading the rows before the recipe timed.
PAPER_READING = {'model.pe_form': 'sentence', 'model.time_encoding': 'table',
                 'model.mask_empty': True, 'train.clip': 'global', 'train.sampling': 'shuffle'}
SUITE = {
    'dmn_t1_10k': ('experiments/configs/babi.py:1,10k', 32, 1, '≥ 8,300 ex/s, ≥ 50 GFLOP/s', {}),
    'dmn_t1_10k_story': ('experiments/configs/babi.py:1,10k', 32, 1, '≥ 8,300 ex/s', STORY),
    'dmn_t1_10k_story_x4': ('experiments/configs/babi.py:1,10k', 32, 4, 'seeds side by side',
                            STORY),
    'dmn_t1_10k_b128': ('experiments/configs/babi.py:1,10k', 128, 1,
                        'per example no slower than batch 32', {}),
    'dmn_t1_10k_b128_chunk32': ('experiments/configs/babi.py:1,10k', 128, 1,
                                'per example no slower than batch 32', {'model.batch_chunk': 32}),
    'dmn_t1_10k_story_b128': ('experiments/configs/babi.py:1,10k', 128, 1, '', STORY),
    'dmn_t2_x5': ('experiments/configs/babi.py:2', 32, 5, 'seeds in turn (seed_chunk=1)', {}),
    'dmn_t2_x5_vmap': ('experiments/configs/babi.py:2', 32, 5, 'seeds side by side', VMAP),
    'dmn_t3': ('experiments/configs/babi.py:3', 32, 1, '≥ 1,900 ex/s', {}),
    'dmn_t3_story': ('experiments/configs/babi.py:3', 32, 1, '≥ 1,900 ex/s', STORY),
    # DMN+ (sentence-level input, input fusion, attention GRU), the model the DMN peer is.
    'dmnplus_t1_10k': ('experiments/configs/babi_dmnplus.py:1,10k', 32, 1, 'the same model as the peer',
                       {}),
    'dmnplus_t3': ('experiments/configs/babi_dmnplus.py:3', 32, 1, 'the same model as the peer', {}),
    'memn2n_t1_10k': ('experiments/configs/babi_memn2n.py:1,10k', 32, 1, '≥ 100,000 ex/s', {}),
    'memn2n_t1_10k_chunk': ('experiments/configs/babi_memn2n.py:1,10k', 32, 1, '≥ 100,000 ex/s',
                            CHUNK),
    'memn2n_t1_10k_paper_reading': ('experiments/configs/babi_memn2n.py:1,10k', 32, 1,
                                    '≥ 100,000 ex/s', PAPER_READING),
    'memn2n_t1_10k_x10': ('experiments/configs/babi_memn2n.py:1,10k', 32, 10,
                          '≥ 500,000 seed-ex/s', {}),
    'memn2n_t1_10k_x10_chunk': ('experiments/configs/babi_memn2n.py:1,10k', 32, 10,
                                '≥ 500,000 seed-ex/s', CHUNK),
    # A per-task 1k cell as the Table 1 sweep trains it (10 restarts side by side; task 2's
    # 50-sentence memories).
    'memn2n_t2_x10': ('experiments/configs/babi_memn2n.py:2', 32, 10, 'per-task cells', {}),
    'memn2n_joint_x10': ('experiments/configs/babi_memn2n.py:joint', 32, 10,
                         'restarts in turn (seed_chunk=1)', {}),
    'memn2n_joint_x10_vmap': ('experiments/configs/babi_memn2n.py:joint', 32, 10,
                              'restarts side by side', VMAP),
    'ptb_lm_7x200': ('experiments/configs/ptb_memn2n.py', 128, 1, '≥ 4,000 words/s', {}),
}

# Public implementations timed on this machine's kind (2-core x86_64 CPU) on the same work, as
# measured and reported in issue 16 (steady-state training ex/s, batch 32, PyTorch at 1 thread).
PEERS = {
    name: peer for names, peer in (
        (('dmn_t1_10k', 'dmn_t1_10k_story', 'dmnplus_t1_10k'),
         ('PyTorch DMN+ (dandelin/Dynamic-memory-networks-plus-Pytorch, hidden 80)', 1662)),
        (('dmn_t3', 'dmn_t3_story', 'dmnplus_t3'),
         ('PyTorch DMN+ (dandelin/Dynamic-memory-networks-plus-Pytorch), task 3 1k', 380)),
        (('memn2n_t1_10k', 'memn2n_t1_10k_chunk', 'memn2n_t1_10k_paper_reading'),
         ('PyTorch MemN2N (nmhkahn/MemN2N-pytorch: no TE, no noise, no LS)', 19885)),
    ) for name in names}
# Also measured there: numpy MemN2N (vinhkhuc/MemN2N-babi-python, PE TE RN) 6,109 ex/s.


def load_config(spec: str) -> ml_collections.ConfigDict:
  """`path:arg` (as --config takes it) -> the config file's get_config(arg)."""
  import importlib.util
  path, _, arg = spec.partition(':')
  mod_spec = importlib.util.spec_from_file_location('bench_config', path)
  mod = importlib.util.module_from_spec(mod_spec)
  mod_spec.loader.exec_module(mod)
  return mod.get_config(arg or None)


def machine() -> str:
  return (f'{platform.machine()}, {os.cpu_count()} cpus, {jax.default_backend()} '
          f'({jax.devices()[0].device_kind}), jax {jax.__version__}')


def with_overrides(cfg: ml_collections.ConfigDict, overrides: dict) -> ml_collections.ConfigDict:
  """`cfg` with each dotted key of `overrides` set (a row's speed switches)."""
  for key, value in overrides.items():
    *parents, leaf = key.split('.')
    node = cfg
    for p in parents:
      node = node[p]
    node[leaf] = value
  return cfg


def row_config(name: str) -> tuple[ml_collections.ConfigDict, int, int, str]:
  """(config, batch size, seeds, the config as a command line) of the suite's row `name`."""
  spec, batch, seeds, _, overrides = SUITE[name]
  what = spec + ''.join(f' --config.{k}={v}' for k, v in overrides.items())
  return with_overrides(load_config(spec), overrides), batch, seeds, what
