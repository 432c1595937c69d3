"""What a trained memory network attends to, from a finished run's best checkpoint.

MemN2N: mean attention per memory position and hop (the paper's Fig. 3 for the Penn Treebank
language model). DMN: the gate on every fact (word) in every pass for one input (the DMN
paper's Fig. 3/4 for sentiment).

    params, data, spec, summary = load_best(cfg, workdir)   # params of the run's chosen seed
    avg = mean_attention(params, data['test'], cfg.model)   # <float32>[K, M]
    plot_attention(avg, 'results/ptb_attention.png', title)
    gates, pred = dmn_gates(params, row, cfg.model)         # <float32>[T, S], class id
    plot_gates(gates, words, 'results/sst_gates.png', title)
    report = gate_errors(params, data['dev'], cfg.model)    # per-pass gate accuracy, recency
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import jax
import numpy as np

from dmn_jax import families, seeds as seeds_lib, train
from dmn_jax import workdir as workdir_lib
from dmn_jax.checkpoint import RunCheckpoints
from dmn_jax.data import batching
from dmn_jax.errors import ConfigError
from dmn_jax.models import dmn, memn2n
from dmn_jax.optim import make_optimizer


class BestRun(NamedTuple):
  """A finished run's chosen seed: its best params, the data splits, the spec, summary.json."""
  params: Any
  data: dict
  spec: Any
  summary: dict


def load_best(cfg, workdir: str) -> BestRun:
  """The best params of the chosen seed of the finished run in `workdir`, with its data."""
  summary = workdir_lib.run_summary(workdir, required=True)
  family = families.of(cfg)
  data, spec = family.load(cfg)
  tx = make_optimizer(cfg.train, cfg.model)
  template = train.init_states(cfg, spec, tx)['params']
  ckpts = RunCheckpoints(workdir)
  restored = ckpts.restore_best(template)
  ckpts.close()
  if restored is None:
    raise ConfigError(f'{workdir}: no best checkpoint under ckpt/best')
  seeds = seeds_lib.seeds_of(cfg)
  i = seeds.index(summary['seed'])
  return BestRun(jax.tree.map(lambda x: x[i], restored[0]), data, spec, summary)


def mean_attention(params, arrays: dict[str, np.ndarray], model_cfg, batch_size: int = 128,
                   max_examples: int | None = None) -> np.ndarray:
  """Attention averaged over examples: <float32>[K hops, M memory positions] (position 0 = the
  most recent memory). Evaluation mode (no random noise, softmax attention)."""
  n = batching.num_examples(arrays)
  n = n if max_examples is None else min(n, max_examples)
  keys = ('memory', 'memory_mask', 'question')
  fwd = jax.jit(lambda p, b: memn2n.apply(p, b, None, model_cfg, train=False)['attention'])
  total, count = 0.0, 0.0
  for b in batching.batches({k: v[:n] for k, v in arrays.items() if k in keys}, batch_size):
    att = np.asarray(fwd(params, {k: b[k] for k in keys if k in b}))      # [B, K, M]
    total = total + (att * b['weight'][:, None, None]).sum(0)
    count += b['weight'].sum()
  return (total / count).astype(np.float32)


def plot_attention(avg: np.ndarray, path: str, title: str) -> None:
  """One panel per hop: mean attention by memory position (1 = the previous word)."""
  import matplotlib
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt

  hops, m = avg.shape
  fig, axes = plt.subplots(1, hops, figsize=(max(6.0, 2.2 * hops), 2.6), sharey=True,
                           squeeze=False)
  for k, ax in enumerate(axes[0]):
    ax.bar(np.arange(1, m + 1), avg[k], width=1.0, color='tab:blue')
    ax.set_title(f'hop {k + 1}', fontsize=9)
    ax.set_xlabel('memory position', fontsize=8)
    ax.tick_params(labelsize=7)
  axes[0][0].set_ylabel('mean attention', fontsize=8)
  fig.suptitle(title, fontsize=8)
  fig.tight_layout()
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  fig.savefig(path, dpi=120)
  plt.close(fig)


def dmn_gates(params, example: dict[str, np.ndarray], model_cfg) -> tuple[np.ndarray, np.ndarray]:
  """The DMN's attention over one example's facts in every pass, in evaluation mode.

  Args:
    example: one row of the DMN arrays (no batch axis), e.g. {k: v[i] for k, v in split}.

  Returns:
    gates <float32>[T passes, F facts] as the episode uses them (σ of the gate scores, or their
    softmax with gate_norm='softmax' or attention='softmax'; 0 at padded facts; F = words with
    fact_mode='word'); the prediction <int32>[A] (answer tokens or class id).
  """
  batch = {k: v[None] for k, v in example.items()}
  out = dmn.apply(params, batch, None, model_cfg, train=False)
  g = gate_weights(np.asarray(out['gate_logits'][0]), np.asarray(out['fact_mask'][0], bool),
                   model_cfg)
  return g.astype(np.float32), np.asarray(out['prediction'][0])


def eval_forward(model_cfg):
  """The DMN's jitted evaluation forward `(params, batch) -> outputs`: build it once and pass it
  to `gate_errors` for several splits (one compile for batches of one shape)."""
  return jax.jit(lambda p, b: dmn.apply(p, b, None, model_cfg, train=False))


def gate_errors(params, arrays: dict[str, np.ndarray], model_cfg, batch_size: int = 100,
                forward=None) -> dict:
  """Where a supervised DMN's gates go wrong, and what that costs the answers (evaluation mode).

  A pass's gate is "right" when its largest gate score is on that pass's supporting fact (the
  training metric `gate_accuracy`, per pass). A wrong gate is "earlier" when the fact it picks
  comes before the target in the story: on the location tasks (2, 3) that is an older position
  of the same actor or object, a recency error.

  Args:
    arrays: one split of DMN arrays (story, fact_pos, fact_mask, question, answer, answer_mask,
      supports <int32>[N, P], support_mask <bool>[N, P], ...).
    forward: `eval_forward(model_cfg)`, shared between calls (built here when None).

  Returns:
    {'examples': N, 'answer_accuracy', 'all_gates_right' (share of examples whose every
     supervised pass is right), 'answer_accuracy_gates_right' / '_gates_wrong' (None where no
     example is in the group), 'passes': [{'pass', 'supervised' (examples), 'gate_accuracy',
     'errors', 'earlier' (share of the errors picking an earlier fact)}]}
  """
  keys = [k for k in arrays if k != 'weight']
  fwd = forward or eval_forward(model_cfg)
  picks, preds = [], []
  for b in batching.batches({k: arrays[k] for k in keys}, batch_size):
    out = fwd(params, {k: b[k] for k in keys})
    real = b['weight'] > 0
    picks.append(np.asarray(out['gate_logits']).argmax(-1)[real])        # [b, T]
    preds.append(np.asarray(out['prediction']).reshape(len(real), -1)[real])
  return gate_error_counts(np.concatenate(picks), np.concatenate(preds), arrays)


def gate_error_counts(pick: np.ndarray, pred: np.ndarray, arrays: dict[str, np.ndarray]) -> dict:
  """`gate_errors` from the model's choices: pick <int>[N, T] (the argmax fact of each pass),
  pred <int>[N, A'] (predicted answer tokens) and the split's supports / support_mask [N, P],
  answer / answer_mask [N, A]."""
  sup, smask = np.asarray(arrays['supports']), np.asarray(arrays['support_mask'], bool)
  answer, amask = np.asarray(arrays['answer']), np.asarray(arrays['answer_mask'], bool)
  correct = np.all(np.where(amask, pred[:, :answer.shape[1]] == answer, True), axis=1)   # [N]
  n_pass = min(pick.shape[1], sup.shape[1])
  right = np.where(smask[:, :n_pass], pick[:, :n_pass] == sup[:, :n_pass], True)        # [N, n]
  all_right = right.all(1)

  def share(x):
    return float(x.mean()) if x.size else None

  passes = []
  for t in range(n_pass):
    on = smask[:, t]
    wrong = on & ~right[:, t]
    passes.append({'pass': t + 1, 'supervised': int(on.sum()),
                   'gate_accuracy': share(right[on, t]), 'errors': int(wrong.sum()),
                   'earlier': share(pick[wrong, t] < sup[wrong, t])})
  return {'examples': int(len(correct)), 'answer_accuracy': share(correct),
          'all_gates_right': share(all_right),
          'answer_accuracy_gates_right': share(correct[all_right]),
          'answer_accuracy_gates_wrong': share(correct[~all_right]), 'passes': passes}


def gate_weights(logits: np.ndarray, mask: np.ndarray, model_cfg) -> np.ndarray:
  """The gates the episode uses, <float64>[T, F], from gate logits [T, F] and the fact mask [F]:
  σ of the logits, or their softmax over the real facts with gate_norm='softmax' or
  attention='softmax'; 0 at padded facts."""
  logits = np.asarray(logits, np.float64)
  if model_cfg.attention == 'softmax' or model_cfg.gate_norm == 'softmax':
    z = np.where(mask, logits, -np.inf)
    g = np.exp(z - z.max(-1, keepdims=True))
    g = g / g.sum(-1, keepdims=True)
  else:
    g = 0.5 * (1.0 + np.tanh(0.5 * logits))                          # σ, no overflow
  return np.where(mask, g, 0.0)


def plot_gates(gates: np.ndarray, words: list[str], path: str, title: str) -> None:
  """A heatmap: one row per pass, one column per word (the real words only)."""
  import matplotlib
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt

  t, n = gates.shape[0], len(words)
  fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * n + 1.5), 0.55 * t + 1.6))
  im = ax.imshow(gates[:, :n], cmap='Blues', vmin=0.0, vmax=max(1e-6, float(gates.max())),
                 aspect='auto')
  ax.set_xticks(range(n), words, rotation=60, ha='right', fontsize=8)
  ax.set_yticks(range(t), [f'pass {i + 1}' for i in range(t)], fontsize=8)
  for i in range(t):
    for j in range(n):
      ax.text(j, i, f'{gates[i, j]:.2f}', ha='center', va='center', fontsize=5.5,
              color='white' if gates[i, j] > 0.6 * gates.max() else 'black')
  fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
  ax.set_title(title, fontsize=9)
  fig.tight_layout()
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  fig.savefig(path, dpi=130)
  plt.close(fig)
