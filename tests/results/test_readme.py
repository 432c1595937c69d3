"""The README's results section is what `python -m experiments.readme` makes of results/*.json."""

import json
import os
import shutil

import pytest

from dmn_jax.results import readme

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _section(text):
  return text[text.index(readme.BEGIN):text.index(readme.END) + len(readme.END)]


def test_the_committed_readme_holds_the_figures_of_the_results_json():
  with open(os.path.join(ROOT, 'README.md')) as f:
    committed = _section(f.read())
  assert committed == readme.section(os.path.join(ROOT, 'results')), (
      'README.md is stale: run `python -m experiments.readme`')


def test_a_changed_figure_changes_the_section(tmp_path):
  res = tmp_path / 'results'
  shutil.copytree(os.path.join(ROOT, 'results'), res)
  before = readme.section(str(res))
  d = json.loads((res / 'babi_1k_dmn.json').read_text())
  d['summary']['mean_best_by_dev'] = 12.34
  d['rows'][0]['best_by_dev'] = 55.5
  (res / 'babi_1k_dmn.json').write_text(json.dumps(d))
  after = readme.section(str(res))
  assert '**12.3**' in after and '| 55.5 |' in after and after != before
  text = f'# x\n\n{readme.BEGIN}\nold\n{readme.END}\n\ntail\n'
  assert readme.replace_section(text, after) == f'# x\n\n{after}\n\ntail\n'
  with pytest.raises(ValueError, match='no generated results section'):
    readme.replace_section('# no markers', after)
