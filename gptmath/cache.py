"""On-disk caches beside the project: one forward pass per (model, prompt), and one gradient step per
(model, text, learning rate), computed once and read back by every scene process.

    trace = cached_trace(model, "The cat sat")
    step = cached_gradient_step(model, "assets/models/tinytales-gpt2", "Once upon a time, there was a dog", 0.002)
    step.p_before, step.p_after   # the last token's probability before and after the step
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .trace import Trace

CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "traces"  # beside the project, ignored by git
STEP_DIR = CACHE_DIR.parent / "steps"


def trace_key(model, prompt: str) -> str:
    """A hash of the model's weights and tokenizer files (or hub id) and the prompt."""
    h = hashlib.sha256(prompt.encode("utf-8"))
    h.update(model.fingerprint.encode())
    return h.hexdigest()[:24]


def cached_trace(model, prompt: str, cache_dir: Path | None = None) -> Trace:
    """The trace of prompt under model, computed once and then read back from disk."""
    path = Path(cache_dir or CACHE_DIR) / f"{trace_key(model, prompt)}.npz"
    if path.exists():
        try:
            return Trace.load(path)
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # a damaged cache entry is recomputed
    trace = model.trace(prompt)
    path.parent.mkdir(parents=True, exist_ok=True)
    trace.save(path)
    return trace


@dataclass(frozen=True)
class GradientStep:
    """An example's loss and its last token's probability before and after one plain gradient-descent step.

    gpttrain.step.gradient_step computes it in torch; it lives here so that scenes read it without importing
    torch or gpttrain.
    """

    ids: list[int]  # the example's tokens; the step lowers the loss of predicting each from the ones before
    lr: float
    loss_before: float  # nats per token over the example
    loss_after: float
    p_before: float  # probability of the last token given the others
    p_after: float
    n_changed: int  # numbers (parameters) the step changed
    n_params: int


def step_key(model, text: str, lr: float) -> str:
    """A hash of the model's fingerprint, the example text and the learning rate."""
    h = hashlib.sha256(f"gradient step v1|{lr!r}|{text}".encode("utf-8"))
    h.update(model.fingerprint.encode())
    return h.hexdigest()[:24]


def cached_gradient_step(model, source: str | os.PathLike, text: str, lr: float,
                         cache_dir: Path | None = None) -> GradientStep:
    """One real gradient step of `model` (loaded from `source`, a folder or hub id) on `text`, computed once in
    torch by gpttrain.step (imported only then: the render command computes it before any scene starts) and then
    read back from a small JSON file."""
    path = Path(cache_dir or STEP_DIR) / f"{step_key(model, text, lr)}.json"
    if path.exists():
        try:
            return GradientStep(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)  # a damaged cache entry is recomputed
    from gpttrain.step import gradient_step  # torch and transformers: only where the step is not cached yet

    step = gradient_step(str(source), text, lr)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(step)), encoding="utf-8")
    os.replace(tmp, path)  # scenes rendering at once never read a half-written file
    return step
