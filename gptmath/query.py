"""One query of one head, for words that must be true to it: where its weights go, and how rotary turned its
pairs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import hooks
from .heads import check_layer_head, check_position, kv_head
from .model import Config
from .ops import rotary_angles
from .trace import Trace


@dataclass(frozen=True)
class QueryFocus:
    """Where one query's attention weights go: the key it weighs most, and how far above an even spread."""

    top: int  # the key with the largest weight (the first such, on a tie)
    weight: float  # its weight
    visible: int  # keys the query may read (its scores not masked to −∞)
    lift: float  # weight × visible: 1 for an even spread over the visible keys, `visible` for all on one key


def query_focus(trace: Trace, cfg: Config, layer: int, head: int, position: int) -> QueryFocus:
    """Head (layer, head) at query `position`: its heaviest key and how much that stands out.

        focus = query_focus(trace, model.config, 2, 3, -1)
        focus.top == p - 2 and focus.lift > 2   # most of the weight on the token before
    """
    check_layer_head(cfg, layer, head)
    position = check_position(trace.n_positions, position)
    scores = trace[hooks.attn(layer, "attn_scores")][head, position]
    weights = trace[hooks.attn(layer, "pattern")][head, position]
    visible, top = int(np.isfinite(scores).sum()), int(np.argmax(weights))
    return QueryFocus(top=top, weight=float(weights[top]), visible=visible, lift=float(weights[top]) * visible)


def focus_kind(focus: QueryFocus, position: int, previous_head: bool, even_lift: float = 1.5) -> str:
    """What one query's weights do, for words that must be true to them: "alone" (it may read only itself),
    "even" (its largest weight is at most `even_lift` times an even share), "previous" (most on the token just
    before, as the head does over the prompt: `previous_head`), "previous_here" (most on the token just before,
    though over the prompt the head does not mostly read it), else "other"."""
    if focus.visible == 1:
        return "alone"
    if focus.lift <= even_lift:
        return "even"
    if focus.top == position - 1:
        return "previous" if previous_head else "previous_here"
    return "other"


TurnedPair = tuple[str, int, np.ndarray, np.ndarray, float]  # vector ("q" or "k"), pair, before [2], after [2], angle


def turned_pairs(trace: Trace, cfg: Config, layer: int, head: int, position: int) -> list[TurnedPair]:
    """Rotary at one position: the head's query pair that turns fastest and the one that turns slowest, and its
    key's fastest, each before and after turning, with the angle turned (pair i: numbers i and i + rotary_dims/2)."""
    half = cfg.rotary_dims // 2
    angles = rotary_angles(trace.n_positions, cfg.rotary_dims, cfg.rotary_base)[position]
    rows = []
    for name, index, pair in (("q", head, 0), ("q", head, half - 1), ("k", kv_head(cfg, head), 0)):
        before = trace[hooks.attn(layer, name)][position, index, [pair, pair + half]]
        after = trace[hooks.attn(layer, f"rot_{name}")][position, index, [pair, pair + half]]
        rows.append((name, pair, before, after, float(angles[pair])))
    return rows
