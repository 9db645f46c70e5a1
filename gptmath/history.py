"""What a model predicted at saved steps of its training: the next-token bars after a prompt, and a continuation
sampled with the same seed.

    from gptmath.checkpoints import checkpoints
    from gptmath.history import chance_loss, predictions, samples
    history = checkpoints("assets/models/tinytales-gpt2")
    for p in predictions(history, "Once upon a", 5):
        print(p.checkpoint.step, p.top.texts[0], p.top.probs[0])   # near-uniform at step 0 (p.top_lift about 1)
    chance_loss(1024)   # 6.93 nats per token: guessing evenly among 1,024 tokens
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .checkpoints import Checkpoint
from .load import load_model
from .readout import Bars, top_bars
from .sampling import generate


@dataclass(frozen=True)
class Prediction:
    """One checkpoint's likeliest next tokens after the prompt (temperature 1)."""

    checkpoint: Checkpoint
    top: Bars
    vocab_size: int

    @property
    def top_lift(self) -> float:
        """The likeliest token's probability over an even share (1 / vocab_size): about 1 when every token is
        about equally likely, as with random weights."""
        return self.top.probs[0] * self.vocab_size


def predictions(history: Sequence[Checkpoint], prompt: str, n: int) -> list[Prediction]:
    """Each checkpoint's `n` likeliest next tokens after `prompt`, one forward pass each."""
    found = []
    for c in history:
        model = load_model(c.path)
        top = top_bars(model.trace(prompt)["logits"][-1], 1.0, n, model.token_strings)
        found.append(Prediction(c, top, model.config.vocab_size))
    return found


def spread(history: Sequence[Checkpoint]) -> list[Checkpoint]:
    """Up to three saved steps across training: a third of the way, two thirds, and the last (none for none)."""
    n = len(history)
    return sorted({history[n // 3], history[2 * n // 3], history[-1]}, key=lambda c: c.step) if n else []


def chance_loss(vocab_size: int) -> float:
    """Nats per token of guessing every token equally likely: ln(vocab_size), the loss an untrained model starts
    near."""
    return math.log(vocab_size)


@dataclass(frozen=True)
class Sample:
    """A continuation sampled from one checkpoint: the prompt's tokens, then the sampled ones."""

    checkpoint: Checkpoint
    prompt_tokens: list[str]
    sampled_tokens: list[str]


def samples(history: Sequence[Checkpoint], prompt: str, n_tokens: int, temperature: float, seed: int,
            top_k: int | None) -> list[Sample]:
    """`n_tokens` sampled after `prompt` by each checkpoint, with the same seed, temperature and top-k."""
    found = []
    for c in history:
        model = load_model(c.path)
        steps = generate(model, prompt, n_tokens, temperature=temperature, seed=seed, top_k_only=top_k)
        found.append(Sample(c, model.token_strings(model.encode(prompt)),
                            model.token_strings([x.chosen for x in steps])))
    return found
