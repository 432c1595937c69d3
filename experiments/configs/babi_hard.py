r"""Sweep: config choices for the hard bAbI tasks, compared on DEV accuracy over seeds
-> results/babi_hard_dmn_<key>.{md,json}.

  python -m experiments.babi_sweep --config=experiments/configs/babi_hard.py:fact_fusion \
      --workdir=runs/babi_hard

The argument names the study: the config key varied and its values (below). Everything else is
each task's config from `experiments/configs/babi.py`; a value that wins on dev goes into
`TASK_OVERRIDES` there (test accuracy is shown for the record, never used to choose).
"""

import ml_collections

from experiments.configs import common

# The paper's model: the options beyond it (softmax-normalised gates, recency vectors) off.
_PAPER_MODEL = {'model': {'gate_norm': 'sigmoid', 'fact_time': False}}
# The tasks below the paper, the Table 1 protocol and seed count (5), compared by the paired
# test on dev (seed by seed, per task and pooled over the 10 tasks; `dmn_jax/results/stats.py`).
# The baseline value of each study is the paper model, whose cells are already archived with
# these exact configs (Table 1's rows; `paper_model` for tasks 2 and 3) and so are reused, not
# trained again: a study trains its other value only.
_HARD10 = {'tasks': '5,6,9,10,13,17,18,19,2,3', 'table1': True, 'num_seeds': 5}

_BEST_BY_NOTE = (
    '**Caution**: `best_by=accuracy` keeps each restart at its epoch of highest dev accuracy, '
    'the very figure compared, so its dev means are biased upwards against the `loss` rule\'s: '
    'the paired test on dev above is no evidence for it. The test columns (the record) say '
    'whether it helps.')

STUDIES = {
    # DMN+ input fusion (a backward GRU over the facts) vs the paper's forward-only facts; run
    # before fact_time was adopted, so it is pinned off here.
    # Studies pin α = 1 where they ran before task 3 adopted α = 5 (from `gate_weight_t1`), and
    # embedding dropout 0.1 where they ran before tasks 2 and 3 adopted 0.3 (from `dropout_t1`
    # and `dropout_a5`); a pinned value equal to a task's own changes nothing for it.
    'fact_fusion': ('model.fact_fusion', ('none', 'bigru'),
                    {'model': {'fact_time': False, 'dropout': 0.1}, 'train': {'gate_weight': 1.0}}),
    # Learned recency vectors added to the facts (MemN2N's temporal encoding) vs none.
    'fact_time': ('model.fact_time', (False, True),
                  {'model': {'dropout': 0.1}, 'train': {'gate_weight': 1.0}}),
    # Learned end-of-passes stop (paper §2.3) vs fixed passes.
    'end_pass': ('model.end_pass', (False, True)),
    # Weight α of the gate loss (β = 1).
    'gate_weight': ('train.gate_weight', (1.0, 5.0)),
    # Embedding dropout.
    'dropout': ('model.dropout', (0.1, 0.3)),
    # Tasks below the paper in Table 1, with the Table 1 protocol (its epochs and patience, 3
    # seeds): the default value's cells are the first 3 seeds of the Table 1 runs, not retrained.
    # Tasks 17 and 19 overfit (dev far below train; best epochs early): more embedding dropout.
    # Tasks 5, 6, 9, 10, 13 and 14 (0.1-2.2 points below the paper) beside them; task 2 last.
    # Run under α = 1 (pinned): tasks 3, 13 and 19 adopted α = 5 from `gate_weight_t1` after it.
    'dropout_t1': ('model.dropout', (0.1, 0.3), {'train': {'gate_weight': 1.0}},
                   {'tasks': '17,18,19,5,6,9,10,13,14,3,2', 'table1': True}),
    # Task 18's gates pick the supporting facts only 58-72% of the time on test: a heavier gate
    # loss (α = 5); tasks 19 and 2 (its second pass's gate is its weak point) beside it.
    # Tasks 5, 6, 9, 10, 13 and 14 sit 0.1-2.2 points below the paper, and their test accuracy
    # follows their gates' (tasks 6, 9, 10: gates right on 94-97% of test questions).
    'gate_weight_t1': ('train.gate_weight', (1.0, 5.0), {'model': {'dropout': 0.1}},
                       {'tasks': '18,19,2,5,6,9,10,13,14,3', 'table1': True}),
    # Tasks 3 and 2 (the largest gaps, 16.6 and 6.9 points): a wider GRU state (the paper's
    # freedom; its bAbI hidden size is 80), task 3 also under α = 5 and dropout 0.3 above.
    'hidden_t1': ('model.hidden', (80, 128), {'model': {'dropout': 0.1}},
                  {'tasks': '3,2', 'table1': True}),
    # Task 3 under its adopted α = 5 (dropout_t1 ran it at α = 1, where 0.3 gave dev 80.3 vs 72.3).
    'dropout_a5': ('model.dropout', (0.1, 0.3), {}, {'tasks': '3', 'table1': True}),
    # The same two tasks overfit 1k examples (train accuracy ~100%, dev 81-92%): a 10x heavier
    # L2 penalty (½λ‖θ‖² in the gradient, λ = 1e-4 vs the default 1e-5).
    'l2_t1': ('train.l2', (1e-5, 1e-4), {'model': {'dropout': 0.1}},
              {'tasks': '2,3', 'table1': True}),
    # The paper-model column of Table 1 (issue 18) for the two tasks whose rows use options
    # beyond the paper (softmax-normalised gates, recency vectors): the paper's sigmoid gates
    # and no recency, every other setting the row's; the Table 1 protocol and seed count.
    'paper_model': ('model.gate_norm', ('sigmoid',), {'model': {'fact_time': False}},
                    {'tasks': '2,3', 'table1': True, 'num_seeds': 5}),
    # Issue 18's comparisons, on the PAPER MODEL (only options the paper describes: sigmoid gates,
    # no recency vectors; each task's α, dropout and passes as adopted), the Table 1 protocol,
    # 5 seeds, on the tasks below the paper. `python -m experiments.babi_sweep
    # --config=experiments/configs/babi_hard.py:<study> --workdir=runs/babi_hard`.
    # The softmax episode ("a simple softmax instead of a GRU ... achieves better results", §2.5)
    # vs the attention GRU.
    'attention_pm': ('model.attention', ('gru', 'softmax'), _PAPER_MODEL, _HARD10),
    # Gate supervision as a per-gate binary CE on σ(g) vs the softmax CE over the facts' scores.
    'gate_loss_pm': ('model.gate_loss', ('softmax', 'bce'), _PAPER_MODEL, _HARD10),
    # Gates first ("we begin training with α set to 1 and β set to 0, and then later switch β
    # to 1", §4.1): answers from epoch 10, vs both from epoch 0.
    'schedule_pm': ('train.answer_start_epoch', (0, 10), _PAPER_MODEL, _HARD10),
    # DMN+ on 1k, answers only (issue 19): its tasks above 5% error stop early on the paper's
    # lowest-dev-loss rule (the dev loss rises while the accuracy still climbs on 1k): the best
    # dev accuracy instead, at the table's patience (so the 'loss' cells are the table's rows).
    # The tasks nothing else was tried on come first.
    'dmnplus_best_by': ('train.best_by', ('loss', 'accuracy'), {},
                        {'tasks': '2,3,5,7,13,17,18,19,6,9,10,14,15,16', 'table1': True,
                         'run_config': 'babi_dmnplus', 'out': 'results/babi_1k_dmnplus_best_by',
                         'note': _BEST_BY_NOTE}),
    # DMN+ on 1k, answers only: the MemN2N authors' position encoding (one J for every
    # sentence) decides MemN2N's task 16 (results/babi_memn2n_recipe.md); the same switch here.
    'dmnplus_pe_form': ('model.pe_form', ('sentence', 'authors'), {},
                        {'tasks': '16,9,6,14,15,10,13,7', 'table1': True,
                         'run_config': 'babi_dmnplus', 'out': 'results/babi_1k_dmnplus_pe_form'}),
    # DMN+ on 1k, answers only: most tasks above 5% error overfit (training accuracy 0.93-1.0
    # at the stop, dev 0.6-0.85): three times the dropout.
    'dmnplus_dropout': ('model.dropout', (0.1, 0.3), {},
                        {'tasks': '6,14,10,9,7,5', 'table1': True,
                         'run_config': 'babi_dmnplus', 'out': 'results/babi_1k_dmnplus_dropout'}),
    # DMN+ on 10k, answers only: task 17 does not even fit its training set under the L2 of
    # the public ports (1e-3 on every weight and bias, added to the gradient before Adam; the
    # paper gives no coefficient): train accuracy 0.50 for 36 epochs on 2 of 3 restarts. One
    # seed, 25 epochs, same seed: L2 1e-4 train 0.71 / dev 0.73, none 0.86 / 0.79
    # (`experiments.babi --config=...babi_dmnplus.py:17,10k --config.num_seeds=1
    # --config.train.num_epochs=25 --config.train.l2=...`).
    # DMN+ on 10k, answers only: the two tasks above 5% error (16: 51.0, the paper 45.3; 17:
    # 18.1, the paper 4.2) under the MemN2N authors' position encoding (one J for every
    # sentence), which decides MemN2N's task 16 (results/babi_memn2n_recipe.md) and changes
    # every word's weight in the positional task 17.
    'dmnplus_pe_form_10k': ('model.pe_form', ('sentence', 'authors'), {},
                            {'tasks': '16,17', 'table1': True, 'run_config': 'babi_dmnplus',
                             'run_arg': '10k', 'out': 'results/babi_10k_dmnplus_pe_form'}),
    # DMN+ on 10k, answers only: tasks 2 and 3 (above 5% error) overfit (at the stop, task 2:
    # train accuracy 0.99, dev 0.93; task 3, which trains on the 1k file: 0.72 / 0.37) and the
    # paper's lowest-dev-loss rule stops them while their dev accuracy still climbs (task 2:
    # best loss at epoch 18, dev accuracy 0.91 then, 0.93 at the stop): best by dev accuracy,
    # the same patience (so the 'loss' cells are the table's rows).
    'dmnplus_best_by_10k': ('train.best_by', ('loss', 'accuracy'), {},
                            {'tasks': '2,3', 'table1': True, 'run_config': 'babi_dmnplus',
                             'run_arg': '10k', 'out': 'results/babi_10k_dmnplus_best_by',
                             'note': _BEST_BY_NOTE}),
    'dmnplus_l2_10k': ('train.l2', (1e-3, 1e-4, 0.0), {},
                       {'tasks': '17', 'table1': True, 'run_config': 'babi_dmnplus',
                        'run_arg': '10k', 'out': 'results/babi_10k_dmnplus_l2'}),
    # DMN+ on 1k, answers only: the tasks that fit neither their training set nor dev (16, 17,
    # 19: training accuracy near the dev's at the stop) under the same L2.
    'dmnplus_l2': ('train.l2', (1e-3, 1e-4, 0.0), {},
                   {'tasks': '17,16,19', 'table1': True, 'run_config': 'babi_dmnplus',
                    'out': 'results/babi_1k_dmnplus_l2'}),
    # The two paper options that lifted the paper model most on task 2 (dev 50.2 -> 81.4 with the
    # softmax episode, -> 80.6 with gates first; 19: 23.2 -> 43.2 and -> 28.6), together: gates
    # first under the softmax episode, whose joint-schedule cells are attention_pm's (reused).
    'schedule_softmax_pm': ('train.answer_start_epoch', (0, 10),
                            {'model': {**_PAPER_MODEL['model'], 'attention': 'softmax'}},
                            {'tasks': '2,19,3', 'table1': True, 'num_seeds': 5}),
    # Gates first under the per-gate BCE (the attention GRU: BCE trains sigmoid gates), the other
    # pairing of gate_loss_pm's and schedule_pm's winners on task 2 (dev 50.2 -> 65.4 with the
    # BCE, -> 80.6 with gates first; 19: 23.2 -> 34.6 and -> 28.6); its joint-schedule cells
    # are gate_loss_pm's (reused).
    'schedule_bce_pm': ('train.answer_start_epoch', (0, 10),
                        {'model': {**_PAPER_MODEL['model'], 'gate_loss': 'bce'}},
                        {'tasks': '2,19,3', 'table1': True, 'num_seeds': 5}),
    # The paper model's tasks 2 and 3 (softmax episode, gates first: the paper-model column's
    # rows) fail on recency (results/babi_gate_errors.md: pass 2 right on 77% of task 2's test
    # questions, most wrong gates on an older move) and overfit their gates (task 2, the chosen
    # seed at its best epoch, its metrics.jsonl: gate accuracy 0.99 on training, 0.93 on dev,
    # pass 2 alone 0.86): a 10x heavier L2 (the paper's per-task freedom); the 1e-5 cells are
    # schedule_softmax_pm's (reused).
    'l2_softmax_pm': ('train.l2', (1e-5, 1e-4),
                      {'model': {**_PAPER_MODEL['model'], 'attention': 'softmax'},
                       'train': {'answer_start_epoch': 10}},
                      {'tasks': '2,3', 'table1': True, 'num_seeds': 5}),
    # GloVe 6B 50d vs random vectors ("word vectors are pre-trained using GloVe", §4.1), both at
    # embedding size 50 (the only GloVe size installed here).
    'glove_pm': ('glove', ('', 'kumo'),
                 {**_PAPER_MODEL, 'model': {**_PAPER_MODEL['model'], 'embed_dim': 50},
                  'train': {'l2_embeddings': 'seen'}}, _HARD10),
}


def get_config(arg='fact_fusion'):
  arg = arg or 'fact_fusion'
  if arg not in STUDIES:
    raise KeyError(f'unknown study {arg!r}; known: {sorted(STUDIES)}')
  key, values, pinned, sweep = (*STUDIES[arg], {}, {})[:4]
  schedule = {} if sweep.get('table1') else {'train': {'num_epochs': 100, 'patience': 25}}
  overrides = ml_collections.ConfigDict(schedule)
  overrides.update(ml_collections.ConfigDict(pinned))    # ConfigDict.update merges nested dicts
  c = common.grid_sweep(
      sweep.get('out', f'results/babi_hard_dmn_{arg}'), tasks=sweep.get('tasks', '2,3'),
      grid_key=key, grid_values=values,
      num_seeds=sweep.get('num_seeds', 3 if sweep.get('table1') else 2),
      run_config=sweep.get('run_config', 'babi'), overrides=overrides.to_dict(),
      run_arg=sweep.get('run_arg', ''))
  if sweep.get('note'):                       # printed under the table
    c.note = sweep['note']
  return c
