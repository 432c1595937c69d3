"""The `Family` protocol: everything the shared training loop needs to know about one model.

A family owns its data loading, params init, the loss/metric sums of a batch, the objective,
the per-epoch controls, its config checks, the per-seed bookkeeping beyond early stopping
(MemN2N's linear start, the language model's annealing), its log line and its summary fields.
The loop (`dmn_jax.train`), the metrics, the bench and the results tooling know nothing
model-specific. Adding a model: a model file (`dmn_jax/models/`), a family module here that
calls `register`, and a config.

Controls are one dict per seed of float32 numpy arrays that enter the compiled step as traced
arguments, so schedules never recompile. Two are read by the loop: `loss_weights` [2] (α, β:
the weights of the objective's two terms, logged as `alpha` and `beta`) and `lr_scale` []
(multiplies the optimizer's update). A family adds its own (MemN2N: `linear`, `cost_divisor`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax

from dmn_jax.data import Spec

Splits = dict[str, dict]                     # {'train', 'dev', 'test'}: name -> arrays


def _no_event(cfg, record, dev_m, epoch) -> str:
  return ''


@dataclasses.dataclass(frozen=True)
class Family:
  """A model family. Required fields first; the rest default to "nothing special"."""
  name: str
  load: Callable[[Any], tuple[Splits, Spec]]                # cfg -> (splits, spec)
  init: Callable[[jax.Array, Any, Spec], Any]               # (key, model cfg, spec) -> params
  # (params, batch, keys, model cfg, train=, controls=) -> metric sums (see dmn_jax.metrics)
  terms: Callable[..., dict]
  objective: Callable[[dict, dict], jax.Array]              # (sums, controls) -> loss
  controls: Callable[[Any, int, dict], dict]                # (cfg, epoch, seed record) -> ctl
  checks: Callable[[Any], list]                             # cfg -> [(ok, message)]
  describe: Callable[[Any, Splits, Spec], str]              # (cfg, splits, spec) -> one line
  # (cfg, seed record, dev metrics, epochs done) -> '' or an event to log (linear start ended)
  after_epoch: Callable[[Any, dict, dict, int], str] = _no_event
  init_record: Callable[[Any], dict] = lambda cfg: {}       # the family's seed-record fields
  # (cfg, train arrays, epoch) -> the training rows of that epoch (None: all), the same for
  # every seed (SST: every sentence plus a fresh sample of the phrases).
  train_rows: Callable[[Any, dict, int], Any] = lambda cfg, arrays, epoch: None
  # (cfg, epoch, seed record) -> whether this epoch's dev figures count for best params and
  # early stopping (DMN: not before the answers are trained; MemN2N: not in linear start).
  selects_best: Callable[[Any, int, dict], bool] = lambda cfg, epoch, record: True
  # The model's size and main choices in a few words (the bench's header).
  describe_model: Callable[[Any], str] = lambda model_cfg: ''
  # One seed's train metrics as the family's part of the epoch line.
  log_fields: Callable[[dict], str] = lambda m: f"loss {m['loss']:.3f}"
  # Summary fields: (cfg) -> top-level ones (the task), (test metrics, seed record) -> per seed.
  summary_fields: Callable[[Any], dict] = lambda cfg: {}
  seed_fields: Callable[[dict, dict], dict] = lambda test_m, record: {}
  # (test arrays) -> {name: <bool>[N] rows}: test subsets reported apiece (joint MemN2N: tasks).
  test_subsets: Callable[[dict], dict] = lambda arrays: {}


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
  if family.name in FAMILIES:
    raise ValueError(f'model family {family.name!r} registered twice')
  FAMILIES[family.name] = family
  return family


def of(cfg) -> Family:
  """The family named by `cfg.model_family`."""
  name = cfg.model_family
  if name not in FAMILIES:
    from dmn_jax.errors import ConfigError
    raise ConfigError(f'model_family must be one of {sorted(FAMILIES)}, got {name!r}')
  return FAMILIES[name]
