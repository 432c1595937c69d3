"""Cell locks: one holder at a time, and a holder that dies leaves nothing locked."""

import os
import subprocess
import sys

from dmn_jax import locks


def test_one_holder_at_a_time_and_release_frees_it(tmp_path):
  path = str(tmp_path / 'sub' / 'task01.lock')
  first = locks.try_lock(path)
  assert first is not None and os.path.exists(path)
  assert locks.try_lock(path) is None                   # a second holder (another descriptor)
  assert locks.holder(path) == f'pid {os.getpid()} on {os.uname().nodename}'
  assert locks.try_lock(path) is None                   # asking who holds it took nothing
  first.release()
  assert not os.path.exists(path) and locks.holder(path) is None
  with locks.try_lock(path) as again:
    assert again is not None and locks.holder(path) is not None
  assert locks.holder(path) is None


def test_a_killed_holder_leaves_the_cell_free(tmp_path):
  path = str(tmp_path / 'task02.lock')
  code = ('import sys, time; from dmn_jax import locks; '
          f'l = locks.try_lock({path!r}); print("held" if l else "refused", flush=True); '
          'time.sleep(60)')
  p = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  try:
    assert p.stdout.readline().strip() == 'held'
    assert locks.try_lock(path) is None
    assert locks.holder(path) == f'pid {p.pid} on {os.uname().nodename}'
  finally:
    p.kill()
    p.wait()
  # The file is still there (it was killed), but the kernel dropped its lock.
  assert os.path.exists(path) and locks.holder(path) is None
  taken = locks.try_lock(path)
  assert taken is not None
  taken.release()


def test_a_lock_is_taken_on_the_file_at_its_path(tmp_path, monkeypatch):
  # The holder we waited on releases (removing the file) between our open and our flock: a
  # lock on the removed file would exclude nobody, so try_lock opens the path again.
  path = str(tmp_path / 'c.lock')
  real, calls = locks._try_flock, []

  def flock_after_a_release(fd):
    calls.append(fd)
    if len(calls) == 1:
      os.remove(path)                                 # the old holder's release
    return real(fd)

  monkeypatch.setattr(locks, '_try_flock', flock_after_a_release)
  with open(path, 'w'):
    pass
  lock = locks.try_lock(path)
  monkeypatch.setattr(locks, '_try_flock', real)
  assert lock is not None and len(calls) == 2
  assert os.path.samestat(os.fstat(lock._fd), os.stat(path))
  assert locks.try_lock(path) is None                  # it excludes others
  lock.release()
