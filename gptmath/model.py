"""A decoder-only GPT forward pass in plain numpy that records every intermediate value.

Read it top to bottom like nanoGPT's model.py: the config and weights, then one
small function per stage, then `forward`, which chains them and writes each
result into a trace under its TransformerLens name (see hooks.py; no batch
dimension). One code path serves every family gptmath reads (GPT-2, GPT-Neo,
GPT-NeoX/Pythia, Llama/Mistral/SmolLM2, Qwen2); the Config says which norm,
positions, attention and MLP a model has, and convert.py maps checkpoints in.

Shapes: p positions, d model width, h query heads, kv key/value heads,
dh head size, m MLP width, V vocabulary (embedding rows).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import hooks
from .errors import GptMathError
from .ops import activation, layer_norm, linear, product, rms, rms_norm, rotary, softmax, widen
from .trace import Trace

__all__ = ["Block", "Config", "Layers", "Weights", "activation", "attention_scale", "forward", "softmax", "unembed"]


_KINDS = {(n, p, m) for n in ("layernorm", "rmsnorm") for p in ("learned", "rotary") for m in ("plain", "gated")}


@dataclass(frozen=True)
class Config:
    """The numbers that fix a model's shape, and which variant of each stage it uses."""

    n_layer: int
    n_head: int
    d_model: int
    d_mlp: int
    n_ctx: int
    vocab_size: int  # rows of the embedding matrix (may exceed the tokenizer's size)
    layer_norm_eps: float = 1e-5  # eps of every norm, LayerNorm or RMSNorm
    activation: str = "gelu_new"
    scale_attn_weights: bool = True  # scores are q·k/√dh (False: plain q·k, as in GPT-Neo)
    scale_attn_by_inverse_layer_idx: bool = False
    tied_embeddings: bool = True
    family: str = "gpt2"  # the checkpoint's model_type, for display only
    norm: str = "layernorm"  # "layernorm" (centre, scale, shift) or "rmsnorm" (scale only)
    positions: str = "learned"  # "learned" (added to the embedding) or "rotary" (turns q and k)
    rotary_fraction: float = 1.0  # share of each head's coordinates that rotary turns
    rotary_base: float = 10_000.0
    mlp: str = "plain"  # "plain" (up, activation, down) or "gated" (activation(gate) ⊙ up, down)
    parallel: bool = False  # attention and MLP both read the block's input (GPT-NeoX)
    qkv_bias: bool = True  # query/key/value projections have biases
    out_bias: bool = True  # the attention output projection has a bias
    mlp_bias: bool = True  # the MLP's up and down projections have biases
    n_kv_head: int = 0  # key/value heads shared by groups of query heads; 0: one per query head
    d_head: int = 0  # 0: d_model // n_head
    windows: tuple[int | None, ...] = ()  # per layer: how many latest keys a query sees (None: all); (): all

    def __post_init__(self) -> None:
        # Fill in the defaults that depend on other fields (the dataclass is frozen).
        object.__setattr__(self, "n_kv_head", self.n_kv_head or self.n_head)
        object.__setattr__(self, "d_head", self.d_head or self.d_model // self.n_head)
        object.__setattr__(self, "windows", tuple(self.windows) or (None,) * self.n_layer)
        if self.n_head % self.n_kv_head or len(self.windows) != self.n_layer or self.rotary_dims > self.d_head:
            raise GptMathError(f"inconsistent model config ({self.n_head} query heads over {self.n_kv_head} key/value "
                               f"heads, {len(self.windows)} windows for {self.n_layer} layers, {self.rotary_dims} "
                               "rotary dims): check config.json")
        if (self.norm, self.positions, self.mlp) not in _KINDS:
            raise GptMathError(f"unknown norm/positions/MLP {self.norm}/{self.positions}/{self.mlp}: "
                               "see gptmath.model.Config")

    @property
    def rotary_dims(self) -> int:
        """How many coordinates of each query/key head rotary turns (the rest pass through): int(d_head × fraction)
        as in transformers, which turns one more when that is odd (3 -> 4; convert.py's `_rope` sets the base)."""
        r = int(self.d_head * self.rotary_fraction) if self.positions == "rotary" else 0
        return r + r % 2


@dataclass
class Block:
    """One transformer block's weights; matrices act on row vectors (x @ W). None: the model has no such weight."""

    ln1_w: np.ndarray  # [d]
    ln1_b: np.ndarray | None  # [d]  (None for RMSNorm)
    W_Q: np.ndarray  # [d, h*dh]   (heads side by side: columns H*dh .. (H+1)*dh)
    W_K: np.ndarray  # [d, kv*dh]
    W_V: np.ndarray  # [d, kv*dh]
    b_Q: np.ndarray | None  # [h*dh]
    b_K: np.ndarray | None  # [kv*dh]
    b_V: np.ndarray | None  # [kv*dh]
    W_O: np.ndarray  # [h*dh, d]
    b_O: np.ndarray | None  # [d]
    ln2_w: np.ndarray  # [d]
    ln2_b: np.ndarray | None  # [d]
    W_in: np.ndarray  # [d, m]  the up projection
    b_in: np.ndarray | None  # [m]
    W_out: np.ndarray  # [m, d]  the down projection
    b_out: np.ndarray | None  # [d]
    W_gate: np.ndarray | None = None  # [d, m]  gated MLPs only


class Layers(Sequence[Block]):
    """A model's blocks, each built from the checkpoint when asked for: the converter's `build(layer)` lays out
    views of the stored tensors, and each is widened to float32 then (free for float32 files; a half-precision
    model is in float32 one layer at a time). The last block asked for is kept, so asking twice costs nothing."""

    def __init__(self, n_layer: int, build: Callable[[int], Block]) -> None:
        self._n, self._build, self._last = n_layer, build, (-1, None)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, layer: int | slice) -> Block | list[Block]:
        if isinstance(layer, slice):
            return [self[i] for i in range(self._n)[layer]]
        layer = range(self._n)[layer]  # negative indices count from the end; out of range raises IndexError
        if self._last[0] != layer:
            stored = self.stored(layer)
            self._last = layer, Block(**{k: None if v is None else widen(v) for k, v in vars(stored).items()})
        return self._last[1]

    def stored(self, layer: int) -> Block:
        """The block as the checkpoint stores it: views of the file, in its dtype."""
        try:
            return self._build(range(self._n)[layer])
        except KeyError as exc:
            raise GptMathError(f"weight {exc} is missing from the checkpoint: re-save it with save_pretrained") \
                from None


@dataclass
class Weights:
    """All of a model's parameters, as float32 numpy arrays when read (W_E, W_U, the blocks' matrices); what the
    checkpoint stores stays in its memory-mapped file until then (see gptmath.load)."""

    config: Config
    embedding: np.ndarray  # [V, d]  token embedding as stored: float32, float16 or bfloat16 (ops.widen)
    W_pos: np.ndarray | None  # [n_ctx, d]  position embedding (None for rotary models)
    blocks: Sequence[Block]  # a list, or Layers
    ln_f_w: np.ndarray  # [d]
    ln_f_b: np.ndarray | None  # [d]  (None for RMSNorm)
    unembedding: np.ndarray  # [d, V]  as stored (the embedding transposed when tied)

    @cached_property
    def W_E(self) -> np.ndarray:
        """[V, d] the token embedding in float32 (a view of the file when it stores float32)."""
        return widen(self.embedding)

    @cached_property
    def W_U(self) -> np.ndarray:
        """[d, V] the unembedding in float32 (W_E transposed when tied)."""
        return self.W_E.T if self.config.tied_embeddings else widen(self.unembedding)


# --------------------------------------------------------------------------
# The stages
# --------------------------------------------------------------------------

def norm(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, cfg: Config) -> np.ndarray:
    """The model's norm of each row of x [p, d]: LayerNorm or RMSNorm."""
    if cfg.norm == "rmsnorm":
        return rms_norm(x, w, cfg.layer_norm_eps)
    return layer_norm(x, w, b, cfg.layer_norm_eps)


def norm_scale(x: np.ndarray, cfg: Config) -> np.ndarray:
    """[p, 1]: what the norm divides each row by (LayerNorm first subtracts the row's mean)."""
    centred = x - x.mean(axis=-1, keepdims=True) if cfg.norm == "layernorm" else x
    return rms(centred, cfg.layer_norm_eps)


def normalize(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, cfg: Config, cache: dict, module: str) -> np.ndarray:
    """norm(x), recording the divisor (`{module}.hook_scale`) and the result (`{module}.hook_normalized`)."""
    cache[hooks.hook(module, "scale")] = norm_scale(x, cfg)
    cache[hooks.hook(module, "normalized")] = out = norm(x, w, b, cfg)
    return out


def attention_scale(cfg: Config, layer: int) -> float:
    """The factor multiplying q·k: 1/√d_head (or 1), and 1/(layer+1) more for layer-scaled models."""
    scale = 1 / math.sqrt(cfg.d_head) if cfg.scale_attn_weights else 1.0
    return scale / (layer + 1) if cfg.scale_attn_by_inverse_layer_idx else scale


def attention_scores(q: np.ndarray, k: np.ndarray, scale: float, window: int | None) -> np.ndarray:
    """q, k [p, h, dh] -> scores [h, p_query, p_key]; later keys (and keys beyond the window) masked to -inf."""
    scores = np.einsum("qhd,khd->hqk", q, k) * scale
    query, key = np.indices(scores.shape[1:])
    hidden = key > query  # key after query
    if window is not None:
        hidden |= query - key >= window  # too far back for a local-attention layer
    scores[:, hidden] = -np.inf
    return scores


def share_kv(x: np.ndarray, n_head: int) -> np.ndarray:
    """Key or value heads [p, kv, dh] repeated for their groups of query heads -> [p, h, dh]."""
    return np.repeat(x, n_head // x.shape[1], axis=1)


def attention(x: np.ndarray, blk: Block, cfg: Config, layer: int, cache: dict) -> np.ndarray:
    """Causal multi-head self-attention on x [p, d] (already normalised)."""
    p, h, kv, dh = x.shape[0], cfg.n_head, cfg.n_kv_head, cfg.d_head
    q = linear(x, blk.W_Q, blk.b_Q).reshape(p, h, dh)  # [p, h, dh]
    k = linear(x, blk.W_K, blk.b_K).reshape(p, kv, dh)  # [p, kv, dh]
    v = linear(x, blk.W_V, blk.b_V).reshape(p, kv, dh)
    cache.update({hooks.attn(layer, "q"): q, hooks.attn(layer, "k"): k, hooks.attn(layer, "v"): v})
    if cfg.positions == "rotary":  # position enters here: each (q, k) coordinate pair turns by a position angle
        q = rotary(q, cfg.rotary_dims, cfg.rotary_base)
        k = rotary(k, cfg.rotary_dims, cfg.rotary_base)
        cache.update({hooks.attn(layer, "rot_q"): q, hooks.attn(layer, "rot_k"): k})
    scores = attention_scores(q, share_kv(k, h), attention_scale(cfg, layer), cfg.windows[layer])  # [h, p, p]
    pattern = softmax(scores, axis=-1)  # each query's weights over keys sum to 1
    z = np.einsum("hqk,khd->qhd", pattern, share_kv(v, h))  # [p, h, dh]
    cache.update({hooks.attn(layer, "attn_scores"): scores, hooks.attn(layer, "pattern"): pattern,
                  hooks.attn(layer, "z"): z})
    return linear(z.reshape(p, h * dh), blk.W_O, blk.b_O)  # [p, d]


def mlp(x: np.ndarray, blk: Block, cfg: Config, layer: int, cache: dict) -> np.ndarray:
    """Position-wise MLP on x [p, d]: up to m, non-linearity (gated or not), back down to d."""
    if cfg.mlp == "gated":
        pre = x @ blk.W_gate  # [p, m]  the gate, before its activation
        pre_linear = linear(x, blk.W_in, blk.b_in)  # [p, m]  the up projection
        post = activation(pre, cfg.activation) * pre_linear  # [p, m]
        cache[hooks.mlp(layer, "pre_linear")] = pre_linear
    else:
        pre = linear(x, blk.W_in, blk.b_in)  # [p, m]
        post = activation(pre, cfg.activation)  # [p, m]
    cache[hooks.mlp(layer, "pre")] = pre
    cache[hooks.mlp(layer, "post")] = post
    return linear(post, blk.W_out, blk.b_out)  # [p, d]


def block(x: np.ndarray, blk: Block, cfg: Config, layer: int, cache: dict) -> np.ndarray:
    """One pre-norm block: x + attn(ln1(x)) + mlp(ln2(.)), where the MLP reads x + attn(...) or, parallel, x."""
    cache[hooks.resid(layer, "pre")] = x
    x1 = normalize(x, blk.ln1_w, blk.ln1_b, cfg, cache, hooks.ln(layer, 1))
    cache[hooks.out(layer, "attn")] = attn_out = attention(x1, blk, cfg, layer, cache)
    mlp_in = x if cfg.parallel else x + attn_out  # GPT-NeoX's parallel block has no halfway residual
    if not cfg.parallel:
        cache[hooks.resid(layer, "mid")] = mlp_in
    x2 = normalize(mlp_in, blk.ln2_w, blk.ln2_b, cfg, cache, hooks.ln(layer, 2))
    cache[hooks.out(layer, "mlp")] = mlp_out = mlp(x2, blk, cfg, layer, cache)
    x = x + attn_out + mlp_out
    cache[hooks.resid(layer, "post")] = x
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
    x = cache[hooks.EMBED] = widen(W.embedding[ids])  # [p, d]  only the prompt's rows are read
    if W.W_pos is not None:  # learned positions are added here; rotary models turn q and k instead
        cache[hooks.POS_EMBED] = pos = W.W_pos[np.arange(len(ids))]  # [p, d]
        x = x + pos
    for layer, blk in enumerate(W.blocks):
        x = block(x, blk, cfg, layer, cache)
    x = normalize(x, W.ln_f_w, W.ln_f_b, cfg, cache, hooks.LN_FINAL)
    cache[hooks.LOGITS] = product(x, W.unembedding)  # [p, V]
    return Trace(tokens=ids, token_strings=token_strings or [str(i) for i in ids], cache=cache)


def unembed(W: Weights, resid: np.ndarray) -> np.ndarray:
    """Final norm then unembedding of any residual vectors [..., d] -> logits [..., V]."""
    return product(norm(resid, W.ln_f_w, W.ln_f_b, W.config), W.unembedding)
