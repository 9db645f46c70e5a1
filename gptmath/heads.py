"""Finding attention heads worth showing, and checking layer/head numbers."""
from __future__ import annotations

import numpy as np

from .errors import GptMathError
from .model import Config
from .trace import Trace


def check_layer_head(cfg: Config, layer: int | None = None, head: int | None = None) -> None:
    """One clear error naming the valid range for an out-of-range layer or head."""
    if layer is not None and not 0 <= layer < cfg.n_layer:
        raise GptMathError(f"layer {layer} is out of range: this model has layers 0..{cfg.n_layer - 1}")
    if head is not None and not 0 <= head < cfg.n_head:
        raise GptMathError(f"head {head} is out of range: this model has heads 0..{cfg.n_head - 1}")


def check_position(n_positions: int, position: int) -> int:
    """A token position (negative counts from the end) as an index 0..p-1."""
    if not -n_positions <= position < n_positions:
        raise GptMathError(f"position {position} is out of range: the prompt has positions 0..{n_positions - 1}")
    return position % n_positions


def previous_token_scores(trace: Trace) -> np.ndarray:
    """[n_layer, n_head]: mean attention each head pays from a token to the one before it."""
    scores = []
    for L in range(trace.n_layers):
        pattern = trace[f"blocks.{L}.attn.hook_pattern"]  # [h, p, p]
        p = pattern.shape[-1]
        prev = pattern[:, np.arange(1, p), np.arange(p - 1)] if p > 1 else np.zeros((pattern.shape[0], 1))
        scores.append(prev.mean(axis=-1))
    return np.array(scores)


def pick_head(trace: Trace) -> tuple[int, int]:
    """The (layer, head) with the clearest previous-token pattern on this prompt."""
    scores = previous_token_scores(trace)
    layer, head = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(layer), int(head)
