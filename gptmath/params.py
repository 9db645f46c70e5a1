"""Counting a GPT's parameters by kind, two ways.

`parameter_tally` counts every parameter the way transformers stores the model
(biases, norms and position embeddings included, a tied unembedding counted
once): its total equals `sum(p.numel() for p in model.parameters())` for every
family gptmath reads (GPT-2, GPT-Neo, GPT-NeoX, Llama, Mistral, Qwen2).

`weight_matrix_tally` counts weight matrices only, the way 3Blue1Brown counts
GPT-3 (no biases, LayerNorms or position embeddings; one query, key and value
matrix per head, one output matrix per layer, the unembedding as its own
matrix). For `GPT3` it gives 175,181,291,520 parameters in 27,938 matrices.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from .model import Config, Weights

GPT3 = Config(n_layer=96, n_head=96, d_model=12_288, d_mlp=4 * 12_288, n_ctx=2048, vocab_size=50_257,
              tied_embeddings=False)
"""GPT-3 175B's shape (Brown et al. 2020, table 2.1): 96 layers of 96 heads of 128, MLP 4x wide."""


@dataclass(frozen=True)
class ParamGroup:
    """`copies` arrays of one `shape`, all of one kind (e.g. every layer's query weights)."""

    kind: str  # query, key, value, output, mlp_gate, mlp_up, mlp_down, token_embedding, ... (scene catalogue keys)
    shape: tuple[int, ...]
    copies: int

    @property
    def size(self) -> int:
        """Parameters in one of the arrays."""
        return math.prod(self.shape)

    @property
    def count(self) -> int:
        """Parameters in all the copies together."""
        return self.copies * self.size


def total(groups: list[ParamGroup]) -> int:
    return sum(g.count for g in groups)


def n_matrices(groups: list[ParamGroup]) -> int:
    """How many two-dimensional arrays the groups hold."""
    return sum(g.copies for g in groups if len(g.shape) == 2)


def parameter_tally(cfg: Config) -> list[ParamGroup]:
    """Every parameter by kind, in forward-pass order; sums to transformers' parameter count.

    Vector kinds (biases, norms) have a one-dimensional shape holding all of
    one layer's (or norm's) entries. A tied unembedding has 0 copies; kinds a
    model lacks (position embeddings with rotary, a gate without a gated MLP,
    biases) are left out.
    """
    d, m, L, V = cfg.d_model, cfg.d_mlp, cfg.n_layer, cfg.vocab_size
    q, kv = cfg.n_head * cfg.d_head, cfg.n_kv_head * cfg.d_head  # query width, key/value width
    biases = (q + 2 * kv) * cfg.qkv_bias + d * cfg.out_bias + (m + d) * cfg.mlp_bias  # one layer's
    norm = 2 * d if cfg.norm == "layernorm" else d  # LayerNorm: scale and shift; RMSNorm: scale only
    groups = [
        ParamGroup("token_embedding", (V, d), 1),
        ParamGroup("position_embedding", (cfg.n_ctx, d), 1) if cfg.positions == "learned" else None,
        ParamGroup("query", (d, q), L),
        ParamGroup("key", (d, kv), L),
        ParamGroup("value", (d, kv), L),
        ParamGroup("output", (q, d), L),
        ParamGroup("mlp_gate", (d, m), L) if cfg.mlp == "gated" else None,
        ParamGroup("mlp_up", (d, m), L),
        ParamGroup("mlp_down", (m, d), L),
        ParamGroup("biases", (biases,), L) if biases else None,  # query/key/value, output, MLP up, MLP down
        ParamGroup("layer_norms", (norm,), 2 * L + 1),  # two per layer plus the final one
        ParamGroup("unembedding", (d, V), 0 if cfg.tied_embeddings else 1),
    ]
    return [g for g in groups if g is not None]


def weight_matrix_tally(cfg: Config) -> list[ParamGroup]:
    """Weight matrices only, per head for query/key/value, the unembedding always counted (3Blue1Brown's way)."""
    d, dh, m, L, V = cfg.d_model, cfg.d_head, cfg.d_mlp, cfg.n_layer, cfg.vocab_size
    groups = [
        ParamGroup("token_embedding", (V, d), 1),
        ParamGroup("query", (d, dh), L * cfg.n_head),
        ParamGroup("key", (d, dh), L * cfg.n_kv_head),  # shared key/value heads counted once
        ParamGroup("value", (d, dh), L * cfg.n_kv_head),
        ParamGroup("output", (cfg.n_head * dh, d), L),
        ParamGroup("mlp_gate", (d, m), L) if cfg.mlp == "gated" else None,
        ParamGroup("mlp_up", (d, m), L),
        ParamGroup("mlp_down", (m, d), L),
        ParamGroup("unembedding", (d, V), 1),
    ]
    return [g for g in groups if g is not None]


def stored_count(weights: Weights) -> int:
    """How many numbers the loaded weights hold, array by array (a tied unembedding, the embedding's transpose,
    once): what `parameter_tally`'s total must equal when it counts every parameter."""
    arrays = [weights.W_E, weights.W_pos, weights.ln_f_w, weights.ln_f_b]
    arrays += [] if weights.config.tied_embeddings else [weights.W_U]
    arrays += [getattr(block, f.name) for block in weights.blocks for f in fields(block)]
    return sum(a.size for a in arrays if isinstance(a, np.ndarray))
