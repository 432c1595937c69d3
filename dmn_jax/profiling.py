"""Where a compiled step spends its time: XLA ops by self time, from a `jax.profiler` trace.

    events = trace_calls(lambda: step(...), calls=10)       # the trace's complete events
    times = self_times(events)                              # {op: (self µs, calls)}, all calls
    info = hlo_ops(compiled.as_text())                      # {op: (shape, JAX source)}
    print('\\n'.join(report(times, info, calls=10, top=25)))

An op's self time is its duration minus that of the events nested in it on the same thread (a
`while` loop's own time excludes its body's ops, which are listed on their own), so the self
times of one call add up to the call's traced time without counting anything twice. The JAX
source of an op is the `op_name` XLA keeps in its metadata, e.g.
`jit(per_seed)/vmap(transpose(jvp(vmap())))/while/body/dot_general`: `transpose(jvp(...))` is
the backward pass, `while/body` the inside of a scan. Tracing adds a few µs to every op, so
the profile's total exceeds the untraced step time (`python -m experiments.bench`).
"""

from __future__ import annotations

import collections
import glob
import gzip
import json
import os
import re
import tempfile
from typing import Callable

import jax

# Runtime bookkeeping around the ops, not ops of the program.
_NOT_OPS = re.compile(r'^(\$|ThunkExecutor|PjitFunction|CommonPjRt|PjRt|TfrtCpu|Execute)')


def trace_calls(call: Callable[[], object], calls: int) -> list[dict]:
  """Runs `call()` `calls` times under `jax.profiler.trace` (blocking on each result) and returns
  the trace's complete events ('X': name, ts, dur in µs, pid, tid)."""
  with tempfile.TemporaryDirectory(prefix='dmn_profile_') as d:
    with jax.profiler.trace(d, create_perfetto_trace=True):
      for _ in range(calls):
        jax.block_until_ready(call())
    files = glob.glob(os.path.join(d, '**', '*.json.gz'), recursive=True)
    if not files:
      raise RuntimeError(f'jax.profiler wrote no perfetto trace under {d}')
    with gzip.open(files[0]) as f:
      trace = json.load(f)
  events = trace['traceEvents'] if isinstance(trace, dict) else trace
  return [e for e in events if e.get('ph') == 'X' and 'dur' in e]


def self_times(events: list[dict], keep: Callable[[str], bool] | None = None
               ) -> dict[str, tuple[float, int]]:
  """{event name: (total self time in µs, number of events)} of the events `keep` accepts
  (default: XLA ops, not the runtime's bookkeeping). Self time = duration minus the durations
  of the kept events directly nested in it on the same thread."""
  keep = keep or (lambda name: not _NOT_OPS.match(name))
  by_thread = collections.defaultdict(list)
  for e in events:
    if keep(e['name']):
      by_thread[(e.get('pid'), e.get('tid'))].append(e)
  out = collections.defaultdict(lambda: [0.0, 0])
  for evs in by_thread.values():
    evs.sort(key=lambda e: (e['ts'], -e['dur']))      # a parent before the children it holds
    stack: list[list] = []                            # [end, name, self time]

    def close(entry):
      out[entry[1]][0] += entry[2]
      out[entry[1]][1] += 1

    for e in evs:
      start, end = e['ts'], e['ts'] + e['dur']
      while stack and stack[-1][0] <= start:
        close(stack.pop())
      if stack:
        stack[-1][2] -= e['dur']                      # the parent's time spent in this child
      stack.append([end, e['name'], float(e['dur'])])
    while stack:
      close(stack.pop())
  return {k: (v[0], v[1]) for k, v in out.items()}


_HLO_LINE = re.compile(r'^\s*(?:ROOT\s+)?%([\w.\-]+) = (\([^)]*\)|\S+) ')
_COMMENT = re.compile(r'/\*.*?\*/')
_OP_NAME = re.compile(r'op_name="([^"]*)"')


def hlo_ops(hlo_text: str) -> dict[str, tuple[str, str]]:
  """{instruction name: (result shape, the JAX source it came from)} of a compiled HLO module's
  text (`compiled.as_text()`); the source is '' where XLA kept no metadata."""
  out = {}
  for line in hlo_text.splitlines():
    m = _HLO_LINE.match(_COMMENT.sub('', line))
    if m:
      src = _OP_NAME.search(line)
      out[m.group(1)] = (re.sub(r'\{[^}]*\}', '', m.group(2)), src.group(1) if src else '')
  return out


def report(times: dict[str, tuple[float, int]], info: dict[str, tuple[str, str]], calls: int,
           top: int = 25) -> list[str]:
  """A markdown table of the `top` ops by self time per call, with their share of the traced
  total, shape and JAX source."""
  total = sum(t for t, _ in times.values())
  lines = [f'Traced self time per call: {total / calls / 1e3:.2f} ms over {len(times)} ops '
           f'({calls} calls).', '',
           '| op | self ms / call | share | runs / call | shape | JAX source |',
           '|---|---:|---:|---:|---|---|']
  for name, (t, n) in sorted(times.items(), key=lambda kv: -kv[1][0])[:top]:
    shape, src = info.get(name, ('', ''))
    lines.append(f'| {name} | {t / calls / 1e3:.3f} | {100 * t / max(total, 1e-9):.1f}% | '
                 f'{n / calls:g} | {shape} | {src} |')
  return lines
