"""Ask a trained model your own story: a Python API over a run's workdir or an exported file.

    from dmn_jax import predict
    model = predict.load('runs/babi1')              # a finished workdir (needs the task's data)
    model = predict.load('babi1.dmn')               # or an exported file (needs nothing else)
    a = model.answer('Mary went to the kitchen. John moved to the garden.', 'Where is Mary?')
    a.answer        # 'kitchen'
    a.attention     # <float32>[passes or hops, sentences]: per pass, the weight of each sentence
    a.sentences     # the sentences the model read (oldest first), as it tokenised them
    a.unknown_words # words the model never saw in training (read as the unknown word)
    a.notes         # what was cut to fit the model (oldest sentences, long sentences, ...)

Works for the DMN (the attention is each pass's gate over the facts: σ of the gate scores, or
their softmax with gate_norm='softmax'/attention='softmax'), DMN+ (each pass's softmax gates)
and the MemN2N (each hop's softmax weights over the memories). Text is split into sentences at '.', '!' and line ends (a leading
bAbI line number is dropped) and tokenised as the training data (`dmn_jax.data.vocab.tokenize`).
The answer is computed by the same forward pass, in evaluation mode, as the test accuracy.

Export (`export(path_or_model, out)`, `python -m experiments.export`): one `.npz` file holding
the chosen seed's best params, the vocabulary, the config, the shapes the model was built for,
the training summary and a few example stories, with a format name and version.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import zipfile
from typing import Any

import jax
import ml_collections
import numpy as np

from dmn_jax import workdir as workdir_lib
from dmn_jax.data import babi, babi_memory
from dmn_jax.data.vocab import PAD_ID, Vocab, tokenize
from dmn_jax.errors import ConfigError, DataError
from dmn_jax.models import dmn, dmn_plus, memn2n

FORMAT = 'dmn_jax-model'
VERSION = 1
FAMILIES = ('dmn', 'memn2n', 'dmn_plus')
NAMES = {'dmn': 'DMN', 'memn2n': 'MemN2N', 'dmn_plus': 'DMN+'}
MAX_TEXT = 20_000                     # characters of a story or question accepted

_SENTENCE_RE = re.compile(r'[^.!?\n]+[.!?]*|[.!?]+')


@dataclasses.dataclass
class Answer:
  """A model's answer to one question about one story."""
  answer: str                          # the answer words joined by ' ' (lists by ',')
  words: list[str]
  sentences: list[str]                 # the sentences read, oldest first
  attention: np.ndarray                # <float32>[passes or hops, len(sentences)]
  attention_label: str                 # 'pass' (DMN, DMN+) or 'hop' (MemN2N)
  unknown_words: list[str]
  notes: list[str]
  question: str

  def to_json(self) -> dict[str, Any]:
    return {'answer': self.answer, 'words': self.words, 'sentences': self.sentences,
            'attention': np.round(self.attention.astype(float), 4).tolist(),
            'attention_label': self.attention_label, 'unknown_words': self.unknown_words,
            'notes': self.notes, 'question': self.question}


def split_sentences(text: str) -> list[list[str]]:
  """Plain text -> tokenised sentences: split at '.', '!', '?' and line ends, a leading bAbI
  line number dropped, tokenised as the training data and ended by '.' as bAbI statements are."""
  out = []
  for line in text.splitlines():
    line = re.sub(r'^\s*\d+\s+', '', line)
    for piece in _SENTENCE_RE.findall(line):
      tokens = [t for t in tokenize(piece) if t not in '.!?']
      if tokens:                      # bAbI statements end with '.', whatever ended yours
        out.append(tokens + ['.'])
  return out


class Model:
  """A trained DMN, DMN+ or MemN2N ready to answer: params of one seed, vocabulary, config, shapes."""

  def __init__(self, family: str, config: dict, params: Any, vocab: list[str], shapes: dict,
               summary: dict, examples: list[dict] | None = None, source: str = ''):
    if family not in FAMILIES:
      raise ConfigError(f'{source}: a {family!r} model cannot answer story questions '
                        f'(only {FAMILIES})')
    self.family, self.config, self.summary = family, config, summary
    self.cfg = ml_collections.FrozenConfigDict(workdir_lib.with_neutral_defaults(config))
    self.params = jax.tree.map(np.asarray, params)
    self.vocab = Vocab(tuple(vocab))
    self.shapes = shapes
    self.examples = examples or []
    self.source = source
    self._forward = jax.jit(self._forward_fn)

  # -- description ------------------------------------------------------------------------------
  def describe(self) -> str:
    task = self.config.get('task') or ', '.join(map(str, self.config.get('tasks', [])))
    acc = self.summary.get('test_accuracy')
    return (f"{NAMES[self.family]}, bAbI task {task}"
            + (f', test accuracy {100 * acc:.1f}%' if acc is not None else '')
            + f', vocabulary {len(self.vocab) - 3} words')

  # -- the model's inputs -----------------------------------------------------------------------
  def _fit(self, sentences: list[list[str]], question: list[str]):
    """Cuts the story and question to the shapes the model was built for; returns (sentences,
    question, notes)."""
    notes = []
    s = self.shapes
    limit = s['max_facts'] if self.family == 'dmn' else s['memory_size']
    if len(sentences) > limit:
      notes.append(f'the story has {len(sentences)} sentences; the model reads the most recent '
                   f'{limit}: the first {len(sentences) - limit} were left out')
      sentences = sentences[-limit:]
    if self.family == 'dmn':
      total = sum(map(len, sentences))
      dropped = 0
      while sentences and total > s['max_story_tokens']:
        total -= len(sentences[0])
        sentences = sentences[1:]
        dropped += 1
      if dropped:
        notes.append(f"the story is longer than the model's {s['max_story_tokens']} words: the "
                     f'{dropped} oldest sentence(s) were left out')
      q_limit = s['max_question']
    else:
      j = s['sentence_len']
      long = [i for i, t in enumerate(sentences) if len(t) > j]
      if long:
        notes.append(f'{len(long)} sentence(s) longer than {j} words were cut to their first {j}')
        sentences = [t[:j] for t in sentences]
      q_limit = s['question_len']
    if len(question) > q_limit:
      notes.append(f'the question was cut to its first {q_limit} words')
      question = question[:q_limit]
    return sentences, question, notes

  def _arrays(self, sentences, question) -> dict[str, np.ndarray]:
    ex = babi.Example(story=tuple(map(tuple, sentences)), question=tuple(question), answer=(),
                      supports=(), source='your story')
    s = self.shapes
    if self.family == 'dmn':
      spec = babi.DataSpec(vocab=self.vocab, max_story_tokens=s['max_story_tokens'],
                           max_facts=s['max_facts'], max_question=s['max_question'],
                           answer_len=s['answer_len'], max_supports=1,
                           multi_token=s['multi_token'])
      arr = babi.encode([ex], spec)
    else:
      spec = babi_memory.MemorySpec(vocab=self.vocab, memory_size=s['memory_size'],
                                    sentence_len=s['sentence_len'],
                                    question_len=s['question_len'], max_supports=1,
                                    answer_ids=tuple(s['answer_ids']), tasks=tuple(s['tasks']))
      ex = dataclasses.replace(ex, answer=(self.vocab.words[PAD_ID],))
      arr = babi_memory.encode([ex], spec, [0])
    return {k: v[0] for k, v in arr.items()}

  def _forward_fn(self, params, ex):
    if self.family == 'dmn':
      out = dmn.forward(params, ex, None, self.cfg.model, train=False)
      return out['prediction'], out['gate_logits'], out['fact_mask']
    if self.family == 'dmn_plus':
      out = dmn_plus.forward(params, ex, None, self.cfg.model, train=False)
      return jax.numpy.argmax(out['logits']), out['attention'], ex['memory_mask']
    out = memn2n.forward(params, ex, None, self.cfg.model, train=False)
    return jax.numpy.argmax(out['logits']), out['attention'], ex['memory_mask']

  # -- answering --------------------------------------------------------------------------------
  def answer(self, story: str, question: str) -> Answer:
    """Answers `question` about `story` (plain text). Never raises on odd text: an empty story
    or question is answered from nothing, and said so in the notes."""
    if len(story) > MAX_TEXT or len(question) > MAX_TEXT:
      raise DataError(f'story or question longer than {MAX_TEXT} characters')
    sentences = split_sentences(story)
    q_tokens = tokenize(question)
    if not self.config.get('punctuation', True):      # trained without '.' and '?' tokens
      drop = babi_memory.PUNCTUATION
      sentences = [[w for w in s if w not in drop] for s in sentences]
      sentences = [s for s in sentences if s]
      q_tokens = [w for w in q_tokens if w not in drop]
    notes = []
    if not sentences:
      notes.append('the story has no sentences')
    if not q_tokens:
      notes.append('the question is empty')
    unknown = sorted({t for t in [w for s in sentences for w in s] + q_tokens
                      if t not in self.vocab})
    sentences, q_tokens, cut = self._fit(sentences, q_tokens)
    notes += cut
    ex = self._arrays(sentences, q_tokens)
    pred, att, mask = jax.device_get(self._forward(self.params, ex))
    n = len(sentences)
    if self.family == 'dmn':
      words = self.vocab.decode([int(i) for i in np.atleast_1d(pred)])
      att = _gates(np.asarray(att, np.float64), np.asarray(mask, bool), self.cfg.model)[:, :n]
      text = ' '.join(words)
      label = 'pass'
    else:
      # time_encoding='word': the time words are outputs too (never a right answer).
      word = (self.vocab.words[int(pred)] if int(pred) < len(self.vocab)
              else f'<time word {int(pred) - len(self.vocab) + 1}>')
      words = word.split(',')
      text = word
      att = np.asarray(att, np.float64)[:, :n][:, ::-1]      # slot i = i-th most recent
      label = 'pass' if self.family == 'dmn_plus' else 'hop'
    return Answer(answer=text, words=words, sentences=[' '.join(s) for s in sentences],
                  attention=att.astype(np.float32), attention_label=label,
                  unknown_words=unknown, notes=notes, question=' '.join(q_tokens))


def _gates(logits: np.ndarray, mask: np.ndarray, model_cfg) -> np.ndarray:
  """The DMN's attention as the episode uses it (`inspect_memory.gate_weights`); the learned
  end-of-passes fact (end_pass), not a sentence, is left out."""
  from dmn_jax.inspect_memory import gate_weights
  if model_cfg.end_pass:
    logits = logits[:, :-1]
  return gate_weights(logits, mask, model_cfg)


# -- loading ----------------------------------------------------------------------------------

def _shapes(family: str, spec) -> dict:
  if family == 'dmn':
    return {'max_story_tokens': spec.max_story_tokens, 'max_facts': spec.max_facts,
            'max_question': spec.max_question, 'answer_len': spec.answer_len,
            'multi_token': spec.multi_token}
  return {'memory_size': spec.memory_size, 'sentence_len': spec.sentence_len,
          'question_len': spec.question_len, 'answer_ids': list(spec.answer_ids),
          'tasks': list(spec.tasks)}


def _example_stories(family: str, cfg, data, vocab: Vocab, k: int = 3) -> list[dict]:
  """A few test questions as plain text (story, question, gold answer) for the web page."""
  arrays = data['test']
  out = []
  for i in range(min(k, len(next(iter(arrays.values()))))):
    if family == 'dmn':
      story = arrays['story'][i][arrays['story_mask'][i]]
      ends = arrays['fact_pos'][i][arrays['fact_mask'][i]]
      starts = np.concatenate([[0], ends[:-1] + 1])
      sentences = [' '.join(vocab.decode(story[a:b + 1])) for a, b in zip(starts, ends)]
      answer = ' '.join(vocab.decode(arrays['answer'][i]))
    else:
      n = int(arrays['memory_mask'][i].sum())
      sentences = [' '.join(vocab.decode(arrays['memory'][i][s])) for s in range(n)][::-1]
      answer = vocab.words[int(arrays['answer'][i])]
    question = ' '.join(vocab.decode(arrays['question'][i]))
    out.append({'story': '\n'.join(sentences), 'question': question, 'answer': answer})
  return out


def load_workdir(workdir: str) -> Model:
  """The best params of a finished run's chosen seed (the task's data is read for the
  vocabulary: set data_dir or DMN_DATA_DIR as for training)."""
  from dmn_jax import inspect_memory
  config = workdir_lib.run_config(workdir)
  family = config.get('model_family', 'dmn')
  if family not in FAMILIES:
    raise ConfigError(f'{workdir}: a {family!r} run cannot answer story questions '
                      f'(only {FAMILIES})')
  cfg = ml_collections.ConfigDict(workdir_lib.with_neutral_defaults(config))
  params, data, spec, summary = inspect_memory.load_best(cfg, workdir)
  return Model(family, config, params, list(spec.vocab.words), _shapes(family, spec), summary,
               _example_stories(family, cfg, data, spec.vocab), source=workdir)


def export(model: Model, out: str) -> None:
  """Writes `model` as one file (see the module docstring); atomic."""
  flat = {}

  def walk(tree, prefix):
    if isinstance(tree, dict):
      for k, v in tree.items():
        walk(v, f'{prefix}{k}/')
    else:
      flat['param:' + prefix[:-1]] = np.asarray(tree)

  walk(model.params, '')
  meta = {'format': FORMAT, 'version': VERSION, 'family': model.family, 'config': model.config,
          'vocab': list(model.vocab.words), 'shapes': model.shapes, 'summary': model.summary,
          'examples': model.examples}
  tmp = out + '.tmp'
  with open(tmp, 'wb') as f:
    np.savez_compressed(f, __meta__=np.array(json.dumps(meta)), **flat)
  os.replace(tmp, out)


def load_file(path: str) -> Model:
  """A model exported by `export`; a file of another kind or version, or a damaged one, is a
  DataError naming it."""
  try:
    with np.load(path, allow_pickle=False) as z:
      if '__meta__' not in z.files:
        raise DataError(f'{path}: not a dmn_jax model file (no metadata); make one with '
                        'python -m experiments.export')
      meta = json.loads(str(z['__meta__']))
      arrays = {k: z[k] for k in z.files if k.startswith('param:')}
  except (zipfile.BadZipFile, ValueError, EOFError, OSError, KeyError) as e:
    raise DataError(f'{path}: not a readable dmn_jax model file ({type(e).__name__}: {e})') from None
  if meta.get('format') != FORMAT:
    raise DataError(f"{path}: not a dmn_jax model file (format {meta.get('format')!r})")
  if meta.get('version') != VERSION:
    raise DataError(f"{path}: model file version {meta.get('version')}, this code reads "
                    f'version {VERSION}; export it again with this version')
  params: dict = {}
  for key, value in arrays.items():
    *parents, leaf = key[len('param:'):].split('/')
    node = params
    for p in parents:
      node = node.setdefault(p, {})
    node[leaf] = value
  return Model(meta['family'], meta['config'], params, meta['vocab'], meta['shapes'],
               meta['summary'], meta.get('examples'), source=path)


def load(path: str) -> Model:
  """A workdir (folder) or an exported file."""
  if os.path.isdir(path):
    return load_workdir(path)
  if not os.path.exists(path):
    raise DataError(f'{path}: no such run folder or model file')
  return load_file(path)


def plot(a: Answer, path: str | None = None):
  """A heatmap of `a.attention`: one row per sentence, one column per pass (or hop). Writes it
  to `path`, or returns the matplotlib figure (path None, e.g. in a notebook)."""
  try:
    import matplotlib
  except ImportError:
    raise OSError('the heatmap needs matplotlib: pip install matplotlib') from None
  if path is not None:
    matplotlib.use('Agg')                 # a file: no display needed
  import matplotlib.pyplot as plt
  n, t = len(a.sentences), a.attention.shape[0]
  fig, ax = plt.subplots(figsize=(2.5 + 0.9 * t + 0.08 * max(map(len, a.sentences), default=0),
                                  1.2 + 0.35 * n))
  ax.imshow(a.attention.T, cmap='Blues', vmin=0, vmax=1, aspect='auto')
  ax.set_yticks(range(n), a.sentences, fontsize=8)
  ax.set_xticks(range(t), [f'{a.attention_label} {i + 1}' for i in range(t)], fontsize=8)
  for i in range(n):
    for j in range(t):
      w = float(a.attention[j, i])
      ax.text(j, i, f'{w:.2f}', ha='center', va='center', fontsize=7,
              color='white' if w > 0.6 else 'black')
  ax.set_title(f'{a.question}  →  {a.answer}', fontsize=9)
  fig.tight_layout()
  if path is None:
    return fig
  fig.savefig(path, dpi=130)
  plt.close(fig)
  return None
