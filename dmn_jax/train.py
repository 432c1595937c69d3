"""Training and evaluation of the DMN on one bAbI task: `train_and_evaluate(cfg, workdir)`.

All seeds of a config (`seed`, ..., `seed + num_seeds - 1`) train together in one jit-compiled
program, vmapped over a leading seed axis; seed s trains exactly as it would alone.

The workdir holds
  config.json     the resolved config (a rerun with a different config is refused)
  metrics.jsonl   one JSON line per epoch and active seed (losses, accuracies, ex/s, loss weights)
  ckpt/latest/    newest epoch (params, optimizer state, step, rng [S, ...] + JSON meta) to resume
  ckpt/best/      each seed's params of its best epoch by dev accuracy (ties: lower dev loss)
  summary.json    per-seed and best-by-dev test/dev accuracy, examples/s, compile and train
                  seconds (written at the end)

Rerunning the same command on a workdir resumes after its latest checkpoint; the randomness is
a function of (seed, step) and the shuffle of (seed, epoch), so a resumed run replays exactly
what the uninterrupted run would have done.

Loss schedule: J = α·CE(gates) + β·CE(answers) with α = train.gate_weight (0 when
train.gate_supervision is off) and β = 0 for the first train.answer_start_epoch epochs, then
train.answer_weight. The weights enter the compiled step as a float32[2] argument, so switching
them does not recompile.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from dmn_jax import checkpoint, families, metrics
from dmn_jax.data import babi, batching
from dmn_jax.errors import ConfigError
from dmn_jax.optim import make_optimizer

State = dict[str, Any]
# Config fields that may differ when a run is resumed (they do not change what is computed).
RESUMABLE_CHANGES = ('data_dir',)
# Config keys added after runs were recorded, with the value that computes what the runs did
# before the key existed: a recorded config without the key equals a config with this value.
NEUTRAL_DEFAULTS = {'num_seeds': 1, 'model.end_pass': False, 'model.fact_fusion': 'none',
                    'train.length_buckets': 1, 'model.fact_time': False,
                    'babi_train_fallback': '', 'glove_vocab': False}


def controls(cfg, epoch: int, seed_meta: dict | None = None) -> dict[str, np.ndarray]:
  """One seed's traced controls of `epoch` (0-based): loss weights, lr scale, linear start."""
  return families.of(cfg).controls(cfg, epoch, seed_meta or {})


def stack_controls(per_seed: list[dict]) -> dict[str, np.ndarray]:
  return {k: np.stack([c[k] for c in per_seed]) for k in per_seed[0]}


def make_train_step(model_cfg, tx: optax.GradientTransformation,
                    family: families.Family = families.DMN
                    ) -> Callable[[State, dict, dict], tuple[State, dict]]:
  """step(state, batch, controls) -> (state, metric sums). Pure; jit it at the call site.

  controls: see `dmn_jax.families` (loss weights, lr scale, linear start), traced.
  """

  def step(state, batch, ctl):
    key = jax.random.fold_in(state['rng'], state['step'])
    keys = jax.random.split(key, batch['weight'].shape[0])         # one dropout key per example

    def loss_fn(params):
      terms = family.terms(params, batch, keys, model_cfg, train=True, controls=ctl)
      return family.objective(terms, ctl), terms

    (loss, terms), grads = jax.value_and_grad(loss_fn, has_aux=True)(state['params'])
    updates, opt_state = tx.update(grads, state['opt_state'], state['params'])
    updates = jax.tree.map(lambda u: u * ctl['lr_scale'], updates)
    new_state = {'params': optax.apply_updates(state['params'], updates),
                 'opt_state': opt_state, 'step': state['step'] + 1, 'rng': state['rng']}
    terms['nonfinite'] = jnp.logical_not(jnp.isfinite(loss)).astype(jnp.float32)
    return new_state, terms

  return step


def make_eval_step(model_cfg, family: families.Family = families.DMN
                   ) -> Callable[[Any, dict, dict], dict]:
  """step(params, batch, controls) -> metric sums (DMN: answers decoded greedily)."""

  def step(params, batch, ctl):
    return family.terms(params, batch, None, model_cfg, train=False, controls=ctl)

  return step


def seeds_of(cfg) -> list[int]:
  """The run's seeds: cfg.seed, cfg.seed + 1, ..., cfg.seed + cfg.num_seeds - 1."""
  return [cfg.seed + i for i in range(cfg.get('num_seeds', 1))]


def init_state(cfg, spec, tx, seed: int | None = None) -> State:
  """The state of ONE seed (`seed`, default cfg.seed): params, opt_state, step, rng."""
  seed = cfg.seed if seed is None else seed
  k_init, k_rng = jax.random.split(jax.random.PRNGKey(seed))
  params = families.of(cfg).init(k_init, cfg.model, spec)
  return {'params': params, 'opt_state': tx.init(params), 'step': jnp.zeros((), jnp.int32),
          'rng': k_rng}


def init_states(cfg, spec, tx) -> State:
  """The states of all `seeds_of(cfg)`, stacked: every leaf gains a leading seed axis [S, ...].

  Seed s's slice equals `init_state(cfg, spec, tx, s)`, so a seed trains identically alone or
  beside others.
  """
  states = [init_state(cfg, spec, tx, s) for s in seeds_of(cfg)]
  return jax.tree.map(lambda *xs: jnp.stack(xs), *states)


def make_seeds_train_step(model_cfg, tx: optax.GradientTransformation,
                          family: families.Family = families.DMN):
  """step(states, batches, controls, active) -> (states, metric sums [S]), vmapped over seeds.

  states, batches (each seed its own shuffle) and controls (`stack_controls`) carry a leading
  seed axis; active <bool>[S]: a seed that has early-stopped keeps its state unchanged (its
  compute still runs: the batch of seeds has one shape).
  """
  one = make_train_step(model_cfg, tx, family)

  def per_seed(state, batch, ctl, act):
    new, terms = one(state, batch, ctl)
    return jax.tree.map(lambda n, o: jnp.where(act, n, o), new, state), terms

  return jax.vmap(per_seed, in_axes=(0, 0, 0, 0))


def make_seeds_eval_step(model_cfg, family: families.Family = families.DMN):
  """step(params [S, ...], batch, controls [S, ...]) -> metric sums [S]: every seed on the same
  batch."""
  return jax.vmap(make_eval_step(model_cfg, family), in_axes=(0, None, 0))


def seed_batches(arrays: dict[str, np.ndarray], batch_size: int, orders: list[np.ndarray]):
  """Yields batches stacked over seeds, [S, batch_size, ...]; seed s in the order orders[s]."""
  for parts in zip(*(batching.batches(arrays, batch_size, o) for o in orders)):
    yield {k: np.stack([p[k] for p in parts]) for k in parts[0]}


def epoch_batches(arrays: dict[str, np.ndarray], batch_size: int, seeds: list[int], epoch: int,
                  buckets: list[dict], rows: np.ndarray | None = None):
  """Yields (bucket number, batch stacked over seeds [S, B, ...]) for one training epoch.

  One bucket: each seed's own shuffle of the whole split (`batching.epoch_order`), cropped to the
  bucket (a no-op for length_buckets = 1; when every story has the same length, k > 1 gives one
  group smaller than the split's padded shape, as in bAbI task 4's two-sentence stories). Several
  (train.length_buckets): the batches of every bucket in an order shared by all seeds (shapes must
  agree across the vmapped seeds), each seed with its own shuffle inside a bucket, every batch
  cropped to its bucket's sizes (`batching.crop`). Either way seed s gets the same batches whether
  it trains alone or beside others. `rows`: the epoch's training rows (None: all), the same for
  every seed.
  """
  if len(buckets) == 1:
    n = batching.num_examples(arrays) if rows is None else len(rows)
    orders = [batching.epoch_order(n, s, epoch) for s in seeds]
    if rows is not None:
      orders = [rows[o] for o in orders]
    for batch in seed_batches(arrays, batch_size, orders):
      yield 0, batching.crop(batch, buckets[0])   # k > 1 may still give one (cropped) group
    return
  if rows is not None:                        # bucket numbers (compiled shapes) stay the same
    buckets = [{**b, 'idx': b['idx'][np.isin(b['idx'], rows)]} for b in buckets]
  orders = {j: [batching.bucket_order(b, s, epoch, j) for s in seeds]
            for j, b in enumerate(buckets)}
  for j, i in batching.bucket_schedule(buckets, batch_size, epoch):
    b = buckets[j]
    parts = [batching.crop(batching.make_batch(
        arrays, order[i * batch_size:(i + 1) * batch_size], batch_size), b)
             for order in orders[j]]
    yield j, {k: np.stack([p[k] for p in parts]) for k in parts[0]}


def evaluate(eval_step, params, arrays: dict[str, np.ndarray], batch_size: int,
             ctl: dict[str, np.ndarray]) -> list[dict[str, float]]:
  """Per-seed means over a whole split (padded rows weigh 0); `eval_step` from
  `make_seeds_eval_step`, params and controls stacked over seeds."""
  sums = [eval_step(params, b, ctl) for b in batching.batches(arrays, batch_size)]
  return [metrics.normalize(t, w) for t, w in
          zip(metrics.per_seed(metrics.accumulate(sums)), ctl['loss_weights'])]


def validate_config(cfg) -> None:
  """Raises ConfigError for values that cannot work (before anything is read or written)."""
  t = cfg.train
  if cfg.get('model_family', 'dmn') not in families.FAMILIES:
    raise ConfigError(f"model_family must be one of {sorted(families.FAMILIES)}, got "
                      f"{cfg.get('model_family')!r}")
  checks = [
      (0 < cfg.get('dev_fraction', 0.1) < 1,
       f"dev_fraction must be in (0, 1), got {cfg.get('dev_fraction')}"),
      (cfg.get('num_seeds', 1) >= 1, f"num_seeds must be >= 1, got {cfg.get('num_seeds')}"),
      (t.get('length_buckets', 1) >= 1,
       f"train.length_buckets must be >= 1, got {t.get('length_buckets')}"),
      (t.batch_size >= 1, f'train.batch_size must be >= 1, got {t.batch_size}'),
      (t.num_epochs >= 1, f'train.num_epochs must be >= 1, got {t.num_epochs}'),
      (t.patience >= 1, f'train.patience must be >= 1, got {t.patience}'),
      (t.learning_rate > 0, f'train.learning_rate must be > 0, got {t.learning_rate}'),
      (t.get('select_seed_by', 'dev') in ('dev', 'train_error'),
       f"train.select_seed_by must be 'dev' or 'train_error', got {t.get('select_seed_by')!r}"),
  ] + families.of(cfg).checks(cfg)
  for ok, msg in checks:
    if not ok:
      raise ConfigError(msg)


def _flatten(d: dict, prefix: str = '') -> dict[str, Any]:
  out = {}
  for k, v in d.items():
    if isinstance(v, dict):
      out.update(_flatten(v, f'{prefix}{k}.'))
    else:
      out[prefix + k] = v
  return out


def config_diff(old: dict, new: dict, ignore=RESUMABLE_CHANGES) -> list[str]:
  """Dotted keys whose values differ between two config dicts; a key missing on one side
  counts as its `NEUTRAL_DEFAULTS` value."""
  a, b = _flatten(old), _flatten(new)
  get = lambda d, k: d.get(k, NEUTRAL_DEFAULTS.get(k))
  return sorted(k for k in a.keys() | b.keys() if get(a, k) != get(b, k) and k not in ignore)


def check_workdir_config(workdir: str, cfg) -> None:
  """Raises ConfigError, writing nothing, if `workdir` holds a run of a config other than `cfg`
  (beyond `RESUMABLE_CHANGES`)."""
  path = os.path.join(workdir, 'config.json')
  if os.path.exists(path):
    with open(path) as f:
      old = json.load(f)
    diff = config_diff(old, json.loads(cfg.to_json_best_effort()))
    if diff:
      a, b = _flatten(old), _flatten(json.loads(cfg.to_json_best_effort()))
      shown = ', '.join(f'{k}: {a.get(k)!r} -> {b.get(k)!r}' for k in diff[:5])
      raise ConfigError(f'workdir {workdir} holds a run with a different config ({shown}); '
                        'use a new --workdir, or the same config to resume.')


def _check_or_write_config(workdir: str, cfg) -> None:
  check_workdir_config(workdir, cfg)
  _write_json(os.path.join(workdir, 'config.json'), json.loads(cfg.to_json_best_effort()))


def _write_json(path: str, obj: Any) -> None:
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    json.dump(obj, f, indent=1, sort_keys=True)
    f.write('\n')
  os.replace(tmp, path)


def this_machine() -> dict:
  """{'machine': 'x86_64 2 cpus, cpu (cpu)', 'jax_version': '0.10.2'}: where this process runs."""
  return {'machine': f'{platform.machine()} {os.cpu_count()} cpus, {jax.default_backend()} '
                     f'({jax.devices()[0].device_kind})',
          'jax_version': jax.__version__}


def _note_machine(meta: dict) -> None:
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


def _machine_fields(legs: list[dict]) -> dict:
  """Summary fields: `machine` and `jax_version` of a run on one machine; for a run resumed on
  others, `machine` names each with the epoch it took over from."""
  if len(legs) == 1:
    return {k: legs[0][k] for k in ('machine', 'jax_version')} | {'machines': legs}
  return {'machine': ' then '.join(f"{l['machine']}, jax {l['jax_version']} (from epoch "
                                   f"{l['from_epoch']})" for l in legs),
          'jax_version': 'per machine', 'machines': legs}


def _truncate_metrics(path: str, epochs_done: int) -> None:
  """Drops metric lines of epochs after the checkpoint we resume from (killed mid-epoch)."""
  if not os.path.exists(path):
    return
  with open(path) as f:
    lines = [l for l in f if l.strip() and json.loads(l)['epoch'] <= epochs_done]
  with open(path, 'w') as f:
    f.writelines(lines)


def _fmt(x: float) -> str:
  return 'nan' if math.isnan(x) else f'{x:.3f}'


def _fresh_seed_meta() -> dict[str, Any]:
  return {'best_dev_accuracy': -1.0, 'best_dev_loss': 1e30, 'best_epoch': 0, 'bad_epochs': 0,
          'stopped': False, 'epochs_run': 0}


def _select(mask: np.ndarray, new: Any, old: Any) -> Any:
  """Per seed: new where mask[s], else old (trees with a leading seed axis)."""
  m = jnp.asarray(mask)
  return jax.tree.map(lambda n, o: jnp.where(m.reshape((-1,) + (1,) * (n.ndim - 1)), n, o),
                      new, old)


def early_stopping_update(sm: dict[str, Any], dev_m: dict[str, float], epoch: int,
                          patience: int) -> bool:
  """Updates one seed's early-stopping record `sm` with its dev metrics of `epoch`.

  The best params are those of the highest dev accuracy, ties broken by the lower dev answer
  loss. Patience restarts only when dev ACCURACY rises: an equal accuracy with a lower loss still
  replaces the best params, but does not keep a saturated run (100% dev) going for ever.

  Returns whether this epoch's params are the seed's new best.
  """
  key_new = (dev_m['accuracy'], -dev_m['answer_loss'])
  key_old = (sm['best_dev_accuracy'], -sm['best_dev_loss'])
  sm['bad_epochs'] = 0 if dev_m['accuracy'] > sm['best_dev_accuracy'] else sm['bad_epochs'] + 1
  improved = key_new > key_old
  if improved:
    sm.update(best_dev_accuracy=dev_m['accuracy'], best_dev_loss=dev_m['answer_loss'],
              best_epoch=epoch)
  sm['stopped'] = sm['bad_epochs'] >= patience
  return improved


def lowest_train_error(seed_summaries: list[dict[str, Any]]) -> int:
  """Index of the seed with the highest training accuracy (the paper's MemN2N restarts keep the
  run of lowest training error); ties: better dev accuracy, then the lower seed."""
  return max(range(len(seed_summaries)),
             key=lambda i: (seed_summaries[i]['train_accuracy'],
                            seed_summaries[i]['dev_accuracy'], -i))


def best_seed(seed_summaries: list[dict[str, Any]]) -> int:
  """Index of the seed chosen by dev: highest dev accuracy, ties by lower dev answer loss, then
  by the lower seed. Never looks at test."""
  return max(range(len(seed_summaries)),
             key=lambda i: (seed_summaries[i]['dev_accuracy'],
                            -seed_summaries[i]['dev_answer_loss'], -i))


def train_and_evaluate(cfg: ml_collections.ConfigDict, workdir: str, *,
                       stop_after_epochs: int | None = None,
                       log: Callable[[str], None] = print,
                       progress_every: float = 60.0) -> dict[str, Any]:
  """Trains `cfg.model_family` (default: the DMN) for every seed of `seeds_of(cfg)` at once.

  The seeds are one program: params, optimizer state and RNG carry a leading seed axis and the
  jit-compiled step is vmapped over it; each seed has its own shuffle, dropout, best-by-dev
  params and early stopping (a stopped seed's state is frozen while the others go on). The
  run ends when every seed has stopped or `train.num_epochs` is reached; each seed's best params
  are then evaluated on test.

  Args:
    cfg: a config from `experiments/configs/babi.py` (DMN) or `babi_memn2n.py` (MemN2N).
    workdir: where checkpoints, metrics and the summary go; resumed from if it has a checkpoint.
    stop_after_epochs: return after this many epochs of THIS call (a checkpoint is written), as a
      preempted job would; rerunning continues. None: run to the end.
    log: progress printer.
    progress_every: seconds between progress lines within an epoch (0: per epoch only).

  Returns:
    the summary dict (also `workdir/summary.json` when the run is complete): `seeds`, one dict per
    seed (test/dev/train accuracy, best epoch, ...); the chosen seed's `test_accuracy`,
    `dev_accuracy`, `best_epoch` and `seed` at the top level — chosen by dev accuracy, or by the
    lowest training error with train.select_seed_by='train_error' (MemN2N's restarts) —;
    `test_accuracy_mean` / `_std` over seeds; examples/s (seed-examples: a step over S seeds
    counts S × batch), timings.
  """
  cfg = ml_collections.FrozenConfigDict(cfg)
  validate_config(cfg)
  family = families.of(cfg)
  data, spec = family.load(cfg)
  seeds = seeds_of(cfg)
  n_seeds = len(seeds)
  log(f'{family.describe(cfg, data, spec)}; seeds {seeds}')

  # Inputs are good: from here on the workdir is written.
  os.makedirs(workdir, exist_ok=True)
  _check_or_write_config(workdir, cfg)
  metrics_path = os.path.join(workdir, 'metrics.jsonl')
  tx = make_optimizer(cfg.train)
  state = init_states(cfg, spec, tx)
  ckpts = checkpoint.RunCheckpoints(workdir)
  meta = {'epoch': 0, 'train_seconds': 0.0, 'train_examples': 0,
          'seeds': [{**_fresh_seed_meta(), **family.init_seed_meta(cfg)} for _ in seeds]}
  restored = ckpts.restore_latest(state)
  if restored is not None:
    state, meta = restored
    log(f"resuming from {workdir} after epoch {meta['epoch']}")
  _note_machine(meta)
  _truncate_metrics(metrics_path, meta['epoch'])
  summary_path = os.path.join(workdir, 'summary.json')

  def all_stopped():
    return all(s['stopped'] for s in meta['seeds'])

  finished = meta['epoch'] >= cfg.train.num_epochs or all_stopped()
  if finished and os.path.exists(summary_path):  # nothing to train or evaluate again
    ckpts.close()
    with open(summary_path) as f:
      summary = json.load(f)
    log(f"run already complete: test accuracy {summary['test_accuracy']:.4f} ({summary_path})")
    return summary
  restored_best = ckpts.restore_best(state['params'])
  best_params = (restored_best[0] if restored_best is not None
                 else jax.tree.map(jnp.copy, state['params']))

  bs = cfg.train.batch_size
  n_train = batching.num_examples(data['train'])
  buckets = batching.length_buckets(data['train'], cfg.train.get('length_buckets', 1))
  active0 = np.ones((n_seeds,), bool)

  def seed_controls(epoch):
    return stack_controls([family.controls(cfg, epoch, sm) for sm in meta['seeds']])

  t0 = time.perf_counter()
  jitted = jax.jit(make_seeds_train_step(cfg.model, tx, family), donate_argnums=0)
  first = next(seed_batches(data['train'], bs, [np.arange(n_train)] * n_seeds))
  train_steps = [jitted.lower(state, batching.crop(first, b),
                              seed_controls(0), active0).compile() for b in buckets]
  eval_step = jax.jit(make_seeds_eval_step(cfg.model, family)).lower(
      state['params'], jax.tree.map(lambda x: x[0], first), seed_controls(0)).compile()
  compile_seconds = time.perf_counter() - t0
  compiled = {(n_seeds, j): step for j, step in enumerate(train_steps)}
  # Once seeds stop, the step runs on fewer of them: n_seeds, then powers of two below it (at
  # most log2(S) + 1 compiles per bucket); stopped seeds fill a size up and stay frozen.
  sizes = sorted({n_seeds} | {2 ** k for k in range(n_seeds.bit_length()) if 2 ** k < n_seeds})
  shapes = ', '.join(batching.bucket_shape(b) for b in buckets)
  log(f'compiled train + eval steps in {compile_seconds:.1f} s '
      f'({jax.default_backend()}, batch {bs} x {n_seeds} seed{"s" * (n_seeds > 1)}'
      f'{"; length buckets " + shapes if cfg.train.get("length_buckets", 1) > 1 else ""})')

  epochs_this_call = 0
  while meta['epoch'] < cfg.train.num_epochs and not all_stopped():
    if stop_after_epochs is not None and epochs_this_call >= stop_after_epochs:
      break
    epoch = meta['epoch']
    ctl = seed_controls(epoch)
    weights = ctl['loss_weights'][0]                 # the same for every seed
    active = np.array([not s['stopped'] for s in meta['seeds']])
    t_epoch = time.perf_counter()
    act_idx = np.flatnonzero(active)
    size = min(z for z in sizes if z >= len(act_idx))
    fill = np.flatnonzero(~active)[:size - len(act_idx)]
    sel = np.arange(n_seeds) if size == n_seeds else np.sort(np.concatenate([act_idx, fill]))
    sub = state if size == n_seeds else jax.tree.map(lambda x: x[sel], state)
    sub_ctl, sub_active = {k: v[sel] for k, v in ctl.items()}, active[sel]
    sums, new_compile = [], 0.0
    t_progress = t_epoch
    rows = family.train_rows(cfg, data['train'], epoch)
    n_epoch = n_train if rows is None else len(rows)
    for j, batch in epoch_batches(data['train'], bs, [seeds[i] for i in sel], epoch, buckets,
                                  rows):
      if (size, j) not in compiled:
        t_c = time.perf_counter()
        compiled[(size, j)] = jitted.lower(sub, batch, sub_ctl, sub_active).compile()
        new_compile += time.perf_counter() - t_c
      sub, terms = compiled[(size, j)](sub, batch, sub_ctl, sub_active)
      sums.append(terms)
      if progress_every and time.perf_counter() - t_progress >= progress_every:
        jax.block_until_ready(terms)              # a long epoch (PTB): progress within it
        t_progress = time.perf_counter()
        done = min(len(sums) * bs, n_epoch)
        rate = done * len(act_idx) / (t_progress - t_epoch - new_compile)
        log(f'  epoch {epoch + 1}: {done:,}/{n_epoch:,} examples ({100 * done / n_epoch:.0f}%)'
            f' | {rate:,.0f} ex/s')
    part = metrics.accumulate(sums)                  # waits for the device
    state = sub if size == n_seeds else jax.tree.map(
        lambda full, x: full.at[sel].set(x), state, sub)
    total = {}
    for k, v in part.items():
      total[k] = np.zeros((n_seeds,), np.float64)
      total[k][sel] = v
    compile_seconds += new_compile
    seconds = time.perf_counter() - t_epoch - new_compile
    if np.any(total['nonfinite'][active]):
      bad = [s for s, a, x in zip(seeds, active, total['nonfinite']) if a and x]
      raise FloatingPointError(f'non-finite training loss in epoch {epoch + 1} (seeds {bad}); '
                               f'lower train.learning_rate or set train.clip_norm')
    train_ms = [metrics.normalize(t, w) for t, w in
                zip(metrics.per_seed(total), ctl['loss_weights'])]
    dev_ms = evaluate(eval_step, state['params'], data['dev'], bs, ctl)

    meta['epoch'] = epoch + 1
    meta['train_seconds'] += seconds
    meta['train_examples'] += n_epoch * int(active.sum())
    improved = np.zeros((n_seeds,), bool)
    events = []
    for i, (sm, dev_m) in enumerate(zip(meta['seeds'], dev_ms)):
      if not active[i]:
        continue
      sm['epochs_run'] = epoch + 1
      if weights[1] > 0:  # early stopping only counts once answers are trained
        improved[i] = early_stopping_update(sm, dev_m, epoch + 1, cfg.train.patience)
      event = family.after_epoch(cfg, sm, dev_m, epoch + 1)
      if event:
        events.append(f'seed {seeds[i]}: {event}')
    if improved.any():
      best_params = _select(improved, state['params'], best_params)
      ckpts.save_best(epoch + 1, best_params, {'epoch': epoch + 1})
    ckpts.save_latest(epoch + 1, state, json.loads(json.dumps(meta)))

    with open(metrics_path, 'a') as f:
      for i, seed in enumerate(seeds):
        if not active[i]:
          continue
        record = {'epoch': epoch + 1, 'seed': seed, 'step': int(state['step'][i]),
                  'alpha': float(weights[0]), 'beta': float(weights[1]),
                  'lr_scale': float(ctl['lr_scale'][i]), 'linear': float(ctl['linear'][i]),
                  'examples_per_second': n_epoch * int(active.sum()) / seconds,
                  'epoch_seconds': seconds,
                  **{f'train_{k}': v for k, v in train_ms[i].items() if k != 'examples'},
                  **{f'dev_{k}': v for k, v in dev_ms[i].items() if k != 'examples'}}
        f.write(json.dumps(record) + '\n')
    speed = f'{n_epoch * int(active.sum()) / seconds:,.0f} ex/s'
    if n_seeds == 1:
      tm, dm = train_ms[0], dev_ms[0]
      log(f"epoch {epoch + 1:3d}/{cfg.train.num_epochs} | α {weights[0]:g} β {weights[1]:g} | "
          f"loss {tm['loss']:.3f} (gate {tm['gate_loss']:.3f}, answer "
          f"{tm['answer_loss']:.3f}) | gate acc {_fmt(tm['gate_accuracy'])} | "
          f"train acc {tm['accuracy']:.3f} | dev acc {dm['accuracy']:.3f}"
          f"{' *' if improved[0] else '  '} | {speed}")
    else:
      devs = ' '.join(f"{dm['accuracy']:.3f}{'*' if imp else ('' if act else '-')}"
                      for dm, imp, act in zip(dev_ms, improved, active))
      mean_loss = np.mean([tm['loss'] for tm, a in zip(train_ms, active) if a])
      log(f"epoch {epoch + 1:3d}/{cfg.train.num_epochs} | α {weights[0]:g} β {weights[1]:g} | "
          f"loss {mean_loss:.3f} (mean of {int(active.sum())} active) | dev acc {devs} | "
          f"{speed}")
    for e in events:
      log(f'  {e}')
    epochs_this_call += 1

  if not (meta['epoch'] >= cfg.train.num_epochs or all_stopped()):
    ckpts.close()
    log(f"stopped after epoch {meta['epoch']}; rerun the same command to continue")
    return {'complete': False, 'epoch': meta['epoch']}

  ckpts.close()
  ctl = seed_controls(meta['epoch'])
  test_ms = evaluate(eval_step, best_params, data['test'], bs, ctl)
  dev_ms = evaluate(eval_step, best_params, data['dev'], bs, ctl)
  by = cfg.train.get('select_seed_by', 'dev')
  train_ms = (evaluate(eval_step, best_params, data['train'], bs, ctl) if by == 'train_error'
              else [{'accuracy': float('nan')}] * n_seeds)
  per_seed = [{'seed': seed, 'test_accuracy': t['accuracy'],
               'test_gate_accuracy': t['gate_accuracy'], 'dev_accuracy': d['accuracy'],
               'dev_answer_loss': d['answer_loss'], 'test_answer_loss': t['answer_loss'],
               'train_accuracy': tr['accuracy'],
               'best_epoch': sm['best_epoch'], 'epochs_run': sm['epochs_run'],
               'early_stopped': sm['stopped'],
               **({'ls_end_epoch': sm['ls_end_epoch']} if 'ls_end_epoch' in sm else {})}
              for seed, t, d, tr, sm in zip(seeds, test_ms, dev_ms, train_ms, meta['seeds'])]
  chosen = per_seed[best_seed(per_seed) if by == 'dev' else lowest_train_error(per_seed)]
  if 'task' in data['test']:                      # MemN2N arrays: per-task test accuracy
    for p in per_seed:
      p['test_accuracy_by_task'] = {}
    for task in sorted(set(data['test']['task'].tolist())):
      sub = {k: v[data['test']['task'] == task] for k, v in data['test'].items()}
      for p, m in zip(per_seed, evaluate(eval_step, best_params, sub, bs, ctl)):
        p['test_accuracy_by_task'][str(task)] = m['accuracy']
  tests = np.array([p['test_accuracy'] for p in per_seed])
  summary = {
      'complete': True,
      'model_family': family.name, 'task': cfg.get('task'), 'babi_set': cfg.get('babi_set'),
      'seed': chosen['seed'], 'num_seeds': n_seeds, 'seed_chosen_by': by,
      'test_accuracy': chosen['test_accuracy'], 'test_gate_accuracy': chosen['test_gate_accuracy'],
      'dev_accuracy': chosen['dev_accuracy'], 'best_epoch': chosen['best_epoch'],
      'test_accuracy_mean': float(tests.mean()), 'test_accuracy_std': float(tests.std()),
      'epochs_run': meta['epoch'],
      'examples_per_second': meta['train_examples'] / max(meta['train_seconds'], 1e-9),
      'compile_seconds': compile_seconds, 'train_seconds': meta['train_seconds'],
      **_machine_fields(meta['machines']),
      'seeds': per_seed,
  }
  _write_json(summary_path, summary)
  for p in per_seed:
    log(f"seed {p['seed']}: test accuracy {p['test_accuracy']:.4f} (dev {p['dev_accuracy']:.4f}, "
        f"best epoch {p['best_epoch']}, {p['epochs_run']} epochs)")
  log(f"test accuracy {chosen['test_accuracy']:.4f} (seed {chosen['seed']}, chosen by {by}; mean "
      f"{tests.mean():.4f} ± {tests.std():.4f} over {n_seeds} seeds; "
      f"{summary['examples_per_second']:,.0f} ex/s, train {meta['train_seconds']:.0f} s, "
      f"compile {compile_seconds:.1f} s)")
  return summary
