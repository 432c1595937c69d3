"""bAbI v1.2 QA tasks: parsing, vocabulary, fixed-shape padded numpy arrays. No JAX here.

File format (Weston et al. 2015): one sentence per line, `<id> <text>`; a question line is
`<id> <question>\\t<answer>\\t<supporting ids>`. Ids restart at 1 when a new story begins.
Answers of tasks 8 and 19 are comma-separated lists ("apple,milk", "n,w"): they are decoded as
token sequences followed by an end-of-sequence token.

Arrays of one split (`encode`), per example (B examples):

  story          <int32>[B, S]  the story's statements (before the question) as one token stream
  story_mask     <bool>[B, S]
  fact_pos       <int32>[B, F]  position in `story` of each sentence's last token
  fact_mask      <bool>[B, F]
  question       <int32>[B, Q]
  question_mask  <bool>[B, Q]
  answer         <int32>[B, A]  answer tokens (+ EOS when the task has multi-token answers)
  answer_mask    <bool>[B, A]
  supports       <int32>[B, P]  supporting facts as indices into the F facts, in the order the
                                 question line lists them (the reasoning order)
  support_mask   <bool>[B, P]
"""

from __future__ import annotations

import dataclasses
import glob
import logging
import os
from typing import Sequence

import numpy as np

from dmn_jax.data import download
from dmn_jax.data import io
from dmn_jax.errors import DataError
from dmn_jax.data.vocab import EOS_ID, Vocab, tokenize

TASK_NAMES = {
    1: 'single-supporting-fact', 2: 'two-supporting-facts', 3: 'three-supporting-facts',
    4: 'two-arg-relations', 5: 'three-arg-relations', 6: 'yes-no-questions', 7: 'counting',
    8: 'lists-sets', 9: 'simple-negation', 10: 'indefinite-knowledge',
    11: 'basic-coreference', 12: 'conjunction', 13: 'compound-coreference',
    14: 'time-reasoning', 15: 'basic-deduction', 16: 'basic-induction',
    17: 'positional-reasoning', 18: 'size-reasoning', 19: 'path-finding',
    20: 'agents-motivations',
}
SPLIT_NAMES = ('train', 'dev', 'test')


@dataclasses.dataclass(frozen=True)
class Example:
  """One question with the story before it (tokenised)."""
  story: tuple[tuple[str, ...], ...]   # statements, oldest first
  question: tuple[str, ...]
  answer: tuple[str, ...]
  supports: tuple[int, ...]            # indices into `story`, as the question line lists them
  story_id: int = 0                    # which story of its file (0, 1, ...)
  source: str = ''                     # 'path:line' of the question, for messages


@dataclasses.dataclass(frozen=True)
class DataSpec:
  """Static facts about a task's arrays: everything a model needs to pick its shapes."""
  vocab: Vocab
  max_story_tokens: int   # S
  max_facts: int          # F
  max_question: int       # Q
  answer_len: int         # A (1 for one-word answers; longest answer + 1 for EOS otherwise)
  max_supports: int       # P
  multi_token: bool       # whether answers are sequences ended by EOS
  # Pretrained word vectors <float32>[V, D] (GloVe), or None (see `dmn_jax.data.Spec`).
  embed_init: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)

  @property
  def vocab_size(self) -> int:
    return len(self.vocab)

  @property
  def answer_vocab_size(self) -> int:   # answers are words of the input vocabulary
    return len(self.vocab)


def parse_file(path: str) -> list[Example]:
  """Parses one bAbI file into examples (one per question line).

  Raises:
    DataError: naming `path:line` for a malformed line, an id out of sequence, or a
      supporting-fact id that is not an earlier statement of the same story.
  """
  examples = []
  statements: list[tuple[str, ...]] = []
  line_to_fact: dict[int, int] = {}
  prev_id = 0
  story_id = -1
  lines = [l.rstrip('\r\n') for l in io.read_lines(path)]
  for lineno, line in enumerate(lines, start=1):
    where = f'{path}:{lineno}'
    if not line.strip():
      continue
    head, _, rest = line.partition(' ')
    if not head.isdigit() or not rest.strip():
      raise DataError(f"{where}: expected '<id> <text>', got {line!r}")
    line_id = int(head)
    if line_id == 1:
      statements, line_to_fact = [], {}
      story_id += 1
    elif line_id != prev_id + 1:
      raise DataError(f'{where}: line id {line_id} does not follow {prev_id} '
                      f'(ids count up from 1 within a story), got {line!r}')
    prev_id = line_id
    if '\t' not in rest and rest.rstrip().endswith('?'):
      raise DataError(f"{where}: a question without its answer: expected '<id> <question>\\t"
                      f"<answer>\\t<supporting ids>' (tab-separated), got {line!r}")
    if '\t' not in rest:
      line_to_fact[line_id] = len(statements)
      statements.append(tuple(tokenize(rest)))
      continue
    fields = rest.split('\t')
    if len(fields) != 3 or not fields[1].strip():
      raise DataError(f"{where}: expected '<id> <question>\\t<answer>\\t<supporting ids>', "
                      f'got {line!r}')
    question, answer, support_text = fields
    supports = []
    for tok in support_text.split():
      if not tok.isdigit() or int(tok) not in line_to_fact:
        raise DataError(f'{where}: supporting id {tok!r} is not an earlier statement of this '
                        f'story, got {line!r}')
      supports.append(line_to_fact[int(tok)])
    answer_tokens = tuple(t for part in answer.split(',') for t in tokenize(part))
    examples.append(Example(story=tuple(statements), question=tuple(tokenize(question)),
                            answer=answer_tokens, supports=tuple(supports), story_id=story_id,
                            source=where))
  if not examples:
    raise DataError(f'{path}: no question lines found (is this a bAbI file?)')
  return examples


def task_files(data_dir: str, babi_set: str, task: int, train_fallback: str | None = None
               ) -> dict[str, str]:
  """Returns {'train': path, 'test': path} of task `task` in `<data_dir>/babi/<babi_set>/`.

  `train_fallback` (e.g. 'en'): a set whose training file stands in for a missing one (the
  shipped en-10k lacks qa3's); without it a missing file is an error.
  """
  if task not in TASK_NAMES:
    raise DataError(f'bAbI task must be 1..20, got {task!r}')
  folder = os.path.join(data_dir, 'babi', babi_set)
  if not os.path.isdir(folder):
    sets = sorted(os.listdir(os.path.join(data_dir, 'babi'))) if os.path.isdir(
        os.path.join(data_dir, 'babi')) else []
    raise DataError(f'bAbI folder {folder} does not exist (sets found: {sets or "none"}); '
                    'set config.data_dir or $DMN_DATA_DIR to the folder that holds babi/<set>/.')
  out = {}
  for split in ('train', 'test'):
    matches = sorted(glob.glob(os.path.join(folder, f'qa{task}_*_{split}.txt')))
    if not matches and split == 'train' and train_fallback:
      matches = sorted(glob.glob(os.path.join(data_dir, 'babi', train_fallback,
                                              f'qa{task}_*_{split}.txt')))
    if len(matches) != 1:
      raise DataError(f'expected one file {folder}/qa{task}_<name>_{split}.txt, found '
                      f'{matches or "none"}')
    out[split] = matches[0]
  return out


def split_dev(examples: Sequence[Example], fraction: float, seed: int
              ) -> tuple[list[Example], list[Example]]:
  """Holds out `fraction` of the STORIES (a fixed random subset for `seed`) as dev.

  The split is by story, not by question: questions of one story share its facts (and often its
  answers), so a question-level split would leak training stories into dev.
  """
  if not 0 <= fraction < 1:
    raise ValueError(f'dev fraction must be in [0, 1), got {fraction}')
  stories = sorted({e.story_id for e in examples})
  n_dev = int(round(len(stories) * fraction))
  perm = np.random.default_rng(seed).permutation(len(stories))
  dev_stories = {stories[i] for i in perm[:n_dev].tolist()}
  train = [e for e in examples if e.story_id not in dev_stories]
  dev = [e for e in examples if e.story_id in dev_stories]
  return train, dev


def truncate_story(ex: Example, max_facts: int) -> Example:
  """Keeps the `max_facts` most recent statements; supports that fall out are dropped."""
  drop = len(ex.story) - max_facts
  if drop <= 0:
    return ex
  supports = tuple(s - drop for s in ex.supports if s >= drop)
  return dataclasses.replace(ex, story=ex.story[drop:], supports=supports)


def make_spec(vocab: Vocab, splits: Sequence[Sequence[Example]]) -> DataSpec:
  """Shapes that hold every example of every split (one compile per task)."""
  every = [e for split in splits for e in split]
  max_answer = max(len(e.answer) for e in every)
  multi = max_answer > 1
  return DataSpec(
      vocab=vocab,
      max_story_tokens=max(1, max(sum(len(s) for s in e.story) for e in every)),
      max_facts=max(1, max(len(e.story) for e in every)),
      max_question=max(len(e.question) for e in every),
      answer_len=max_answer + 1 if multi else 1,
      max_supports=max(1, max(len(e.supports) for e in every)),
      multi_token=multi)


def encode(examples: Sequence[Example], spec: DataSpec) -> dict[str, np.ndarray]:
  """Encodes examples into the fixed-shape arrays described in the module docstring."""
  n = len(examples)
  v = spec.vocab
  arr = {
      'story': np.zeros((n, spec.max_story_tokens), np.int32),
      'story_mask': np.zeros((n, spec.max_story_tokens), bool),
      'fact_pos': np.zeros((n, spec.max_facts), np.int32),
      'fact_mask': np.zeros((n, spec.max_facts), bool),
      'question': np.zeros((n, spec.max_question), np.int32),
      'question_mask': np.zeros((n, spec.max_question), bool),
      'answer': np.zeros((n, spec.answer_len), np.int32),
      'answer_mask': np.zeros((n, spec.answer_len), bool),
      'supports': np.zeros((n, spec.max_supports), np.int32),
      'support_mask': np.zeros((n, spec.max_supports), bool),
  }
  for i, ex in enumerate(examples):
    tokens = [t for s in ex.story for t in s]
    if len(tokens) > spec.max_story_tokens or len(ex.story) > spec.max_facts:
      raise DataError(f'{ex.source}: story of {len(ex.story)} sentences / {len(tokens)} tokens '
                      f'exceeds the task shape ({spec.max_facts} / {spec.max_story_tokens})')
    arr['story'][i, :len(tokens)] = v.encode(tokens)
    arr['story_mask'][i, :len(tokens)] = True
    ends = np.cumsum([len(s) for s in ex.story]) - 1
    arr['fact_pos'][i, :len(ends)] = ends
    arr['fact_mask'][i, :len(ends)] = True
    q = ex.question[:spec.max_question]
    arr['question'][i, :len(q)] = v.encode(q)
    arr['question_mask'][i, :len(q)] = True
    ans = v.encode(ex.answer[:spec.answer_len - int(spec.multi_token)])
    if spec.multi_token:
      ans = ans + [EOS_ID]
    arr['answer'][i, :len(ans)] = ans
    arr['answer_mask'][i, :len(ans)] = True
    sup = ex.supports[:spec.max_supports]
    arr['supports'][i, :len(sup)] = sup
    arr['support_mask'][i, :len(sup)] = True
  return arr


def load_task(data_dir: str | None, task: int, babi_set: str = 'en', dev_fraction: float = 0.1,
              dev_seed: int = 0, max_facts: int | None = None
              ) -> tuple[dict[str, dict[str, np.ndarray]], DataSpec]:
  """Loads one bAbI task as {'train','dev','test'} arrays and their `DataSpec`.

  Args:
    data_dir: folder holding `babi/<babi_set>/`; None means `$DMN_DATA_DIR`, else a download
      into the cache (see `dmn_jax.data.download`).
    task: 1..20.
    babi_set: `en`, `en-10k`, or any folder with the v1.2 file names.
    dev_fraction: share of the training file's stories held out as dev (fixed by `dev_seed`).
    max_facts: keep only the most recent statements of each story (None: keep all).
  """
  data_dir = download.resolve_data_dir(data_dir)
  files = task_files(data_dir, babi_set, task)
  train_all = parse_file(files['train'])
  test = parse_file(files['test'])
  train, dev = split_dev(train_all, dev_fraction, dev_seed)
  splits = {'train': train, 'dev': dev, 'test': test}
  if max_facts is not None:
    for name, exs in splits.items():
      cut = sum(len(e.story) > max_facts for e in exs)
      if cut:
        logging.info('bAbI task %d %s: %d of %d stories truncated to the last %d sentences',
                     task, name, cut, len(exs), max_facts)
      splits[name] = [truncate_story(e, max_facts) for e in exs]
  # Vocabulary from the training file (train + dev); test words never seen map to <unk>.
  vocab = Vocab.build([t for s in e.story for t in s] + list(e.question) + list(e.answer)
                      for e in train_all)
  spec = make_spec(vocab, list(splits.values()))
  return {name: encode(exs, spec) for name, exs in splits.items()}, spec
