"""Several devices: a `Mesh` over the local devices with a 'seed' and a 'batch' axis.

A run's arrays carry a leading seed axis (`train.init_states`) and batches a batch axis after it,
so one layout serves every step: state leaves are split over 'seed' on their first axis, batch
leaves [S, B, ...] over ('seed', 'batch') (a call of K steps: [K, S, B, ...], the same after K),
eval batches [B, ...] over 'batch'. The mesh puts every device on the seed axis when the seeds
divide evenly among them (seeds train independently: no communication), else on the batch axis
(gradients summed across devices by XLA). XLA partitions the same jit-compiled step; nothing in
the models changes, and results equal the one-device run's up to float summation order.

Config: `devices` (0: every local device; N: the first N). With one device nothing is placed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from dmn_jax.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Layout:
  """The mesh of a run (None: one device, nothing placed)."""
  mesh: Mesh | None

  @property
  def num_devices(self) -> int:
    return 1 if self.mesh is None else self.mesh.devices.size

  @property
  def seed_devices(self) -> int:
    """Devices along the seed axis (a seed count a step runs on must be a multiple of it)."""
    return 1 if self.mesh is None else self.mesh.shape['seed']

  def describe(self) -> dict[str, int]:
    if self.mesh is None:
      return {'seed': 1, 'batch': 1}
    return {'seed': self.mesh.shape['seed'], 'batch': self.mesh.shape['batch']}

  def _put(self, tree: Any, spec_of) -> Any:
    if self.mesh is None:
      return tree
    return jax.tree.map(lambda x: jax.device_put(x, NamedSharding(self.mesh, spec_of(x))), tree)

  def state(self, tree: Any) -> Any:
    """Leaves with a leading seed axis (state, controls, active flags) split over 'seed'."""
    return self._put(tree, lambda x: P('seed') if np.ndim(x) else P())

  def batch(self, tree: Any, lead: int = 0) -> Any:
    """Training batch leaves [<lead axes>, S, B, ...] split over ('seed', 'batch')."""
    return self._put(tree, lambda x: P(*([None] * lead), 'seed',
                                       'batch' if np.ndim(x) > lead + 1 else None))

  def steps_active(self, active: Any, lead: int = 0) -> Any:
    """Active flags [<lead axes>, S] split over 'seed'."""
    return self._put(active, lambda x: P(*([None] * lead), 'seed'))

  def eval_batch(self, tree: Any) -> Any:
    """Evaluation batch leaves [B, ...] (shared by all seeds) split over 'batch'."""
    return self._put(tree, lambda x: P('batch'))


def layout(devices: int, num_seeds: int, batch_size: int) -> Layout:
  """The run's mesh over the first `devices` local devices (0: all of them)."""
  local = jax.local_devices()
  n = len(local) if devices == 0 else devices
  if n > len(local):
    raise ConfigError(f'devices={devices}, but this process sees {len(local)} device(s): '
                      f'{[d.device_kind for d in local]}')
  if n <= 1:
    return Layout(None)
  if num_seeds % n == 0:
    shape = (n, 1)
  elif batch_size % n == 0:
    shape = (1, n)
  else:
    raise ConfigError(f'{n} devices divide neither num_seeds ({num_seeds}) nor '
                      f'train.batch_size ({batch_size}); set devices to a divisor of one of them')
  return Layout(Mesh(np.array(local[:n]).reshape(shape), ('seed', 'batch')))
