"""`results/sst_dmn.md` and `results/pos_dmn.md`: the DMN on sentiment and POS tagging."""

from __future__ import annotations

from dmn_jax import paper
from dmn_jax import workdir as workdir_lib


def load_text_run(workdir: str) -> dict:
  """A DMN SST or POS run: its setting and passes; once finished, the test accuracy (%) of every
  seed (best-by-dev epoch); while training, the epochs so far and the best dev accuracy."""
  c, lines = workdir_lib.run_config(workdir), workdir_lib.epoch_records(workdir)
  flat = workdir_lib.flatten(c)
  row = {'workdir': workdir, 'family': c['model_family'],
         'setting': c.get('setting') or c.get('corpus'), 'passes': c['model']['passes'],
         'glove_vocab': bool(c.get('glove_vocab', False) and c.get('glove')),   # in effect
         'choices': {k: workdir_lib.config_value(flat, k) for k in _CHOICES},
         'hidden': c['model']['hidden'], 'complete': False,
         'epochs': max((l['epoch'] for l in lines), default=0),
         'best_dev_so_far': 100 * max((l['dev_accuracy'] for l in lines), default=float('nan'))}
  s = workdir_lib.run_summary(workdir)
  if s is not None and s.get('complete'):
    tests = [100 * x['test_accuracy'] for x in s['seeds']]
    row.update(complete=True, seeds=[x['seed'] for x in s['seeds']], test=tests,
               test_mean=sum(tests) / len(tests),
               test_std=(sum((t - sum(tests) / len(tests)) ** 2 for t in tests)
                         / len(tests)) ** 0.5,
               dev=[100 * x['dev_accuracy'] for x in s['seeds']],
               best_seed_test=100 * s['test_accuracy'], epochs=s['epochs_run'],
               best_epochs=[x['best_epoch'] for x in s['seeds']],
               train_seconds=s['train_seconds'], ex_s=s['examples_per_second'],
               machine=s['machine'])
  return row


_CHOICES = ('model.gate_norm', 'model.attention', 'model.dropout', 'model.hidden', 'glove_vocab')


def _split_variants(rows: list[dict]) -> tuple[list[dict], list[dict]]:
  """(main rows, variants): a variant has a main row's setting and passes but other
  `_CHOICES`; the main row of a (setting, passes) is the one with the most seeds."""
  main = {}
  for r in rows:
    key = (r['setting'], r['passes'])
    if key not in main or len(r.get('seeds', [])) > len(main[key].get('seeds', [])):
      main[key] = r
  variants = []
  for r in rows:
    m = main[(r['setting'], r['passes'])]
    if r is not m and r['choices'] != m['choices']:
      r['differs'] = ', '.join(f'{k}={r["choices"][k]}' for k in _CHOICES
                               if r['choices'][k] != m['choices'][k])
      variants.append(r)
  return [r for r in rows if r not in variants], variants


def _name(r: dict) -> str:
  """The setting or corpus, marked when dev/test words GloVe knows joined the vocabulary."""
  return r['setting'] + (' (+ GloVe vocab)' if r['glove_vocab'] else '')


def _acc_cells(r: dict) -> str:
  """'mean ± std | best-by-dev seed | seeds | epochs (best) | train s | ex/s' of a text run."""
  if not r['complete']:
    return (f"running: best dev {r['best_dev_so_far']:.1f} after {r['epochs']} epochs | – | – | "
            f"{r['epochs']} | – | –")
  spread = f" ± {r['test_std']:.1f}" if len(r['seeds']) > 1 else ''
  return (f"**{r['test_mean']:.1f}{spread}** | {r['best_seed_test']:.1f} | "
          f"{len(r['seeds'])} | {r['epochs']} ({', '.join(map(str, r['best_epochs']))}) | "
          f"{r['train_seconds']:.0f} | {r['ex_s']:,.0f}")


def _footer(rows: list[dict], note: str, command: str) -> list[str]:
  machine = next((r['machine'] for r in rows if r.get('machine')), None)
  seeds = sorted({s for r in rows for s in r.get('seeds', [])})
  return (['', f'Seeds: {seeds}.' + (f' Machine: {machine}.' if machine else ''), note, '',
           'Regenerate (the training commands, then this table):', '', '```', command, '```',
           ''])


_TEXT_HEAD = ('| {what} | passes | paper | ours: test mean ± std | best-by-dev seed | seeds | '
              'epochs (best per seed) | train s | ex/s |\n|---|---:|---:|---:|---:|---:|---|'
              '---:|---:|')


def sst_table(workdirs: list[str], command: str, note: str = '') -> tuple[str, list[dict]]:
  """`results/sst_dmn.md`: binary and fine-grained test accuracy beside Kumar et al. Table 2,
  the passes ablation (fine-grained) beside its Table 4, and other settings tried."""
  rows = sorted((load_text_run(w) for w in workdirs),
                key=lambda r: (r['setting'], r['passes'], r['glove_vocab']))
  rows, variants = _split_variants(rows)
  main = {'binary': paper.DMN_TABLE2_SST['DMN'][0], 'fine': paper.DMN_TABLE2_SST['DMN'][1]}
  lines = ['# DMN on the Stanford Sentiment Treebank', '',
           'Test accuracy (%) on full sentences, the best-by-dev epoch of every seed; mean ± std '
           'over seeds, and the seed with the best dev accuracy. Training: every sentence plus a '
           'fresh 50% of the phrase labels each epoch. Paper: Kumar et al. 2016, Tables 2 and 4.',
           '', '## Table 2: binary and fine-grained', '', _TEXT_HEAD.format(what='setting')]
  for r in rows:
    if r['passes'] == 2:
      lines.append(f"| {_name(r)} | {r['passes']} | {main[r['setting']]} | {_acc_cells(r)} |")
  lines += ['', 'Paper baselines (binary / fine): ' + ', '.join(
      f'{k} {b} / {f}' for k, (b, f) in paper.DMN_TABLE2_SST.items() if k != 'DMN') + '.',
      '', '## Table 4: fine-grained accuracy by the number of passes', '',
      _TEXT_HEAD.format(what='setting')]
  for r in rows:
    if r['setting'] == 'fine':
      ref = paper.DMN_TABLE4_SST_FINE.get(r['passes'], '–')
      lines.append(f"| {_name(r)} | {r['passes']} | {ref} | {_acc_cells(r)} |")
  if variants:
    lines += ['', '## Other settings tried (compare on dev; test shown for the record)', '',
              '| setting | passes | changed | dev (best-by-dev seed) | ours: test mean ± std | '
              'best-by-dev seed | seeds | epochs (best per seed) | train s | ex/s |',
              '|---|---:|---|---:|---:|---:|---:|---|---:|---:|']
    bases = [m for m in rows if any((v['setting'], v['passes']) == (m['setting'], m['passes'])
                                    for v in variants)]
    for r in bases + variants:
      dev = f"{max(r['dev']):.1f}" if r['complete'] else '–'
      what = r.get('differs', 'none (the row above)')
      lines.append(f"| {_name(r)} | {r['passes']} | {what} | {dev} | {_acc_cells(r)} |")
  lines += _footer(rows + variants, note, command)
  return '\n'.join(lines), rows + variants


def pos_table(workdirs: list[str], command: str, note: str = '') -> tuple[str, list[dict]]:
  """`results/pos_dmn.md`: UD English-EWT XPOS (and WSJ-sample) per-word test accuracy."""
  rows = sorted((load_text_run(w) for w in workdirs),
                key=lambda r: (r['setting'], r['passes'], r['glove_vocab']))
  ref = {'ud_ewt': f"UDPipe 2 {paper.EWT_XPOS_BASELINES['UDPipe 2']}",
         'wsj_sample': '–'}
  lines = ['# DMN part-of-speech tagging', '',
           'Per-word test accuracy (%) of the best-by-dev epoch (mean ± std over seeds, and the '
           'best-by-dev seed). `ud_ewt`: UD English-EWT XPOS (Penn Treebank tags), the official '
           'split. `wsj_sample`: the NLTK WSJ sample with our file split (a sample: not the '
           "standard WSJ sections the paper's 97.56 is measured on).", '',
           _TEXT_HEAD.format(what='corpus').replace('| paper |', '| reference |')]
  for r in rows:
    lines.append(f"| {_name(r)} | {r['passes']} | {ref.get(r['setting'], '–')} | "
                 f"{_acc_cells(r)} |")
  lines += ['', 'UD English-EWT XPOS references: ' + ', '.join(
      f'{k} {v}' for k, v in paper.EWT_XPOS_BASELINES.items()) + '. Paper (Kumar et al. 2016, '
      'Table 3, WSJ sections 22-24, a different test set): ' + ', '.join(
      f'{k} {v}' for k, v in paper.DMN_TABLE3_WSJ_POS.items()) + '.']
  lines += _footer(rows, note, command)
  return '\n'.join(lines), rows
