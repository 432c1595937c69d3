"""Published figures the results tables cite (copied from the papers; never read at run time).

Kumar et al. 2016, "Ask Me Anything: Dynamic Memory Networks for NLP", Table 1: bAbI 1k test
accuracy (%) of the DMN and of MemNN (Weston et al. 2015a), per task.
"""

DMN_TABLE1_BABI_1K = {
    1: 100, 2: 98.2, 3: 95.2, 4: 100, 5: 99.3, 6: 100, 7: 96.9, 8: 96.5, 9: 100, 10: 97.5,
    11: 99.9, 12: 100, 13: 99.8, 14: 100, 15: 100, 16: 99.4, 17: 59.6, 18: 95.3, 19: 34.5,
    20: 100,
}
MEMNN_TABLE1_BABI_1K = {
    1: 100, 2: 100, 3: 100, 4: 100, 5: 98, 6: 100, 7: 85, 8: 91, 9: 100, 10: 98, 11: 100,
    12: 100, 13: 100, 14: 99, 15: 100, 16: 100, 17: 65, 18: 95, 19: 36, 20: 100,
}
DMN_TABLE1_MEAN = 93.6
DMN_TABLE1_TASKS_OVER_95 = 18
MEMNN_TABLE1_MEAN = 93.3
MEMNN_TABLE1_TASKS_OVER_95 = 16

# Kumar et al. 2016, Table 4: test accuracy (%) by the maximum number of episodic passes.
TABLE4_PASSES = (0, 1, 2, 3, 5)
DMN_TABLE4_BABI = {
    3: (0, 0, 16.7, 64.7, 95.2),
    7: (48.8, 48.8, 49.1, 83.4, 96.9),
    8: (33.6, 54.0, 55.6, 83.4, 96.5),
}

# Sukhbaatar et al. 2015, "End-To-End Memory Networks", Table 1: bAbI 1k test ERROR (%) per task
# 1..20, with the mean error and failed tasks (error > 5%) in 1k and 10k training.
MEMN2N_TABLE1_ERROR = {
    'PE LS RN': (0.0, 8.3, 40.3, 2.8, 13.1, 7.6, 17.3, 10.0, 13.2, 15.1, 0.9, 0.2, 0.4, 1.7, 0.0,
                 1.3, 51.0, 11.1, 82.8, 0.0),
    'PE LS RN joint': (0.0, 11.4, 21.9, 13.4, 14.4, 2.8, 18.3, 9.3, 1.9, 6.5, 0.3, 0.1, 0.2, 6.9,
                       0.0, 2.7, 40.4, 9.4, 88.0, 0.0),
    '1 hop PE LS joint': (0.8, 62.0, 76.9, 22.8, 11.0, 7.2, 15.9, 13.2, 5.1, 10.6, 8.4, 0.4, 6.3,
                          36.9, 46.4, 47.4, 44.4, 9.6, 90.7, 0.0),
    '2 hops PE LS joint': (0.0, 15.6, 31.6, 2.2, 13.4, 2.3, 25.4, 11.7, 2.0, 5.0, 1.2, 0.0, 0.2,
                           8.1, 0.5, 51.3, 41.2, 10.3, 89.9, 0.1),
    '3 hops PE LS joint': (0.1, 14.0, 33.1, 5.7, 14.8, 3.3, 17.9, 10.1, 3.1, 6.6, 0.9, 0.3, 1.4,
                           8.2, 0.0, 3.5, 44.5, 9.2, 90.2, 0.0),
}
MEMN2N_TABLE1_SUMMARY = {  # (mean error 1k, failed tasks 1k, mean error 10k, failed tasks 10k)
    'PE LS RN': (13.9, 11, 6.6, 4),
    'PE LS RN joint': (12.4, 11, 7.5, 6),
    '1 hop PE LS joint': (25.8, 17, 24.5, 16),
    '2 hops PE LS joint': (15.6, 11, 10.9, 7),
    '3 hops PE LS joint': (13.3, 11, 7.9, 6),
}

# Sukhbaatar et al. 2015, Table 2: Penn Treebank perplexity (validation, test) of the MemN2N
# language model by (hidden, hops, memory size), and the paper's baselines.
MEMN2N_TABLE2_PTB = {
    (150, 2, 100): (128, 121), (150, 3, 100): (129, 122), (150, 4, 100): (127, 120),
    (150, 5, 100): (127, 118), (150, 6, 100): (122, 115), (150, 7, 100): (120, 114),
    (150, 6, 25): (125, 118), (150, 6, 50): (121, 114), (150, 6, 75): (122, 114),
    (150, 6, 125): (120, 112), (150, 6, 150): (121, 114), (150, 7, 200): (118, 111),
}
PTB_BASELINES = {'RNN (300 hidden)': (133, 129), 'LSTM (100 hidden)': (120, 115),
                 'SCRN (100 hidden)': (120, 115)}

# Kumar et al. 2016, Table 2: Stanford Sentiment Treebank test accuracy (%), (binary, fine).
DMN_TABLE2_SST = {
    'MV-RNN': (82.9, 44.4), 'RNTN': (85.4, 45.7), 'DCNN': (86.8, 48.5), 'PVec': (87.8, 48.7),
    'CNN-MC': (88.1, 47.4), 'DRNN': (86.6, 49.8), 'CT-LSTM': (88.0, 51.0), 'DMN': (88.6, 52.1),
}
# Kumar et al. 2016, Table 4: SST fine-grained test accuracy (%) by the number of passes.
DMN_TABLE4_SST_FINE = {0: 50.0, 1: 51.5, 2: 52.1, 3: 50.1}
# Kumar et al. 2016, Table 3: WSJ (sections 22-24 test) POS accuracy (%); a different test set
# from UD English-EWT, cited for context only.
DMN_TABLE3_WSJ_POS = {'SVMTool': 97.15, 'Sogaard': 97.27, 'Suzuki et al.': 97.4,
                      'Spoustova et al.': 97.44, 'SCNN': 97.5, 'DMN (ensemble of 4)': 97.56,
                      'DMN single model dev': 97.5}
# UD English-EWT XPOS test accuracy (%) of published taggers on the same data, the figures the
# project's issue 6 cites for comparison (UDPipe 2 and spaCy).
EWT_XPOS_BASELINES = {'UDPipe 2': 97.17, 'spaCy': 96.36}

# Xiong, Merity & Socher 2016, "Dynamic Memory Networks for Visual and Textual Question
# Answering" (DMN+), Table 2: bAbI 10k test ERROR (%) per task, trained without supporting-fact
# supervision; mean error 2.8, one failed task (16). The paper reports no 1k results.
DMNPLUS_BABI_10K_ERROR = {t: 0.0 for t in range(1, 21)}
DMNPLUS_BABI_10K_ERROR.update({2: 0.3, 3: 1.1, 5: 0.5, 7: 2.4, 14: 0.2, 16: 45.3, 17: 4.2, 18: 2.1})
DMNPLUS_BABI_10K_MEAN_ERROR = 2.8
DMNPLUS_BABI_10K_FAILED = 1
# Public reimplementations' reported test errors (%) on bAbI 10k, as their READMEs give them
# (only the tasks they name): a PyTorch port (task 3 at 89.2% accuracy, 17 at 86.4%) and a
# TensorFlow port (task 3 at 18.4% error).
DMNPLUS_PORTS_10K_ERROR = {'PyTorch port': {3: 10.8, 17: 13.6}, 'TensorFlow port': {3: 18.4}}
