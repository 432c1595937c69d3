"""A run config's checks: once, at entry, before anything is read or written. (The process
settings a run asks for, such as XLA's compilation cache, are in `dmn_jax/runtime.py`.)"""

from __future__ import annotations

from dmn_jax import families, seeds
from dmn_jax.errors import ConfigError


def validate(cfg) -> None:
  """Raises one ConfigError naming the first value that cannot work: the loop's keys, then the
  family's (`Family.checks`)."""
  if 'model_family' not in cfg or cfg.model_family not in families.FAMILIES:
    raise ConfigError(f"model_family must be one of {sorted(families.FAMILIES)}, got "
                      f"{cfg.get('model_family')!r}")
  t = cfg.train
  checks = [
      (cfg.num_seeds >= 1, f'num_seeds must be >= 1, got {cfg.num_seeds}'),
      (cfg.steps_per_call >= 1, f'steps_per_call must be >= 1, got {cfg.steps_per_call}'),
      (cfg.devices >= 0, f'devices must be >= 0 (0: all local devices), got {cfg.devices}'),
      (t.length_buckets >= 1, f'train.length_buckets must be >= 1, got {t.length_buckets}'),
      (t.batch_size >= 1, f'train.batch_size must be >= 1, got {t.batch_size}'),
      (t.num_epochs >= 1, f'train.num_epochs must be >= 1, got {t.num_epochs}'),
      (t.patience >= 1, f'train.patience must be >= 1, got {t.patience}'),
      (t.learning_rate > 0, f'train.learning_rate must be > 0, got {t.learning_rate}'),
      (t.l2 >= 0, f'train.l2 must be >= 0, got {t.l2}'),
      (t.optimizer in ('adam', 'sgd'), f"train.optimizer must be 'adam' or 'sgd', got {t.optimizer!r}"),
      (t.l2_embeddings in ('all', 'seen'),
       f"train.l2_embeddings must be 'all' or 'seen', got {t.l2_embeddings!r}"),
      (not (cfg.get('glove_vocab') and t.l2 > 0 and t.l2_embeddings == 'all'),
       "glove_vocab adds words training never sees, whose GloVe vectors L2 would shrink to "
       "nothing: set train.l2_embeddings='seen' (or train.l2=0)"),
      (t.select_seed_by in seeds.CHOOSERS,
       f"train.select_seed_by must be one of {sorted(seeds.CHOOSERS)}, got {t.select_seed_by!r}"),
      (t.get('best_by', 'accuracy') in ('accuracy', 'loss', 'final'),
       f"train.best_by must be 'accuracy', 'loss' or 'final', got {t.get('best_by')!r}"),
      (cfg.get('dev_split', 'stories') in ('stories', 'last'),
       f"dev_split must be 'stories' or 'last', got {cfg.get('dev_split')!r}"),
  ]
  if 'dev_fraction' in cfg:
    checks.append((0 < cfg.dev_fraction < 1,
                   f'dev_fraction must be in (0, 1), got {cfg.dev_fraction}'))
  for ok, msg in checks + families.of(cfg).checks(cfg):
    if not ok:
      raise ConfigError(msg)
