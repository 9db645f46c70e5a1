"""What words read: one head's links from each token to earlier ones, heads that read by content, and copying.

    from gptmath.reading import arcs, copy_example
    links = arcs(trace, layer=0, head=5, min_weight=0.1)   # (query, key, weight) for every strong link
    ex = copy_example(trace)   # a repeated token, what followed it the first time, and how sure the model is of it now
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import hooks
from .heads import check_layer_head, copying_report, favourite_tokens, previous_token_scores
from .model import softmax
from .trace import Trace


@dataclass(frozen=True)
class Arc:
    """Query token `query` reads key token `key` with attention weight `weight` (key ≤ query)."""

    query: int
    key: int
    weight: float


def arcs(trace: Trace, layer: int, head: int, min_weight: float = 0.1, queries: list[int] | None = None) -> list[Arc]:
    """Every link of one head at least `min_weight` strong (from `queries`, default all), strongest first per query."""
    pattern = trace[hooks.attn(layer, "pattern")][head]  # [q, k]
    found = []
    for q in queries if queries is not None else range(pattern.shape[0]):
        keys = np.argsort(-pattern[q, : q + 1], kind="stable")
        found += [Arc(q, int(k), float(pattern[q, k])) for k in keys if pattern[q, k] >= min_weight]
    return found


@dataclass(frozen=True)
class ContentHead:
    """A head that picks a token out by what it is, not where it is (see heads.favourite_tokens)."""

    layer: int
    head: int
    token: str  # the token it favours two or more places back
    share: float  # of its far weight that lands on that token
    lift: float  # share / that token's frequency among the keys


def pick_content_head(trace: Trace, min_lift: float = 3.0, exclude: tuple[int, int] | None = None) -> ContentHead:
    """The head whose favourite far token (not the first token) gets the largest share among heads with at least
    `min_lift` (else among all)."""
    found = []
    for L in range(trace.n_layers):
        pattern = trace[hooks.attn(L, "pattern")]
        for h in range(pattern.shape[0]):
            if (L, h) == exclude:
                continue
            # resting on the first token is a way of doing nothing, not reading content
            favs = [f for f in favourite_tokens(pattern[h], trace.token_strings) if f.token != trace.token_strings[0]]
            if favs:
                found.append(ContentHead(L, h, favs[0].token, favs[0].share, favs[0].lift))
    picky = [c for c in found if c.lift >= min_lift] or found
    return max(picky, key=lambda c: c.share)


@dataclass(frozen=True)
class CopyHeads:
    """A previous-token head of an earlier layer and the induction head of a later layer that reads its work."""

    previous: tuple[int, int]
    induction: tuple[int, int]
    previous_score: float  # on the prompt
    induction_score: float  # on repeated random tokens


def pick_copy_heads(model, trace: Trace, layer: int | None = None, head: int | None = None) -> CopyHeads:
    """The strongest induction head (on repeated random tokens; `layer`/`head` override), and the clearest
    previous-token head (on the prompt) in a layer before it."""
    check_layer_head(model.config, layer, head)
    report = copying_report(model)
    iL = layer if layer is not None else int(report.induction.max(axis=1).argmax())  # the strongest head's layer
    ih = head if head is not None else int(report.induction[iL].argmax())
    prev = previous_token_scores(trace)
    earlier = prev[: max(iL, 1)]  # a layer before the induction head's (layer 0 if it is in layer 0)
    pL, ph = (int(i) for i in np.unravel_index(earlier.argmax(), earlier.shape))
    return CopyHeads((pL, ph), (iL, ih), float(prev[pL, ph]), float(report.induction[iL, ih]))


@dataclass(frozen=True)
class CopyExample:
    """A token seen before: where it was, what came next then, and that next token's probability both times."""

    query: int  # position of the repeated token (the later occurrence)
    first: int  # position of its earlier occurrence
    copied: int  # token id that followed the earlier occurrence (at first + 1)
    p_first: float  # probability the model gave `copied` right after the earlier occurrence
    p_again: float  # probability it gives `copied` after the repeat


def copy_example(trace: Trace) -> CopyExample | None:
    """A token seen before, preferring one the text itself continues as it did the first time (a real copy);
    else the last token that occurred before with something after it; None if no token repeats."""
    tokens, found = trace.tokens, []
    for q in range(len(tokens) - 1, 0, -1):
        earlier = [k for k in range(q - 1) if tokens[k] == tokens[q]]  # k + 1 < q: something followed it
        if earlier:
            k = earlier[-1]
            copied_in_text = q + 1 < len(tokens) and tokens[q + 1] == tokens[k + 1]
            found.append((copied_in_text, q, k))
    if not found:
        return None
    _, q, k = max(found, key=lambda f: f[0])  # the latest real copy, else the latest repeat (max keeps the first)
    copied = int(tokens[k + 1])
    logits = trace["logits"]
    return CopyExample(q, k, copied, float(softmax(logits[k])[copied]), float(softmax(logits[q])[copied]))
