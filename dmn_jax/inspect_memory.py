"""What a trained MemN2N attends to: mean attention per memory position and hop (the paper's
Fig. 3 for the Penn Treebank language model), from a finished run's best checkpoint.

    params, data, spec = load_best(cfg, workdir)            # params of the run's chosen seed
    avg = mean_attention(params, data['test'], cfg.model)   # <float32>[K, M]
    plot_attention(avg, 'results/ptb_attention.png', title)
"""

from __future__ import annotations

import json
import os

import jax
import numpy as np

from dmn_jax import families, train
from dmn_jax.checkpoint import RunCheckpoints
from dmn_jax.data import batching
from dmn_jax.errors import ConfigError
from dmn_jax.models import memn2n
from dmn_jax.optim import make_optimizer


def load_best(cfg, workdir: str):
  """(params of the chosen seed, data splits, spec) of the finished run in `workdir`."""
  path = os.path.join(workdir, 'summary.json')
  if not os.path.exists(path):
    raise ConfigError(f'{path}: no summary; finish the run first (rerun its command)')
  with open(path) as f:
    summary = json.load(f)
  family = families.of(cfg)
  data, spec = family.load(cfg)
  tx = make_optimizer(cfg.train)
  template = train.init_states(cfg, spec, tx)['params']
  ckpts = RunCheckpoints(workdir)
  restored = ckpts.restore_best(template)
  ckpts.close()
  if restored is None:
    raise ConfigError(f'{workdir}: no best checkpoint under ckpt/best')
  seeds = train.seeds_of(cfg)
  i = seeds.index(summary['seed'])
  return jax.tree.map(lambda x: x[i], restored[0]), data, spec


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
  fig, axes = plt.subplots(1, hops, figsize=(2.2 * hops, 2.4), sharey=True, squeeze=False)
  for k, ax in enumerate(axes[0]):
    ax.bar(np.arange(1, m + 1), avg[k], width=1.0, color='tab:blue')
    ax.set_title(f'hop {k + 1}', fontsize=9)
    ax.set_xlabel('memory position', fontsize=8)
    ax.tick_params(labelsize=7)
  axes[0][0].set_ylabel('mean attention', fontsize=8)
  fig.suptitle(title, fontsize=9)
  fig.tight_layout()
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  fig.savefig(path, dpi=120)
  plt.close(fig)
