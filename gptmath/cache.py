"""On-disk caches beside the project: one forward pass per (model, prompt), one gradient step per
(model, text, learning rate), and whatever else a scene draws that takes forward passes, computed once (by the
render command, before any scene process starts) and read back by every scene process.

    trace = cached_trace(model, "The cat sat")
    step = cached_gradient_step(model, "assets/models/tinytales-gpt2", "Once upon a time, there was a dog", 0.002)
    step.p_before, step.p_after   # the last token's probability before and after the step
    heads = cached_result("copy_heads", model, [layer, head], lambda: pick_copy_heads(model, trace, layer, head),
                          asdict, lambda d: CopyHeads(**d))
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from .trace import Trace

CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "traces"  # beside the project, ignored by git
STEP_DIR = CACHE_DIR.parent / "steps"
RESULT_DIR = CACHE_DIR.parent / "results"
T = TypeVar("T")


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

    def take_step() -> GradientStep:
        from gpttrain.step import gradient_step  # torch and transformers: only where the step is not cached yet

        return gradient_step(str(source), text, lr)

    return _json_cached(path, take_step, asdict, lambda d: GradientStep(**d))


def cached_result(kind: str, model, parts: list, compute: Callable[[], T], encode: Callable[[T], Any],
                  decode: Callable[[Any], T], cache_dir: Path | None = None) -> T:
    """compute()'s value (a scene's own forward passes: the heads that copy, a checkpoint's predictions),
    computed once per (kind, model, parts) and then read back from a small JSON file (`encode` makes the value
    JSON, `decode` makes it again)."""
    h = hashlib.sha256(json.dumps([kind, parts]).encode("utf-8"))
    h.update(model.fingerprint.encode())
    return _json_cached(Path(cache_dir or RESULT_DIR) / kind / f"{h.hexdigest()[:24]}.json", compute, encode, decode)


def _json_cached(path: Path, compute: Callable[[], T], encode: Callable[[T], Any], decode: Callable[[Any], T]) -> T:
    """decode(the JSON at path), or compute() written there first (a damaged entry is recomputed)."""
    if path.exists():
        try:
            return decode(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            path.unlink(missing_ok=True)
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(encode(value)), encoding="utf-8")
    os.replace(tmp, path)  # scenes rendering at once never read a half-written file
    return value
