"""`results/ptb_memn2n.md`: MemN2N language-model runs beside Sukhbaatar et al. Table 2."""

from __future__ import annotations

import math
import os

from dmn_jax import paper
from dmn_jax import workdir as workdir_lib


def load_lm(workdir: str) -> dict:
  """A language-model run (finished or not): its config, per-epoch validation perplexity and,
  once finished, the test perplexity of its best-validation epoch."""
  c, lines = workdir_lib.run_config(workdir), workdir_lib.epoch_records(workdir)
  s = workdir_lib.run_summary(workdir)
  s = s if s and s.get('complete') else None
  m = c['model']
  key = (m['embed_dim'], m['hops'], c['memory_size'])
  row = {'workdir': workdir, 'hidden': key[0], 'hops': key[1], 'memory': key[2],
         'paper': paper.MEMN2N_TABLE2_PTB.get(key), 'epochs': len(lines),
         'epoch_cap': c['train']['num_epochs'],
         'valid_ppl_by_epoch': [math.exp(l['dev_answer_loss']) for l in lines],
         'words_per_second': (sum(l['examples_per_second'] * l['epoch_seconds'] for l in lines)
                              / max(sum(l['epoch_seconds'] for l in lines), 1e-9)),
         'train_seconds': sum(l['epoch_seconds'] for l in lines), 'complete': s is not None}
  if s is not None:
    chosen = next(x for x in s['seeds'] if x['seed'] == s['seed'])
    row.update(valid_ppl=math.exp(chosen['dev_answer_loss']),
               test_ppl=math.exp(chosen['test_answer_loss']), best_epoch=chosen['best_epoch'],
               lr_stopped=chosen['early_stopped'], machine=s['machine'])
  return row


def lm_table(workdirs: list[str], command: str, note: str = '', figure: str | None = None
             ) -> tuple[str, list[dict]]:
  """`results/ptb_memn2n.md`: our perplexities beside Sukhbaatar et al. Table 2 (`figure`: the
  file name of the `lm_curves` picture beside it, shown under the table)."""
  rows = [load_lm(w) for w in workdirs]
  return lm_text(rows, command, note, figure), rows


def lm_text(rows: list[dict], command: str, note: str = '', figure: str | None = None) -> str:
  """The table's markdown from `load_lm` rows (those of a run's workdir, or the rows a table's
  JSON kept when the workdirs are gone: `experiments.ptb_report --from_json`)."""
  lines = [
      '# MemN2N language model on Penn Treebank',
      '',
      'Perplexity (validation / test) of the epoch with the lowest validation cost, beside '
      'Sukhbaatar et al. 2015, Table 2. The paper trains until the learning rate (divided by 1.5 '
      'whenever an epoch does not lower the validation cost) falls below 1e-5; a run cut short '
      'by an epoch cap says so in the `epochs` column.',
      '',
      '| hidden | hops | memory | paper valid | paper test | ours valid | ours test | epochs '
      '(best) | stopped by | train words/s | train s |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ]
  for r in rows:
    pv, pt = r['paper'] or ('–', '–')
    if r['complete']:
      ours = f"**{r['valid_ppl']:.1f}** | **{r['test_ppl']:.1f}**"
      ep = f"{r['epochs']} ({r['best_epoch']})"
      why = 'lr < 1e-5' if r['lr_stopped'] else f"epoch cap {r['epoch_cap']}"
    else:
      ppl = r['valid_ppl_by_epoch']
      ours = f'{ppl[-1]:.1f} (so far) | –' if ppl else '(no epoch yet) | –'
      ep, why = f"{r['epochs']}", 'unfinished'
    lines.append(f"| {r['hidden']} | {r['hops']} | {r['memory']} | {pv} | {pt} | {ours} | {ep} "
                 f"| {why} | {r['words_per_second']:,.0f} | {r['train_seconds']:.0f} |")
  lines += ['', 'Validation perplexity by epoch: ' + '; '.join(
      f"{r['hidden']}/{r['hops']}/{r['memory']}: "
      + (', '.join(f'{p:.1f}' for p in r['valid_ppl_by_epoch']) or 'none yet')
      for r in rows) + '.']
  if figure:
    lines += ['', f'![validation perplexity by epoch]({figure})']
  lines += [
      '', 'Paper baselines (valid / test): ' + ', '.join(
          f'{k} {v[0]} / {v[1]}' for k, v in paper.PTB_BASELINES.items()) + '.']
  machine = next((r['machine'] for r in rows if r.get('machine')), None)
  if machine:
    lines += ['', f'Machine: {machine}.']
  lines += [note, '', 'Regenerate:', '', '```', command, '```', '']
  return '\n'.join(lines)


def lm_curves(rows: list[dict], path: str) -> None:
  """Writes a PNG of each run's validation perplexity by epoch (log scale), the paper's
  validation perplexity for its row as a dashed line in the same colour, and the test
  perplexity of a finished run as a cross at its best epoch."""
  import matplotlib
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(6.4, 4.0))
  for i, r in enumerate(rows):
    colour = f'C{i}'
    label = f"{r['hidden']}/{r['hops']}/{r['memory']}"
    ppl = r['valid_ppl_by_epoch']
    ax.plot(range(1, len(ppl) + 1), ppl, '-o', ms=3, color=colour,
            label=f'{label} valid' + ('' if r['complete'] else ' (unfinished)'))
    if r['paper']:
      ax.axhline(r['paper'][0], ls='--', lw=1, color=colour, label=f'{label} paper valid')
    if r['complete']:
      ax.plot([r['best_epoch']], [r['test_ppl']], 'x', ms=8, color=colour, label=f'{label} test')
  ax.set_yscale('log')
  from matplotlib.ticker import MaxNLocator, ScalarFormatter
  ax.xaxis.set_major_locator(MaxNLocator(integer=True))
  for axis in (ax.yaxis,):
    axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_formatter(ScalarFormatter())
  ax.set_xlabel('epoch')
  ax.set_ylabel('perplexity')
  ax.set_title('MemN2N on Penn Treebank (hidden/hops/memory)')
  ax.grid(True, which='both', alpha=0.3)
  ax.legend(fontsize=7)
  fig.tight_layout()
  tmp = path + '.tmp.png'
  fig.savefig(tmp, dpi=120)
  plt.close(fig)
  os.replace(tmp, path)
