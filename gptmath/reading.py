"""What words read: one head's links from each token to earlier ones, heads that read by content, and copying.

    from gptmath.reading import arcs, copy_example
    links = arcs(trace, layer=0, head=5, min_weight=0.1)   # (query, key, weight) for every strong link
    ex = copy_example(trace)   # a repeated token, what followed it the first time, and how sure the model is of it now
"""
from __future__ import annotations

from collections.abc import Collection
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


MIN_LIFT = 3.0  # a head reads by content when its favourite far token gets this many times its share of the keys
SKIP = 2  # far keys: at least this many places back (nearer ones are what previous-token and self heads read)


@dataclass(frozen=True)
class ContentHead:
    """A head's favourite far token (see heads.favourite_tokens), the first token left out: resting on it is
    a way of doing nothing, not reading content."""

    layer: int
    head: int
    token: str  # the token it favours two or more places back
    share: float  # of its far weight that lands on that token
    lift: float  # share / that token's frequency among the keys
    count: int  # how many far keys (after the first token) are that token

    def reads_content(self, min_lift: float = MIN_LIFT) -> bool:
        """Whether the head picks the token out by what it is: the token occurs at least twice among the keys
        (once, its place and its content cannot be told apart) and gets at least `min_lift` times its share."""
        return self.count >= 2 and self.lift >= min_lift


def content_heads(trace: Trace, min_lift: float = MIN_LIFT) -> list[ContentHead]:
    """Every head's favourite far token, the first token left out: the repeated token it favours most if one
    reads by content (reads_content), else its favourite."""
    tokens = trace.token_strings[1:]
    far = tokens[: max(len(tokens) - SKIP, 0)]  # the keys some query sees at least SKIP places back
    found = []
    for L in range(trace.n_layers):
        pattern = trace[hooks.attn(L, "pattern")][:, 1:, 1:]
        for h in range(pattern.shape[0]):
            favs = [ContentHead(L, h, f.token, f.share, f.lift, far.count(f.token))
                    for f in favourite_tokens(pattern[h], tokens, SKIP, n=len(set(tokens)))]
            if favs:
                found.append(next((c for c in favs if c.reads_content(min_lift)), favs[0]))
    return found


def pick_content_head(trace: Trace, min_lift: float = MIN_LIFT,
                      exclude: tuple[int, int] | None = None) -> ContentHead | None:
    """The head that reads most clearly by content: among heads whose favourite far token occurs twice or more
    with at least `min_lift`, else among heads with that lift, else among all, the one whose token gets the
    largest share. None for a text too short to have far keys (under four tokens)."""
    found = [c for c in content_heads(trace, min_lift) if (c.layer, c.head) != exclude]
    if not found:
        return None
    picky = [c for c in found if c.reads_content(min_lift)] or [c for c in found if c.lift >= min_lift] or found
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

    @property
    def rise(self) -> float:
        """How much more likely the copied token is after the repeat than the first time."""
        return self.p_again - self.p_first


def copy_example(trace: Trace, shown: Collection[int] | None = None) -> CopyExample | None:
    """A token seen before, preferring one the text itself continues as it did the first time (a real copy), and
    among those the one whose next token the model expects most more after the repeat than after the first
    occurrence (the clearest copy: a word the model completes from its first letters gains little); else the
    last token that occurred before with something after it; None if no token repeats. With `shown`, only
    repeats whose three positions (earlier occurrence, what followed it, the repeat) are among those."""
    tokens, logits, found = trace.tokens, trace["logits"], []
    for q in range(len(tokens) - 1, 0, -1):
        earlier = [k for k in range(q - 1) if tokens[k] == tokens[q]]  # k + 1 < q: something followed it
        if shown is not None:
            earlier = [k for k in earlier if {q, k, k + 1} <= set(shown)]
        if earlier:
            k = earlier[-1]
            copied = int(tokens[k + 1])
            ex = CopyExample(q, k, copied, float(softmax(logits[k])[copied]), float(softmax(logits[q])[copied]))
            copied_in_text = q + 1 < len(tokens) and tokens[q + 1] == copied
            found.append((copied_in_text, ex.rise if copied_in_text else 0.0, ex))
    if not found:
        return None
    return max(found, key=lambda f: f[:2])[2]  # the clearest real copy, else the latest repeat (max keeps the first)
