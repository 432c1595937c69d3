r"""Asks a trained model your own story.

  python -m experiments.ask --model=runs/babi1 --story=story.txt --question="Where is Mary?"
  python -m experiments.ask --model=babi1.dmn --story="Mary went to the kitchen." \
      --question="Where is Mary?" --png=attention.png
  python -m experiments.ask --model=babi1.dmn --json --story=... --question=...
  python -m experiments.ask --model=babi1.dmn        # interactive: type a story line by line,
                                                     # then questions (lines ending in '?')

--model: a finished run folder or a file from `python -m experiments.export`. --story: a file,
or the text itself. Prints `answer: <words>`, then per pass (DMN) or hop (MemN2N) each sentence
with its attention as a bar.
"""

import json
import os
import sys

from absl import app, flags

from dmn_jax import predict
from experiments import common

_MODEL = flags.DEFINE_string('model', None, 'run folder or exported model file')
_STORY = flags.DEFINE_string('story', None, 'story text, or a file holding it')
_QUESTION = flags.DEFINE_string('question', None, 'the question (omit: interactive prompt)')
_PNG = flags.DEFINE_string('png', None, 'also write the attention heatmap (sentences x passes)')
_JSON = flags.DEFINE_bool('json', False, 'print the answer as JSON')
flags.mark_flags_as_required(['model'])

BAR = 24


def render(a: predict.Answer) -> str:
  """The answer, unknown words, notes, and per pass each sentence with a bar of its weight."""
  lines = [f'answer: {a.answer}']
  if a.unknown_words:
    lines.append(f"unknown words (read as <unk>): {', '.join(a.unknown_words)}")
  lines += [f'note: {n}' for n in a.notes]
  width = max((len(s) for s in a.sentences), default=0)
  for p, row in enumerate(a.attention):
    lines.append(f'{a.attention_label} {p + 1}:')
    for s, w in zip(a.sentences, row):
      lines.append(f"  {s:<{width}}  {'█' * int(round(BAR * float(w))):<{BAR}} {w:.2f}")
  return '\n'.join(lines)


def _story_text(value: str) -> str:
  if os.path.isfile(value):
    with open(value, encoding='utf-8', errors='replace') as f:
      return f.read()
  return value


def interactive(model: predict.Model) -> None:
  print(f'{model.describe()}. Type story sentences; a line ending in "?" asks a question about '
        'the story so far; an empty line starts a new story; Ctrl-D quits.')
  story = []
  for line in sys.stdin:
    line = line.strip()
    if not line:
      story = []
      print('(new story)')
    elif line.endswith('?'):
      print(render(model.answer('\n'.join(story), line)))
    else:
      story.append(line)


def main(argv):
  del argv
  model = predict.load(_MODEL.value)
  if _QUESTION.value is None:
    if _STORY.value is not None:
      raise predict.ConfigError('--story needs --question (or leave both out for the prompt)')
    return interactive(model)
  a = model.answer(_story_text(_STORY.value or ''), _QUESTION.value)
  print(json.dumps(a.to_json(), indent=1) if _JSON.value else render(a))
  if _PNG.value:
    predict.plot(a, _PNG.value)
    if not _JSON.value:
      print(f'wrote {_PNG.value}')


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
