"""Training and evaluation of the DMN on one bAbI task: `train_and_evaluate(cfg, workdir)`.

All seeds of a config (`seed`, ..., `seed + num_seeds - 1`) train together in one jit-compiled
program, vmapped over a leading seed axis; seed s gets the init, batches and dropout it would
alone (equal to float32 rounding; the float order depends on the number of seeds).

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

import concurrent.futures
import json
import os
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from dmn_jax import checkpoint, config as config_lib, families, metrics, parallel, runtime
from dmn_jax import seeds as seeds_lib
from dmn_jax import workdir as workdir_lib
from dmn_jax.data import batching
from dmn_jax.errors import Diverged, RunInterrupted
from dmn_jax.input_pipeline import Batcher, chunks, epoch_batches, first_batch, stack_chunk
from dmn_jax.input_pipeline import story_rows as story_rows_of
from dmn_jax.optim import make_optimizer
from dmn_jax.progress import EpochProgress

State = dict[str, Any]


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
    # Non-finite loss or gradients (the gradients' norm: the same reduction as a global-norm
    # clip's, which XLA then computes once). Finite params and finite gradients give finite new
    # params, so the first step that makes a parameter inf or nan is flagged, without a second
    # pass over the params (on the language model's 10k-word tables that pass recomputed the
    # whole update).
    finite = jnp.isfinite(loss) & jnp.isfinite(optax.global_norm(grads))
    terms['nonfinite'] = jnp.logical_not(finite).astype(jnp.float32)
    return new_state, terms

  return step


def make_eval_step(model_cfg, family: families.Family = families.DMN
                   ) -> Callable[[Any, dict, dict], dict]:
  """step(params, batch, controls) -> metric sums (DMN: answers decoded greedily)."""

  def step(params, batch, ctl):
    return family.terms(params, batch, None, model_cfg, train=False, controls=ctl)

  return step


def init_state(cfg, spec, tx, seed: int | None = None) -> State:
  """The state of ONE seed (`seed`, default cfg.seed): params, opt_state, step, rng."""
  seed = cfg.seed if seed is None else seed
  k_init, k_rng = jax.random.split(jax.random.PRNGKey(seed))
  params = families.of(cfg).init(k_init, cfg.model, spec)
  return {'params': params, 'opt_state': tx.init(params), 'step': jnp.zeros((), jnp.int32),
          'rng': k_rng}


def init_states(cfg, spec, tx) -> State:
  """The states of all `seeds.seeds_of(cfg)`, stacked: every leaf gains a leading seed axis [S, ...].

  Seed s's slice equals `init_state(cfg, spec, tx, s)`, so a seed trains identically alone or
  beside others.
  """
  states = [init_state(cfg, spec, tx, s) for s in seeds_lib.seeds_of(cfg)]
  return jax.tree.map(lambda *xs: jnp.stack(xs), *states)


def make_seeds_train_step(model_cfg, tx: optax.GradientTransformation,
                          family: families.Family = families.DMN, seed_chunk: int = 0):
  """step(states, batches, controls, active) -> (states, metric sums [S]), over the seeds.

  states, batches (each seed its own shuffle) and controls (`stack_controls`) carry a leading
  seed axis; active <bool>[S]: a seed that has early-stopped keeps its state unchanged. Side by
  side its compute still runs (the batch of seeds has one shape); one after the other
  (seed_chunk = 1) it is skipped, with zero sums.

  seed_chunk: how the seeds run (`seeds.over_seeds`): 0 side by side (vmap), 1 one after the
  other (seed s bit for bit as alone), k > 1 k at a time.
  """
  one = make_train_step(model_cfg, tx, family)

  def per_seed(state, batch, ctl, act):
    new, terms = one(state, batch, ctl)
    return jax.tree.map(lambda n, o: jnp.where(act, n, o), new, state), terms

  def idle(state, batch, ctl, act):
    del act
    terms = jax.eval_shape(lambda: one(state, batch, ctl)[1])
    return state, jax.tree.map(lambda t: jnp.zeros(t.shape, t.dtype), terms)

  return seeds_lib.over_seeds(per_seed, seed_chunk, (0, 0, 0, 0),
                              skip=(3, idle) if seed_chunk == 1 else None)


def seed_chunk(cfg, lay) -> int:
  """The run's `seed_chunk` on layout `lay`: seeds one after the other need them on one device
  (a mesh that spreads them over several runs them side by side)."""
  return cfg.get('seed_chunk', 0) if lay.seed_devices == 1 else 0


def compile_all(lowered: dict) -> dict:
  """{key: jax lowered program} -> {key: compiled}, compiled side by side on the CPU's cores.

  XLA's compiler releases the GIL, so the programs of a run's length buckets (and its eval
  step) compile in parallel threads; tracing and lowering stay sequential (they hold it)."""
  keys = list(lowered)
  workers = min(len(keys), os.cpu_count() or 1)
  if workers <= 1:
    return {k: lowered[k].compile() for k in keys}
  with concurrent.futures.ThreadPoolExecutor(workers) as pool:
    return dict(zip(keys, pool.map(lambda k: lowered[k].compile(), keys)))


def make_chunk_train_step(seeds_step):
  """steps(states, batches [K, S, ...], controls, active <bool>[K, S]) -> (states, metric sums
  [K, S]): K steps of `make_seeds_train_step` in one compiled call (`lax.scan`), so the host
  dispatches once per K steps. A step whose active row is all False (padding) changes nothing."""

  def steps(states, batches, ctl, active):
    return jax.lax.scan(lambda st, xs: seeds_step(st, xs[0], ctl, xs[1]), states,
                        (batches, active))

  return steps


def make_seeds_eval_step(model_cfg, family: families.Family = families.DMN, seed_chunk: int = 0):
  """step(params [S, ...], batch, controls [S, ...]) -> metric sums [S]: every seed on the same
  batch (`seed_chunk` as `make_seeds_train_step`'s)."""
  return seeds_lib.over_seeds(make_eval_step(model_cfg, family), seed_chunk, (0, None, 0))


def evaluate(eval_step, params, arrays: dict[str, np.ndarray], batch_size: int,
             ctl: dict[str, np.ndarray]) -> list[dict[str, float]]:
  """Per-seed means over a whole split (padded rows weigh 0); `eval_step` from
  `make_seeds_eval_step`, params and controls stacked over seeds."""
  return evaluate_batches(eval_step, params, Batcher(arrays, batch_size), ctl)


def evaluate_batches(eval_step, params, batcher: Batcher, ctl: dict[str, np.ndarray],
                     lay: parallel.Layout = parallel.Layout(None)) -> list[dict[str, float]]:
  """`evaluate` over a split's `Batcher` (ordinary or story batches, made once per run), on the
  run's devices (`parallel.layout`)."""
  placed = lay.state(ctl)
  sums = lay.fetch([eval_step(params, lay.eval_batch(b), placed) for b in batcher.batches()])
  return [metrics.normalize(t, w) for t, w in
          zip(metrics.per_seed(metrics.accumulate(sums)), ctl['loss_weights'])]


def _per_step(sums: list[tuple[dict, int]], per_call: int) -> list[dict[str, np.ndarray]]:
  """Metric sums of each real step, from (sums of one call, its number of real steps): a call of
  `per_call` > 1 steps returns sums with a leading step axis, padding steps last."""
  if per_call == 1:
    return [t for t, _ in sums]
  return [{k: v[i] for k, v in t.items()} for t, n in sums for i in range(n)]


def _check_finite(sums: list[dict[str, np.ndarray]], ran: np.ndarray, seeds: list[int], epoch: int,
                  first_step: int) -> None:
  """Raises `Diverged` naming the epoch and the first step whose loss or gradients are not
  finite (among the seeds that ran: `ran` <bool>[S] of the step's rows)."""
  flags = np.stack([np.asarray(t['nonfinite']) for t in sums])            # [steps, S']
  bad_steps = np.flatnonzero(np.any(flags[:, ran] > 0, axis=1))
  if bad_steps.size:
    i = int(bad_steps[0])
    bad = [s for s, r, x in zip(seeds, ran, flags[i]) if r and x]
    raise Diverged(f'non-finite training loss or gradients in epoch {epoch + 1}, step '
                   f'{first_step + i + 1} (step {i + 1} of the epoch; seeds {bad}); no '
                   'checkpoint of it was written. Lower train.learning_rate or set '
                   'train.clip_norm.')


def _epoch_line(family, cfg, epoch, weights, train_ms, dev_ms, improved, active, rate) -> str:
  head = f"epoch {epoch + 1:3d}/{cfg.train.num_epochs} | α {weights[0]:g} β {weights[1]:g} | "
  if len(train_ms) == 1:
    return (f"{head}{family.log_fields(train_ms[0])} | train acc {train_ms[0]['accuracy']:.3f} | "
            f"dev acc {dev_ms[0]['accuracy']:.3f}{' *' if improved[0] else '  '} | {rate:,.0f} ex/s")
  devs = ' '.join(f"{dm['accuracy']:.3f}{'*' if imp else ('' if act else '-')}"
                  for dm, imp, act in zip(dev_ms, improved, active))
  mean_loss = np.mean([tm['loss'] for tm, a in zip(train_ms, active) if a])
  return (f'{head}loss {mean_loss:.3f} (mean of {int(active.sum())} active) | dev acc {devs} | '
          f'{rate:,.0f} ex/s')


def train_and_evaluate(cfg: ml_collections.ConfigDict, workdir: str, *,
                       stop_after_epochs: int | None = None,
                       log: Callable[[str], None] = print,
                       progress_every: float = 60.0) -> dict[str, Any]:
  """Trains `cfg.model_family` for every seed of `seeds.seeds_of(cfg)` at once.

  The seeds are one program: params, optimizer state and RNG carry a leading seed axis and the
  jit-compiled step is vmapped over it; each seed has its own shuffle, dropout, best-by-dev
  params and early stopping (a stopped seed's state is frozen while the others go on). The
  run ends when every seed has stopped or `train.num_epochs` is reached; each seed's best params
  are then evaluated on test.

  Args:
    cfg: a run config (`experiments/configs/`), validated here before anything is read.
    workdir: where checkpoints, metrics and the summary go; resumed from if it has a checkpoint.
    stop_after_epochs: return after this many epochs of THIS call (a checkpoint is written), as a
      preempted job would; rerunning continues. None: run to the end.
    log: progress printer.
    progress_every: seconds between progress lines within an epoch when not on a terminal (0:
      per epoch only).

  Returns:
    the summary dict (also `workdir/summary.json` when the run is complete): `seeds`, one dict per
    seed (test/dev/train accuracy, best epoch, ...); the chosen seed's `test_accuracy`,
    `dev_accuracy`, `best_epoch` and `seed` at the top level — chosen by dev accuracy, or by the
    lowest training error with train.select_seed_by='train_error' (MemN2N's restarts) —;
    `test_accuracy_mean` / `_std` over seeds; examples/s (seed-examples: a step over S seeds
    counts S × batch), timings. An unfinished run returns {'complete': False, 'epoch': N}.

  Raises:
    ConfigError, DataError: bad input (nothing written). Diverged: a non-finite loss (the last
    checkpoint is the epoch before). RunInterrupted: Ctrl-C (the last checkpoint is intact).
  """
  cfg = ml_collections.FrozenConfigDict(cfg)
  config_lib.validate(cfg)
  runtime.use_compilation_cache(cfg)
  family = families.of(cfg)
  data, spec = family.load(cfg)
  log(f'{family.describe(cfg, data, spec)}; seeds {seeds_lib.seeds_of(cfg)}')

  # Inputs are good: from here on the workdir is written.
  workdir_lib.claim(workdir, cfg)
  tx = make_optimizer(cfg.train, cfg.model)
  state = init_states(cfg, spec, tx)
  ckpts = checkpoint.RunCheckpoints(workdir)
  meta = {'epoch': 0, 'train_seconds': 0.0, 'train_examples': 0,
          'seeds': [{**seeds_lib.fresh_record(), **family.init_record(cfg)}
                    for _ in seeds_lib.seeds_of(cfg)]}
  restored = ckpts.restore_latest(state)
  if restored is not None:
    state, meta = restored
    log(f"resuming from {workdir} after epoch {meta['epoch']}")
  workdir_lib.note_machine(meta)
  summary_path = os.path.join(workdir, 'summary.json')

  def finished():
    return meta['epoch'] >= cfg.train.num_epochs or all(s['stopped'] for s in meta['seeds'])

  if finished() and os.path.exists(summary_path):  # nothing to train or evaluate again
    ckpts.close()
    summary = workdir_lib.read_json(summary_path)
    log(f"run already complete: test accuracy {summary['test_accuracy']:.4f} ({summary_path})")
    return summary
  writer = workdir_lib.MetricsWriter(workdir, meta['epoch'], cfg.tensorboard,
                                     enabled=parallel.is_primary())
  try:
    with checkpoint.InterruptRequest() as stop:
      return _train(cfg, workdir, family, data, tx, state, meta, ckpts, writer, finished,
                    stop_after_epochs, log, progress_every, stop)
  except KeyboardInterrupt:
    done = meta['epoch']
    raise RunInterrupted(
        f'interrupted in epoch {done + 1}: ' + (
            f'the last checkpoint, epoch {done}, is intact in {workdir}; rerun the same command '
            'to resume from it' if done else
            f'no epoch had finished; rerun the same command to start {workdir} again')
    ) from None
  finally:
    writer.close()
    with checkpoint.deferred_interrupt():
      ckpts.close()


def _call_args(group: list, active: np.ndarray, per_call: int, lay) -> tuple:
  """(batches, active) of one compiled call from a group of step batches, placed on the mesh:
  one step's batch as it is, or `per_call` steps stacked (`stack_chunk`)."""
  batches, act = ((group[0], active) if per_call == 1
                  else stack_chunk(group, active, per_call))
  lead = int(per_call > 1)
  return lay.batch(batches, lead), lay.steps_active(act, lead)


def _compile(cfg, family, tx, state, data, lay, buckets, story_rows, controls) -> tuple:
  """(jitted train call, {(seeds, bucket): compiled}, compiled eval step): one train program
  per length bucket for the full seed set, and the eval step, compiled side by side
  (`compile_all`). Smaller seed sets (seeds stopped early) compile later, on first use.
  steps_per_call > 1: each train call runs that many steps (`make_chunk_train_step`)."""
  n_seeds, bs = len(seeds_lib.seeds_of(cfg)), cfg.train.batch_size
  chunk = seed_chunk(cfg, lay)
  seeds_step = make_seeds_train_step(cfg.model, tx, family, chunk)
  jitted = jax.jit(seeds_step if cfg.steps_per_call == 1 else make_chunk_train_step(seeds_step),
                   donate_argnums=0)
  first = first_batch(data['train'], bs, n_seeds, story_rows)
  everyone = np.ones((n_seeds,), bool)
  lowered = {}
  for j, b in enumerate(buckets):
    batches, act = _call_args([batching.crop(first, b)], everyone, cfg.steps_per_call, lay)
    lowered[(n_seeds, j)] = jitted.lower(state, batches, lay.state(controls), act)
  lowered['eval'] = jax.jit(make_seeds_eval_step(cfg.model, family, chunk)).lower(
      state['params'], lay.eval_batch(jax.tree.map(lambda x: x[0], first)),
      lay.state(controls))
  compiled = compile_all(lowered)
  return jitted, compiled, compiled.pop('eval')


def _train(cfg, workdir, family, data, tx, state, meta, ckpts, writer, finished,
           stop_after_epochs, log, progress_every, stop):
  """The loop of `train_and_evaluate`: compile, epochs, then the test evaluation."""
  seeds = seeds_lib.seeds_of(cfg)
  n_seeds = len(seeds)
  bs = cfg.train.batch_size
  lay = parallel.layout(cfg.devices, n_seeds, bs)      # one device: places nothing
  restored_best = ckpts.restore_best(state['params'])
  state = lay.state(state)
  best_params = lay.state(restored_best[0] if restored_best is not None
                          else jax.tree.map(jnp.copy, state['params']))
  n_train = batching.num_examples(data['train'])
  story_rows = story_rows_of(cfg, data)
  batchers = {name: Batcher(arrays, bs, story_rows) for name, arrays in data.items()}
  train_batcher = batchers['train']
  buckets = train_batcher.buckets(cfg.train.length_buckets)

  def seed_controls(epoch):
    return stack_controls([family.controls(cfg, epoch, sm) for sm in meta['seeds']])

  t0 = time.perf_counter()
  per_call = cfg.steps_per_call
  jitted, compiled, eval_step = _compile(cfg, family, tx, state, data, lay, buckets,
                                         story_rows, seed_controls(0))
  compile_seconds = time.perf_counter() - t0
  shapes = ', '.join(batching.bucket_shape(b) for b in buckets)
  log(f'compiled train + eval steps in {compile_seconds:.1f} s '
      f'({jax.default_backend()}, batch {bs} x {n_seeds} seed{"s" * (n_seeds > 1)}'
      f'{"; length buckets " + shapes if cfg.train.length_buckets > 1 else ""}'
      f'{f"; story batches of {story_rows} stories" if story_rows else ""}'
      f'{f"; {lay.num_devices} devices, mesh {lay.describe()}" if lay.mesh else ""})')
  # The run's compile time over all its processes (a resumed run's earlier ones are in meta).
  compile_seconds += meta.get('compile_seconds', 0.0)

  epochs_this_call = 0
  while not finished():
    stop.check()
    if stop_after_epochs is not None and epochs_this_call >= stop_after_epochs:
      log(f"stopped after epoch {meta['epoch']}; rerun the same command to continue")
      return {'complete': False, 'epoch': meta['epoch']}
    epoch = meta['epoch']
    ctl = seed_controls(epoch)
    run = seeds_lib.ActiveSet(meta['seeds'], multiple=(lay.seed_devices if jax.process_count() == 1
                                                       else n_seeds),  # processes: all seeds
                              shrink=seed_chunk(cfg, lay) != 1)
    sub, sub_ctl = lay.state(run.take(state)), lay.state(run.take(ctl))
    sub_active = run.active[run.index]
    rows = family.train_rows(cfg, data['train'], epoch)
    n_epoch = n_train if rows is None else len(rows)
    progress = EpochProgress(n_epoch, f'epoch {epoch + 1}/{cfg.train.num_epochs}',
                             int(run.active.sum()), log, progress_every)
    t_epoch = time.perf_counter()
    first_step = int(np.max(np.asarray(lay.fetch(state['step']))[run.active]))
    steps = epoch_batches(train_batcher, [seeds[i] for i in run.index], epoch, buckets, rows,
                          chunk=per_call, sampling=cfg.train.get('sampling', 'shuffle'))
    sub, sums, new_compile = _run_epoch(steps, sub, sub_ctl, sub_active, run.size, jitted,
                                        compiled, per_call, lay, progress, stop, bs)
    sums = _per_step(lay.fetch(sums), per_call)   # waits for the device; one transfer
    _check_finite(sums, sub_active, [seeds[i] for i in run.index], epoch, first_step)
    total = run.spread(metrics.accumulate(sums), n_seeds)
    state = lay.state(run.put(state, sub))
    compile_seconds += new_compile
    if new_compile:
      log(f'compiled the train step for {run.size} of {n_seeds} seeds in {new_compile:.1f} s '
          '(seeds stopped early)')
    seconds = time.perf_counter() - t_epoch - new_compile
    active = run.active
    train_ms = [metrics.normalize(t, w) for t, w in
                zip(metrics.per_seed(total), ctl['loss_weights'])]
    dev_ms = evaluate_batches(eval_step, state['params'], batchers['dev'], ctl, lay)

    meta['epoch'] = epoch + 1
    meta['train_seconds'] += seconds
    meta['train_examples'] += n_epoch * int(active.sum())
    meta['compile_seconds'] = compile_seconds
    improved, events = _update_seeds(cfg, family, meta, dev_ms, active, epoch, seeds)
    if improved.any():
      best_params = seeds_lib.select(improved, state['params'], best_params)
      ckpts.save_best(epoch + 1, best_params, {'epoch': epoch + 1})
    ckpts.save_latest(epoch + 1, state, json.loads(json.dumps(meta)))

    rate = n_epoch * int(active.sum()) / seconds
    writer.write(workdir_lib.metric_records(seeds, active, {'step': lay.fetch(state['step'])},
                                            ctl, train_ms, dev_ms, epoch, rate, seconds))
    log(_epoch_line(family, cfg, epoch, ctl['loss_weights'][0], train_ms, dev_ms, improved,
                    active, rate))
    for e in events:
      log(f'  {e}')
    epochs_this_call += 1

  return _final_evaluation(cfg, workdir, family, data, meta, seed_controls(meta['epoch']),
                           eval_step, best_params, batchers, story_rows, lay, compile_seconds,
                           log)


def _run_epoch(steps, sub, sub_ctl, sub_active, size, jitted, compiled, per_call, lay, progress,
               stop, bs) -> tuple:
  """One epoch's train calls on the running seeds' state `sub`; a (seeds, bucket) program not
  compiled yet compiles on first use. Returns (sub, [(loss terms, steps)] per call, seconds
  spent compiling)."""
  sums, new_compile = [], 0.0
  for j, group in chunks(steps, per_call):
    batches, act = _call_args(group, sub_active, per_call, lay)
    if (size, j) not in compiled:
      t_c = time.perf_counter()
      compiled[(size, j)] = jitted.lower(sub, batches, sub_ctl, act).compile()
      new_compile += time.perf_counter() - t_c
      progress.pause(time.perf_counter() - t_c)
    stop.check()                                 # Ctrl-C: leave before the call
    sub, terms = compiled[(size, j)](sub, batches, sub_ctl, act)
    sums.append((terms, len(group)))
    if lay.mesh is not None and len(sums) % 32 == 0:
      jax.block_until_ready(sub)      # several devices: a deep queue of steps can time out
    if progress.update(bs * len(group)):
      jax.block_until_ready(terms)
      progress.line()
  progress.close()
  return sub, sums, new_compile


def _update_seeds(cfg, family, meta, dev_ms, active, epoch, seeds) -> tuple[np.ndarray, list]:
  """Each active seed's record after `epoch` (0-based): epochs run, early stopping on its dev
  metrics, the family's per-epoch event (e.g. linear start ending). Returns (<bool>[S] whose
  params are a new best, the events to log)."""
  improved = np.zeros((len(seeds),), bool)
  events = []
  for i, (sm, dev_m) in enumerate(zip(meta['seeds'], dev_ms)):
    if not active[i]:
      continue
    sm['epochs_run'] = epoch + 1
    if family.selects_best(cfg, epoch, sm):
      improved[i] = seeds_lib.early_stopping_update(
          sm, dev_m, epoch + 1, cfg.train.patience, cfg.train.get('best_by', 'accuracy'))
    event = family.after_epoch(cfg, sm, dev_m, epoch + 1)
    if event:
      events.append(f'seed {seeds[i]}: {event}')
  return improved, events


def _final_evaluation(cfg, workdir, family, data, meta, ctl, eval_step, best_params, batchers,
                      story_rows, lay, compile_seconds, log) -> dict:
  """After the last epoch: every seed's best params on test and dev (and on train when the
  reported seed is chosen by training error; on the family's test subsets), the summary written
  to `<workdir>/summary.json` and logged."""
  n_seeds = len(meta['seeds'])
  test_ms = evaluate_batches(eval_step, best_params, batchers['test'], ctl, lay)
  dev_ms = evaluate_batches(eval_step, best_params, batchers['dev'], ctl, lay)
  by = cfg.train.select_seed_by
  train_ms = (evaluate_batches(eval_step, best_params, batchers['train'], ctl, lay)
              if by == 'train_error'
              else [{'accuracy': float('nan')}] * n_seeds)
  subsets = {name: evaluate_batches(eval_step, best_params, Batcher(
                  {k: v[rows] for k, v in data['test'].items()}, cfg.train.batch_size,
                  story_rows), ctl, lay)
             for name, rows in family.test_subsets(data['test']).items()}
  summary = workdir_lib.summarize(family, cfg, meta, test_ms, dev_ms, train_ms, subsets,
                                  compile_seconds)
  summary.update(num_devices=lay.num_devices, mesh=lay.describe(),
                 num_processes=jax.process_count())
  if parallel.is_primary():
    workdir_lib.write_json(os.path.join(workdir, 'summary.json'), summary)
  for p in summary['seeds']:
    log(f"seed {p['seed']}: test accuracy {p['test_accuracy']:.4f} (dev {p['dev_accuracy']:.4f}, "
        f"best epoch {p['best_epoch']}, {p['epochs_run']} epochs)")
  log(f"test accuracy {summary['test_accuracy']:.4f} (seed {summary['seed']}, chosen by {by}; "
      f"mean {summary['test_accuracy_mean']:.4f} ± {summary['test_accuracy_std']:.4f} over "
      f"{n_seeds} seeds; {summary['examples_per_second']:,.0f} ex/s, train "
      f"{meta['train_seconds']:.0f} s, compile {compile_seconds:.1f} s)")
  return summary
