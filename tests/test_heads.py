"""gptmath.heads: head slices, scores, weighted sums and outputs agree with the forward pass."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import GptMathError, load_model
from gptmath.heads import (
    HEAD_KINDS, attention_scale, check_layer_head, check_position, combine_heads, favourite_tokens, head_kinds,
    head_output, head_outputs, head_step, head_weights, pick_head, previous_token_scores, unmasked_scores, weighted_value_sum,
)

PROMPT = "Once upon a time, there was a little girl. She liked the dog."


@pytest.fixture(scope="module", params=["2L3H", "2L2H-relu-layerscale"])
def model_trace(request, toy_dirs):
    model = load_model(toy_dirs[request.param])
    return model, model.trace(PROMPT)


def test_head_weights_give_the_traced_q_k_v(model_trace):
    model, trace = model_trace
    cfg = model.config
    for L in range(cfg.n_layer):
        x = trace[f"blocks.{L}.ln1.hook_normalized"]
        for H in range(cfg.n_head):
            hw = head_weights(model.weights, L, H)
            assert hw.W_Q.shape == (cfg.d_model, cfg.d_head) and hw.W_O.shape == (cfg.d_head, cfg.d_model)
            for name, W, b in (("q", hw.W_Q, hw.b_Q), ("k", hw.W_K, hw.b_K), ("v", hw.W_V, hw.b_V)):
                np.testing.assert_allclose(x @ W + b, trace[f"blocks.{L}.attn.hook_{name}"][:, H], atol=1e-5)


def test_unmasked_scores_agree_below_the_mask(model_trace):
    model, trace = model_trace
    p = trace.n_positions
    visible = np.tril(np.ones((p, p), dtype=bool))
    for L in range(model.config.n_layer):
        for H in range(model.config.n_head):
            raw = unmasked_scores(trace, model.config, L, H)
            traced = trace[f"blocks.{L}.attn.hook_attn_scores"][H]
            np.testing.assert_allclose(raw[visible], traced[visible], rtol=1e-5, atol=1e-5)
            assert np.all(np.isneginf(traced[~visible])) and np.all(np.isfinite(raw))


def test_attention_scale():
    from gptmath.model import Config

    cfg = Config(n_layer=2, n_head=4, d_model=64, d_mlp=256, n_ctx=8, vocab_size=10)
    assert attention_scale(cfg, 1) == pytest.approx(1 / 4)
    layered = Config(**{**cfg.__dict__, "scale_attn_by_inverse_layer_idx": True})
    assert attention_scale(layered, 1) == pytest.approx(1 / 8)


def test_head_step_matches_z_and_attention_output(model_trace):
    model, trace = model_trace
    cfg, p = model.config, trace.n_positions
    for L in range(cfg.n_layer):
        for pos in (0, p // 2, -1):
            outs = head_outputs(trace, model.weights, L, pos)
            assert outs.shape == (cfg.n_head, cfg.d_model)
            for H in range(cfg.n_head):
                step = head_step(trace, model.weights, L, H, pos)
                np.testing.assert_allclose(step.z, trace[f"blocks.{L}.attn.hook_z"][pos, H], atol=1e-5)
                np.testing.assert_allclose(step.output, outs[H], atol=1e-5)
                np.testing.assert_allclose(step.resid_after - step.resid_before, step.output, atol=1e-6)
                assert step.weights.sum() == pytest.approx(1, abs=1e-5)
            total = combine_heads(outs, model.weights.blocks[L].b_O)
            np.testing.assert_allclose(total, trace[f"blocks.{L}.hook_attn_out"][pos], atol=1e-4)


def test_small_pieces():
    w = np.array([0.25, 0.75])
    v = np.array([[4.0, 0.0], [0.0, 4.0]])
    np.testing.assert_allclose(weighted_value_sum(w, v), [1.0, 3.0])
    np.testing.assert_allclose(head_output(np.array([1.0, 2.0]), np.eye(2) * 3), [3.0, 6.0])
    np.testing.assert_allclose(combine_heads(np.ones((3, 2)), np.array([0.5, -1.0])), [3.5, 2.0])


def _trace_with_patterns(patterns: np.ndarray):
    from gptmath import Trace

    L, _, p, _ = patterns.shape
    cache = {f"blocks.{i}.hook_resid_pre": np.zeros((p, 2)) for i in range(L)}
    cache.update({f"blocks.{i}.attn.hook_pattern": patterns[i] for i in range(L)})
    return Trace(tokens=np.arange(p), token_strings=[str(i) for i in range(p)], cache=cache)


def test_head_kinds_and_pick_head_on_made_up_patterns():
    p = 5
    prev = np.eye(p, k=-1)
    prev[0, 0] = 1
    first = np.zeros((p, p))
    first[:, 0] = 1
    spread = np.tril(np.ones((p, p)))
    spread /= spread.sum(axis=1, keepdims=True)
    patterns = np.stack([np.stack([spread, first, np.eye(p)]), np.stack([spread, spread, prev])])  # [2, 3, p, p]
    trace = _trace_with_patterns(patterns)
    assert head_kinds(trace) == [["spread", "first", "self"], ["spread", "spread", "previous"]]
    assert pick_head(trace) == (1, 2)
    assert pick_head(trace, layer=0) == (0, 0)  # within layer 0 the spread head leans most on the previous token
    assert previous_token_scores(trace)[1, 2] == pytest.approx(1)
    assert set(HEAD_KINDS) >= {k for row in head_kinds(trace) for k in row}
    assert head_kinds(_trace_with_patterns(patterns[:, :, :1, :1])) == [["spread"] * 3] * 2


def test_bad_layer_head_position_name_the_range(toy_model):
    cfg = toy_model.config
    with pytest.raises(GptMathError, match=r"layers 0\.\.1"):
        check_layer_head(cfg, layer=2)
    with pytest.raises(GptMathError, match=r"heads 0\.\.2"):
        head_weights(toy_model.weights, 0, 3)
    with pytest.raises(GptMathError, match=r"positions 0\.\.3"):
        check_position(4, 4)
    assert check_position(4, -1) == 3


def test_favourite_tokens_finds_what_a_head_picks_by_content():
    tokens = ["The", " cat", ".", " It", " sat", ".", " A", " dog", " ran", "."]
    p = len(tokens)
    dots = [k for k, t in enumerate(tokens) if t == "."]
    to_dots = np.zeros((p, p))
    for q in range(p):
        seen = [k for k in dots if k <= q - 2]
        to_dots[q, seen or [q]] = 1 / max(len(seen), 1)  # all far weight on the full stops, once there is one
    favourite = favourite_tokens(to_dots, tokens)[0]
    assert favourite.token == "." and favourite.share > 0.7 and favourite.lift > 2
    uniform = np.tril(np.ones((p, p))) / np.arange(1, p + 1)[:, None]
    assert all(f.lift == pytest.approx(1) for f in favourite_tokens(uniform, tokens, n=p))
    assert sum(f.share for f in favourite_tokens(uniform, tokens, n=p)) == pytest.approx(1)


def test_card_head_table_has_a_row_per_head_and_names_the_strongest(toy_model):
    from gpttrain.card import heads_table, measure_heads, targets_table
    from gpttrain.toy import TOY_TEXT

    measures = measure_heads(toy_model, [TOY_TEXT])
    table = heads_table(toy_model, measures)
    cfg = toy_model.config
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [tuple(map(int, r.split("|")[1:3])) for r in rows] == [(L, h) for L in range(cfg.n_layer)
                                                                  for h in range(cfg.n_head)]
    prev = previous_token_scores(toy_model.trace_ids(toy_model.encode(TOY_TEXT)[:min(120, cfg.n_ctx)]))
    np.testing.assert_allclose(measures.previous, prev)
    L, h = np.unravel_index(np.argmax(prev), prev.shape)
    assert f"({prev[L, h]:.2f} (layer {L} head {h})".lstrip("(") in targets_table(measures)


def test_detectors_score_a_pure_pattern_one_and_a_uniform_one_about_one_over_p():
    from gptmath.heads import duplicate_token_scores, induction_scores, mask_scores, previous_token_mask

    half = np.array([5, 9, 2, 7, 4, 8])
    tokens = np.concatenate([[0], half, half])  # <eot>, six tokens, the same six again
    p, n = len(tokens), len(half)
    prev = np.eye(p, k=-1)
    prev[0, 0] = 1
    induct = np.tril(np.ones((p, p))) / np.arange(1, p + 1)[:, None]  # uniform where nothing is to be found
    dup = induct.copy()
    for q in range(n + 1, p):
        induct[q] = 0
        induct[q, q - n + 1] = 1  # the token after this token's first copy
        dup[q] = 0
        dup[q, q - n] = 1  # this token's first copy
    uniform = np.tril(np.ones((p, p))) / np.arange(1, p + 1)[:, None]
    trace = _trace_with_patterns(np.stack([np.stack([prev, induct, dup, uniform])]))
    trace.tokens = tokens
    assert previous_token_scores(trace)[0, 0] == pytest.approx(1)
    assert induction_scores(trace)[0, 1] == pytest.approx(1)
    assert duplicate_token_scores(trace)[0, 2] == pytest.approx(1)
    assert induction_scores(trace)[0, 0] == pytest.approx(0)  # one back is not "what came next last time"
    # a uniform head over the repeat's queries: one key of q+1 each, about 1/p
    expect = np.mean([1 / (q + 1) for q in range(n + 1, p)])
    assert induction_scores(trace)[0, 3] == pytest.approx(expect)
    assert mask_scores(uniform[None], previous_token_mask(tokens[:1])[:1, :1]).shape == (1,)


def test_copying_gain_is_the_loss_saved_on_the_repeat():
    from gptmath.heads import copying_gain, repeated_random_tokens

    n, V = 10, 50
    tokens = repeated_random_tokens(V, n, seed=3, first=0, skip=(0,))
    assert tokens[0] == 0 and 0 not in tokens[1:] and (tokens[1:n + 1] == tokens[n + 1:]).all()
    uniform = np.zeros((len(tokens), V))
    assert copying_gain(uniform, tokens, n) == pytest.approx(0)
    copier = uniform.copy()
    for t in range(n + 1, 2 * n):
        copier[t, tokens[t + 1]] = 20.0  # sure of the next token only on the repeat
    assert copying_gain(copier, tokens, n) == pytest.approx(np.log(V), abs=0.01)


def test_copying_report_agrees_with_transformers_attention(toy_dir, toy_model):
    """The induction test on a random model: gptmath's scores equal the ones from transformers' own patterns."""
    import torch
    from transformers import GPT2LMHeadModel

    from gptmath.heads import (copying_gain, copying_report, induction_mask, mask_scores, ordinary_token_ids,
                               repeated_random_tokens)

    report = copying_report(toy_model, length=20, seeds=2)
    hf = GPT2LMHeadModel.from_pretrained(toy_dir, attn_implementation="eager").eval()
    ordinary = ordinary_token_ids(toy_model)
    assert toy_model.tokenizer.token_to_id("<|endoftext|>") not in ordinary
    skip = tuple(np.setdiff1d(np.arange(ordinary.max() + 1), ordinary))
    scores, gains = [], []
    for seed in range(2):
        ids = repeated_random_tokens(int(ordinary.max()) + 1, 20, seed, toy_model.tokenizer.token_to_id("<|endoftext|>"),
                                     skip)
        with torch.no_grad():
            out = hf(torch.tensor(ids)[None], output_attentions=True)
        patterns = np.stack([a[0].numpy() for a in out.attentions])
        scores.append(mask_scores(patterns, induction_mask(ids)))
        gains.append(copying_gain(out.logits[0].numpy(), ids, 20))
    np.testing.assert_allclose(report.induction, np.mean(scores, axis=0), atol=1e-5)
    assert report.gain == pytest.approx(np.mean(gains), abs=1e-4)


def test_head_roles_name_hand_built_heads():
    from gptmath.heads import HEAD_ROLES, chance_share, head_roles, role_masks

    half = np.array([5, 9, 2, 7, 4, 8])
    tokens = np.concatenate([[0], half, half])
    p, n = len(tokens), len(half)
    uniform = np.tril(np.ones((p, p))) / np.arange(1, p + 1)[:, None]
    prev, first, own = np.eye(p, k=-1), np.zeros((p, p)), np.eye(p)
    prev[0, 0] = first[0, 0] = 1
    first[:, 0] = 1
    induct, dup = uniform.copy(), uniform.copy()
    for q in range(n + 1, p):
        induct[q], dup[q] = 0, 0
        induct[q, q - n + 1] = 1
        dup[q, q - n] = 1
    half_prev = 0.5 * prev + 0.5 * uniform  # about 0.55 of its weight on the token before
    heads = np.stack([prev, induct, dup, first, own, uniform])
    trace = _trace_with_patterns(heads[None])
    trace.tokens = tokens
    assert head_roles(trace) == [["previous", "induction", "duplicate", "first", "self", "spread"]]
    assert chance_share(role_masks(tokens)["previous"]) == pytest.approx(np.mean(1 / np.arange(2, p + 1)))
    # no repeats: induction and duplicate cannot be told, so the copying heads read "spread"
    plain = _trace_with_patterns(heads[None, :, :n + 1, :n + 1])
    assert head_roles(plain)[0][1:3] == ["spread", "spread"] and head_roles(plain)[0][0] == "previous"
    assert head_roles(_trace_with_patterns(heads[None, :, :1, :1])) == [["spread"] * 6]
    weak = _trace_with_patterns(np.stack([half_prev, uniform])[None])
    weak.tokens = tokens
    assert head_roles(weak) == [["previous", "spread"]] and head_roles(weak, share=0.9) == [["spread", "spread"]]
    assert set(HEAD_ROLES) >= {r for row in head_roles(trace) for r in row}
