"""Several seeds in one program: per-seed early stopping, best params, the active set, the choice.

All seeds of a run share one compiled step, vmapped over a leading seed axis [S, ...]. Each seed
keeps its own record (`SeedRecord` fields in a plain dict, so it round-trips through the
checkpoint's JSON meta): its best dev figures, its patience counter, whether it has stopped.
Stopped seeds are frozen: seeds run one after the other skip them inside the step; vmapped side
by side, once some have stopped the step runs on a smaller set (`ActiveSet`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def seeds_of(cfg) -> list[int]:
  """The run's seeds: cfg.seed, cfg.seed + 1, ..., cfg.seed + cfg.num_seeds - 1."""
  return [cfg.seed + i for i in range(cfg.num_seeds)]


def fresh_record() -> dict[str, Any]:
  """A seed's record before its first epoch."""
  return {'best_dev_accuracy': -1.0, 'best_dev_loss': 1e30, 'best_epoch': 0, 'bad_epochs': 0,
          'stopped': False, 'epochs_run': 0}


def early_stopping_update(sm: dict[str, Any], dev_m: dict[str, float], epoch: int,
                          patience: int, best_by: str = 'accuracy') -> bool:
  """Updates one seed's record `sm` with its dev metrics of `epoch` (1-based).

  best_by='accuracy': the best params are those of the highest dev accuracy, ties broken by the
  lower dev answer loss. Patience restarts only when dev ACCURACY rises: an equal accuracy with
  a lower loss still replaces the best params, but does not keep a saturated run (100% dev)
  going for ever.
  best_by='loss' (DMN+, Xiong et al. 2016 §4.2): the best params are those of the lowest dev
  answer loss, and patience restarts when it falls.
  best_by='final' (the MemN2N authors: the model after the last epoch): every epoch replaces the
  best params, and patience never runs out.

  Returns whether this epoch's params are the seed's new best.
  """
  if best_by == 'final':
    improved = True
    sm['bad_epochs'] = 0
  elif best_by == 'loss':
    improved = dev_m['answer_loss'] < sm['best_dev_loss']
    sm['bad_epochs'] = 0 if improved else sm['bad_epochs'] + 1
  elif best_by == 'accuracy':
    key_new = (dev_m['accuracy'], -dev_m['answer_loss'])
    key_old = (sm['best_dev_accuracy'], -sm['best_dev_loss'])
    sm['bad_epochs'] = 0 if dev_m['accuracy'] > sm['best_dev_accuracy'] else sm['bad_epochs'] + 1
    improved = key_new > key_old
  else:
    raise ValueError(f"best_by must be 'accuracy', 'loss' or 'final', got {best_by!r}")
  if improved:
    sm.update(best_dev_accuracy=dev_m['accuracy'], best_dev_loss=dev_m['answer_loss'],
              best_epoch=epoch)
  sm['stopped'] = sm['bad_epochs'] >= patience
  return improved


def best_seed(seed_summaries: list[dict[str, Any]]) -> int:
  """Index of the seed chosen by dev: highest dev accuracy, ties by lower dev answer loss, then
  by the lower seed. Never looks at test."""
  return max(range(len(seed_summaries)),
             key=lambda i: (seed_summaries[i]['dev_accuracy'],
                            -seed_summaries[i]['dev_answer_loss'], -i))


def lowest_train_error(seed_summaries: list[dict[str, Any]]) -> int:
  """Index of the seed with the highest training accuracy (the paper's MemN2N restarts keep the
  run of lowest training error); ties: better dev accuracy, then the lower seed."""
  return max(range(len(seed_summaries)),
             key=lambda i: (seed_summaries[i]['train_accuracy'],
                            seed_summaries[i]['dev_accuracy'], -i))


def lowest_dev_loss(seed_summaries: list[dict[str, Any]]) -> int:
  """Index of the seed of lowest dev answer loss (DMN+: "evaluated the model that achieved the
  lowest validation set loss"); ties: better dev accuracy, then the lower seed."""
  return max(range(len(seed_summaries)),
             key=lambda i: (-seed_summaries[i]['dev_answer_loss'],
                            seed_summaries[i]['dev_accuracy'], -i))


CHOOSERS = {'dev': best_seed, 'train_error': lowest_train_error, 'dev_loss': lowest_dev_loss}


def select(mask: np.ndarray, new: Any, old: Any) -> Any:
  """Per seed: new where mask[s], else old (trees with a leading seed axis)."""
  m = jnp.asarray(mask)
  return jax.tree.map(lambda n, o: jnp.where(m.reshape((-1,) + (1,) * (n.ndim - 1)), n, o),
                      new, old)


class ActiveSet:
  """The seeds an epoch's step runs on.

  With all S seeds active the step runs on all of them. Once seeds stop, it runs on the
  smallest size of {S, and the powers of two below S} that holds the active ones (at most
  log2(S) + 1 compiled sizes), filled up with stopped seeds, which the step keeps frozen.
  shrink=False: always all S (seeds run one after the other skip the stopped ones inside the
  one compiled step, `over_seeds`'s `skip`, so a smaller set would only cost a compile).

  Attributes:
    active: <bool>[S], the seeds still training.
    index: <int>[size], the seeds the step runs on (sorted).
    size: len(index).
  """

  def __init__(self, records: list[dict[str, Any]], multiple: int = 1, shrink: bool = True):
    n = len(records)
    self.active = np.array([not r['stopped'] for r in records])
    act, idle = np.flatnonzero(self.active), np.flatnonzero(~self.active)
    # multiple: the seed axis's device count (`parallel.Layout.seed_devices`); sizes split evenly.
    sizes = sorted({n} | {2 ** k for k in range(n.bit_length())
                          if shrink and 2 ** k < n and 2 ** k % multiple == 0})
    self.size = min(z for z in sizes if z >= len(act))
    self.full = self.size == n
    self.index = (np.arange(n) if self.full
                  else np.sort(np.concatenate([act, idle[:self.size - len(act)]])))

  def take(self, tree: Any) -> Any:
    """The rows of `tree` (leading seed axis) that the step runs on."""
    return tree if self.full else jax.tree.map(lambda x: x[self.index], tree)

  def put(self, full: Any, part: Any) -> Any:
    """`full` with the step's rows replaced by `part`."""
    return part if self.full else jax.tree.map(lambda f, x: f.at[self.index].set(x), full, part)

  def spread(self, sums: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Per-seed sums of the step's rows as [n] arrays (zeros for seeds that did not run)."""
    out = {}
    for k, v in sums.items():
      out[k] = np.zeros((n,), np.float64)
      out[k][self.index] = v
    return out


def over_seeds(fn, seed_chunk: int = 0, in_axes: tuple = (), skip: tuple | None = None):
  """`fn` (one seed's step) over a leading seed axis of the arguments whose `in_axes` entry is
  0 (None: every seed gets the same value). The per-seed outputs are stacked [S, ...].

  seed_chunk = 0: all seeds side by side, `jax.vmap`: fastest where a seed's step is small
    (MemN2N per task), but the vmapped program's floating-point order depends on S, so seed s
    beside others equals seed s alone only to rounding.
  seed_chunk = 1: one seed after the other, each running the unbatched step: a smaller working
    set (faster where S seeds' activations outgrow the CPU's cache: the DMN, the joint MemN2N)
    and **the same program for every S**, so seed s trains and evaluates bit for bit as it does
    alone, whatever the seeds beside it.
  seed_chunk = k > 1: k seeds at a time (`lax.map` over chunks of k, vmapped within).

  skip = (k, idle), seed_chunk = 1 only: argument k is a per-seed <bool>[S], and a seed whose
    entry is False does not run: its outputs are `idle(*its args)` (a stopped seed: its state
    unchanged, zero sums). The loop runs over the other seeds only, and how many run is a traced
    value, so a run whose seeds stop early keeps one compiled program and pays nothing for the
    stopped ones; a running seed's computation is unchanged (bit for bit).
  """
  in_axes = tuple(in_axes)
  if skip is not None and (seed_chunk != 1 or in_axes[skip[0]] != 0):
    raise ValueError('over_seeds: skip needs seed_chunk=1 and a per-seed mask argument')
  if seed_chunk <= 0:
    batched = jax.vmap(fn, in_axes=in_axes)

    def side_by_side(*args):
      seeded = [i for i, ax in enumerate(in_axes) if ax == 0]
      if jax.tree.leaves(tuple(args[i] for i in seeded))[0].shape[0] != 1:
        return batched(*args)
      # One seed: its step unbatched. Under vmap a `lax.cond` of the step becomes a select
      # that runs both branches (the per-matrix clip's power method on every step, needed
      # only while a gradient is large, in a run's first steps); unbatched it runs one.
      rows = tuple(jax.tree.map(lambda x: x[0], args[i]) for i in seeded)
      return jax.tree.map(lambda x: x[None], fn(*_fill(args, seeded, rows)))

    return side_by_side

  def call(*args):
    seeded = [i for i, ax in enumerate(in_axes) if ax == 0]
    xs = tuple(args[i] for i in seeded)
    n = jax.tree.leaves(xs)[0].shape[0]

    def one(x):
      return fn(*_fill(args, seeded, x))

    if seed_chunk > 1:
      return jax.lax.map(one, xs, batch_size=seed_chunk)
    if n == 1:
      # XLA folds the pick of a one-row axis into the step and compiles that step another way
      # (last-bit differences); a second, unused row keeps the pick a real one.
      xs = jax.tree.map(lambda x: jnp.concatenate([x, x]), xs)
    rows = jax.tree.leaves(xs)[0].shape[0]
    pick = lambda i: jax.tree.map(lambda x: jax.lax.dynamic_index_in_dim(x, i, keepdims=False), xs)
    if skip is None:
      shapes = jax.eval_shape(one, jax.tree.map(lambda x: x[0], xs))
      out = jax.tree.map(lambda s: jnp.zeros((rows,) + s.shape, s.dtype), shapes)
      # XLA also inlines a loop it knows to run once: the trip count behind a barrier.
      stop = jax.lax.optimization_barrier(jnp.int32(n))
      order = None
    else:                                 # the seeds that run first (in seed order), then the rest
      k, idle = skip
      runs = args[k][:n]
      stop = jnp.sum(runs.astype(jnp.int32))
      order = jnp.argsort(~runs, stable=True).astype(jnp.int32)
      out = jax.vmap(lambda x: idle(*_fill(args, seeded, x)))(xs)

    def body(carry):
      j, out = carry
      i = j if order is None else order[j]
      put = lambda o, v: jax.lax.dynamic_update_index_in_dim(o, v, i, 0)
      return j + 1, jax.tree.map(put, out, one(pick(i)))

    out = jax.lax.while_loop(lambda c: c[0] < stop, body, (jnp.int32(0), out))[1]
    return jax.tree.map(lambda x: x[:n], out)

  return call


def _fill(args: tuple, seeded: list[int], values: tuple) -> list:
  """`args` with the entries at positions `seeded` replaced by `values` (one seed's rows)."""
  full = list(args)
  for i, v in zip(seeded, values):
    full[i] = v
  return full
