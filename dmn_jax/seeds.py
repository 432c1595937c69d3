"""Several seeds in one program: per-seed early stopping, best params, the active set, the choice.

All seeds of a run share one compiled step, vmapped over a leading seed axis [S, ...]. Each seed
keeps its own record (`SeedRecord` fields in a plain dict, so it round-trips through the
checkpoint's JSON meta): its best dev figures, its patience counter, whether it has stopped.
Stopped seeds are frozen; once some have stopped the step runs on a smaller set (`ActiveSet`).
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

  Attributes:
    active: <bool>[S], the seeds still training.
    index: <int>[size], the seeds the step runs on (sorted).
    size: len(index).
  """

  def __init__(self, records: list[dict[str, Any]], multiple: int = 1):
    n = len(records)
    self.active = np.array([not r['stopped'] for r in records])
    act, idle = np.flatnonzero(self.active), np.flatnonzero(~self.active)
    # multiple: the seed axis's device count (`parallel.Layout.seed_devices`); sizes split evenly.
    sizes = sorted({n} | {2 ** k for k in range(n.bit_length())
                          if 2 ** k < n and 2 ** k % multiple == 0})
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
