"""Ask your own story: the API answers as the evaluation path does; export/load; the command;
the web server's endpoint."""

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import jax
import numpy as np
import pytest

from dmn_jax import families, predict, train
from dmn_jax.errors import DataError
from experiments.configs import babi_memn2n
from tests.conftest import synthetic_task, write_task


def _tiny_run(root, config_module, **overrides):
  """A finished tiny run on a synthetic task 1 under `root`: (config, workdir)."""
  cfg = config_module.get_config('task=1,tiny')
  cfg.data_dir = write_task(root / 'data', task=1, train=synthetic_task(60),
                            test=synthetic_task(20, seed=1))
  cfg.train.batch_size = 8
  for key, value in overrides.items():
    node, leaf = (cfg.train, key[len('train.'):]) if key.startswith('train.') else (cfg, key)
    node[leaf] = value
  train.train_and_evaluate(cfg, str(root / 'w'), log=lambda m: None)
  return cfg, str(root / 'w')


@pytest.fixture(scope='module')
def dmn_run(tmp_path_factory):
  from experiments.configs import babi as babi_config
  return _tiny_run(tmp_path_factory.mktemp('p'), babi_config, **{'train.num_epochs': 3})


@pytest.fixture(scope='module')
def memn2n_run(tmp_path_factory):
  return _tiny_run(tmp_path_factory.mktemp('m'), babi_memn2n, num_seeds=2)


def _text_questions(cfg):
  """The test questions as plain text (story, question) from the raw file."""
  from dmn_jax.data import babi
  path = babi.task_files(cfg.data_dir, cfg.babi_set, 1)['test']
  return [('\n'.join(' '.join(s) for s in ex.story), ' '.join(ex.question))
          for ex in babi.parse_file(path)]


@pytest.fixture(scope='module')
def dmn_plus_run(tmp_path_factory):
  from experiments.configs import babi_dmnplus
  return _tiny_run(tmp_path_factory.mktemp('dp'), babi_dmnplus, **{'train.num_epochs': 3})


@pytest.mark.parametrize('which', ['dmn', 'memn2n', 'dmn_plus'])
def test_api_answers_as_the_evaluation_path(dmn_run, memn2n_run, dmn_plus_run, which):
  cfg, workdir = {'dmn': dmn_run, 'memn2n': memn2n_run, 'dmn_plus': dmn_plus_run}[which]
  model = predict.load(workdir)
  params, data, spec, _ = __import__('dmn_jax.inspect_memory', fromlist=['x']).load_best(cfg, workdir)
  test = data['test']
  fam = families.of(cfg)
  if which == 'dmn':
    out = jax.jit(lambda p, b: __import__('dmn_jax.models.dmn', fromlist=['x']).apply(
        p, b, None, cfg.model, train=False))(params, test)
    want = [' '.join(spec.vocab.decode(r)) for r in np.asarray(out['prediction'])]
  else:
    from dmn_jax.models import dmn_plus, memn2n
    net = dmn_plus if which == 'dmn_plus' else memn2n
    out = net.apply(params, {k: test[k] for k in ('memory', 'memory_mask', 'question')},
                    None, cfg.model, train=False)
    want = [spec.vocab.words[i] for i in np.asarray(np.argmax(out['logits'], -1))]
  del fam
  questions = _text_questions(cfg)
  got = [model.answer(s, q).answer for s, q in questions]
  assert got == want
  a = model.answer(*questions[0])
  assert a.attention.shape == ((cfg.model.hops if which == 'memn2n' else cfg.model.passes),
                               len(a.sentences))
  assert np.all((a.attention >= 0) & (a.attention <= 1))
  if which == 'dmn_plus':
    # The attention is each pass's softmax gate, mapped from memory slots to sentence order.
    np.testing.assert_allclose(a.attention.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(a.attention[:, ::-1],
                               np.asarray(out['attention'][0])[:, :len(a.sentences)], rtol=1e-5)
    assert a.attention_label == 'pass' and model.describe().startswith('DMN+')


def test_unknown_words_and_long_stories(dmn_run):
  _, workdir = dmn_run
  model = predict.load(workdir)
  a = model.answer('Mary went to the kitchen. Zorblax flew to the moon!', 'Where is Mary?')
  assert a.unknown_words == ['flew', 'moon', 'zorblax'] and a.answer
  story = '\n'.join(f'{i} Mary went to the kitchen.' for i in range(1, 30))  # bAbI ids dropped
  a = model.answer(story, 'Where is Mary?')
  assert a.sentences[0] == 'mary went to the kitchen .'
  assert len(a.sentences) == model.shapes['max_facts'] and 'left out' in a.notes[0]
  for story, question in (('', 'Where is Mary?'), ('Mary went home.', ''), ('...', '???')):
    assert model.answer(story, question).notes               # said, never raised
  with pytest.raises(DataError):
    model.answer('x' * (predict.MAX_TEXT + 1), 'Where?')


@pytest.mark.parametrize('which', ['dmn', 'memn2n', 'dmn_plus'])
def test_export_round_trip(dmn_run, memn2n_run, dmn_plus_run, tmp_path, which):
  _, workdir = {'dmn': dmn_run, 'memn2n': memn2n_run, 'dmn_plus': dmn_plus_run}[which]
  model = predict.load(workdir)
  path = str(tmp_path / 'm.dmn')
  predict.export(model, path)
  loaded = predict.load(path)
  assert loaded.examples == model.examples and loaded.summary == model.summary
  for ex in model.examples:
    a, b = model.answer(ex['story'], ex['question']), loaded.answer(ex['story'], ex['question'])
    assert a.answer == b.answer
    np.testing.assert_array_equal(a.attention, b.attention)


def test_foreign_and_damaged_files_are_clear_errors(dmn_run, tmp_path):
  np.savez(tmp_path / 'other.npz', x=np.zeros(3))
  with pytest.raises(DataError, match='not a dmn_jax model file'):
    predict.load(str(tmp_path / 'other.npz'))
  (tmp_path / 'junk.dmn').write_bytes(b'\x00garbage')
  with pytest.raises(DataError, match='not a readable dmn_jax model file'):
    predict.load(str(tmp_path / 'junk.dmn'))
  with pytest.raises(DataError, match='no such run folder'):
    predict.load(str(tmp_path / 'missing.dmn'))
  model = predict.load(dmn_run[1])
  path = str(tmp_path / 'm.dmn')
  predict.export(model, path)
  data = dict(np.load(path))
  meta = json.loads(str(data['__meta__']))
  meta['version'] = 99
  data['__meta__'] = np.array(json.dumps(meta))
  np.savez(tmp_path / 'v99.npz', **data)
  with pytest.raises(DataError, match='version 99'):
    predict.load(str(tmp_path / 'v99.npz'))


def _run(args, stdin=None):
  return subprocess.run([sys.executable, '-m'] + args, capture_output=True, text=True,
                        input=stdin, timeout=300, env={**__import__('os').environ,
                                                       'JAX_PLATFORMS': 'cpu'})


def test_export_and_ask_commands(dmn_run, tmp_path):
  _, workdir = dmn_run
  out = str(tmp_path / 'm.dmn')
  r = _run(['experiments.export', f'--workdir={workdir}', f'--out={out}'])
  assert r.returncode == 0 and 'wrote' in r.stdout, r.stderr
  story = tmp_path / 'story.txt'
  story.write_text('Mary went to the kitchen.\nJohn went to the garden.\n')
  r = _run(['experiments.ask', f'--model={out}', f'--story={story}', '--question=Where is Mary?',
            f'--png={tmp_path / "a.png"}'])
  assert r.returncode == 0, r.stderr
  lines = r.stdout.splitlines()
  assert lines[0].startswith('answer: ') and 'pass 1:' in lines
  assert any(l.strip().startswith('mary went to the kitchen .') for l in lines)
  assert (tmp_path / 'a.png').stat().st_size > 1000
  r = _run(['experiments.ask', f'--model={out}', '--json', '--story=Mary went home.',
            '--question=Where is Mary?'])
  assert json.loads(r.stdout)['sentences'] == ['mary went home .']
  r = _run(['experiments.ask', f'--model={out}'],
           stdin='Mary went to the kitchen.\nWhere is Mary?\n\nWhere is John?\n')
  assert r.returncode == 0 and r.stdout.count('answer: ') == 2 and '(new story)' in r.stdout
  r = _run(['experiments.ask', f'--model={tmp_path / "nope.dmn"}', '--question=x'])
  assert r.returncode == 1 and r.stderr.startswith('error: ') and 'Traceback' not in r.stderr


def test_server_answers_and_rejects_bad_requests(dmn_run):
  from dmn_jax import serve
  model = predict.load(dmn_run[1])
  server = serve.make_server(model, port=0)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  base = f'http://127.0.0.1:{server.server_address[1]}'

  def post(body: bytes, path='/api/answer'):
    req = urllib.request.Request(base + path, data=body, method='POST',
                                 headers={'Content-Type': 'application/json'})
    try:
      with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
      return e.code, json.loads(e.read())

  try:
    ok, a = post(json.dumps({'story': 'Mary went to the kitchen.', 'question': 'Where is Mary?'}
                            ).encode())
    assert ok == 200 and a['answer'] == model.answer('Mary went to the kitchen.',
                                                     'Where is Mary?').answer
    assert len(a['attention']) == model.cfg.model.passes and a['unknown_words'] == []
    assert post(b'not json')[0] == 400
    assert post(json.dumps({'story': 1, 'question': 'x'}).encode())[0] == 400
    assert post(json.dumps(['story']).encode())[0] == 400
    assert post(b'x' * (serve.MAX_BODY + 1))[0] == 413
    assert post(b'{}', path='/nowhere')[0] == 404
    with urllib.request.urlopen(base + '/', timeout=30) as r:
      assert r.status == 200 and b'Ask your own story' in r.read()
    with urllib.request.urlopen(base + '/api/model', timeout=30) as r:
      assert json.loads(r.read())['examples']
    ok, a = post(json.dumps({'story': 'Mary went to the kitchen.', 'question': 'Where is Mary?'}
                            ).encode())
    assert ok == 200                                           # still serving
  finally:
    server.shutdown()
    server.server_close()


@pytest.mark.slow
@pytest.mark.skipif(__import__('shutil').which('chromium') is None,
                    reason='needs Debian chromium (apt-get install chromium)')
def test_page_in_a_headless_browser(dmn_run, tmp_path):
  from dmn_jax import serve
  model = predict.load(dmn_run[1])
  story, question = 'Mary went to the kitchen.\nJohn went to the garden.', 'Where is John?'
  shown = serve.check_page(model, story, question, str(tmp_path / 'page.png'))
  assert shown == model.answer(story, question).answer
  assert (tmp_path / 'page.png').stat().st_size > 5000
