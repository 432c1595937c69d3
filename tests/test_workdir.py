import json

import pytest

from dmn_jax import workdir as workdir_lib
from dmn_jax.errors import ConfigError


def test_run_files_of_a_run_folder(tmp_path):
  w = str(tmp_path)
  with pytest.raises(ConfigError, match='not a run folder'):
    workdir_lib.run_config(w)
  assert workdir_lib.run_summary(w) is None and workdir_lib.epoch_records(w) == []
  with pytest.raises(ConfigError, match='finish the run first'):
    workdir_lib.run_summary(w, required=True)
  workdir_lib.write_json(str(tmp_path / 'config.json'), {'task': 3})
  workdir_lib.write_json(str(tmp_path / 'summary.json'), {'seed': 2, 'complete': True})
  (tmp_path / 'metrics.jsonl').write_text(
      json.dumps({'epoch': 1}) + '\n\n' + json.dumps({'epoch': 2}) + '\n')
  assert workdir_lib.run_config(w) == {'task': 3}
  assert workdir_lib.run_summary(w, required=True) == {'seed': 2, 'complete': True}
  assert [r['epoch'] for r in workdir_lib.epoch_records(w)] == [1, 2]
