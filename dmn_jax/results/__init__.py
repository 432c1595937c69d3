"""Results tables: each finished run beside the paper's figures, as `<out>.md` + `<out>.json`.

Sweep tables (`sweep_cfg.table`): `table1` (DMN, all bAbI tasks), `passes` (Table 4), `grid`
(config choices on dev), `memn2n` (MemN2N per task and joint), `dmn_plus` (DMN+ per task), built from the run archive
(`registry.Registry`) or the sweep's workdirs; unfinished cells show as pending rows. Tables of
workdirs given by hand (`experiments.report`, `experiments.ptb_report`): `single_seed`, `ptb`,
`text_tasks` (SST, POS). Every table names its machines and the command that regenerates it.
"""

from __future__ import annotations

from dmn_jax.errors import ConfigError
from dmn_jax.results import dmn_plus, grid, memn2n, passes, table1
from dmn_jax.results.common import write_files
from dmn_jax.results.registry import Registry

TABLES = {'table1': table1.table1, 'passes': passes.table_passes, 'grid': grid.table_grid,
          'memn2n': memn2n.table_memn2n, 'dmn_plus': dmn_plus.table_dmn_plus}


def write_table(sweep_cfg, cells, root: str, command: str, registry: Registry | None = None
                ) -> str:
  """Writes the sweep's table as `<sweep_cfg.out>.md` and `.json`; returns the markdown."""
  if sweep_cfg.table not in TABLES:
    raise ConfigError(f"sweep table must be one of {sorted(TABLES)}, got {sweep_cfg.table!r}")
  found, sweep = Registry.of(sweep_cfg.cells_dir)
  text, obj = TABLES[sweep_cfg.table](cells, root, registry or found, sweep, command)
  note = sweep_cfg.get('note', '')
  if note:                                  # a sentence about how the cells were made
    text = text.replace('\nMachine', f'\n{note}\n\nMachine', 1)
    obj['note'] = note
  obj['command'] = command
  write_files(sweep_cfg.out, text, obj)
  return text
