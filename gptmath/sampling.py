"""From logits to the next token: temperature, top-k, seeded sampling, generation."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import GptMathError
from .trace import Trace


def check_temperature(temperature: float) -> float:
    """Temperature must be a positive number (a tiny one is greedy, inf is uniform)."""
    t = float(temperature)
    if math.isnan(t) or t <= 0:
        raise GptMathError(f"temperature must be > 0 (got {temperature}); use a small value like 0.01 for greedy")
    return t


def softmax_with_temperature(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """p_i = exp(z_i / T) / sum_j exp(z_j / T), computed so it never overflows.

    T -> 0 gives the one-hot of the largest logit, T -> inf the uniform
    distribution; the result never holds NaN.
    """
    t = check_temperature(temperature)
    z = np.asarray(logits, dtype=np.float64)
    shifted = z - z.max()  # <= 0 everywhere, 0 at the maximum
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        scaled = shifted / t if math.isfinite(t) else np.zeros_like(shifted)
    scaled = np.where(np.isnan(scaled), -np.inf, scaled)
    e = np.exp(scaled)
    return e / e.sum()


@dataclass(frozen=True)
class Candidate:
    """One of the most likely next tokens."""

    token_id: int
    text: str
    logit: float
    prob: float


def top_k(logits: np.ndarray, probs: np.ndarray, k: int, token_strings) -> list[Candidate]:
    """The k most probable tokens, most likely first; token_strings maps ids to text."""
    if k < 1:
        raise GptMathError(f"top-k must be at least 1 (got {k})")
    k = min(k, len(probs))
    order = np.argsort(-probs, kind="stable")[:k]
    texts = token_strings([int(i) for i in order])
    return [Candidate(int(i), s, float(logits[i]), float(probs[i])) for i, s in zip(order, texts)]


def sample(probs: np.ndarray, rng: np.random.Generator) -> int:
    """Draw one token id with probability probs[id]."""
    return int(rng.choice(len(probs), p=probs / probs.sum()))


def next_token(logits: np.ndarray, temperature: float, rng: np.random.Generator, top_k_only: int | None = None,
               greedy: bool = False) -> tuple[np.ndarray, int]:
    """One round's pick from the last position's logits [V]: the distribution at temperature T (only the k
    likeliest tokens kept with `top_k_only`) and the token drawn from it with rng (the likeliest with `greedy`).

    The first round of `generate` is this pick from the prompt's own trace:
    next_token(trace["logits"][-1], T, np.random.default_rng(seed), k)[1] is the first token it writes.
    """
    probs = softmax_with_temperature(logits, temperature)
    if top_k_only:
        keep = np.argsort(-probs, kind="stable")[:top_k_only]
        mask = np.zeros_like(probs)
        mask[keep] = probs[keep]
        probs = mask / mask.sum()
    return probs, int(np.argmax(probs)) if greedy else sample(probs, rng)


@dataclass
class Step:
    """One round of generation: the trace of the text so far and the token it chose."""

    trace: Trace
    probs: np.ndarray  # [V] next-token distribution at this temperature
    chosen: int  # the sampled token id


def generate(model, prompt: str, n_tokens: int, temperature: float = 1.0, seed: int = 0,
             top_k_only: int | None = None, greedy: bool = False, stop: int | None = None) -> list[Step]:
    """Extend the prompt token by token; every step keeps its full trace.

    Sampling is seeded: the same seed gives the same tokens. With `greedy`
    the most likely token is taken, and with `top_k_only` sampling is limited
    to the k most likely tokens. Generation ends early after a `stop` token
    (e.g. a chat's <|end|>), which is the last step.
    """
    check_temperature(temperature)
    rng = np.random.default_rng(seed)
    ids = model.encode(prompt)
    steps: list[Step] = []
    for _ in range(n_tokens):
        ids = ids[-model.config.n_ctx:]
        trace = model.trace_ids(ids)
        probs, chosen = next_token(trace["logits"][-1], temperature, rng, top_k_only, greedy)
        steps.append(Step(trace, probs, chosen))
        if chosen == stop:
            break
        ids = [*ids, chosen]
    return steps
