"""gpttrain.unlikelihood: which tokens count as a loop, the greedy continuations it reads, and steps on its loss
that push a looping model's loops down."""
from __future__ import annotations

import numpy as np
import pytest

from gpttrain.unlikelihood import greedy_continuations, loop_probabilities, repeated_ngram_mask, unlikelihood_loss


def test_only_the_token_that_closes_a_stretch_told_again_is_marked():
    """Only the token that makes a 4-token stretch a copy of an earlier one: a phrase may come back, a loop may not."""
    assert repeated_ngram_mask(np.array([5, 6, 7, 8, 5, 6, 7, 8, 9])).tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert repeated_ngram_mask(np.array([5, 6, 7, 8, 5, 6, 7, 8, 5, 6])).tolist() == [0] * 7 + [1, 1, 1]  # round again
    assert repeated_ngram_mask(np.array([1, 1, 1, 1, 1, 1])).tolist() == [0, 0, 0, 0, 1, 1]  # overlapping repeats
    assert not repeated_ngram_mask(np.arange(20)).any()
    assert not repeated_ngram_mask(np.array([5, 6, 7, 9, 5, 6, 7, 8])).any()  # 3 tokens again is no 4-token loop
    assert repeated_ngram_mask(np.array([5, 6, 5, 6]), n=2).tolist() == [0, 0, 0, 1]


@pytest.fixture(scope="module")
def looping_model():
    """A one-layer GPT-2 taught that 0 1 2 … 7 comes round again and again: its greedy continuations loop."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=16, n_positions=64, n_embd=32, n_layer=1, n_head=2, bos_token_id=15,
                                       eos_token_id=15, resid_pdrop=0, embd_pdrop=0, attn_pdrop=0))
    cycle = (torch.arange(64)[None, :] + torch.randint(0, 8, (16, 1))) % 8
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        model(cycle, labels=cycle).loss.backward()
        opt.step()
    return model


def test_greedy_continuations_take_the_likeliest_token_each_time(looping_model):
    import torch

    prefixes = torch.randint(0, 16, (4, 5), generator=torch.Generator().manual_seed(1))
    seq = prefixes
    for _ in range(20):  # the slow way: the whole text again for every token
        seq = torch.cat([seq, looping_model(seq).logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(greedy_continuations(looping_model, prefixes, 20), seq)


def test_unlikelihood_steps_push_a_looping_models_loops_down(looping_model):
    """The loss is the loops' -log(1 - p): zero where a continuation is too short to loop; a few steps on it halve
    it and lower the probability the model gives the tokens its continuations repeat."""
    import copy

    import torch

    model = copy.deepcopy(looping_model)
    prefixes = torch.randint(0, 16, (8, 8), generator=torch.Generator().manual_seed(2))
    assert unlikelihood_loss(model, prefixes, 3).item() == 0  # 3 new tokens hold no 4-token stretch twice

    def looped_p() -> float:  # mean probability of the tokens that close a repeated stretch, as the model chose them
        with torch.no_grad():
            p, mask = loop_probabilities(model, prefixes, 48)
        return float(p[mask].mean())

    first, p_before = unlikelihood_loss(model, prefixes, 48).item(), looped_p()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(20):
        opt.zero_grad()
        unlikelihood_loss(model, prefixes, 48).backward()
        opt.step()
    assert first > 1 and p_before > 0.5  # it loops, and is sure of it
    assert unlikelihood_loss(model, prefixes, 48).item() < first / 2
    assert looped_p() < p_before / 2
