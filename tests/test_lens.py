"""Logit lens, change sizes and strongest neurons, checked against the trace."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import GptMathError
from gptmath.lens import change_sizes, lens_residuals, logit_lens, strongest_neurons

PROMPT = "Once upon a time, there was a little"


@pytest.fixture(scope="module")
def traced(toy_model):
    return toy_model, toy_model.trace(PROMPT)


def test_last_lens_guess_is_the_models_prediction(traced):
    model, trace = traced
    guesses = logit_lens(model.weights, trace, model.token_strings)
    assert len(guesses) == trace.n_layers + 1
    logits = trace["logits"][-1]
    assert guesses[-1].token_id == int(np.argmax(logits))
    assert guesses[-1].text == model.token_strings([guesses[-1].token_id])[0]
    assert all(0 < g.prob <= 1 for g in guesses)


def test_lens_reads_the_residual_stream(traced):
    model, trace = traced
    res = lens_residuals(trace, 2)
    assert np.allclose(res[0], trace["hook_embed"][2] + trace["hook_pos_embed"][2])
    assert np.allclose(res[1], trace["blocks.0.hook_resid_post"][2])


def test_change_sizes_are_norms_of_block_outputs(traced):
    _, trace = traced
    sizes = change_sizes(trace, -1)
    assert sizes.shape == (trace.n_layers, 2)
    assert np.isclose(sizes[1, 1], np.linalg.norm(trace["blocks.1.hook_mlp_out"][-1]))
    assert np.isclose(sizes[0, 0], np.linalg.norm(trace["blocks.0.hook_attn_out"][-1]))


def test_strongest_neurons(traced):
    _, trace = traced
    idx = strongest_neurons(trace, 1, 0, k=3)
    post = trace["blocks.1.mlp.hook_post"][0]
    assert list(idx) == list(np.argsort(post)[::-1][:3])
    with pytest.raises(GptMathError, match="layers 0..1"):
        strongest_neurons(trace, 5)
    with pytest.raises(GptMathError, match="position"):
        change_sizes(trace, 99)


def test_settled_from_is_where_the_guess_stops_changing():
    from gptmath.lens import settled_from
    from gptmath.sampling import Candidate

    def guesses(*ids):
        return [Candidate(i, str(i), 0.0, 0.5) for i in ids]

    assert settled_from(guesses(7, 3, 3, 9, 9)) == 3  # after layer 2 (index 3) on: 9
    assert settled_from(guesses(9, 3, 9)) == 2  # an early agreement that does not last does not count
    assert settled_from(guesses(9, 9, 9)) == 0  # the embedding alone already guesses it
    assert settled_from(guesses(4)) == 0
    with pytest.raises(GptMathError):
        settled_from([])


def test_settled_from_on_a_real_lens(traced):
    from gptmath.lens import settled_from

    model, trace = traced
    lens = logit_lens(model.weights, trace, model.token_strings)
    i = settled_from(lens)
    assert all(g.token_id == lens[-1].token_id for g in lens[i:])
    assert i == 0 or lens[i - 1].token_id != lens[-1].token_id
