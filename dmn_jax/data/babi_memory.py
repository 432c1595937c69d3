"""bAbI as sentence memories, for the End-To-End Memory Network (Sukhbaatar et al. 2015). No JAX.

The same parsed examples as `dmn_jax.data.babi` (parser, dev split by story, vocabulary), laid
out per sentence instead of as one word stream:

  memory         <int32>[B, M, J]  the M most recent statements, MOST RECENT FIRST (slot i holds
                                   x_{i+1} of the paper, whose temporal index counts backwards)
  memory_mask    <bool>[B, M]      real (True) vs empty slots
  question       <int32>[B, Jq]
  answer         <int32>[B]        one answer word; a list answer ("apple,milk") is one combined
                                   word of the vocabulary, as in the paper
  supports       <int32>[B, P]     supporting statements as memory slots
  support_mask   <bool>[B, P]
  task           <int32>[B]        bAbI task number (joint training mixes tasks)

Word id 0 is the null symbol (padding); it never gets an embedding (see `models.memn2n`).
Several tasks load into one set of arrays with one vocabulary (`load_tasks`, joint training).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from dmn_jax.data import babi, download
from dmn_jax.data.vocab import Vocab
from dmn_jax.errors import DataError


@dataclasses.dataclass(frozen=True)
class MemorySpec:
  vocab: Vocab
  memory_size: int          # M
  sentence_len: int         # J
  question_len: int         # Jq
  max_supports: int         # P
  answer_ids: tuple[int, ...]  # the vocabulary ids that occur as answers (train + dev + test)
  tasks: tuple[int, ...]
  embed_init = None         # no pretrained vectors (see `dmn_jax.data.Spec`)

  @property
  def vocab_size(self) -> int:
    return len(self.vocab)

  @property
  def answer_vocab_size(self) -> int:   # answers are words of the input vocabulary
    return len(self.vocab)


def answer_word(ex: babi.Example) -> str:
  """The answer as one vocabulary word: 'apple' or, for lists, 'apple,milk'."""
  return ','.join(ex.answer)


def make_spec(vocab: Vocab, splits: Sequence[Sequence[babi.Example]], memory_size: int,
              tasks: Sequence[int]) -> MemorySpec:
  every = [e for split in splits for e in split]
  return MemorySpec(
      vocab=vocab, memory_size=memory_size,
      sentence_len=max(1, max((len(s) for e in every for s in e.story), default=1)),
      question_len=max(len(e.question) for e in every),
      max_supports=max(1, max(len(e.supports) for e in every)),
      answer_ids=tuple(sorted({vocab.encode([answer_word(e)])[0] for e in every})),
      tasks=tuple(tasks))


def encode(examples: Sequence[babi.Example], spec: MemorySpec, tasks: Sequence[int]
           ) -> dict[str, np.ndarray]:
  """Arrays of the module docstring; `tasks[i]` is example i's task number."""
  n, m, j, v = len(examples), spec.memory_size, spec.sentence_len, spec.vocab
  arr = {
      'memory': np.zeros((n, m, j), np.int32),
      'memory_mask': np.zeros((n, m), bool),
      'question': np.zeros((n, spec.question_len), np.int32),
      'answer': np.zeros((n,), np.int32),
      'supports': np.zeros((n, spec.max_supports), np.int32),
      'support_mask': np.zeros((n, spec.max_supports), bool),
      'task': np.asarray(tasks, np.int32).reshape(n),
  }
  for i, ex in enumerate(examples):
    if len(ex.story) > m:
      raise DataError(f'{ex.source}: {len(ex.story)} statements exceed the memory size {m} '
                      '(load with memory_size >= the longest story, or truncate)')
    recent_first = ex.story[::-1]
    for slot, sentence in enumerate(recent_first):
      if len(sentence) > j:
        raise DataError(f'{ex.source}: a statement of {len(sentence)} words exceeds {j}')
      arr['memory'][i, slot, :len(sentence)] = v.encode(sentence)
    arr['memory_mask'][i, :len(ex.story)] = True
    q = ex.question[:spec.question_len]
    arr['question'][i, :len(q)] = v.encode(q)
    arr['answer'][i] = v.encode([answer_word(ex)])[0]
    slots = [len(ex.story) - 1 - s for s in ex.supports[:spec.max_supports]]
    arr['supports'][i, :len(slots)] = slots
    arr['support_mask'][i, :len(slots)] = True
  return arr


PUNCTUATION = ('.', '?')


def drop_punctuation(ex: babi.Example) -> babi.Example:
  """The example without '.' and '?' tokens (the authors' parser strips them from every word)."""
  keep = lambda words: tuple(w for w in words if w not in PUNCTUATION)
  return dataclasses.replace(ex, story=tuple(keep(s) for s in ex.story),
                             question=keep(ex.question))


def split_dev_last(examples: Sequence[babi.Example], fraction: float
                   ) -> tuple[list[babi.Example], list[babi.Example]]:
  """The authors' split: the last `fraction` of the file's QUESTIONS is the validation set
  (train_range = 1..floor(0.9 N) in their bAbI code)."""
  n_train = int(np.floor((1 - fraction) * len(examples)))
  return list(examples[:n_train]), list(examples[n_train:])


def load_tasks(data_dir: str | None, tasks: Sequence[int], babi_set: str = 'en',
               dev_fraction: float = 0.1, dev_seed: int = 0, memory_size: int = 50,
               train_fallback: str | None = None, dev_split: str = 'stories',
               punctuation: bool = True, fit_memory: bool = False
               ) -> tuple[dict[str, dict[str, np.ndarray]], MemorySpec]:
  """Loads bAbI tasks as {'train', 'dev', 'test'} memory arrays with one shared vocabulary.

  Each story keeps its `memory_size` most recent statements (the paper: 50); supporting facts that
  fall out are dropped. The vocabulary is built from the training files (train + dev) and holds
  every training answer as one word; test words never seen map to <unk>. `train_fallback`: see
  `babi.task_files`.

  dev_split: 'stories' (a random `dev_fraction` of the training file's stories, `babi.split_dev`)
    or 'last' (its last `dev_fraction` of questions, as the authors' code).
  punctuation: False drops the '.' and '?' tokens (as the authors' parser).
  fit_memory: the memory holds min(memory_size, the longest training story) slots (the authors'
    `config.sz`), not memory_size; what matters when empty slots take part in the attention.
  """
  if dev_split not in ('stories', 'last'):
    raise ValueError(f"dev_split must be 'stories' or 'last', got {dev_split!r}")
  data_dir = download.resolve_data_dir(data_dir)
  per_split: dict[str, list] = {'train': [], 'dev': [], 'test': []}
  task_of: dict[str, list[int]] = {'train': [], 'dev': [], 'test': []}
  vocab_text = []
  for task in tasks:
    files = babi.task_files(data_dir, babi_set, task, train_fallback)
    train_all = babi.parse_file(files['train'])
    test = babi.parse_file(files['test'])
    if not punctuation:
      train_all, test = [drop_punctuation(e) for e in train_all], [drop_punctuation(e) for e in test]
    if dev_split == 'last':
      train, dev = split_dev_last(train_all, dev_fraction)
    else:
      train, dev = babi.split_dev(train_all, dev_fraction, dev_seed)
    for name, exs in (('train', train), ('dev', dev), ('test', test)):
      per_split[name] += exs
      task_of[name] += [task] * len(exs)
    vocab_text += [[t for s in e.story for t in s] + list(e.question) + list(e.answer)
                   + [answer_word(e)] for e in train_all]
  if fit_memory:
    memory_size = min(memory_size, max(len(e.story) for e in per_split['train'] + per_split['dev']))
  per_split = {name: [babi.truncate_story(e, memory_size) for e in exs]
               for name, exs in per_split.items()}
  vocab = Vocab.build(vocab_text)
  spec = make_spec(vocab, list(per_split.values()), memory_size, tasks)
  return {name: encode(exs, spec, task_of[name]) for name, exs in per_split.items()}, spec
