"""What probability bars show: the most likely next tokens and the probability left for all the others."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .sampling import softmax_with_temperature, top_k


@dataclass(frozen=True)
class Bars:
    """Chosen tokens (most likely first), their logits and probabilities, and everything else's share."""

    ids: list[int]
    texts: list[str]
    logits: list[float]
    probs: list[float]
    rest: float  # probability of all other tokens together

    @property
    def values(self) -> list[float]:
        """One value per bar: the tokens' probabilities, then the rest."""
        return [*self.probs, self.rest]


def bar_values(logits: np.ndarray, temperature: float, ids: Sequence[int]) -> list[float]:
    """softmax(logits / T) at the given token ids, then 1 − their sum (the rest)."""
    return _with_rest(softmax_with_temperature(logits, temperature), ids)


def _with_rest(probs: np.ndarray, ids: Sequence[int]) -> list[float]:
    shown = [float(probs[i]) for i in ids]
    return [*shown, max(0.0, 1.0 - float(np.sum(shown)))]


def top_bars(logits: np.ndarray, temperature: float, k: int, token_strings: Callable[[list[int]], list[str]],
             include: Sequence[int] = ()) -> Bars:
    """The k most probable tokens at temperature T, plus any ids in `include`, ordered by probability."""
    probs = softmax_with_temperature(logits, temperature)
    chosen = [c.token_id for c in top_k(logits, probs, k, token_strings)]
    chosen += [int(i) for i in include if int(i) not in chosen]
    chosen.sort(key=lambda i: -probs[i])  # stable: ties keep top_k's order
    values = _with_rest(probs, chosen)
    return Bars(chosen, token_strings(chosen), [float(logits[i]) for i in chosen], values[:-1], values[-1])
