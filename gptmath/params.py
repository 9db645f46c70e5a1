"""Counting a GPT's parameters by kind, two ways.

`parameter_tally` counts every parameter the way transformers stores a GPT-2
(biases, LayerNorms and position embeddings included, a tied unembedding
counted once): its total equals `sum(p.numel() for p in model.parameters())`.

`weight_matrix_tally` counts weight matrices only, the way 3Blue1Brown counts
GPT-3 (no biases, LayerNorms or position embeddings; one query, key and value
matrix per head, one output matrix per layer, the unembedding as its own
matrix). For `GPT3` it gives 175,181,291,520 parameters in 27,938 matrices.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .model import Config

GPT3 = Config(n_layer=96, n_head=96, d_model=12_288, d_mlp=4 * 12_288, n_ctx=2048, vocab_size=50_257,
              tied_embeddings=False)
"""GPT-3 175B's shape (Brown et al. 2020, table 2.1): 96 layers of 96 heads of 128, MLP 4x wide."""


@dataclass(frozen=True)
class ParamGroup:
    """`copies` arrays of one `shape`, all of one kind (e.g. every layer's query weights)."""

    kind: str  # query, key, value, output, mlp_up, mlp_down, token_embedding, ... (scene catalogue keys)
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
    """Every parameter of a GPT-2 by kind, in forward-pass order; sums to transformers' parameter count.

    Vector kinds (biases, LayerNorms) have a one-dimensional shape holding all
    of one layer's (or LayerNorm's) entries. A tied unembedding has 0 copies.
    """
    d, m, L = cfg.d_model, cfg.d_mlp, cfg.n_layer
    return [
        ParamGroup("token_embedding", (cfg.vocab_size, d), 1),
        ParamGroup("position_embedding", (cfg.n_ctx, d), 1),
        ParamGroup("query", (d, d), L),
        ParamGroup("key", (d, d), L),
        ParamGroup("value", (d, d), L),
        ParamGroup("output", (d, d), L),
        ParamGroup("mlp_up", (d, m), L),
        ParamGroup("mlp_down", (m, d), L),
        ParamGroup("biases", (3 * d + d + m + d,), L),  # query/key/value, output, MLP up, MLP down
        ParamGroup("layer_norms", (2 * d,), 2 * L + 1),  # scale and shift; two per layer plus the final one
        ParamGroup("unembedding", (d, cfg.vocab_size), 0 if cfg.tied_embeddings else 1),
    ]


def weight_matrix_tally(cfg: Config) -> list[ParamGroup]:
    """Weight matrices only, per head for query/key/value, the unembedding always counted (3Blue1Brown's way)."""
    d, dh, m, L, H, V = cfg.d_model, cfg.d_head, cfg.d_mlp, cfg.n_layer, cfg.n_head, cfg.vocab_size
    return [
        ParamGroup("token_embedding", (V, d), 1),
        ParamGroup("query", (d, dh), L * H),
        ParamGroup("key", (d, dh), L * H),
        ParamGroup("value", (d, dh), L * H),
        ParamGroup("output", (d, d), L),
        ParamGroup("mlp_up", (d, m), L),
        ParamGroup("mlp_down", (m, d), L),
        ParamGroup("unembedding", (d, V), 1),
    ]
