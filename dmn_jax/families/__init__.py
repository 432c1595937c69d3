"""Model families (see `base.Family`); `of(cfg)` picks the one `cfg.model_family` names."""

from dmn_jax.families.base import FAMILIES, Family, of, register
from dmn_jax.families.dmn import DMN
from dmn_jax.families.dmn_plus import DMN_PLUS
from dmn_jax.families.memn2n import MEMN2N, MEMN2N_LM
from dmn_jax.families.text import DMN_POS, DMN_SST

__all__ = ['FAMILIES', 'Family', 'of', 'register', 'DMN', 'DMN_PLUS', 'DMN_POS', 'DMN_SST', 'MEMN2N',
           'MEMN2N_LM']
