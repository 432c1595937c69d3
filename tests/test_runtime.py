"""dmn_jax/runtime.py: the unrolled CPU PRNG draws the same bits; the compilation cache's place."""

import subprocess
import sys

import numpy as np

from dmn_jax import runtime

_DRAW = r'''
import sys
import jax, jax.numpy as jnp, numpy as np
from dmn_jax import runtime
if sys.argv[1] == '1':
  assert runtime.unrolled_cpu_rng()
keys = jax.random.split(jax.random.PRNGKey(7), 4)

@jax.jit
def draw(keys):
  def one(k):
    a, b = jax.random.split(k)
    return (jax.random.uniform(a, (5, 3)), jax.random.bernoulli(b, 0.3, (7,)).astype(jnp.float32),
            jax.random.randint(b, (4,), 0, 100).astype(jnp.float32), jax.random.normal(a, (2,)))
  return jax.vmap(one)(keys)

out = draw(keys)
np.save(sys.argv[2], np.concatenate([x.reshape(4, -1) for x in out], 1))
print('while' in draw.lower(keys).compile().as_text())
'''


def test_unrolled_lowering_draws_the_same_bits(tmp_path):
  files, loops = [], []
  for unrolled in ('0', '1'):
    path = str(tmp_path / f'draw{unrolled}.npy')
    run = subprocess.run([sys.executable, '-c', _DRAW, unrolled, path], check=True,
                         env={'JAX_PLATFORMS': 'cpu', 'PATH': ''}, cwd='.', capture_output=True,
                         text=True)
    loops.append(run.stdout.strip())
    files.append(np.load(path))
  assert loops == ['True', 'False']              # rolled rounds by default, none unrolled
  np.testing.assert_array_equal(files[0], files[1])
  assert files[0].std() > 0


def test_compilation_cache_goes_to_dmn_cache_dir(tmp_path, monkeypatch):
  import jax
  import ml_collections
  monkeypatch.setenv('DMN_CACHE_DIR', str(tmp_path))
  assert runtime.cache_dir() == str(tmp_path / 'xla')
  before = jax.config.jax_compilation_cache_dir
  try:
    jax.config.update('jax_compilation_cache_dir', None)
    runtime.use_compilation_cache(ml_collections.ConfigDict({'compilation_cache': False}))
    assert jax.config.jax_compilation_cache_dir is None     # off: nothing set
    runtime.use_compilation_cache(ml_collections.ConfigDict({'compilation_cache': True}))
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / 'xla')
    assert (tmp_path / 'xla').is_dir()
  finally:
    jax.config.update('jax_compilation_cache_dir', before)
