r"""The reproduction queue: every sweep-built results table, in the order its cells train.

  python -m experiments.reproduce                  # what each table still lacks
  python -m experiments.reproduce --run --lanes=2  # train it all, 2 processes sharing the cells

Order = priority: the open issues' tables first (DMN+ 10k, issue 19; issue 18's paper-model
comparisons and Table 4's task 3, whose cells take 10-80 minutes; MemN2N joint training and the
hop ablation, issue 17, 0.7-2.6 hours a cell, which `--stop_by` passes over: no archived run of
their recipe tells their time yet), then the studies still queued, then the finished tables
(nothing left to train: they are here so `--tables` rewrites every table from results/cells).
Each entry is one
`python -m experiments.babi_sweep --config=<config> --workdir=<workdir>`, the command its
table prints.
"""

from dmn_jax.reproduce import Entry

_H = 'experiments/configs/babi_hard.py'

QUEUE = [
    # Open issues.
    Entry('dmnplus_10k', 'experiments/configs/babi_dmnplus_sweep.py:10k', 'runs/dmnplus_10k',
          'DMN+ on bAbI 10k, answers only (results/babi_10k_dmnplus; issue 19)'),
    Entry('dmnplus_best_by_10k', f'{_H}:dmnplus_best_by_10k', 'runs/dmnplus_best_by_10k',
          'DMN+ 10k tasks 2, 3: best by dev accuracy vs dev loss (issue 19)'),
    Entry('dmnplus_best_by', f'{_H}:dmnplus_best_by', 'runs/dmnplus_best_by',
          'DMN+ 1k: best by dev loss vs accuracy (issue 19)'),
    Entry('attention_pm', f'{_H}:attention_pm', 'runs/babi_hard',
          'paper model: softmax episode vs attention GRU (issue 18)'),
    Entry('dmnplus_pe_form_10k', f'{_H}:dmnplus_pe_form_10k', 'runs/dmnplus_pe_form_10k',
          "DMN+ 10k tasks 16, 17: the MemN2N authors' position encoding (issue 19)"),
    Entry('gate_loss_pm', f'{_H}:gate_loss_pm', 'runs/babi_hard',
          'paper model: per-gate BCE vs softmax CE (issue 18)'),
    Entry('schedule_pm', f'{_H}:schedule_pm', 'runs/babi_hard',
          'paper model: gates first vs joint schedule (issue 18)'),
    # Its own workdir: its cell names are schedule_pm's (task02_answer_start_epoch10, ...).
    Entry('schedule_softmax_pm', f'{_H}:schedule_softmax_pm', 'runs/babi_hard_softmax',
          'paper model: gates first under the softmax episode, tasks 2, 19, 3 (issue 18)'),
    Entry('schedule_bce_pm', f'{_H}:schedule_bce_pm', 'runs/babi_hard_bce',
          'paper model: gates first under the per-gate BCE, tasks 2, 19, 3 (issue 18)'),
    Entry('passes', 'experiments/configs/babi_passes.py', 'runs/babi_passes',
          'DMN Table 4, passes on tasks 2, 3, 7, 8, 13... (issue 18)'),
    Entry('end_pass', 'experiments/configs/babi_end_pass.py', 'runs/babi_passes',
          'DMN end-of-passes vs fixed passes on 3, 7, 8 (issue 18)'),
    Entry('l2_softmax_pm', f'{_H}:l2_softmax_pm', 'runs/babi_hard_softmax',
          'paper model, softmax episode, gates first: L2 1e-5 vs 1e-4 on tasks 2, 3 (issue 18)'),
    Entry('glove_pm', f'{_H}:glove_pm', 'runs/babi_hard',
          'paper model: GloVe 50d vs random vectors (issue 18)'),
    Entry('memn2n', 'experiments/configs/babi_memn2n_sweep.py', 'runs/babi_memn2n',
          'MemN2N per task, joint, hop ablation (results/babi_memn2n_authors; issue 17)'),
    Entry('memn2n_10k', 'experiments/configs/babi_memn2n_sweep.py:10k', 'runs/babi_memn2n_10k',
          'MemN2N PE LS RN per task on en-10k (results/babi_memn2n_10k; issue 17)'),
    # Studies with cells left.
    Entry('l2_t1', f'{_H}:l2_t1', 'runs/babi_hard', 'DMN L2 1e-5 vs 1e-4 on tasks 2, 3'),
    Entry('dmnplus_pe_form', f'{_H}:dmnplus_pe_form', 'runs/dmnplus_pe_form',
          "DMN+ 1k: the MemN2N authors' position encoding"),
    Entry('dmnplus_l2', f'{_H}:dmnplus_l2', 'runs/dmnplus_l2', 'DMN+ 1k: L2 on tasks 16, 17, 19'),
    Entry('dmnplus_dropout', f'{_H}:dmnplus_dropout', 'runs/dmnplus_dropout',
          'DMN+ 1k: dropout 0.1 vs 0.3'),
    # Finished tables (for --tables; a cell superseded later would train here).
    Entry('table1', 'experiments/configs/babi_sweep.py', 'runs/babi_sweep',
          'DMN Table 1, 20 tasks x 5 seeds (results/babi_1k_dmn)'),
    Entry('dmnplus_1k', 'experiments/configs/babi_dmnplus_sweep.py:1k', 'runs/dmnplus_1k',
          'DMN+ on bAbI 1k, answers only and gate-supervised'),
    Entry('dmnplus_l2_10k', f'{_H}:dmnplus_l2_10k', 'runs/dmnplus_l2_10k',
          'DMN+ 10k task 17: L2 1e-3 / 1e-4 / 0'),
    Entry('paper_model', f'{_H}:paper_model', 'runs/babi_hard',
          'DMN paper model on tasks 2, 3 (Table 1 column)'),
    Entry('memn2n_recipe', 'experiments/configs/babi_memn2n_recipe.py',
          'runs/babi_memn2n_recipe', "MemN2N: the authors' recipe item by item on 4, 6, 16"),
] + [Entry(s, f'{_H}:{s}', 'runs/babi_hard', what) for s, what in (
    ('fact_fusion', 'DMN: backward fusion GRU vs forward facts'),
    ('fact_time', 'DMN: fact recency vectors'),
    ('dropout_t1', 'DMN: embedding dropout 0.1 vs 0.3, hard tasks'),
    ('dropout_a5', 'DMN task 3: dropout under alpha = 5'),
    ('gate_weight_t1', 'DMN: gate loss weight 1 vs 5, hard tasks'),
    ('hidden_t1', 'DMN tasks 2, 3: hidden 80 vs 128'),
)]
