"""An on-disk cache of traces: one forward pass per (model, prompt), shared by all scenes."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .trace import Trace

CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "traces"  # beside the project, ignored by git


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
