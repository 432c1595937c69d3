"""The DMN on single sentences (Kumar et al. 2016, §4.2-4.3): sentiment (SST) and POS tagging.

The same model as on bAbI: facts at every word, a fixed question token, answers over the classes
or tags; no gate supervision (α = 0), answers trained from the first epoch (β = 1).
"""

from __future__ import annotations

import numpy as np

from dmn_jax import losses
from dmn_jax.data import pos, sst
from dmn_jax.families import dmn as dmn_family
from dmn_jax.families.base import Family, register
from dmn_jax.models import dmn


def controls(cfg, epoch, record):
  del epoch, record
  return {'loss_weights': np.array([0.0, 1.0], np.float32), 'lr_scale': np.float32(1.0)}


def _shared_checks(cfg):
  t, m = cfg.train, cfg.model
  return [
      (m.fact_mode == 'word', "single-sentence tasks need model.fact_mode='word'"),
      (not t.gate_supervision, 'single-sentence tasks have no gate supervision'),
      (m.passes >= 0, f'model.passes must be >= 0, got {m.passes}'),
      (not m.end_pass, 'model.end_pass needs supervised gates (bAbI only)'),
      (0 <= m.dropout < 1, f'model.dropout must be in [0, 1), got {m.dropout}'),
      (m.attention in ('gru', 'softmax'),
       f"model.attention must be 'gru' or 'softmax', got {m.attention!r}"),
      (not cfg.glove or m.embed_dim == 50 or cfg.glove != 'kumo',
       'glove=kumo gives 50-dimensional vectors: set model.embed_dim=50'),
  ]


def _answer_log(m):
  return f"loss {m['loss']:.3f}"


# ---------------------------------------------------------------------------------------------
# Sentiment: one class per sentence.

def _sst_load(cfg):
  return sst.load(cfg.data_dir, cfg.setting, cfg.glove, cfg.model.embed_dim, cfg.seed,
                  cfg.glove_vocab)


def _sst_rows(cfg, arrays, epoch):
  if cfg.train.phrase_fraction >= 1:
    return None
  return sst.phrase_subsample(arrays['is_root'], cfg.train.phrase_fraction, cfg.seed, epoch)


def _sst_describe(cfg, data, spec):
  tr = data['train']
  return (f"SST {cfg.setting} ({spec.answer_vocab_size} classes): {int(tr['is_root'].sum())} "
          f"train sentences + {int((~tr['is_root']).sum())} phrases (a {cfg.train.phrase_fraction:g}"
          f" sample each epoch) / {len(data['dev']['story'])} dev / {len(data['test']['story'])} "
          f"test sentences; vocab {spec.vocab_size}, <= {spec.max_story_tokens} words"
          f"{'; GloVe ' + cfg.glove if cfg.glove else ''}")


def _sst_checks(cfg):
  return _shared_checks(cfg) + [
      (cfg.setting in ('fine', 'binary'), f"setting must be 'fine' or 'binary', got {cfg.setting!r}"),
      (cfg.model.head == 'answer', "SST needs model.head='answer'"),
      (0 < cfg.train.phrase_fraction <= 1, 'train.phrase_fraction must be in (0, 1]')]


DMN_SST = register(Family(
    name='dmn_sst', load=_sst_load, init=dmn.init, terms=dmn_family.terms,
    objective=dmn_family.objective, controls=controls, checks=_sst_checks,
    describe=_sst_describe, train_rows=_sst_rows, log_fields=_answer_log,
    describe_model=dmn_family.describe_model,
    summary_fields=lambda cfg: {'setting': cfg.setting}))


# ---------------------------------------------------------------------------------------------
# Part-of-speech tagging: one tag per word.

def _pos_load(cfg):
  return pos.load(cfg.data_dir, cfg.corpus, cfg.glove, cfg.model.embed_dim, cfg.seed,
                  cfg.max_len or None, cfg.glove_vocab)


def _pos_terms(params, batch, keys, model_cfg, *, train, controls):
  del controls
  out = dmn.apply(params, batch, keys, model_cfg, train=train)
  return losses.tagging_terms(out, batch)


def _pos_describe(cfg, data, spec):
  words = {k: int(v['tag_mask'].sum()) for k, v in data.items()}
  return (f"POS tagging, {cfg.corpus}: {words['train']:,} / {words['dev']:,} / {words['test']:,} "
          f"train / dev / test words, {spec.answer_vocab_size} tags; vocab {spec.vocab_size}, "
          f"<= {spec.max_story_tokens} words a sentence{'; GloVe ' + cfg.glove if cfg.glove else ''}")


def _pos_checks(cfg):
  return _shared_checks(cfg) + [
      (cfg.model.head == 'tagging', "POS tagging needs model.head='tagging'"),
      (cfg.model.attention == 'gru' or cfg.model.passes == 0,
       "the tagging head reads the attention GRU's states: model.attention='gru'"),
      (cfg.corpus in pos.CORPORA, f'corpus must be one of {pos.CORPORA}')]


DMN_POS = register(Family(
    name='dmn_pos', load=_pos_load, init=dmn.init, terms=_pos_terms,
    objective=dmn_family.objective, controls=controls, checks=_pos_checks,
    describe=_pos_describe, log_fields=_answer_log,
    describe_model=dmn_family.describe_model,
    summary_fields=lambda cfg: {'corpus': cfg.corpus}))
