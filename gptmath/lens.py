"""Reading a trace from the inside: the logit lens, each block's change size, the strongest MLP neurons."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import hooks
from .errors import GptMathError
from .heads import check_position
from .model import Weights, unembed
from .sampling import Candidate, softmax_with_temperature, top_k
from .trace import Trace


def lens_residuals(trace: Trace, position: int = -1) -> np.ndarray:
    """[n_layer + 1, d]: the residual vector at one position before the first block and after each block."""
    P = check_position(trace.n_positions, position)
    stages = [trace[hooks.resid(0, "pre")][P]]
    stages += [trace[hooks.resid(L, "post")][P] for L in range(trace.n_layers)]
    return np.stack(stages)


def logit_lens(W: Weights, trace: Trace, token_strings: Callable[[Sequence[int]], list[str]],
               position: int = -1) -> list[Candidate]:
    """The top next-token guess from the residual before the blocks and after each block.

    Each residual goes through the final LayerNorm and the unembedding, as if
    the model stopped there; the last guess is the model's real prediction.
    """
    logits = unembed(W, lens_residuals(trace, position))  # [n_layer + 1, V]
    return [top_k(z, softmax_with_temperature(z), 1, token_strings)[0] for z in logits]


def change_sizes(trace: Trace, position: int = -1) -> np.ndarray:
    """[n_layer, 2]: the length (L2 norm) of what attention and then the MLP add to the residual at a position."""
    P = check_position(trace.n_positions, position)
    return np.array([[np.linalg.norm(trace[hooks.out(L, part)][P]) for part in ("attn", "mlp")]
                     for L in range(trace.n_layers)])


def quiet_share(trace: Trace, layer: int, position: int = -1, within: float = 0.1) -> float:
    """The share of a layer's MLP neurons whose activation at a position lies within ±`within` of 0."""
    if not 0 <= layer < trace.n_layers:
        raise GptMathError(f"layer {layer} is out of range: this model has layers 0..{trace.n_layers - 1}")
    post = trace[hooks.mlp(layer, "post")][check_position(trace.n_positions, position)]
    return float((np.abs(post) <= within).mean())


def strongest_neurons(trace: Trace, layer: int, position: int = -1, k: int = 5) -> np.ndarray:
    """Indices of the k MLP neurons with the largest activation at a position, strongest first."""
    if not 0 <= layer < trace.n_layers:
        raise GptMathError(f"layer {layer} is out of range: this model has layers 0..{trace.n_layers - 1}")
    post = trace[hooks.mlp(layer, "post")][check_position(trace.n_positions, position)]
    return np.argsort(-post, kind="stable")[:min(k, len(post))]


def settled_from(guesses: Sequence[Candidate]) -> int:
    """The index of the first guess from which every later guess is the last one's token (0: all the same).

    With `logit_lens`'s guesses, index 0 is the embedding alone and index L + 1 the stream after layer L.
    """
    if not guesses:
        raise GptMathError("no guesses: the logit lens reads at least the embedding")
    last = guesses[-1].token_id
    i = len(guesses) - 1
    while i > 0 and guesses[i - 1].token_id == last:
        i -= 1
    return i
