"""Orbax checkpoints of a run: `latest` (to resume) and `best` (by dev accuracy), one each.

Each checkpoint holds a pytree (`state`: params, optimizer state, step, rng) and a JSON `meta`
(epoch, best dev figures, early-stopping counter, timings). Saves are synchronous and orbax
writes into a temporary folder that it renames when complete, so a run killed mid-save
(`kill -9`) restarts from the previous complete checkpoint. Arrays are restored onto this
process's devices, whatever the saving machine had: a run checkpointed on a GPU or TPU resumes on
a CPU and back.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any, Iterator

import jax
import orbax.checkpoint as ocp


def _here(template: Any) -> Any:
  """`template`'s shapes and dtypes, each placed as the template's array is (a non-array
  leaf: on this process's first device). Without a placement orbax restores an array onto the
  devices that saved it, and refuses a checkpoint from another machine's topology."""
  first = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
  return jax.tree.map(
      lambda a, x: jax.ShapeDtypeStruct(
          a.shape, a.dtype, sharding=x.sharding if isinstance(x, jax.Array) else first),
      jax.eval_shape(lambda: template), template)


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
  """Holds back Ctrl-C (SIGINT) until the block ends, then raises KeyboardInterrupt: a save is
  never cut short (off the main thread, where signals cannot be handled, a plain block)."""
  if threading.current_thread() is not threading.main_thread():
    yield
    return
  caught = []
  previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
  try:
    yield
  finally:
    signal.signal(signal.SIGINT, previous)
  if caught:
    raise KeyboardInterrupt


class InterruptRequest:
  """Turns Ctrl-C into a request that the training loop honours at its next safe point.

  Within `with InterruptRequest() as stop:`, the first SIGINT only sets `stop.requested`; the
  loop calls `stop.check()` between steps, which raises KeyboardInterrupt there (never inside
  jax, orbax or tensorboardX code). A second Ctrl-C raises at once. Off the main thread (where
  signals cannot be handled) it does nothing.
  """

  def __init__(self):
    self.requested = False
    self._previous = None

  def _handle(self, signum, frame):
    if self.requested:                       # a second Ctrl-C: stop now
      raise KeyboardInterrupt
    self.requested = True

  def check(self) -> None:
    if self.requested:
      raise KeyboardInterrupt

  def __enter__(self) -> 'InterruptRequest':
    if threading.current_thread() is threading.main_thread():
      self._previous = signal.signal(signal.SIGINT, self._handle)
    return self

  def __exit__(self, *exc) -> None:
    if self._previous is not None:
      signal.signal(signal.SIGINT, self._previous)


class RunCheckpoints:
  """`<workdir>/ckpt/latest` and `<workdir>/ckpt/best`, each keeping its newest step."""

  def __init__(self, workdir: str):
    root = os.path.join(os.path.abspath(workdir), 'ckpt')
    opts = ocp.CheckpointManagerOptions(max_to_keep=1, enable_async_checkpointing=False,
                                        create=True)
    self.latest = ocp.CheckpointManager(os.path.join(root, 'latest'), options=opts)
    self.best = ocp.CheckpointManager(os.path.join(root, 'best'), options=opts)

  @staticmethod
  def _save(mngr: ocp.CheckpointManager, step: int, tree: Any, meta: dict) -> None:
    with deferred_interrupt():
      if step in mngr.all_steps():  # a resumed run replays the epoch after its latest checkpoint
        mngr.delete(step)
      mngr.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(tree),
                                              meta=ocp.args.JsonSave(meta)), force=True)
      mngr.wait_until_finished()

  @staticmethod
  def _restore(mngr: ocp.CheckpointManager, template: Any) -> tuple[Any, dict] | None:
    step = mngr.latest_step()
    if step is None:
      return None
    out = mngr.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(_here(template)),
        meta=ocp.args.JsonRestore()))
    return out['state'], out['meta']

  def save_latest(self, epoch: int, state: Any, meta: dict) -> None:
    self._save(self.latest, epoch, state, meta)

  def save_best(self, epoch: int, params: Any, meta: dict) -> None:
    self._save(self.best, epoch, params, meta)

  def restore_latest(self, template: Any) -> tuple[Any, dict] | None:
    """(state, meta) of the newest complete checkpoint, or None for a fresh workdir."""
    return self._restore(self.latest, template)

  def restore_best(self, template: Any) -> tuple[Any, dict] | None:
    return self._restore(self.best, template)

  def close(self) -> None:
    self.latest.close()
    self.best.close()
