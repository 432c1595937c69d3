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
