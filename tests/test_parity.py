"""gptmath's forward pass equals transformers' (eager attention), stage by stage."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from transformers import GPT2LMHeadModel

from gptmath import DEFAULT_MODEL, load_model

PROMPT = "Once upon a time, there was a little girl. She liked the dog."


def reference(folder, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Run transformers with forward hooks and collect the same stages under gptmath's names."""
    hf = GPT2LMHeadModel.from_pretrained(folder, attn_implementation="eager").eval()
    d, h = hf.config.n_embd, hf.config.n_head
    got: dict[str, np.ndarray] = {}
    hooks = []

    def keep(name, pick=lambda out: out):
        def hook(_module, _inputs, out):
            got[name] = pick(out)[0].detach().numpy()
        return hook

    for L, blk in enumerate(hf.transformer.h):
        b = f"blocks.{L}"
        hooks += [
            blk.register_forward_pre_hook(lambda m, inp, n=f"{b}.hook_resid_pre": got.__setitem__(n, inp[0][0].detach().numpy())),
            blk.ln_1.register_forward_hook(keep(f"{b}.ln1.hook_normalized")),
            blk.attn.c_attn.register_forward_hook(keep(f"{b}.qkv")),
            blk.attn.register_forward_hook(keep(f"{b}.hook_attn_out", lambda out: out[0])),
            blk.ln_2.register_forward_hook(keep(f"{b}.ln2.hook_normalized")),
            blk.mlp.c_fc.register_forward_hook(keep(f"{b}.mlp.hook_pre")),
            blk.mlp.act.register_forward_hook(keep(f"{b}.mlp.hook_post")),
            blk.mlp.register_forward_hook(keep(f"{b}.hook_mlp_out")),
            blk.register_forward_hook(keep(f"{b}.hook_resid_post", lambda out: out[0] if isinstance(out, tuple) else out)),
        ]
    hooks.append(hf.transformer.ln_f.register_forward_hook(keep("ln_final.hook_normalized")))
    with torch.no_grad():
        out = hf(torch.tensor(ids[None]), output_attentions=True)
    for hk in hooks:
        hk.remove()
    for L, pattern in enumerate(out.attentions):
        got[f"blocks.{L}.attn.hook_pattern"] = pattern[0].numpy()
        q, k, v = np.split(got.pop(f"blocks.{L}.qkv"), 3, axis=-1)
        for name, x in (("q", q), ("k", k), ("v", v)):
            got[f"blocks.{L}.attn.hook_{name}"] = x.reshape(len(ids), h, d // h)
        got[f"blocks.{L}.hook_resid_mid"] = got[f"blocks.{L}.hook_resid_pre"] + got[f"blocks.{L}.hook_attn_out"]
    got["logits"] = out.logits[0].numpy()
    return got


def assert_matches(trace, ref: dict[str, np.ndarray]) -> None:
    """Every reference stage equals the trace within 1e-5 of the values' scale."""
    assert ref, "the reference recorded nothing"
    for name, want in ref.items():
        have = trace[name]
        assert have.shape == want.shape, name
        scale = max(1.0, float(np.abs(want).max()))
        err = float(np.abs(have - want).max())
        assert err <= 1e-5 * scale, f"{name}: max error {err:.2e} at scale {scale:.2e}"


def test_every_stage_matches_transformers(toy_dirs):
    for name, folder in toy_dirs.items():
        model = load_model(folder)
        trace = model.trace(PROMPT)
        ref = reference(folder, trace.tokens)
        n_layer = model.config.n_layer
        assert len([k for k in ref if k.endswith("hook_pattern")]) == n_layer, name
        assert_matches(trace, ref)


def test_default_model_matches_transformers():
    model = load_model()
    trace = model.trace(PROMPT)
    assert_matches(trace, reference(DEFAULT_MODEL, trace.tokens))


def nudged(model):
    """The model with one up-projection weight of its last block nudged by 0.5, inside gptmath only (one entry: a
    whole column would cancel, LayerNorm's output sums to 0); the loaded weights are read-only views of the file,
    so the nudged block is a copy."""
    blocks = list(model.weights.blocks)
    W_in = blocks[-1].W_in.copy()
    W_in[0, 0] += 0.5
    blocks[-1] = dataclasses.replace(blocks[-1], W_in=W_in)
    return dataclasses.replace(model, weights=dataclasses.replace(model.weights, blocks=blocks))


def test_comparison_uses_gptmaths_own_arithmetic(toy_dir):
    """Guard: nudge one MLP weight inside gptmath only, and the comparison must fail."""
    model = nudged(load_model(toy_dir))
    trace = model.trace(PROMPT)
    with pytest.raises(AssertionError, match="mlp.hook_pre"):
        assert_matches(trace, reference(toy_dir, trace.tokens))


def test_trace_has_every_documented_key_and_shape(toy_model):
    trace = toy_model.trace(PROMPT)
    c = toy_model.config
    p, h, dh, d, m, V = len(trace.tokens), c.n_head, c.d_head, c.d_model, c.d_mlp, c.vocab_size
    shapes = {"tokens": (p,), "hook_embed": (p, d), "hook_pos_embed": (p, d),
              "ln_final.hook_scale": (p, 1), "ln_final.hook_normalized": (p, d), "logits": (p, V)}
    for L in range(c.n_layer):
        b = f"blocks.{L}"
        shapes |= {f"{b}.hook_resid_pre": (p, d), f"{b}.ln1.hook_scale": (p, 1), f"{b}.ln1.hook_normalized": (p, d),
                   f"{b}.attn.hook_q": (p, h, dh), f"{b}.attn.hook_k": (p, h, dh), f"{b}.attn.hook_v": (p, h, dh),
                   f"{b}.attn.hook_attn_scores": (h, p, p), f"{b}.attn.hook_pattern": (h, p, p),
                   f"{b}.attn.hook_z": (p, h, dh), f"{b}.hook_attn_out": (p, d), f"{b}.hook_resid_mid": (p, d),
                   f"{b}.ln2.hook_scale": (p, 1), f"{b}.ln2.hook_normalized": (p, d), f"{b}.mlp.hook_pre": (p, m), f"{b}.mlp.hook_post": (p, m),
                   f"{b}.hook_mlp_out": (p, d), f"{b}.hook_resid_post": (p, d)}
    assert {k: trace[k].shape for k in shapes} == shapes
    assert set(trace.keys()) == set(shapes)


def test_scores_are_masked_and_patterns_are_distributions(toy_model):
    trace = toy_model.trace(PROMPT)
    scores, pattern = trace["blocks.0.attn.hook_attn_scores"], trace["blocks.0.attn.hook_pattern"]
    future = np.triu(np.ones(scores.shape[1:], bool), 1)
    assert np.all(np.isneginf(scores[:, future])) and np.all(np.isfinite(scores[:, ~future]))
    assert np.all(pattern[:, future] == 0)
    np.testing.assert_allclose(pattern.sum(-1), 1.0, atol=1e-6)
    # The scores are q.k / sqrt(dh) for the first query/key pair of head 0.
    q, k = trace["blocks.0.attn.hook_q"][0, 0], trace["blocks.0.attn.hook_k"][0, 0]
    assert scores[0, 0, 0] == pytest.approx(q @ k / np.sqrt(len(q)), rel=1e-5)


def test_direct_folder_read_equals_transformers_read(toy_dirs):
    """The torch-free reader (safetensors + tokenizer.json) gives the same weights and tokens as transformers."""
    from gptmath.load import _read_folder, _read_with_transformers

    for folder in toy_dirs.values():
        fast_w, fast_t = _read_folder(folder)
        slow_w, slow_t, _ = _read_with_transformers(str(folder))
        assert fast_w.config == slow_w.config
        np.testing.assert_array_equal(fast_w.W_U, slow_w.W_U)
        for a, b in zip(fast_w.blocks, slow_w.blocks):
            for name in vars(a):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        text = "Once upon a time, a café 猫"
        assert fast_t.encode(text).ids == slow_t.encode(text).ids


def test_loading_a_scene_model_does_not_import_torch(toy_dir):
    import subprocess
    import sys

    code = f"import sys; from gptmath import load_model; load_model({str(toy_dir)!r}); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
