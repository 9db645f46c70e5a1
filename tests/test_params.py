"""Parameter tallies: the transformers count for several shapes, 3Blue1Brown's GPT-3 count."""
from __future__ import annotations

import pytest
from transformers import AutoModelForCausalLM, GPT2LMHeadModel

from gptmath import DEFAULT_MODEL, load_model
from gptmath.params import GPT3, n_matrices, parameter_tally, total, weight_matrix_tally
from tests.conftest import TOY_SHAPES
from tests.families import FAMILY_SHAPES


def _hf_count(folder) -> int:
    return sum(p.numel() for p in GPT2LMHeadModel.from_pretrained(folder).parameters())


@pytest.mark.parametrize("name", sorted(TOY_SHAPES))
def test_tally_equals_transformers_for_toy_shapes(name, toy_dirs):
    folder = toy_dirs[name]
    assert total(parameter_tally(load_model(folder).config)) == _hf_count(folder)


@pytest.mark.parametrize("name", FAMILY_SHAPES)
def test_tally_equals_transformers_for_every_family(name, family_dirs):
    """RMSNorm without shifts, grouped key/value heads, gates, missing biases, no position embedding: all counted."""
    folder = family_dirs[name]
    hf = AutoModelForCausalLM.from_pretrained(folder)
    assert total(parameter_tally(load_model(folder).config)) == sum(p.numel() for p in hf.parameters())


def test_tally_equals_transformers_for_default_model():
    assert total(parameter_tally(load_model().config)) == _hf_count(DEFAULT_MODEL)


def test_untied_unembedding_is_counted(tmp_path):
    from gpttrain.toy import make_toy_model

    folder = make_toy_model(tmp_path / "untied", n_layer=1, n_head=2, d_model=16, tie_word_embeddings=False)
    cfg = load_model(folder).config
    assert not cfg.tied_embeddings
    groups = {g.kind: g for g in parameter_tally(cfg)}
    assert groups["unembedding"].count == cfg.d_model * cfg.vocab_size
    assert total(parameter_tally(cfg)) == _hf_count(folder)


def test_gpt3_matches_3blue1brown():
    groups = weight_matrix_tally(GPT3)
    assert total(groups) == 175_181_291_520
    assert n_matrices(groups) == 27_938
    assert GPT3.d_head == 128 and GPT3.d_mlp == 4 * GPT3.d_model


def test_weight_matrices_are_the_full_tally_less_vectors_and_positions(toy_model):
    cfg = toy_model.config
    full = {g.kind: g.count for g in parameter_tally(cfg)}
    untied_unembedding = cfg.d_model * cfg.vocab_size
    vectors = full["biases"] + full["layer_norms"] + full["position_embedding"] + full["unembedding"]
    assert total(weight_matrix_tally(cfg)) == total(parameter_tally(cfg)) - vectors + untied_unembedding


@pytest.mark.parametrize("name", sorted(TOY_SHAPES))
def test_stored_count_is_every_number_in_the_checkpoint(name, toy_dirs):
    """stored_count counts the loaded arrays one by one: transformers' numel() total, and the tally's."""
    from gptmath.params import stored_count

    folder = toy_dirs[name]
    weights = load_model(folder).weights
    assert stored_count(weights) == _hf_count(folder) == total(parameter_tally(weights.config))


@pytest.mark.parametrize("name", ["neox-3H-rot25-padded", "llama-4H-gqa2-untied", "neo-3H-local4"])
def test_stored_count_for_other_families(name, family_dirs):
    """Padded vocabularies, untied unembeddings, missing biases: still every stored number once."""
    from gptmath.params import stored_count

    folder = family_dirs[name]
    hf = AutoModelForCausalLM.from_pretrained(folder)
    assert stored_count(load_model(folder).weights) == sum(p.numel() for p in hf.parameters())


def test_stored_count_notices_a_missing_array(toy_model):
    """Drop one bias: the stored count falls below the tally's total (the scene then says so)."""
    import dataclasses

    from gptmath.params import stored_count

    weights = toy_model.weights
    block = dataclasses.replace(weights.blocks[0], b_out=None)
    fewer = dataclasses.replace(weights, blocks=[block, *weights.blocks[1:]])
    assert stored_count(fewer) == total(parameter_tally(weights.config)) - weights.config.d_model
