"""Locks on sweep cells, so that several processes can share one sweep's cells.

    lock = try_lock(path)          # None: another live process holds it
    ...train the cell...
    lock.release()

A lock is `fcntl.flock` on a small file (`<root>/<cell>.lock`, beside the cell's workdir, so the
workdir itself is untouched). The kernel drops the lock when its holder exits, killed or not, so
a crashed or stopped process never leaves a cell locked: the next process takes it over and the
cell resumes from its checkpoint. The file keeps the holder's host and pid, for `holder`.

Local processes only: flock on a network filesystem may not exclude processes of other hosts.
On a system without `fcntl` (Windows) every lock succeeds, so run one process per sweep there.
"""

from __future__ import annotations

import os
import socket

try:
  import fcntl
except ImportError:               # pragma: no cover (not POSIX)
  fcntl = None


class CellLock:
  """A held lock; `release()` (or the process's exit) frees it."""

  def __init__(self, path: str, fd: int):
    self.path, self._fd = path, fd

  def release(self) -> None:
    if self._fd is None:
      return
    try:
      os.remove(self.path)        # removed while still held: nobody locks a stale file
    except FileNotFoundError:
      pass
    os.close(self._fd)            # closing the descriptor drops the flock
    self._fd = None

  def __enter__(self) -> 'CellLock':
    return self

  def __exit__(self, *exc) -> None:
    self.release()


def _try_flock(fd: int) -> bool:
  if fcntl is None:
    return True
  try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return True
  except BlockingIOError:
    return False


def try_lock(path: str) -> CellLock | None:
  """Locks `path` for this process, or returns None when another process holds it."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  while True:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if not _try_flock(fd):
      os.close(fd)
      return None
    # The holder we waited on may have removed the file after we opened it: then we hold a
    # lock on a file nobody else can see. Lock only the file that is at `path` now.
    try:
      same = os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
      same = False
    if not same:
      os.close(fd)
      continue
    os.ftruncate(fd, 0)
    os.write(fd, f'{socket.gethostname()} {os.getpid()}\n'.encode())
    return CellLock(path, fd)


def holder(path: str) -> str | None:
  """'pid N on HOST' of the live process holding `path`, or None when nobody does."""
  if not os.path.exists(path):
    return None
  try:
    fd = os.open(path, os.O_RDONLY)
  except FileNotFoundError:
    return None
  try:
    if fcntl is not None:
      try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return None               # we could lock it: nobody holds it
      except BlockingIOError:
        pass
    text = os.read(fd, 200).decode(errors='replace').split()
  finally:
    os.close(fd)
  return f'pid {text[1]} on {text[0]}' if len(text) == 2 else 'another process'
