"""The pure numpy operations a GPT is built from: norms, rotary positions, softmax, activations.

Each takes and returns plain arrays; nothing here knows about layers, hooks or checkpoints.
Shapes: p positions, d width, h heads, dh head size.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import GptMathError


BFLOAT16 = np.dtype("V2")
"""How gptmath holds bfloat16 weights: numpy has no bfloat16, so each number stays two raw bytes until `widen`."""


def widen(a: np.ndarray) -> np.ndarray:
    """A weight as float32: itself when it is float32 already (a view, no copy), else a float32 copy of it in the
    same memory order (a transposed view stays one: no slow transposing copy); bfloat16 is the top half of a
    float32, so its bits shift up by 16."""
    if a.dtype == np.float32:
        return a
    if a.dtype == BFLOAT16:
        return np.left_shift(a.view(np.uint16), 16, dtype=np.uint32).view(np.float32)
    return a.astype(np.float32)


def product(x: np.ndarray, W: np.ndarray, columns: int = 8192) -> np.ndarray:
    """x [p, n] @ W [n, m] for W as stored: float32 in one product, half precision widened `columns` at a time
    (a vocabulary-wide matrix is never all in float32 at once)."""
    if W.dtype == np.float32:
        return x @ W
    out = np.empty((*x.shape[:-1], W.shape[1]), dtype=np.float32)
    for c in range(0, W.shape[1], columns):
        out[..., c:c + columns] = x @ widen(W[:, c:c + columns])
    return out


def largest_magnitude(a: np.ndarray, rows: int = 8192) -> float:
    """max |a| of a weight as stored: float32 without a temporary, half precision widened `rows` rows at a time
    (rows of the stored layout: a transposed view is read as the file holds it)."""
    if a.dtype == np.float32:
        return float(max(a.max(), -a.min()))
    if a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous:
        a = a.T  # the same numbers, chunked along the file's own rows
    return max(float(np.abs(widen(a[r:r + rows])).max()) for r in range(0, len(a), rows))


def linear(x: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """x @ W, plus the bias when the model has one (row vectors: x [..., n_in], W [n_in, n_out])."""
    return x @ W if b is None else x @ W + b


def rms(x: np.ndarray, eps: float) -> np.ndarray:
    """[..., 1]: the root mean square of each row of x, with eps inside the root."""
    return np.sqrt((x**2).mean(axis=-1, keepdims=True) + eps)


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """Normalise each row of x [p, d] to mean 0 and variance 1, then scale and shift."""
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred / rms(centred, eps) * w + b


def rms_norm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """Divide each row of x [p, d] by its root mean square (no centring, no shift), then scale."""
    return x / rms(x, eps) * w


def rotary_angles(n_positions: int, rotary_dims: int, base: float) -> np.ndarray:
    """[p, rotary_dims/2]: the angle each coordinate pair turns by at each position (position × frequency)."""
    inv_freq = 1.0 / base ** (np.arange(0, rotary_dims, 2, dtype=np.float64) / rotary_dims)
    return np.arange(n_positions, dtype=np.float64)[:, None] * inv_freq[None, :]


def rotary(x: np.ndarray, rotary_dims: int, base: float) -> np.ndarray:
    """Rotary position embedding of queries or keys x [p, h, dh].

    The first `rotary_dims` coordinates of each head form pairs (i, i + rotary_dims/2)
    (transformers' rotate_half layout); pair i at position t turns by t / base^(2i/rotary_dims).
    The remaining coordinates pass through unchanged.
    """
    half = rotary_dims // 2
    angles = rotary_angles(x.shape[0], rotary_dims, base)[:, None, :]  # [p, 1, half]
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    a, b, rest = x[..., :half], x[..., half:rotary_dims], x[..., rotary_dims:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin, rest], axis=-1)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along an axis; -inf entries get weight 0."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_ERFC = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
         -0.82215223, 0.17087277)  # Numerical Recipes' erfc(z) ≈ t·exp(−z² + Σ c_i tⁱ), t = 1/(1 + z/2)


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise in float64, within 1e-7 of math.erf (what GELU in float32 needs): one array
    expression rather than math.erf called on each number in turn."""
    z = np.abs(np.asarray(x, dtype=np.float64))
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.zeros_like(t)
    for c in reversed(_ERFC):
        poly = poly * t + c
    erfc = t * np.exp(-z * z + poly)
    return np.sign(x) * (1.0 - erfc)


def next_token_losses(logits: np.ndarray, ids) -> np.ndarray:
    """[p-1] nats: −log softmax(logits[t])[ids[t+1]] at every position t (float64, never overflows)."""
    z = np.asarray(logits[:-1], dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -logp[np.arange(len(ids) - 1), np.asarray(ids)[1:]]


def activation(x: np.ndarray, name: str) -> np.ndarray:
    """The MLP's non-linearity by its transformers name; GPT-2 uses the tanh approximation of GELU."""
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))))  # x·x·x: pow is slow
    if name == "gelu":
        return (0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))).astype(x.dtype)
    if name == "relu":
        return np.maximum(x, 0)
    if name in ("silu", "swish"):
        return x * (0.5 * (1.0 + np.tanh(0.5 * x)))  # x·sigmoid(x), written without overflow
    raise GptMathError(f"activation function {name!r} is not supported by gptmath")
