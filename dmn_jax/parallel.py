"""Several devices: a `Mesh` over the local devices with a 'seed' and a 'batch' axis.

A run's arrays carry a leading seed axis (`train.init_states`) and batches a batch axis after it,
so one layout serves every step: state leaves are split over 'seed' on their first axis, batch
leaves [S, B, ...] over ('seed', 'batch') (a call of K steps: [K, S, B, ...], the same after K),
eval batches [B, ...] over 'batch'. The mesh puts every device on the seed axis when the seeds
divide evenly among them (seeds train independently: no communication), else on the batch axis
(gradients summed across devices by XLA). XLA partitions the same jit-compiled step; nothing in
the models changes, and results equal the one-device run's up to float summation order.

Config: `devices` (0: every device; N: the first N). With one device nothing is placed.

Several processes (hosts), on JAX's distributed runtime: `initialize(coordinator, n, i)` in
each process before anything else touches jax (the entry points' --coordinator,
--num_processes, --process_id flags). The mesh then spans every process's devices; each process
builds the same batches (same data, same shuffles) and places only its devices' shards; metrics
are gathered to every process (`Layout.fetch`); process 0 alone writes the run's files.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
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

    def put(x):
      if jax.process_count() > 1 and not (isinstance(x, jax.Array) and not x.is_fully_addressable):
        x = np.asarray(x)                  # every process holds the same value: place its shards
      return jax.device_put(x, NamedSharding(self.mesh, spec_of(x)))

    return jax.tree.map(put, tree)

  def fetch(self, tree: Any) -> Any:
    """`jax.device_get`, for arrays that span other processes' devices too (gathered whole to
    every process)."""
    if jax.process_count() == 1:
      return jax.device_get(tree)
    return jax.tree.map(
        lambda x: (multihost_utils.process_allgather(x, tiled=True)
                   if isinstance(x, jax.Array) and not x.is_fully_addressable
                   else jax.device_get(x)), tree)

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


def initialize(coordinator: str, num_processes: int, process_id: int) -> None:
  """Joins this process to a multi-process run (JAX's distributed runtime; CPU collectives over
  gloo). Call before anything else uses jax."""
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')   # used by CPU devices only
  # The CPU backend waits for every process's local topology (2 min by default): a loaded machine
  # can start one process minutes after another, so wait longer, and build the backend here, at
  # the same point in every process, rather than at each one's first array.
  jax.config.update('jax_cpu_get_local_topology_timeout_minutes', 10)
  jax.config.update('jax_cpu_get_global_topology_timeout_minutes', 12)
  # The same for the shutdown barrier: a process that ends first waits for the others (5 min by
  # default), which a loaded machine can exceed.
  jax.distributed.initialize(coordinator, num_processes=num_processes, process_id=process_id,
                             shutdown_timeout_seconds=1800)
  jax.devices()
  # Gloo connects the processes at their first collective and gives a peer 30 s to arrive (a
  # fixed timeout): a loaded machine can bring one process to its first checkpoint barrier
  # later than that. Make the first collective here, where every process has just left the
  # runtime's own rendezvous together; later collectives reuse the connection.
  from jax.experimental import multihost_utils
  multihost_utils.sync_global_devices('dmn_jax.parallel.initialize')


def is_primary() -> bool:
  """Whether this process writes the run's files (process 0)."""
  return jax.process_index() == 0


def layout(devices: int, num_seeds: int, batch_size: int) -> Layout:
  """The run's mesh over the first `devices` devices (0: all of them; every process's devices
  when there are several processes)."""
  local = jax.devices() if jax.process_count() > 1 else jax.local_devices()
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
