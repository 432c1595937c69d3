"""notebooks/colab_tpu.ipynb runs top to bottom (on CPU, tiny: DMN_NOTEBOOK_TINY=1), so it
cannot rot. Its code cells are executed in order in one namespace, as a kernel would."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, 'notebooks', 'colab_tpu.ipynb')

RUNNER = r'''
import json, sys
import matplotlib
matplotlib.use('Agg')
nb = json.load(open(sys.argv[1]))
ns = {'__name__': '__main__'}
for i, cell in enumerate(nb['cells']):
    if cell['cell_type'] == 'code':
        exec(compile(''.join(cell['source']), f'cell {i}', 'exec'), ns)
print('NOTEBOOK OK', ns['summary']['complete'], ns['cell_summary']['mesh'], ns['a'].answer)
'''


@pytest.mark.slow
@pytest.mark.parametrize('host_devices', [1, 2])
def test_notebook_runs_top_to_bottom(host_devices):
  env = {**os.environ, 'DMN_NOTEBOOK_TINY': '1', 'JAX_PLATFORMS': 'cpu',
         'XLA_FLAGS': f'--xla_force_host_platform_device_count={host_devices}',
         'PYTHONPATH': ROOT}
  r = subprocess.run([sys.executable, '-c', RUNNER, NOTEBOOK], capture_output=True, text=True,
                     cwd=ROOT, env=env, timeout=900)
  assert r.returncode == 0, r.stderr[-3000:]
  line = [l for l in r.stdout.splitlines() if l.startswith('NOTEBOOK OK')][-1]
  assert 'True' in line and f"'seed': {host_devices}" in line


def test_notebook_is_valid_and_has_no_outputs():
  nb = json.load(open(NOTEBOOK))
  assert nb['nbformat'] == 4
  assert all(c.get('outputs', []) == [] for c in nb['cells'] if c['cell_type'] == 'code')
  assert 'colab.research.google.com' in ''.join(nb['cells'][0]['source'])
