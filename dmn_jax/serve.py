"""The `python -m experiments.serve` web server: a page and a JSON endpoint over a
`dmn_jax.predict.Model` (standard library only; see experiments/serve.py for the routes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dmn_jax import predict

MAX_BODY = 64 * 1024

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dmn_jax: ask your own story</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
 textarea, input { width: 100%; font: inherit; box-sizing: border-box; padding: .4rem; }
 textarea { height: 9rem; }
 button { font: inherit; padding: .35rem 1rem; margin: .5rem .5rem .5rem 0; }
 #answer { font-size: 1.4rem; margin: 1rem 0 .3rem; }
 table { border-collapse: collapse; margin-top: .5rem; }
 td, th { padding: .2rem .6rem; border: 1px solid #ddd; font-size: .9rem; }
 td.w { text-align: center; min-width: 4rem; }
 .muted { color: #777; font-size: .9rem; }
 .err { color: #b00; }
</style></head><body>
<h1>Ask your own story</h1>
<p class="muted" id="model"></p>
<p>Examples: <span id="examples"></span></p>
<label>Story (one sentence per line, or sentences ended by "." or "!")
<textarea id="story"></textarea></label>
<label>Question <input id="question"></label>
<button id="ask">Ask</button>
<div id="answer"></div><div id="extra" class="muted"></div><div id="heat"></div>
<script>
const $ = id => document.getElementById(id);
function esc(s) { const d = document.createElement('div'); d.textContent = s; return d.innerHTML; }
async function ask() {
  $('answer').textContent = '…'; $('extra').textContent = ''; $('heat').innerHTML = '';
  const r = await fetch('/api/answer', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({story: $('story').value, question: $('question').value})});
  const a = await r.json();
  if (!r.ok) { $('answer').innerHTML = '<span class="err">' + esc(a.error) + '</span>'; return; }
  $('answer').innerHTML = 'Answer: <b>' + esc(a.answer) + '</b>';
  const extra = [];
  if (a.unknown_words.length) extra.push('unknown words (read as &lt;unk&gt;): ' + a.unknown_words.map(esc).join(', '));
  for (const n of a.notes) extra.push(esc(n));
  $('extra').innerHTML = extra.join('<br>');
  let h = '<table><tr><th>sentence</th>' + a.attention.map((_, i) => '<th>' + a.attention_label + ' ' + (i + 1) + '</th>').join('') + '</tr>';
  a.sentences.forEach((s, j) => {
    h += '<tr><td>' + esc(s) + '</td>' + a.attention.map(row => {
      const w = row[j];
      return '<td class="w" style="background: rgba(30, 90, 200, ' + w.toFixed(3) + '); color: ' + (w > 0.6 ? '#fff' : '#000') + '">' + w.toFixed(2) + '</td>';
    }).join('') + '</tr>';
  });
  $('heat').innerHTML = h + '</table>';
}
$('ask').onclick = ask;
$('question').addEventListener('keydown', e => { if (e.key === 'Enter') ask(); });
fetch('/api/model').then(r => r.json()).then(m => {
  $('model').textContent = m.description;
  m.examples.forEach((ex, i) => {
    const b = document.createElement('button'); b.textContent = 'example ' + (i + 1);
    b.onclick = () => { $('story').value = ex.story; $('question').value = ex.question; };
    $('examples').appendChild(b);
  });
  const q = new URLSearchParams(location.search);   // /?story=...&question=... asks at once
  if (q.has('question')) { $('story').value = q.get('story') || ''; $('question').value = q.get('question'); ask(); }
  else if (m.examples.length) { $('story').value = m.examples[0].story; $('question').value = m.examples[0].question; }
});
</script></body></html>
"""


def make_handler(model: predict.Model):
  """The request handler class serving `model`."""
  lock = threading.Lock()                 # one forward pass at a time

  class Handler(BaseHTTPRequestHandler):
    server_version = 'dmn_jax'

    def log_message(self, fmt, *args):    # quiet: no line per request
      pass

    def _send(self, code: int, body: bytes, kind: str) -> None:
      self.send_response(code)
      self.send_header('Content-Type', kind)
      self.send_header('Content-Length', str(len(body)))
      self.end_headers()
      self.wfile.write(body)

    def _json(self, code: int, obj) -> None:
      self._send(code, json.dumps(obj).encode(), 'application/json')

    def do_GET(self):
      if self.path.split('?')[0] in ('/', '/index.html'):
        return self._send(200, PAGE.encode(), 'text/html; charset=utf-8')
      if self.path == '/api/model':
        return self._json(200, {'description': model.describe(), 'examples': model.examples,
                                'family': model.family})
      self._json(404, {'error': f'no page {self.path}'})

    def do_POST(self):
      if self.path != '/api/answer':
        return self._json(404, {'error': f'no endpoint {self.path}'})
      try:
        length = int(self.headers.get('Content-Length', ''))
      except ValueError:
        return self._json(411, {'error': 'a Content-Length header is needed'})
      if length > MAX_BODY:
        return self._json(413, {'error': f'request body over {MAX_BODY} bytes'})
      raw = self.rfile.read(length)
      try:
        req = json.loads(raw.decode('utf-8'))
      except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return self._json(400, {'error': f'the body is not JSON: {e}'})
      if (not isinstance(req, dict) or not isinstance(req.get('story'), str)
          or not isinstance(req.get('question'), str)):
        return self._json(400, {'error': 'send a JSON object {"story": "...", "question": "..."}'})
      try:
        with lock:
          answer = model.answer(req['story'], req['question'])
      except predict.DataError as e:
        return self._json(400, {'error': str(e)})
      self._json(200, answer.to_json())

    def _not_allowed(self):
      self._json(405, {'error': f'{self.command} is not allowed here (GET the page, POST '
                                '/api/answer)'})

    do_PUT = do_DELETE = do_PATCH = _not_allowed

  return Handler


def make_server(model: predict.Model, host: str = '127.0.0.1', port: int = 0) -> ThreadingHTTPServer:
  """A server for `model` (port 0: a free port; `server.server_address` tells which)."""
  return ThreadingHTTPServer((host, port), make_handler(model))


BROWSER = ('chromium', '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
           '--virtual-time-budget=15000')


def check_page(model: predict.Model, story: str, question: str, out: str) -> str:
  """Runs the check; returns the answer the page showed. Raises AssertionError if the page does
  not show the API's answer and heatmap, OSError without chromium."""
  browser = shutil.which('chromium') or shutil.which('chromium-browser')
  if browser is None:
    raise OSError('no chromium on PATH (Debian: apt-get install chromium)')
  server = make_server(model, port=0)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  try:
    url = (f'http://127.0.0.1:{server.server_address[1]}/?'
           + urllib.parse.urlencode({'story': story, 'question': question}))
    dom = subprocess.run([browser, *BROWSER[1:], '--dump-dom', url], capture_output=True,
                         text=True, timeout=120).stdout
    want = model.answer(story, question)
    assert f'Answer: <b>{want.answer}</b>' in dom, f'the page did not show {want.answer!r}'
    passes = dom.count(f'<th>{want.attention_label} ')
    assert passes == len(want.attention), f'{passes} heatmap columns, want {len(want.attention)}'
    subprocess.run([browser, *BROWSER[1:], '--window-size=1000,820', f'--screenshot={out}', url],
                   capture_output=True, timeout=120, check=True)
    return want.answer
  finally:
    server.shutdown()
    server.server_close()
