"""Results tables of finished runs beside the papers' figures (used by `experiments.report`)."""

import json
import math
import os

from dmn_jax import paper


def load(workdir: str) -> dict:
  with open(os.path.join(workdir, 'summary.json')) as f:
    s = json.load(f)
  with open(os.path.join(workdir, 'config.json')) as f:
    c = json.load(f)
  return {'workdir': workdir, 'task': s['task'], 'babi_set': s['babi_set'], 'seed': s['seed'],
          'test_accuracy': 100 * s['test_accuracy'], 'dev_accuracy': 100 * s['dev_accuracy'],
          'test_gate_accuracy': 100 * s['test_gate_accuracy'], 'epochs': s['epochs_run'],
          'best_epoch': s['best_epoch'], 'train_seconds': s['train_seconds'],
          'examples_per_second': s['examples_per_second'],
          'compile_seconds': s['compile_seconds'], 'machine': s['machine'],
          'passes': c['model']['passes'], 'attention': c['model']['attention'],
          'gate_norm': c['model'].get('gate_norm', 'sigmoid'),
          'paper_dmn': paper.DMN_TABLE1_BABI_1K[s['task']],
          'paper_memnn': paper.MEMNN_TABLE1_BABI_1K[s['task']]}


def _attention(r: dict) -> str:
  return 'softmax' if r['attention'] == 'softmax' else f"GRU, {r['gate_norm']} gates"


def make_table(workdirs: list[str], command: str, note: str = '') -> tuple[str, list[dict]]:
  """Markdown table (and its rows) of finished runs beside the paper's Table 1."""
  rows = sorted((load(w) for w in workdirs), key=lambda r: (r['task'], r['seed']))
  lines = [
      '# DMN on bAbI (1k), single seed',
      '',
      'Test accuracy (%) of the best-by-dev epoch, beside Kumar et al. 2016 Table 1.',
      '',
      '| task | paper DMN | paper MemNN | ours (test) | dev | gate acc (test) | passes | '
      'attention | epochs (best) | train s | ex/s | compile s | run |',
      '|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|',
  ]
  for r in rows:
    lines.append(
        f"| {r['task']} | {r['paper_dmn']} | {r['paper_memnn']} | {r['test_accuracy']:.1f} | "
        f"{r['dev_accuracy']:.1f} | {r['test_gate_accuracy']:.1f} | {r['passes']} | "
        f"{_attention(r)} | {r['epochs']} ({r['best_epoch']}) | {r['train_seconds']:.0f} | "
        f"{r['examples_per_second']:,.0f} | {r['compile_seconds']:.1f} | "
        f"{os.path.basename(os.path.normpath(r['workdir']))} |")
  lines += ['', f"Seeds: {sorted({r['seed'] for r in rows})}. Machine: {rows[0]['machine']}.",
            note, '', 'Regenerate:', '', '```', command, '```', '']
  return '\n'.join(lines), rows


def load_lm(workdir: str) -> dict:
  """A language-model run (finished or not): its config, per-epoch validation perplexity and,
  once finished, the test perplexity of its best-validation epoch."""
  with open(os.path.join(workdir, 'config.json')) as f:
    c = json.load(f)
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    lines = [json.loads(l) for l in f if l.strip()]
  summary_path = os.path.join(workdir, 'summary.json')
  s = None
  if os.path.exists(summary_path):
    with open(summary_path) as f:
      s = json.load(f)
    s = s if s.get('complete') else None
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


def lm_table(workdirs: list[str], command: str, note: str = '') -> tuple[str, list[dict]]:
  """`results/ptb_memn2n.md`: our perplexities beside Sukhbaatar et al. Table 2."""
  rows = [load_lm(w) for w in workdirs]
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
      last = r['valid_ppl_by_epoch'][-1] if r['valid_ppl_by_epoch'] else float('nan')
      ours, ep, why = f'{last:.1f} (so far) | –', f"{r['epochs']}", 'running'
    lines.append(f"| {r['hidden']} | {r['hops']} | {r['memory']} | {pv} | {pt} | {ours} | {ep} "
                 f"| {why} | {r['words_per_second']:,.0f} | {r['train_seconds']:.0f} |")
  lines += ['', 'Validation perplexity by epoch: ' + '; '.join(
      f"{r['hidden']}/{r['hops']}/{r['memory']}: "
      + ', '.join(f'{p:.1f}' for p in r['valid_ppl_by_epoch']) for r in rows) + '.',
      '', 'Paper baselines (valid / test): ' + ', '.join(
          f'{k} {v[0]} / {v[1]}' for k, v in paper.PTB_BASELINES.items()) + '.']
  machine = next((r['machine'] for r in rows if r.get('machine')), None)
  if machine:
    lines += ['', f'Machine: {machine}.']
  lines += [note, '', 'Regenerate:', '', '```', command, '```', '']
  return '\n'.join(lines), rows


def write_table(out: str, text: str, rows: list[dict], command: str) -> None:
  """`out`.md (the table) and `out`.json ({'rows', 'command'})."""
  os.makedirs(os.path.dirname(out) or '.', exist_ok=True)
  with open(out + '.md', 'w') as f:
    f.write(text)
  with open(out + '.json', 'w') as f:
    json.dump({'rows': rows, 'command': command}, f, indent=1)


def load_text_run(workdir: str) -> dict:
  """A DMN SST or POS run: its setting and passes; once finished, the test accuracy (%) of every
  seed (best-by-dev epoch); while training, the epochs so far and the best dev accuracy."""
  with open(os.path.join(workdir, 'config.json')) as f:
    c = json.load(f)
  lines = []
  if os.path.exists(os.path.join(workdir, 'metrics.jsonl')):
    with open(os.path.join(workdir, 'metrics.jsonl')) as f:
      lines = [json.loads(l) for l in f if l.strip()]
  row = {'workdir': workdir, 'family': c['model_family'],
         'setting': c.get('setting') or c.get('corpus'), 'passes': c['model']['passes'],
         'glove_vocab': bool(c.get('glove_vocab', False) and c.get('glove')),   # in effect
         'choices': {k: (c['model'] if k.startswith('model.') else c).get(
                         k.split('.')[-1], _CHOICE_DEFAULTS.get(k)) for k in _CHOICES},
         'hidden': c['model']['hidden'], 'complete': False,
         'epochs': max((l['epoch'] for l in lines), default=0),
         'best_dev_so_far': 100 * max((l['dev_accuracy'] for l in lines), default=float('nan'))}
  path = os.path.join(workdir, 'summary.json')
  if os.path.exists(path):
    with open(path) as f:
      s = json.load(f)
    if s.get('complete'):
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
_CHOICE_DEFAULTS = {'model.gate_norm': 'sigmoid', 'glove_vocab': False}   # keys added later


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
