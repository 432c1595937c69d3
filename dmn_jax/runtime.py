"""Process-wide settings of a run, none of which changes a result: XLA's persistent compilation
cache, glibc's handling of freed memory, and the CPU lowering of JAX's PRNG. The entry points
(`experiments/common.run_cli`, `train.train_and_evaluate`) call these once, before the first
compile."""

from __future__ import annotations

import os

import jax


def cache_dir() -> str:
  """Where XLA's compiled programs are kept: $DMN_CACHE_DIR/xla, default ~/.cache/dmn_jax/xla."""
  root = os.environ.get('DMN_CACHE_DIR') or os.path.join(os.path.expanduser('~'), '.cache',
                                                          'dmn_jax')
  return os.path.join(root, 'xla')


def use_compilation_cache(cfg) -> None:
  """Turns on JAX's persistent compilation cache (`cache_dir()`) when `cfg.compilation_cache`:
  a second run of a config loads its compiled steps instead of compiling them again. It takes
  effect for a process whose first compile has not happened yet (an entry point's run)."""
  if not cfg.compilation_cache or jax.config.jax_compilation_cache_dir:
    return
  use_compilation_cache_at(cache_dir())


def use_compilation_cache_at(path: str, min_compile_seconds: float = 0.5) -> None:
  """XLA's persistent compilation cache in folder `path` (programs that took at least
  `min_compile_seconds` to compile are kept)."""
  os.makedirs(path, exist_ok=True)
  jax.config.update('jax_compilation_cache_dir', path)
  jax.config.update('jax_persistent_cache_min_compile_time_secs', min_compile_seconds)
  jax.config.update('jax_persistent_cache_min_entry_size_bytes', 0)


def keep_freed_memory() -> bool:
  """Asks glibc's malloc to keep freed memory for reuse instead of returning it to the system.

  XLA on CPU allocates a step's large temporaries (the language model's [128, 200, 150]
  memories and their gradients: 15 MB each) afresh every step; by default glibc serves blocks
  that large with mmap and unmaps them on free, so every step pays the kernel's page faults
  again (measured ~20% of the language model's step on this 2-core CPU). Raising the mmap and
  trim thresholds (as MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ would) keeps them in the
  heap. Called by the entry points before any large allocation; changes no result. Returns
  False where there is no glibc (nothing done).
  """
  import ctypes
  import ctypes.util
  try:
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    mallopt = libc.mallopt
  except (OSError, AttributeError):
    return False
  m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
  ok = mallopt(m_mmap_threshold, 32 * 1024 * 1024)      # glibc's largest allowed value
  ok &= mallopt(m_trim_threshold, 1 << 30)
  ok &= mallopt(m_top_pad, 64 * 1024 * 1024)
  return bool(ok)


def unrolled_cpu_rng() -> bool:
  """Lowers JAX's threefry2x32 PRNG on CPU unrolled, as on the other backends.

  On CPU JAX emits threefry's 5 rounds as a rolled loop (a smaller program to compile); each
  random draw (dropout masks, noise, key splits) then runs as an XLA while loop of tiny ops,
  which on the MemN2N bAbI step was ~40% of the step. The unrolled lowering is JAX's own rule
  for GPU/TPU and computes the same bits (tested). Uses a private JAX module (pinned jax
  version); returns False, doing nothing, where it is not there.
  """
  try:
    from jax._src.interpreters import mlir
    from jax._src.random import threefry2x32 as threefry
    rule, prim = threefry._threefry2x32_lowering_rule, threefry.threefry2x32_p
  except (ImportError, AttributeError):
    return False
  mlir.register_lowering(prim, rule, platform='cpu')
  return True
