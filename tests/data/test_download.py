import hashlib
import io
import os
import tarfile

import pytest

from dmn_jax.data import download
from dmn_jax.errors import DataError


def test_manifest_lists_every_task_file():
  files = download.manifest()['files']
  assert sum(f.startswith('en/qa') for f in files) == 40
  assert sum(f.startswith('en-10k/qa') for f in files) == 40


def test_digests(tmp_path):
  p = tmp_path / 'f.txt'
  p.write_bytes(b'hello\n')
  assert download.file_digest(str(p), 'sha256') == hashlib.sha256(b'hello\n').hexdigest()
  # `git hash-object` of "hello\n"
  assert download.file_digest(str(p), 'git_blob_sha1') == 'ce013625030ba8dba906f756967f9e9ca394464a'


def test_real_files_match_manifest():
  data_dir = os.environ.get('DMN_DATA_DIR')
  if not data_dir or not os.path.isdir(os.path.join(data_dir, 'babi', 'en')):
    pytest.skip('DMN_DATA_DIR with babi/en not set')
  files = {k: v for k, v in download.manifest()['files'].items() if k.startswith('en/qa1_')}
  assert download.verify_tree(os.path.join(data_dir, 'babi'), files) == []


def test_offline_without_data_dir_says_what_to_set(tmp_path, monkeypatch):
  monkeypatch.delenv('DMN_DATA_DIR', raising=False)
  monkeypatch.setenv('DMN_CACHE_DIR', str(tmp_path))

  def offline(*a, **k):
    raise OSError('network unreachable')
  monkeypatch.setattr(download.urllib.request, 'urlopen', offline)
  with pytest.raises(DataError, match=r'\$DMN_DATA_DIR'):
    download.resolve_data_dir(None)
  assert not os.path.exists(tmp_path / 'data' / 'babi')   # nothing half-written


def test_download_verifies_and_rejects_tampered_archive(tmp_path, monkeypatch):
  monkeypatch.delenv('DMN_DATA_DIR', raising=False)
  monkeypatch.setenv('DMN_CACHE_DIR', str(tmp_path))
  content = b'1 Mary moved.\n'
  man = {'urls': ['http://example.invalid/a.tgz'], 'archive_root': 'tasks_1-20_v1-2',
         'archive_sha256': None,
         'files': {'en/qa1_x_train.txt': {'sha256': hashlib.sha256(content).hexdigest()}}}
  monkeypatch.setattr(download, 'manifest', lambda: man)

  def fake_archive(body):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w:gz') as tar:
      info = tarfile.TarInfo('tasks_1-20_v1-2/en/qa1_x_train.txt')
      info.size = len(body)
      tar.addfile(info, io.BytesIO(body))
    return lambda *a, **k: io.BytesIO(buf.getvalue())

  monkeypatch.setattr(download.urllib.request, 'urlopen', fake_archive(b'tampered\n'))
  with pytest.raises(DataError, match='fail verification'):
    download.resolve_data_dir(None)
  assert not os.path.exists(tmp_path / 'data' / 'babi')
  monkeypatch.setattr(download.urllib.request, 'urlopen', fake_archive(content))
  root = download.resolve_data_dir(None)
  assert (tmp_path / 'data' / 'babi' / 'en' / 'qa1_x_train.txt').read_bytes() == content
  assert download.resolve_data_dir(None) == root               # cached, verified once
