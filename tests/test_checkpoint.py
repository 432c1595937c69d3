import os
import re

import jax
import jax.numpy as jnp
import numpy as np

from dmn_jax.checkpoint import RunCheckpoints


def _state(x):
  return {'params': {'w': jnp.full((3,), float(x))}, 'step': jnp.asarray(int(x), jnp.int32),
          'rng': jax.random.PRNGKey(int(x))}


def test_round_trip_latest_and_best(tmp_path):
  c = RunCheckpoints(str(tmp_path))
  assert c.restore_latest(_state(0)) is None
  c.save_latest(1, _state(1.0), {'epoch': 1})
  c.save_best(1, _state(1.0)['params'], {'epoch': 1, 'best': 0.5})
  c.save_latest(2, _state(2.0), {'epoch': 2})
  c.save_latest(2, _state(2.5), {'epoch': 2, 'again': True})      # a replayed epoch overwrites
  c.close()
  c = RunCheckpoints(str(tmp_path))                                # a new process
  state, meta = c.restore_latest(_state(0))
  assert meta == {'epoch': 2, 'again': True}
  np.testing.assert_array_equal(state['params']['w'], [2.5] * 3)
  np.testing.assert_array_equal(state['rng'], jax.random.PRNGKey(2))
  params, meta = c.restore_best(_state(0)['params'])
  assert meta['best'] == 0.5
  np.testing.assert_array_equal(params['w'], [1.0] * 3)
  assert c.latest.all_steps() == [2]                               # only the newest is kept
  c.close()


def test_unfinished_save_is_ignored(tmp_path):
  c = RunCheckpoints(str(tmp_path))
  c.save_latest(3, _state(3.0), {'epoch': 3})
  c.close()
  # What a `kill -9` during a save leaves: orbax's temporary folder of the next step.
  junk = tmp_path / 'ckpt' / 'latest' / '4.orbax-checkpoint-tmp-1234567'
  os.makedirs(junk / 'state')
  (junk / 'state' / 'partial').write_text('x')
  c = RunCheckpoints(str(tmp_path))
  state, meta = c.restore_latest(_state(0))
  assert meta['epoch'] == 3
  np.testing.assert_array_equal(state['params']['w'], [3.0] * 3)
  c.close()


def test_a_checkpoint_saved_on_another_device_restores_here(tmp_path):
  c = RunCheckpoints(str(tmp_path))
  c.save_latest(5, _state(5.0), {'epoch': 5})
  c.close()
  # What a GPU run leaves (e.g. resumed on a CPU after a lent GPU was given back): every array's
  # recorded placement names a device this process does not have.
  (sharding,) = (tmp_path / 'ckpt' / 'latest').glob('*/state/_sharding')
  text = sharding.read_text()
  assert 'device_str' in text
  sharding.write_text(re.sub(r'\\"device_str\\": \\"[^"\\]*\\"', r'\\"device_str\\": \\"cuda:0\\"',
                             text))
  assert 'cuda:0' in sharding.read_text()
  c = RunCheckpoints(str(tmp_path))
  state, meta = c.restore_latest(_state(0))
  assert meta['epoch'] == 5
  np.testing.assert_array_equal(state['params']['w'], [5.0] * 3)
  assert state['params']['w'].devices() == {jax.local_devices()[0]}
  c.close()
