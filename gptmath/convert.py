"""One converter per model family: a checkpoint's config.json and state dict -> gptmath's Weights.

Each converter reads the transformers names of its family's weights and lays
them out the way model.py computes: matrices act on row vectors (x @ W), so
torch `nn.Linear` weights ([out, in]) are transposed, and fused query/key/value
matrices are split into W_Q, W_K and W_V with heads side by side. Transposes
and splits are views of the stored tensors (memory-mapped by gptmath.load), not
copies; each layer's Block is laid out only when asked for (model.Layers).

    weights = convert(json.loads(open("config.json").read()), state_dict)
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import GptMathError
from .model import Block, Config, Layers, Weights
from .ops import widen

State = dict[str, np.ndarray]


def convert(config: dict, state: State) -> Weights:
    """Weights for any supported family, chosen by config["model_type"]."""
    family = config.get("model_type", "gpt2")
    if family not in CONVERTERS:
        raise GptMathError(f"model type {family!r} is not supported: gptmath reads {', '.join(CONVERTERS)} checkpoints")
    try:
        weights = CONVERTERS[family](config, state)
    except KeyError as exc:
        raise GptMathError(f"weight {exc} is missing from the {family} checkpoint: "
                           "re-save it with save_pretrained") from None
    weights.blocks.stored(0), weights.blocks.stored(-1)  # laid out lazily: a missing weight is found now, not mid-trace
    return weights


def _linear(W: np.ndarray) -> np.ndarray:
    """A torch nn.Linear weight [out, in] as a row-vector matrix [in, out] (a transposed view)."""
    return W.T


def _strip(state: State, prefix: str) -> State:
    """Keys without the base model's prefix ("transformer.", "model.", ...), whichever way the file was saved."""
    return {k.removeprefix(prefix): v for k, v in state.items()}


def _unembedding(state: State, W_E: np.ndarray, tied: bool, *names: str) -> np.ndarray:
    """[d, V]: the embedding transposed when tied, else the first of `names` the state holds."""
    if tied:
        return W_E.T
    name = next((n for n in names if n in state), names[0])
    return _linear(state[name])


def _small(x: np.ndarray | None) -> np.ndarray | None:
    """A vector (or position table) in float32 now: small enough to widen once at load."""
    return None if x is None else widen(x)


def _rope(c: dict, d_head: int, default_fraction: float = 1.0) -> tuple[float, float]:
    """(base, fraction of each head rotated) from either the new `rope_parameters` or the older keys.

    An odd share r = int(d_head × fraction) (head size 12, 0.25 -> 3) is what transformers turns as r + 1
    coordinates with the frequencies of r: 1/base^(2i/r) = 1/(base^((r+1)/r))^(2i/(r+1)), so the base returned
    is base^((r+1)/r) and Config.rotary_dims rounds r up.
    """
    params = c.get("rope_parameters") or c.get("rope_scaling") or {}
    kind = params.get("rope_type", params.get("type", "default"))
    if kind != "default":
        raise GptMathError(f"rotary scaling {kind!r} is not supported by gptmath: use a checkpoint with plain rotary")
    base = params.get("rope_theta", c.get("rope_theta", c.get("rotary_emb_base", 10_000.0)))
    fraction = params.get("partial_rotary_factor",
                          c.get("partial_rotary_factor", c.get("rotary_pct", default_fraction)))
    r = int(d_head * fraction)
    if r % 2:
        base = base ** ((r + 1) / r)
    return float(base), float(fraction)


# --------------------------------------------------------------------------
# GPT-2: LayerNorm, learned positions, fused Conv1D query/key/value ([in, out] already)
# --------------------------------------------------------------------------

GPT2_DEFAULTS = {"n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": None,
                 "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "scale_attn_weights": True,
                 "scale_attn_by_inverse_layer_idx": False, "tie_word_embeddings": True, "vocab_size": 50257}
"""GPT2Config's defaults, for keys a config.json may leave out."""


def gpt2(config: dict, state: State) -> Weights:
    c = GPT2_DEFAULTS | config
    cfg = Config(
        n_layer=c["n_layer"], n_head=c["n_head"], d_model=c["n_embd"], d_mlp=c["n_inner"] or 4 * c["n_embd"],
        n_ctx=c["n_positions"], vocab_size=c["vocab_size"], layer_norm_eps=c["layer_norm_epsilon"],
        activation=c["activation_function"], scale_attn_weights=c["scale_attn_weights"],
        scale_attn_by_inverse_layer_idx=c["scale_attn_by_inverse_layer_idx"],
        tied_embeddings=bool(c["tie_word_embeddings"]),
    )
    sd, d = _strip(state, "transformer."), cfg.d_model

    def blk(i: int) -> Block:
        g = lambda name: sd[f"h.{i}.{name}"]  # noqa: E731
        W_qkv, b_qkv = g("attn.c_attn.weight"), g("attn.c_attn.bias")  # [d, 3d], [3d]
        return Block(
            ln1_w=g("ln_1.weight"), ln1_b=g("ln_1.bias"),
            W_Q=W_qkv[:, :d], W_K=W_qkv[:, d:2 * d], W_V=W_qkv[:, 2 * d:],
            b_Q=b_qkv[:d], b_K=b_qkv[d:2 * d], b_V=b_qkv[2 * d:],
            W_O=g("attn.c_proj.weight"), b_O=g("attn.c_proj.bias"),
            ln2_w=g("ln_2.weight"), ln2_b=g("ln_2.bias"),
            W_in=g("mlp.c_fc.weight"), b_in=g("mlp.c_fc.bias"),
            W_out=g("mlp.c_proj.weight"), b_out=g("mlp.c_proj.bias"),
        )

    W_E = sd["wte.weight"]
    return Weights(config=cfg, embedding=W_E, W_pos=_small(sd["wpe.weight"]), blocks=Layers(cfg.n_layer, blk),
                   ln_f_w=_small(sd["ln_f.weight"]), ln_f_b=_small(sd["ln_f.bias"]),
                   unembedding=_unembedding(sd, W_E, cfg.tied_embeddings, "lm_head.weight"))


# --------------------------------------------------------------------------
# GPT-Neo: GPT-2 with separate q/k/v (no biases), local-attention layers, unscaled scores
# --------------------------------------------------------------------------

def _gpt_neo_layers(c: dict) -> list[str]:
    """"global" or "local" per layer, from attention_types like [[["global", "local"], 12]]."""
    return [kind for pattern, repeat in c.get("attention_types", [[["global", "local"], 12]])
            for _ in range(repeat) for kind in pattern]


def gpt_neo(c: dict, state: State) -> Weights:
    d, L = c.get("hidden_size", 2048), c.get("num_layers", 24)
    window = c.get("window_size", 256)
    cfg = Config(
        n_layer=L, n_head=c.get("num_heads", 16), d_model=d, d_mlp=c.get("intermediate_size") or 4 * d,
        n_ctx=c.get("max_position_embeddings", 2048), vocab_size=c.get("vocab_size", 50257),
        layer_norm_eps=c.get("layer_norm_epsilon", 1e-5), activation=c.get("activation_function", "gelu_new"),
        scale_attn_weights=False, tied_embeddings=bool(c.get("tie_word_embeddings", True)), family="gpt_neo",
        qkv_bias=False,
        windows=tuple(window if kind == "local" else None for kind in _gpt_neo_layers(c)[:L]),
    )
    sd = _strip(state, "transformer.")

    def blk(i: int) -> Block:
        g = lambda name: sd[f"h.{i}.{name}"]  # noqa: E731
        a = lambda name: _linear(g(f"attn.attention.{name}.weight"))  # noqa: E731
        return Block(
            ln1_w=g("ln_1.weight"), ln1_b=g("ln_1.bias"),
            W_Q=a("q_proj"), W_K=a("k_proj"), W_V=a("v_proj"), b_Q=None, b_K=None, b_V=None,
            W_O=a("out_proj"), b_O=g("attn.attention.out_proj.bias"),
            ln2_w=g("ln_2.weight"), ln2_b=g("ln_2.bias"),
            W_in=_linear(g("mlp.c_fc.weight")), b_in=g("mlp.c_fc.bias"),
            W_out=_linear(g("mlp.c_proj.weight")), b_out=g("mlp.c_proj.bias"),
        )

    W_E = sd["wte.weight"]
    return Weights(config=cfg, embedding=W_E, W_pos=_small(sd["wpe.weight"]), blocks=Layers(L, blk),
                   ln_f_w=_small(sd["ln_f.weight"]), ln_f_b=_small(sd["ln_f.bias"]),
                   unembedding=_unembedding(sd, W_E, cfg.tied_embeddings, "lm_head.weight"))


# --------------------------------------------------------------------------
# GPT-NeoX / Pythia: parallel attention and MLP, partial rotary, per-head fused q/k/v
# --------------------------------------------------------------------------

def gpt_neox(c: dict, state: State) -> Weights:
    d, h, L = c.get("hidden_size", 6144), c.get("num_attention_heads", 64), c.get("num_hidden_layers", 44)
    base, fraction = _rope(c, c.get("head_dim") or d // h, default_fraction=0.25)
    sd = _strip(state, "gpt_neox.")
    cfg = Config(
        n_layer=L, n_head=h, d_model=d, d_mlp=c.get("intermediate_size", 4 * d),
        n_ctx=c.get("max_position_embeddings", 2048), vocab_size=c.get("vocab_size", 50432),
        layer_norm_eps=c.get("layer_norm_eps", 1e-5), activation=c.get("hidden_act", "gelu"),
        tied_embeddings=bool(c.get("tie_word_embeddings", False)), family="gpt_neox", positions="rotary",
        rotary_fraction=fraction, rotary_base=base, parallel=bool(c.get("use_parallel_residual", True)),
        qkv_bias="layers.0.attention.query_key_value.bias" in sd, out_bias="layers.0.attention.dense.bias" in sd,
    )
    dh = cfg.d_head

    def blk(i: int) -> Block:
        g = lambda name: sd[f"layers.{i}.{name}"]  # noqa: E731
        opt = lambda name: sd.get(f"layers.{i}.{name}")  # noqa: E731  (attention_bias=False drops these)
        # query_key_value's output is [h, 3, dh]: each head's q, k and v side by side, head after head.
        W = g("attention.query_key_value.weight").reshape(h, 3, dh, d)
        b = opt("attention.query_key_value.bias")
        b = b.reshape(h, 3, dh) if b is not None else None
        W_part = lambda j: W[:, j].reshape(h * dh, d).T  # noqa: E731  [d, h*dh]  (the reshape copies: heads interleave)
        b_part = lambda j: None if b is None else b[:, j].reshape(h * dh)  # noqa: E731
        return Block(
            ln1_w=g("input_layernorm.weight"), ln1_b=g("input_layernorm.bias"),
            W_Q=W_part(0), W_K=W_part(1), W_V=W_part(2), b_Q=b_part(0), b_K=b_part(1), b_V=b_part(2),
            W_O=_linear(g("attention.dense.weight")), b_O=opt("attention.dense.bias"),
            ln2_w=g("post_attention_layernorm.weight"), ln2_b=g("post_attention_layernorm.bias"),
            W_in=_linear(g("mlp.dense_h_to_4h.weight")), b_in=g("mlp.dense_h_to_4h.bias"),
            W_out=_linear(g("mlp.dense_4h_to_h.weight")), b_out=g("mlp.dense_4h_to_h.bias"),
        )

    W_E = sd["embed_in.weight"]
    return Weights(config=cfg, embedding=W_E, W_pos=None, blocks=Layers(L, blk),
                   ln_f_w=_small(sd["final_layer_norm.weight"]), ln_f_b=_small(sd["final_layer_norm.bias"]),
                   unembedding=_unembedding(sd, W_E, cfg.tied_embeddings, "embed_out.weight", "lm_head.weight"))


# --------------------------------------------------------------------------
# Llama / Mistral / SmolLM2 / Qwen2: RMSNorm, rotary, gated SiLU MLP, grouped-query attention
# --------------------------------------------------------------------------

def _sliding_windows(c: dict, n_layer: int) -> tuple[int | None, ...]:
    """Per layer, the sliding window (Mistral: every layer; Qwen2: the layers `layer_types` names)."""
    window = c.get("sliding_window")
    if "layer_types" in c and c["layer_types"]:
        return tuple(window if kind == "sliding_attention" else None for kind in c["layer_types"])
    if c.get("model_type") == "mistral":
        return (window,) * n_layer
    if c.get("use_sliding_window") and window is not None:  # Qwen2 without layer_types
        return tuple(window if i >= c.get("max_window_layers", n_layer) else None for i in range(n_layer))
    return (None,) * n_layer


def llama(c: dict, state: State) -> Weights:
    d, h, L = c.get("hidden_size", 4096), c.get("num_attention_heads", 32), c.get("num_hidden_layers", 32)
    if c.get("mlp_bias"):
        raise GptMathError("MLP biases (mlp_bias=true) are not supported by gptmath for Llama-style models")
    base, fraction = _rope(c, c.get("head_dim") or d // h)
    sd = _strip(state, "model.")
    cfg = Config(
        n_layer=L, n_head=h, d_model=d, d_mlp=c.get("intermediate_size", 11008),
        n_ctx=c.get("max_position_embeddings", 2048), vocab_size=c.get("vocab_size", 32000),
        layer_norm_eps=c.get("rms_norm_eps", 1e-6), activation=c.get("hidden_act", "silu"),
        tied_embeddings=bool(c.get("tie_word_embeddings", False)), family=c.get("model_type", "llama"),
        norm="rmsnorm", positions="rotary", rotary_fraction=fraction, rotary_base=base, mlp="gated",
        n_kv_head=c.get("num_key_value_heads") or h, d_head=c.get("head_dim") or d // h,
        windows=_sliding_windows(c, L), qkv_bias="layers.0.self_attn.q_proj.bias" in sd,
        out_bias="layers.0.self_attn.o_proj.bias" in sd, mlp_bias=False,
    )

    def blk(i: int) -> Block:
        g = lambda name: sd[f"layers.{i}.{name}"]  # noqa: E731
        W = lambda name: _linear(g(f"{name}.weight"))  # noqa: E731
        b = lambda name: sd.get(f"layers.{i}.{name}.bias")  # noqa: E731  (Qwen2: q/k/v; attention_bias: o too)
        return Block(
            ln1_w=g("input_layernorm.weight"), ln1_b=None,
            W_Q=W("self_attn.q_proj"), W_K=W("self_attn.k_proj"), W_V=W("self_attn.v_proj"),
            b_Q=b("self_attn.q_proj"), b_K=b("self_attn.k_proj"), b_V=b("self_attn.v_proj"),
            W_O=W("self_attn.o_proj"), b_O=b("self_attn.o_proj"),
            ln2_w=g("post_attention_layernorm.weight"), ln2_b=None,
            W_gate=W("mlp.gate_proj"), W_in=W("mlp.up_proj"), b_in=None,
            W_out=W("mlp.down_proj"), b_out=None,
        )

    W_E = sd["embed_tokens.weight"]
    return Weights(config=cfg, embedding=W_E, W_pos=None, blocks=Layers(L, blk),
                   ln_f_w=_small(sd["norm.weight"]), ln_f_b=None,
                   unembedding=_unembedding(sd, W_E, cfg.tied_embeddings, "lm_head.weight"))


CONVERTERS: dict[str, Callable[[dict, State], Weights]] = {
    "gpt2": gpt2, "gpt_neo": gpt_neo, "gpt_neox": gpt_neox, "llama": llama, "mistral": llama, "qwen2": llama,
}
