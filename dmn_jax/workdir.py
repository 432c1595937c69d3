"""A run's workdir: its identity (the config it belongs to), metric logs, summary and provenance.

    <workdir>/config.json     the resolved config; a rerun with another config is refused
    <workdir>/metrics.jsonl   one JSON line per epoch and active seed
    <workdir>/events.out.*    the same curves as TensorBoard event files (tensorboardX)
    <workdir>/summary.json    written once, when the run is complete

Every JSON file is written atomically (a temporary file renamed over the old one), so a run
killed mid-write leaves the previous version, never half a file.
"""

from __future__ import annotations

import json
import os
import platform
from typing import Any

import jax
import numpy as np

from dmn_jax import seeds as seeds_lib
from dmn_jax.errors import ConfigError

# Config fields that may differ when a run is resumed (they do not change what is computed).
# Speed switches: they change the order of floating-point operations only, not the model, the
# data or the training (a cell trained under one stands for the same config under another).
SPEED_ONLY = ('model.batch_chunk', 'seed_chunk')
RESUMABLE_CHANGES = ('data_dir', 'compilation_cache', 'tensorboard', 'devices') + SPEED_ONLY
# What two archived runs may differ in and still be one experiment at another seed count.
SEEDS_AND_SPEED = ('num_seeds',) + SPEED_ONLY
# Config keys added after runs were recorded, with the value that computes what the runs did
# before the key existed: a recorded config without the key equals a config with this value.
NEUTRAL_DEFAULTS = {'model_family': 'dmn', 'num_seeds': 1, 'model.end_pass': False,
                    'model.fact_fusion': 'none', 'train.length_buckets': 1,
                    'model.fact_time': False, 'babi_train_fallback': '', 'glove_vocab': False,
                    'model.head': 'answer', 'model.gate_norm': 'sigmoid', 'model.query': 'question', 'train.optimizer': 'adam',
                    'train.select_seed_by': 'dev', 'train.l2_embeddings': 'all',
                    'tensorboard': True, 'compilation_cache': True, 'steps_per_call': 1,
                    'train.story_batches': False, 'train.best_by': 'accuracy',
                    'model.pe_form': 'sentence', 'model.time_encoding': 'table',
                    'model.mask_empty': True, 'train.sampling': 'shuffle', 'train.clip': 'global',
                    'train.lr_decay_offset': 0, 'dev_split': 'stories', 'punctuation': True,
                    'model.gate_loss': 'softmax', 'glove': '', 'devices': 0,
                    'train.anneal_against': 'best', 'model.batch_chunk': 0, 'seed_chunk': 0}


def with_neutral_defaults(config: dict) -> dict:
  """A recorded config (config.json) with every `NEUTRAL_DEFAULTS` key it predates filled in,
  so code that reads the newer keys runs an older run as it was trained. A key goes in only
  where its parent block exists (a MemN2N config gets no DMN-only block)."""
  out = json.loads(json.dumps(config))
  for key, value in NEUTRAL_DEFAULTS.items():
    *parents, leaf = key.split('.')
    node = out
    for p in parents:
      node = node.get(p) if isinstance(node, dict) else None
    if isinstance(node, dict) and leaf not in node:
      node[leaf] = value
  return out


def write_json(path: str, obj: Any) -> None:
  """Writes `obj` as indented JSON to `path` atomically."""
  write_text(path, json.dumps(obj, indent=1, sort_keys=True) + '\n')


def write_text(path: str, text: str) -> None:
  """Writes `text` to `path` atomically (a reader sees the old file or the new one, whole)."""
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    f.write(text)
  os.replace(tmp, path)


def read_json(path: str) -> Any:
  with open(path) as f:
    return json.load(f)


def run_config(workdir: str) -> dict:
  """The config a run folder records (config.json), as written; ConfigError naming the folder
  when it has none (not a run folder)."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    raise ConfigError(f'{workdir}: not a run folder (no config.json)')
  return read_json(path)


def run_summary(workdir: str, *, required: bool = False) -> dict | None:
  """A run folder's summary.json (written once the run is complete): None while there is none,
  or ConfigError with `required` (finish the run first)."""
  path = os.path.join(workdir, 'summary.json')
  if os.path.exists(path):
    return read_json(path)
  if required:
    raise ConfigError(f'{path}: no summary; finish the run first (rerun its command)')
  return None


def epoch_records(workdir: str) -> list[dict]:
  """A run folder's metrics.jsonl records (one per epoch and active seed); [] before its first
  epoch ends."""
  path = os.path.join(workdir, 'metrics.jsonl')
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def config_dict(cfg) -> dict:
  """The config as the plain dict that `config.json` holds."""
  return json.loads(cfg.to_json_best_effort())


def flatten(d: dict, prefix: str = '') -> dict[str, Any]:
  """{'a': {'b': 1}} -> {'a.b': 1}."""
  out = {}
  for k, v in d.items():
    if isinstance(v, dict):
      out.update(flatten(v, f'{prefix}{k}.'))
    else:
      out[prefix + k] = v
  return out


def config_value(flat: dict[str, Any], key: str) -> Any:
  """A dotted key's value in a flattened config; a key recorded before it existed reads as its
  `NEUTRAL_DEFAULTS` value."""
  return flat.get(key, NEUTRAL_DEFAULTS.get(key))


def config_diff(old: dict, new: dict, ignore=RESUMABLE_CHANGES) -> list[str]:
  """Dotted keys whose values differ between two config dicts; a key missing on one side
  counts as its `NEUTRAL_DEFAULTS` value."""
  a, b = flatten(old), flatten(new)
  return sorted(k for k in a.keys() | b.keys()
                if config_value(a, k) != config_value(b, k) and k not in ignore)


def check_config(workdir: str, cfg) -> None:
  """Raises ConfigError, writing nothing, if `workdir` holds a run of a config other than `cfg`
  (beyond `RESUMABLE_CHANGES`)."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    return
  old, new = read_json(path), config_dict(cfg)
  diff = config_diff(old, new)
  if diff:
    a, b = flatten(old), flatten(new)
    shown = ', '.join(f'{k}: {a.get(k)!r} -> {b.get(k)!r}' for k in diff[:5])
    raise ConfigError(f'workdir {workdir} holds a run with a different config ({shown}); '
                      'use a new --workdir, or the same config to resume.')


def claim(workdir: str, cfg) -> None:
  """Makes `workdir` this config's: refuses another config's run, then writes config.json."""
  check_config(workdir, cfg)
  os.makedirs(workdir, exist_ok=True)
  write_json(os.path.join(workdir, 'config.json'), config_dict(cfg))


def load_summary(workdir: str, config=None) -> dict | None:
  """The complete summary in `workdir`, if any (and, given `config`, only if the workdir's
  config.json is that config)."""
  path = os.path.join(workdir, 'summary.json')
  if not os.path.exists(path):
    return None
  s = read_json(path)
  if not (s.get('complete') and 'seeds' in s):
    return None
  if config is not None and config_diff(read_json(os.path.join(workdir, 'config.json')),
                                        config_dict(config), ()):
    return None
  return s


# ---------------------------------------------------------------------------------------------
# Machine provenance: which machine trained which epochs.

def this_machine() -> dict:
  """{'machine': 'x86_64 2 cpus, cpu (cpu)', 'jax_version': '0.10.2'}: where this process runs."""
  return {'machine': f'{platform.machine()} {os.cpu_count()} cpus, {jax.default_backend()} '
                     f'({jax.devices()[0].device_kind})',
          'jax_version': jax.__version__}


def note_machine(meta: dict) -> None:
  """Appends this machine to `meta['machines']` ([{machine, jax_version, from_epoch}]) unless
  the run's last epochs ran on it too: a run resumed elsewhere (say started on a lent GPU, ended
  on a CPU) says so in its summary."""
  if 'machines' not in meta:      # fresh, or a checkpoint from before machines were recorded
    meta['machines'] = [] if meta['epoch'] == 0 else [
        {'machine': 'not recorded', 'jax_version': 'not recorded', 'from_epoch': 1}]
  here = this_machine()
  legs = meta['machines']
  if not legs or {k: legs[-1][k] for k in here} != here:
    legs.append({**here, 'from_epoch': meta['epoch'] + 1})


def machine_fields(legs: list[dict]) -> dict:
  """Summary fields: `machine` and `jax_version` of a run on one machine; for a run resumed on
  others, `machine` names each with the epoch it took over from."""
  if len(legs) == 1:
    return {k: legs[0][k] for k in ('machine', 'jax_version')} | {'machines': legs}
  return {'machine': ' then '.join(f"{l['machine']}, jax {l['jax_version']} (from epoch "
                                   f"{l['from_epoch']})" for l in legs),
          'jax_version': 'per machine', 'machines': legs}


# ---------------------------------------------------------------------------------------------
# The summary of a finished run, and the metric records of an epoch.

def summarize(family, cfg, meta, test_ms, dev_ms, train_ms, subsets, compile_seconds):
  """The run's summary: per seed, and the chosen seed's figures at the top level."""
  seeds = seeds_lib.seeds_of(cfg)
  per_seed = [{'seed': seed, 'test_accuracy': t['accuracy'], 'dev_accuracy': d['accuracy'],
               'dev_answer_loss': d['answer_loss'], 'test_answer_loss': t['answer_loss'],
               'train_accuracy': tr['accuracy'], 'best_epoch': sm['best_epoch'],
               'epochs_run': sm['epochs_run'], 'early_stopped': sm['stopped'],
               **family.seed_fields(t, sm)}
              for seed, t, d, tr, sm in zip(seeds, test_ms, dev_ms, train_ms, meta['seeds'])]
  for name, by_seed in subsets.items():
    for p, m in zip(per_seed, by_seed):
      p.setdefault('test_accuracy_by_task', {})[name] = m['accuracy']
  by = cfg.train.select_seed_by
  chosen = per_seed[seeds_lib.CHOOSERS[by](per_seed)]
  tests = np.array([p['test_accuracy'] for p in per_seed])
  return {
      'complete': True, 'model_family': family.name, **family.summary_fields(cfg),
      'seed': chosen['seed'], 'num_seeds': len(seeds), 'seed_chosen_by': by,
      **{k: v for k, v in chosen.items() if k.startswith('test_') and k != 'test_answer_loss'},
      'dev_accuracy': chosen['dev_accuracy'], 'best_epoch': chosen['best_epoch'],
      'test_accuracy_mean': float(tests.mean()), 'test_accuracy_std': float(tests.std()),
      'epochs_run': meta['epoch'],
      'examples_per_second': meta['train_examples'] / max(meta['train_seconds'], 1e-9),
      'compile_seconds': compile_seconds, 'train_seconds': meta['train_seconds'],
      **machine_fields(meta['machines']),
      'seeds': per_seed,
  }


def metric_records(seeds, active, state, ctl, train_ms, dev_ms, epoch, rate, seconds):
  """metrics.jsonl records of one epoch, one per active seed: every scalar control (the
  objective's weights as alpha, beta), throughput, the train_ and dev_ metrics."""
  out = []
  for i, seed in enumerate(seeds):
    if not active[i]:
      continue
    ctl_fields = {}
    for k, v in ctl.items():
      v = np.asarray(v[i])
      if k == 'loss_weights':
        ctl_fields.update(alpha=float(v[0]), beta=float(v[1]))
      elif v.ndim == 0:
        ctl_fields[k] = float(v)
    out.append({'epoch': epoch + 1, 'seed': seed, 'step': int(state['step'][i]), **ctl_fields,
                'examples_per_second': rate, 'epoch_seconds': seconds,
                **{f'train_{k}': v for k, v in train_ms[i].items() if k != 'examples'},
                **{f'dev_{k}': v for k, v in dev_ms[i].items() if k != 'examples'}})
  return out


# ---------------------------------------------------------------------------------------------
# Metrics: metrics.jsonl, and TensorBoard event files beside it.

class MetricsWriter:
  """Appends one record per epoch and seed to `metrics.jsonl` and the same scalars to TensorBoard
  event files (`<workdir>/tb/seed_<s>/`, one run per seed, so TensorBoard overlays the seeds).

  Opening it drops the lines of epochs after `epochs_done` (a run killed after writing an
  epoch's line but before its checkpoint replays that epoch).
  """

  def __init__(self, workdir: str, epochs_done: int, tensorboard: bool = True,
               enabled: bool = True):
    self.path = os.path.join(workdir, 'metrics.jsonl')
    self.tb_dir = os.path.join(workdir, 'tb')
    self._writers: dict[int, Any] = {}
    self._tensorboard = tensorboard
    self.enabled = enabled                 # False: a process other than the run's first
    if enabled and os.path.exists(self.path):
      with open(self.path) as f:
        kept = [l for l in f if l.strip() and json.loads(l)['epoch'] <= epochs_done]
      write_text(self.path, ''.join(kept))

  def _tb(self, seed: int):
    if seed not in self._writers:
      from tensorboardX import SummaryWriter   # imported lazily: only runs that log need it
      self._writers[seed] = SummaryWriter(os.path.join(self.tb_dir, f'seed_{seed}'))
    return self._writers[seed]

  def write(self, records: list[dict]) -> None:
    """records: dicts with 'epoch', 'seed' and scalar fields."""
    if not self.enabled:
      return
    with open(self.path, 'a') as f:
      for r in records:
        f.write(json.dumps(r) + '\n')
    if not self._tensorboard:
      return
    for r in records:
      w = self._tb(r['seed'])
      for k, v in r.items():
        if k not in ('epoch', 'seed') and isinstance(v, (int, float)):
          w.add_scalar(k.replace('_', '/', 1) if k.startswith(('train_', 'dev_')) else k,
                       v, r['epoch'])
      w.flush()

  def close(self) -> None:
    for w in self._writers.values():
      w.close()
    self._writers = {}
