"""Copying from earlier in the context, seen in the clean case: random tokens told twice, read by the model.

    from gptmath.copying import read_twice
    r = read_twice(model, layer=1, head=3, length=20, seed=0)
    r.pattern              # [query, key]: that head's weights over the sequence (an induction head draws a stripe)
    r.first_loss, r.repeat_loss   # nats per token on the first copy and on the repeat
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import hooks
from .heads import ordinary_token_ids, repeated_random_tokens
from .ops import next_token_losses


@dataclass(frozen=True)
class ReadTwice:
    """One head's pattern over <|endoftext|> + `length` random tokens + the same tokens again, and the loss."""

    ids: np.ndarray  # [1 + 2·length]
    length: int  # random tokens in each copy
    pattern: np.ndarray  # [query, key] the head's attention weights
    losses: np.ndarray  # [2·length] nats: the loss predicting each next token

    @property
    def first_loss(self) -> float:
        """Nats per token predicting tokens 2..length of the first copy (the first has nothing to go on)."""
        return float(self.losses[1:self.length].mean())

    @property
    def repeat_loss(self) -> float:
        """Nats per token predicting the same tokens in the repeat."""
        return float(self.losses[self.length + 1:].mean())


def read_twice(model, layer: int, head: int, length: int, seed: int) -> ReadTwice:
    """Random ordinary tokens (drawn with `seed`) told twice after <|endoftext|>, one forward pass over them."""
    ordinary = ordinary_token_ids(model)
    eot = model.tokenizer.token_to_id("<|endoftext|>")
    skip = tuple(np.setdiff1d(np.arange(ordinary.max() + 1), ordinary))
    ids = repeated_random_tokens(int(ordinary.max()) + 1, length, seed, eot or 0, skip)
    trace = model.trace_ids([int(i) for i in ids])
    return ReadTwice(ids, length, trace[hooks.attn(layer, "pattern")][head], next_token_losses(trace["logits"], ids))
