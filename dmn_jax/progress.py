"""Progress inside an epoch: a bar with rate and ETA on a terminal, plain lines elsewhere.

On a TTY (and when the run logs with `print`) a tqdm bar is drawn on stderr and cleared when
the epoch ends; otherwise (CI, `nohup … > log`) a line every `every` seconds says how far the
epoch is, the examples/s and the time left.
"""

from __future__ import annotations

import sys
import time
from typing import Callable


def _eta(seconds: float) -> str:
  seconds = max(0, int(seconds))
  h, rem = divmod(seconds, 3600)
  m, s = divmod(rem, 60)
  return f'{h}:{m:02d}:{s:02d}' if h else f'{m}:{s:02d}'


class EpochProgress:
  """`update(examples)` after each step; `close()` at the end of the epoch.

  Args:
    total: examples in the epoch (per seed); desc: e.g. 'epoch 3/20';
    seeds: seeds trained at once (the rate counts seed-examples);
    log: the run's printer; every: seconds between plain lines (0: none);
    bar: draw a terminal bar (None: when stderr is a TTY and `log` is `print`).
  """

  def __init__(self, total: int, desc: str, seeds: int, log: Callable[[str], None],
               every: float, bar: bool | None = None):
    self.total, self.desc, self.seeds, self.log, self.every = total, desc, seeds, log, every
    self.done, self.t0 = 0, time.perf_counter()
    self.last = self.t0
    self.paused = 0.0                      # seconds not spent training (compiles)
    if bar is None:
      bar = log is print and sys.stderr.isatty()
    self._bar = None
    if bar:
      from tqdm import tqdm
      self._bar = tqdm(total=total, desc=desc, unit='ex', leave=False, dynamic_ncols=True,
                       unit_scale=seeds if seeds > 1 else False, file=sys.stderr)

  def pause(self, seconds: float) -> None:
    """Time spent outside training (a compile) that the rate and ETA must not count."""
    self.paused += seconds

  def update(self, examples: int) -> bool:
    """Counts `examples` more; returns whether a plain line is due (the caller then syncs the
    device, so the line's rate is real, and calls `line()`)."""
    examples = min(examples, self.total - self.done)
    self.done += examples
    if self._bar is not None:
      self._bar.update(examples)
      return False
    return bool(self.every) and time.perf_counter() - self.last >= self.every

  def line(self) -> None:
    now = time.perf_counter()
    self.last = now
    spent = max(now - self.t0 - self.paused, 1e-9)
    rate = self.done / spent
    left = (self.total - self.done) / max(rate, 1e-9)
    self.log(f'  {self.desc}: {self.done:,}/{self.total:,} examples '
             f'({100 * self.done / max(self.total, 1):.0f}%) | {rate * self.seeds:,.0f} ex/s | '
             f'ETA {_eta(left)}')

  def close(self) -> None:
    if self._bar is not None:
      self._bar.close()
