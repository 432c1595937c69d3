r"""Checks the `experiments.serve` page in a real headless browser and saves a screenshot.

  python -m experiments.page_check --model=results/models/babi1_dmn.dmn \
      --out=results/ask_page.png

Starts the server on a free port, opens /?story=...&question=... in Debian's chromium (headless:
the page fills the boxes and asks through POST /api/answer), reads the rendered page back and
checks it shows the API's answer and one heatmap column per pass, then writes the screenshot.
"""

from absl import app, flags

from dmn_jax import predict
from dmn_jax import serve
from experiments import common

_MODEL = flags.DEFINE_string('model', None, 'run folder or exported model file')
_OUT = flags.DEFINE_string('out', 'results/ask_page.png', 'screenshot path')
_STORY = flags.DEFINE_string('story', 'Mary went to the kitchen.\nJohn moved to the garden.\n'
                             'Mary travelled to the office.\nDaniel went back to the hallway.',
                             'the story asked')
_QUESTION = flags.DEFINE_string('question', 'Where is Mary?', 'the question asked')
flags.mark_flags_as_required(['model'])


def main(argv):
  del argv
  model = predict.load(_MODEL.value)
  answer = serve.check_page(model, _STORY.value, _QUESTION.value, _OUT.value)
  print(f'page shows the answer {answer!r} and its heatmap; screenshot {_OUT.value}')


if __name__ == '__main__':
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
