"""Every family gptmath reads (Llama, Mistral, Qwen2, GPT-NeoX, GPT-Neo) equals transformers stage by stage."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM

from gptmath import hooks, load_model
from gptmath.__main__ import main
from gptmath.load import _read_folder, _read_with_transformers
from tests.families import FAMILY_SHAPES, make_family_model
from tests.test_parity import PROMPT, assert_matches, nudged

LLAMA = dict(base="model", layers="layers", embed="embed_tokens", final="norm", ln1="input_layernorm",
             ln2="post_attention_layernorm", attn="self_attn", q="self_attn.q_proj", k="self_attn.k_proj",
             v="self_attn.v_proj", pre="mlp.gate_proj", pre_linear="mlp.up_proj", down="mlp.down_proj")
LAYOUTS = {  # where each stage lives in transformers' modules, per family
    "llama": LLAMA, "mistral": LLAMA, "qwen2": LLAMA,
    "gpt_neox": dict(base="gpt_neox", layers="layers", embed="embed_in", final="final_layer_norm",
                     ln1="input_layernorm", ln2="post_attention_layernorm", attn="attention",
                     qkv="attention.query_key_value", pre="mlp.dense_h_to_4h", down="mlp.dense_4h_to_h"),
    "gpt_neo": dict(base="transformer", layers="h", embed="wte", pos="wpe", final="ln_f", ln1="ln_1", ln2="ln_2",
                    attn="attn", q="attn.attention.q_proj", k="attn.attention.k_proj", v="attn.attention.v_proj",
                    pre="mlp.c_fc", down="mlp.c_proj"),
}


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def reference(folder, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Run transformers (eager attention) with hooks and collect its stages under gptmath's trace names."""
    hf = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
    c, at = hf.config, LAYOUTS[hf.config.model_type]
    base = hf.get_submodule(at["base"])
    h = c.num_attention_heads
    kv = getattr(c, "num_key_value_heads", None) or h
    dh = getattr(c, "head_dim", None) or c.hidden_size // h
    got: dict[str, torch.Tensor] = {}
    handles = []

    def output(module, name, pick=_first):
        handles.append(module.register_forward_hook(lambda _m, _i, out: got.__setitem__(name, pick(out)[0])))

    def first_input(module, name):
        def hook(_m, args, kwargs):
            got[name] = (args[0] if args else kwargs["hidden_states"])[0]
        handles.append(module.register_forward_pre_hook(hook, with_kwargs=True))

    output(base.get_submodule(at["embed"]), hooks.EMBED)
    if "pos" in at:
        output(base.get_submodule(at["pos"]), hooks.POS_EMBED)
    output(base.get_submodule(at["final"]), hooks.hook(hooks.LN_FINAL, "normalized"))
    for L, layer in enumerate(base.get_submodule(at["layers"])):
        first_input(layer, hooks.resid(L, "pre"))
        output(layer, hooks.resid(L, "post"))
        output(layer.get_submodule(at["ln1"]), hooks.norm(L, 1, "normalized"))
        output(layer.get_submodule(at["ln2"]), hooks.norm(L, 2, "normalized"))
        output(layer.get_submodule(at["attn"]), hooks.out(L, "attn"))
        output(layer.get_submodule(at["pre"].split(".")[0]), hooks.out(L, "mlp"))
        output(layer.get_submodule(at["pre"]), hooks.mlp(L, "pre"))
        if "pre_linear" in at:
            output(layer.get_submodule(at["pre_linear"]), hooks.mlp(L, "pre_linear"))
        first_input(layer.get_submodule(at["down"]), hooks.mlp(L, "post"))
        for part in ("q", "k", "v", "qkv"):
            if part in at:
                output(layer.get_submodule(at[part]), f"{L}.{part}")
    with torch.no_grad():
        out = hf(torch.tensor(ids[None]), output_attentions=True)
    for handle in handles:
        handle.remove()

    p = len(ids)
    for L, pattern in enumerate(out.attentions):
        got[hooks.attn(L, "pattern")] = pattern[0]
        if f"{L}.qkv" in got:  # GPT-NeoX: each head's q, k, v side by side
            q, k, v = got.pop(f"{L}.qkv").view(p, h, 3 * dh).chunk(3, dim=-1)
        else:
            q, k, v = (got.pop(f"{L}.{part}").view(p, -1, dh) for part in "qkv")
        got |= {hooks.attn(L, "q"): q, hooks.attn(L, "k"): k, hooks.attn(L, "v"): v}
        if hasattr(base, "rotary_emb"):  # transformers' own rotary, applied to its own q and k
            cos, sin = base.rotary_emb(q, torch.arange(p)[None])
            rot_q, rot_k = sys.modules[type(hf).__module__].apply_rotary_pos_emb(
                q.transpose(0, 1)[None], k.transpose(0, 1)[None], cos, sin)
            got |= {hooks.attn(L, "rot_q"): rot_q[0].transpose(0, 1), hooks.attn(L, "rot_k"): rot_k[0].transpose(0, 1)}
        if not getattr(c, "use_parallel_residual", False):
            got[hooks.resid(L, "mid")] = got[hooks.resid(L, "pre")] + got[hooks.out(L, "attn")]
        assert k.shape[1] == kv
    got[hooks.LOGITS] = out.logits[0]
    return {name: x.detach().numpy() for name, x in got.items()}


def prompt_ids(model) -> np.ndarray:
    """The test prompt's ids, plus (for a padded vocabulary) the last embedding row, which no token uses."""
    ids = model.encode(PROMPT)
    if model.config.vocab_size > model.tokenizer.get_vocab_size():
        ids.append(model.config.vocab_size - 1)
    return np.array(ids)


@pytest.mark.parametrize("name", FAMILY_SHAPES)
def test_every_stage_matches_transformers(name, family_dirs):
    model = load_model(family_dirs[name])
    trace = model.trace_ids(prompt_ids(model))
    ref = reference(family_dirs[name], trace.tokens)
    assert sum(k.endswith("hook_pattern") for k in ref) == model.config.n_layer
    assert_matches(trace, ref)


@pytest.mark.parametrize("name", ["llama-3H-gqa3-tied", "neox-3H-rot25-padded", "neo-3H-local4", "qwen2-5H-tied"])
def test_comparison_uses_gptmaths_own_arithmetic(name, family_dirs):
    """Guard: nudge one up-projection weight inside gptmath only, and the comparison must fail."""
    model = nudged(load_model(family_dirs[name]))
    trace = model.trace(PROMPT)
    with pytest.raises(AssertionError, match="mlp.hook_pre"):
        assert_matches(trace, reference(family_dirs[name], trace.tokens))


@pytest.mark.parametrize("name", FAMILY_SHAPES)
def test_trace_holds_what_the_model_has(name, family_dirs):
    """Rotary models add rot_q/rot_k and have no position embedding; gated MLPs add pre_linear; k/v keep kv heads."""
    cfg = load_model(family_dirs[name]).config
    trace = load_model(family_dirs[name]).trace(PROMPT)
    p, L = trace.n_positions, cfg.n_layer - 1
    assert trace[hooks.attn(L, "q")].shape == (p, cfg.n_head, cfg.d_head)
    assert trace[hooks.attn(L, "k")].shape == trace[hooks.attn(L, "v")].shape == (p, cfg.n_kv_head, cfg.d_head)
    assert trace[hooks.attn(L, "pattern")].shape == (cfg.n_head, p, p)
    assert trace[hooks.norm(L, 1, "scale")].shape == (p, 1)
    assert (hooks.attn(L, "rot_q") in trace) == (hooks.attn(L, "rot_k") in trace) == (cfg.positions == "rotary")
    assert (hooks.POS_EMBED in trace) == (cfg.positions == "learned")
    assert (hooks.mlp(L, "pre_linear") in trace) == (cfg.mlp == "gated")
    assert (hooks.resid(L, "mid") in trace) == (not cfg.parallel)
    if 0 < cfg.rotary_dims < cfg.d_head:  # partial rotary: the rest of each head passes through unturned
        r = cfg.rotary_dims
        np.testing.assert_array_equal(trace[hooks.attn(L, "rot_q")][..., r:], trace[hooks.attn(L, "q")][..., r:])


def test_local_attention_sees_only_its_window(family_dirs):
    model = load_model(family_dirs["neo-3H-local4"])
    pattern = model.trace(PROMPT)[hooks.attn(1, "pattern")]  # layer 1 is local with a window of 4
    query, key = np.indices(pattern.shape[1:])
    assert np.all(pattern[:, query - key >= 4] == 0) and np.all(pattern[:, (query - key < 4) & (key <= query)] > 0)


@pytest.mark.parametrize("name", FAMILY_SHAPES)
def test_direct_folder_read_equals_transformers_read(name, family_dirs):
    fast_w, fast_t = _read_folder(family_dirs[name])
    slow_w, slow_t, _ = _read_with_transformers(str(family_dirs[name]))
    assert fast_w.config == slow_w.config
    np.testing.assert_array_equal(fast_w.W_U, slow_w.W_U)
    for a, b in zip(fast_w.blocks, slow_w.blocks):
        for field in vars(a):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert fast_t.encode(PROMPT).ids == slow_t.encode(PROMPT).ids


def test_bfloat16_checkpoint_reads_without_torch_like_transformers(tmp_path, family_dirs):
    """SmolLM2 and most new checkpoints ship bfloat16: the safetensors reader widens it exactly."""
    hf = AutoModelForCausalLM.from_pretrained(family_dirs["llama-4H-gqa2-untied"]).to(torch.bfloat16)
    hf.save_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").write_bytes((family_dirs["llama-4H-gqa2-untied"] / "tokenizer.json").read_bytes())
    fast_w, _ = _read_folder(tmp_path)
    slow_w, _, _ = _read_with_transformers(str(tmp_path))
    np.testing.assert_array_equal(fast_w.blocks[0].W_gate, slow_w.blocks[0].W_gate)
    np.testing.assert_array_equal(fast_w.W_U, slow_w.W_U)


def test_padded_rows_get_honest_labels(family_dirs):
    model = load_model(family_dirs["neox-3H-rot25-padded"])
    V, n_tokens = model.config.vocab_size, model.tokenizer.get_vocab_size()
    assert V == n_tokens + 20
    assert model.token_strings([n_tokens - 1, n_tokens, V - 1])[1:] == [f"<unused {n_tokens}>", f"<unused {V - 1}>"]
    assert model.trace_ids([0, V - 1]).token_strings[1] == f"<unused {V - 1}>"
    assert model.decode([*model.encode("Once"), V - 2, V - 1, *model.encode(" upon")]) == \
        f"Once<unused {V - 2}><unused {V - 1}> upon"


@pytest.mark.parametrize("name", FAMILY_SHAPES)
def test_next_and_generate_run_on_every_family(name, family_dirs, capsys):
    folder = str(family_dirs[name])
    assert main(["next", "--model", folder, "--prompt", "Once upon a time", "--top-k", "30"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 30
    assert main(["generate", "--model", folder, "--prompt", "Once upon a time", "--tokens", "70"]) == 0
    assert capsys.readouterr().out.startswith("Once upon a time")


def test_unsupported_families_and_rotary_scaling_say_so(family_dirs, tmp_path):
    import json
    import shutil

    from gptmath import GptMathError

    changes = {"bert": ({"model_type": "bert"}, "model type 'bert' is not supported"),
               "llama3": ({"rope_parameters": {"rope_type": "llama3", "rope_theta": 1e4}}, "rotary scaling 'llama3'")}
    for case, (change, message) in changes.items():
        folder = shutil.copytree(family_dirs["llama-3H-gqa3-tied"], tmp_path / case)
        config = json.loads((folder / "config.json").read_text()) | change
        (folder / "config.json").write_text(json.dumps(config))
        with pytest.raises(GptMathError, match=message):
            load_model(folder)


def test_cache_key_follows_the_files_without_reading_the_weights(family_dirs, tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from safetensors.numpy import save_file

    from gptmath.cache import trace_key
    from gptmath.load import fingerprint, read_safetensors

    folder = shutil.copytree(family_dirs["llama-3H-gqa3-tied"], tmp_path / "m")
    model = load_model(folder)
    before = trace_key(model, PROMPT)
    with monkeypatch.context() as m:  # the key comes from names, sizes, mtimes and headers, not from every byte
        m.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read all of {self.name}"))
        assert fingerprint(str(folder)) == model.fingerprint
    weights = folder / "model.safetensors"
    state = {name: np.array(x) for name, x in read_safetensors(weights).items()}  # writable copies of the file's
    state["model.norm.weight"][0] += 1.0  # same names, shapes and size: only the mtime tells
    save_file(state, weights, metadata={"format": "pt"})
    after = trace_key(load_model(folder), PROMPT)
    assert after != before
    assert fingerprint("org/model", "abc123") != fingerprint("org/model", "def456")
    assert "abc123" in fingerprint("org/model", "abc123")


@pytest.mark.parametrize("name", ["llama-4H-gqa2-untied", "mistral-window3", "neox-3H-rot25-padded", "qwen2-5H-tied"])
def test_one_heads_pieces_rebuild_the_layer(name, family_dirs):
    """heads.py's per-head view (shared key/value heads, rotary q·k, no output bias) adds up to the trace."""
    from gptmath.heads import combine_heads, head_outputs, head_step, unmasked_scores

    model = load_model(family_dirs[name])
    cfg, trace, L = model.config, model.trace(PROMPT), model.config.n_layer - 1
    scores = trace[hooks.attn(L, "attn_scores")]
    for head in range(cfg.n_head):
        visible = np.isfinite(scores[head])
        np.testing.assert_allclose(unmasked_scores(trace, cfg, L, head)[visible], scores[head][visible], rtol=1e-4,
                                   atol=1e-5)
        step = head_step(trace, model.weights, L, head, -1)
        np.testing.assert_allclose(step.z, trace[hooks.attn(L, "z")][-1, head], atol=1e-5)
    attn_out = combine_heads(head_outputs(trace, model.weights, L, -1), model.weights.blocks[L].b_O)
    np.testing.assert_allclose(attn_out, trace[hooks.out(L, "attn")][-1], atol=1e-5)


def test_odd_rotary_share_matches_transformers(tmp_path):
    """Head size 12 with rotary_pct 0.25 gives 3 rotary dims: transformers turns the first 4 coordinates with the
    frequencies of 3 (1/base^(2i/3)), and so does gptmath."""
    folder = make_family_model(tmp_path / "neox-odd", "gpt_neox", num_hidden_layers=2, num_attention_heads=3,
                               hidden_size=36, intermediate_size=48, rotary_pct=0.25)
    model = load_model(folder)
    assert (model.config.d_head, model.config.rotary_dims) == (12, 4)
    trace = model.trace_ids(prompt_ids(model))
    ref = reference(folder, trace.tokens)
    assert hooks.attn(1, "rot_q") in ref
    assert_matches(trace, ref)
    q, rot_q = trace[hooks.attn(0, "q")], trace[hooks.attn(0, "rot_q")]
    assert np.all(rot_q[1:, :, :4] != q[1:, :, :4]) and np.array_equal(rot_q[..., 4:], q[..., 4:])


def test_rotary_turns_coordinate_pairs_by_position_angles():
    """Each pair (i, i + r/2) keeps its length, and q·k after rotary depends only on how far apart q and k are."""
    from gptmath.ops import rotary

    rng = np.random.default_rng(0)
    q = np.repeat(rng.standard_normal((1, 2, 12)), 7, axis=0)  # the same vector at positions 0..6
    k = np.repeat(rng.standard_normal((1, 2, 12)), 7, axis=0)
    rq, rk = rotary(q, 8, 10_000.0), rotary(k, 8, 10_000.0)
    np.testing.assert_allclose(rq[..., :4] ** 2 + rq[..., 4:8] ** 2, q[..., :4] ** 2 + q[..., 4:8] ** 2, rtol=1e-12)
    np.testing.assert_array_equal(rq[..., 8:], q[..., 8:])  # beyond the rotary part: untouched
    dots = np.einsum("qhd,khd->hqk", rq, rk)
    np.testing.assert_allclose(dots[:, 3, 1], dots[:, 6, 4], rtol=1e-10)  # both two positions apart


def test_inconsistent_config_is_one_clear_error():
    from gptmath import Config, GptMathError

    with pytest.raises(GptMathError, match="4 query heads over 3 key/value heads"):
        Config(n_layer=1, n_head=4, n_kv_head=3, d_model=16, d_mlp=32, n_ctx=8, vocab_size=10)
    with pytest.raises(GptMathError, match="unknown norm"):
        Config(n_layer=1, n_head=4, d_model=16, d_mlp=32, n_ctx=8, vocab_size=10, norm="batchnorm")
