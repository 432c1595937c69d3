r"""A local web page that answers your own story and shows each pass's attention.

  python -m experiments.serve --model=runs/babi1 --port=8000      # then open http://127.0.0.1:8000

--model: a finished run folder or a file from `python -m experiments.export`. Standard library
server, bound to 127.0.0.1 unless --host says otherwise.

  GET  /               the page: story and question boxes, the answer, a heatmap per pass,
                       example stories from the task's test set (/?story=...&question=...
                       fills the boxes and asks at once)
  GET  /api/model      {"description", "examples": [{"story", "question", "answer"}], ...}
  POST /api/answer     {"story": str, "question": str} -> {"answer", "words", "sentences",
                       "attention": [[...] per pass], "attention_label", "unknown_words",
                       "notes", "question"}

Bad requests get a 4xx with {"error": message}: a body that is not a JSON object with string
"story" and "question" (400), over MAX_BODY bytes (413), an unknown path (404) or method (405).
"""

from absl import app, flags

from dmn_jax import predict
from dmn_jax.serve import make_server
from experiments import common

_MODEL = flags.DEFINE_string('model', None, 'run folder or exported model file')
_HOST = flags.DEFINE_string('host', '127.0.0.1', 'address to bind (default: this machine only)')
_PORT = flags.DEFINE_integer('port', 8000, 'port')


def main(argv):
  del argv
  model = predict.load(_MODEL.value)
  server = make_server(model, _HOST.value, _PORT.value)
  host, port = server.server_address[:2]
  print(f'{model.describe()}\nserving on http://{host}:{port} (Ctrl-C stops)', flush=True)
  try:
    server.serve_forever()
  except KeyboardInterrupt:
    print('\nstopped')
  finally:
    server.server_close()


if __name__ == '__main__':
  flags.mark_flags_as_required(['model'])
  app.run(lambda argv: common.run_cli(lambda: main(argv)), flags_parser=common.parse_flags)
