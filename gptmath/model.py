"""A GPT-2 forward pass in plain numpy that records every intermediate value.

Read it top to bottom like nanoGPT's model.py: weights, then one small
function per stage, then `forward`, which chains them and writes each result
into a trace under its TransformerLens name (no batch dimension).

Shapes: p positions, d model width, h heads, dh head size, m MLP width,
V vocabulary.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import GptMathError
from .trace import Trace


@dataclass(frozen=True)
class Config:
    """The numbers that fix a GPT-2's shape."""

    n_layer: int
    n_head: int
    d_model: int
    d_mlp: int
    n_ctx: int
    vocab_size: int
    layer_norm_eps: float = 1e-5
    activation: str = "gelu_new"
    scale_attn_weights: bool = True
    scale_attn_by_inverse_layer_idx: bool = False
    tied_embeddings: bool = True

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_head


@dataclass
class Block:
    """One transformer block's weights; matrices act on row vectors (x @ W)."""

    ln1_w: np.ndarray  # [d]
    ln1_b: np.ndarray  # [d]
    W_Q: np.ndarray  # [d, d]   (heads side by side: columns H*dh .. (H+1)*dh)
    W_K: np.ndarray  # [d, d]
    W_V: np.ndarray  # [d, d]
    b_Q: np.ndarray  # [d]
    b_K: np.ndarray  # [d]
    b_V: np.ndarray  # [d]
    W_O: np.ndarray  # [d, d]
    b_O: np.ndarray  # [d]
    ln2_w: np.ndarray  # [d]
    ln2_b: np.ndarray  # [d]
    W_in: np.ndarray  # [d, m]
    b_in: np.ndarray  # [m]
    W_out: np.ndarray  # [m, d]
    b_out: np.ndarray  # [d]


@dataclass
class Weights:
    """All of a GPT-2's parameters as float32 numpy arrays."""

    config: Config
    W_E: np.ndarray  # [V, d]  token embedding
    W_pos: np.ndarray  # [n_ctx, d]  position embedding
    blocks: list[Block]
    ln_f_w: np.ndarray  # [d]
    ln_f_b: np.ndarray  # [d]
    W_U: np.ndarray  # [d, V]  unembedding (W_E transposed when tied)


# --------------------------------------------------------------------------
# The stages
# --------------------------------------------------------------------------

def embed(W: Weights, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token and position embeddings for ids [p]: two [p, d] arrays."""
    return W.W_E[ids], W.W_pos[np.arange(len(ids))]


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """Normalise each row of x [p, d] to mean 0 and variance 1, then scale and shift."""
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along an axis; -inf entries get weight 0."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def activation(x: np.ndarray, name: str) -> np.ndarray:
    """The MLP's non-linearity; GPT-2 uses the tanh approximation of GELU."""
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    if name == "gelu":
        return (0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))).astype(x.dtype)
    if name == "relu":
        return np.maximum(x, 0)
    if name in ("silu", "swish"):
        return x / (1.0 + np.exp(-x))
    raise GptMathError(f"activation function {name!r} is not supported by gptmath")


def attention_scores(q: np.ndarray, k: np.ndarray, scale: float) -> np.ndarray:
    """q, k [p, h, dh] -> scores [h, p_query, p_key], later keys masked to -inf."""
    scores = np.einsum("qhd,khd->hqk", q, k) * scale
    p = q.shape[0]
    future = np.triu(np.ones((p, p), dtype=bool), k=1)  # key after query
    scores[:, future] = -np.inf
    return scores


def attention_scale(cfg: Config, layer: int) -> float:
    """The factor multiplying q·k: 1/√d_head, and 1/(layer+1) more for layer-scaled models."""
    scale = 1 / math.sqrt(cfg.d_head) if cfg.scale_attn_weights else 1.0
    return scale / (layer + 1) if cfg.scale_attn_by_inverse_layer_idx else scale


def attention(x: np.ndarray, blk: Block, cfg: Config, layer: int, cache: dict, name: str) -> np.ndarray:
    """Causal multi-head self-attention on x [p, d] (already normalised)."""
    p, h, dh = x.shape[0], cfg.n_head, cfg.d_head
    q = (x @ blk.W_Q + blk.b_Q).reshape(p, h, dh)  # [p, h, dh]
    k = (x @ blk.W_K + blk.b_K).reshape(p, h, dh)
    v = (x @ blk.W_V + blk.b_V).reshape(p, h, dh)
    scores = attention_scores(q, k, attention_scale(cfg, layer))  # [h, p, p]
    pattern = softmax(scores, axis=-1)  # each query's weights over keys sum to 1
    z = np.einsum("hqk,khd->qhd", pattern, v)  # [p, h, dh]
    out = z.reshape(p, h * dh) @ blk.W_O + blk.b_O  # [p, d]
    cache.update({
        f"{name}.hook_q": q, f"{name}.hook_k": k, f"{name}.hook_v": v,
        f"{name}.hook_attn_scores": scores, f"{name}.hook_pattern": pattern,
        f"{name}.hook_z": z,
    })
    return out


def mlp(x: np.ndarray, blk: Block, cfg: Config, cache: dict, name: str) -> np.ndarray:
    """Position-wise MLP on x [p, d]: up to m, non-linearity, back down to d."""
    pre = x @ blk.W_in + blk.b_in  # [p, m]
    post = activation(pre, cfg.activation)  # [p, m]
    cache[f"{name}.hook_pre"] = pre
    cache[f"{name}.hook_post"] = post
    return post @ blk.W_out + blk.b_out  # [p, d]


def block(x: np.ndarray, blk: Block, cfg: Config, layer: int, cache: dict) -> np.ndarray:
    """One pre-LayerNorm transformer block: x + attn(ln1(x)), then + mlp(ln2(.))."""
    name = f"blocks.{layer}"
    cache[f"{name}.hook_resid_pre"] = x
    x1 = layer_norm(x, blk.ln1_w, blk.ln1_b, cfg.layer_norm_eps)
    cache[f"{name}.ln1.hook_normalized"] = x1
    attn_out = attention(x1, blk, cfg, layer, cache, f"{name}.attn")
    cache[f"{name}.hook_attn_out"] = attn_out
    x = x + attn_out
    cache[f"{name}.hook_resid_mid"] = x
    x2 = layer_norm(x, blk.ln2_w, blk.ln2_b, cfg.layer_norm_eps)
    cache[f"{name}.ln2.hook_normalized"] = x2
    mlp_out = mlp(x2, blk, cfg, cache, f"{name}.mlp")
    cache[f"{name}.hook_mlp_out"] = mlp_out
    x = x + mlp_out
    cache[f"{name}.hook_resid_post"] = x
    return x


def forward(W: Weights, ids: np.ndarray | list[int], token_strings: list[str] | None = None) -> Trace:
    """Run the model on one prompt's ids [p] and return the full trace."""
    ids = np.asarray(ids, dtype=np.int64)
    cfg = W.config
    if ids.ndim != 1 or len(ids) == 0:
        raise GptMathError("the prompt is empty: give at least one token")
    if len(ids) > cfg.n_ctx:
        raise GptMathError(f"the prompt has {len(ids)} tokens but the model reads at most {cfg.n_ctx}: shorten it")
    if ids.min() < 0 or ids.max() >= cfg.vocab_size:
        raise GptMathError(f"token ids must lie in 0..{cfg.vocab_size - 1}")
    cache: dict[str, np.ndarray] = {}
    tok, pos = embed(W, ids)  # [p, d] each
    cache["hook_embed"], cache["hook_pos_embed"] = tok, pos
    x = tok + pos
    for layer, blk in enumerate(W.blocks):
        x = block(x, blk, cfg, layer, cache)
    x = layer_norm(x, W.ln_f_w, W.ln_f_b, cfg.layer_norm_eps)
    cache["ln_final.hook_normalized"] = x
    cache["logits"] = x @ W.W_U  # [p, V]
    return Trace(tokens=ids, token_strings=token_strings or [str(i) for i in ids], cache=cache)


def unembed(W: Weights, resid: np.ndarray) -> np.ndarray:
    """Final LayerNorm then unembedding of any residual vectors [..., d] -> logits [..., V]."""
    return layer_norm(resid, W.ln_f_w, W.ln_f_b, W.config.layer_norm_eps) @ W.W_U
