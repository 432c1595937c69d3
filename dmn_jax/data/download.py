"""Finds the data folder: config, then `$DMN_DATA_DIR`, then a verified download into a cache.

The download manifest (`manifests/babi_v1.2.json`, described in `third_party/babi/`) lists the
official archive URLs and a digest for every file of the v1.2 release that the project reads.
After extraction each of those files is checked; a mismatch deletes the extraction and raises.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request

from dmn_jax.errors import DataError

ENV_VAR = 'DMN_DATA_DIR'
CACHE_ENV_VAR = 'DMN_CACHE_DIR'
_MANIFEST = os.path.join(os.path.dirname(__file__), 'manifests', 'babi_v1.2.json')


def manifest() -> dict:
  with open(_MANIFEST) as f:
    return json.load(f)


def cache_dir() -> str:
  return os.environ.get(CACHE_ENV_VAR) or os.path.join(
      os.path.expanduser('~'), '.cache', 'dmn_jax')


def file_digest(path: str, kind: str) -> str:
  """sha256 of a file, or its git blob id (`kind='git_blob_sha1'`)."""
  with open(path, 'rb') as f:
    data = f.read()
  if kind == 'sha256':
    return hashlib.sha256(data).hexdigest()
  if kind == 'git_blob_sha1':
    return hashlib.sha1(b'blob %d\0' % len(data) + data).hexdigest()
  raise ValueError(f'unknown digest kind {kind!r}')


def verify_tree(root: str, files: dict[str, dict[str, str]]) -> list[str]:
  """Returns the relative paths under `root` whose digest differs from the manifest."""
  bad = []
  for rel, digests in files.items():
    path = os.path.join(root, rel)
    if not os.path.exists(path):
      bad.append(f'{rel} (missing)')
      continue
    for kind, want in digests.items():
      if file_digest(path, kind) != want:
        bad.append(f'{rel} ({kind} mismatch)')
  return bad


def resolve_data_dir(data_dir: str | None, download: bool = True) -> str:
  """Returns the folder holding `babi/`, `ptb/`, ...: `data_dir`, `$DMN_DATA_DIR` or the cache.

  Raises:
    DataError: the folder given does not exist, or nothing is set and the download fails.
  """
  for value, origin in ((data_dir, 'config.data_dir'), (os.environ.get(ENV_VAR), f'${ENV_VAR}')):
    if value:
      if not os.path.isdir(value):
        raise DataError(f'{origin} is {value!r}, which is not a folder. Point it at the folder '
                           'that holds babi/en/qa1_single-supporting-fact_train.txt etc.')
      return value
  cached = os.path.join(cache_dir(), 'data')
  if os.path.exists(os.path.join(cached, 'babi', '.verified')):
    return cached
  if not download:
    raise DataError(f'no data folder: set config.data_dir or ${ENV_VAR}.')
  try:
    fetch_babi(cached)
  except OSError as e:  # urllib errors are OSErrors
    raise DataError(
        f'no data folder given (config.data_dir and ${ENV_VAR} are unset) and the bAbI archive '
        f'could not be downloaded into {cached} ({e}). Set ${ENV_VAR} (or --config.data_dir) to a '
        'folder that holds babi/en/qa1_single-supporting-fact_train.txt etc.') from None
  return cached


def fetch_babi(dest: str) -> None:
  """Downloads and verifies bAbI v1.2 into `dest/babi/{en,en-10k}`; atomic (temp + rename)."""
  man = manifest()
  os.makedirs(dest, exist_ok=True)
  with tempfile.TemporaryDirectory(dir=dest) as tmp:
    archive = os.path.join(tmp, 'babi.tar.gz')
    errors = []
    for url in man['urls']:
      try:
        with urllib.request.urlopen(url, timeout=60) as r, open(archive, 'wb') as f:
          shutil.copyfileobj(r, f)
        break
      except OSError as e:
        errors.append(f'{url}: {e}')
    else:
      raise OSError('; '.join(errors))
    got = file_digest(archive, 'sha256')
    if man['archive_sha256'] and got != man['archive_sha256']:
      raise OSError(f'archive sha256 {got} != manifest {man["archive_sha256"]}')
    with tarfile.open(archive) as tar:
      tar.extractall(tmp, filter='data')
    root = os.path.join(tmp, man['archive_root'])
    bad = verify_tree(root, man['files'])
    if bad:
      raise OSError(f'downloaded bAbI files fail verification: {", ".join(bad[:5])}')
    target = os.path.join(dest, 'babi')
    shutil.rmtree(target, ignore_errors=True)
    os.rename(root, target)
    with open(os.path.join(target, '.verified'), 'w') as f:
      json.dump({'archive_sha256': got}, f)
