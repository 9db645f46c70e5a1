"""The geometry of token embeddings: which words are one token, PCA to 3-D, cosine neighbours, directions, and
whether groups of words gather and pairs of words line up along a direction. A matrix is taken as stored (the
memory-mapped embedding, any float type): only the rows used are widened to float64.

    ids = single_token_ids(model, [" cat", " dog", " she", " he"])   # {word: id}, others skipped
    pca = principal_components(model.weights.W_E[list(ids.values())])
    nearest_neighbours(model.weights.W_E, ids[" cat"], k=5)           # [(id, cosine), ...]
    direction_scores(model.weights.W_E, [ids[" cat"]], ids[" she"], ids[" he"])
    nearest_in_group_share(model.weights.W_E, [ids[" cat"], ids[" dog"], ids[" she"]], [0, 0, 1])  # do groups gather?
    pairs_in_order(model.weights.W_E, [(ids[" girl"], ids[" boy"])], ids[" she"], ids[" he"])  # pairs sorted along it
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import GptMathError
from .ops import widen


def single_token_ids(model, words: Sequence[str]) -> dict[str, int]:
    """{word: id} for the words the tokenizer keeps as exactly one token, in the given order; others are skipped."""
    found: dict[str, int] = {}
    for word in words:
        ids = model.encode(word) if word else []
        if len(ids) == 1:
            found[word] = ids[0]
    return found


def vocabulary_words(model, n: int, min_letters: int = 3) -> dict[str, int]:
    """{token text: id} of up to n whole-word tokens (a space then letters), most recently merged first.

    A fallback word list for tokenizers that split the usual example words.
    """
    pattern = re.compile(rf"^ [A-Za-z]{{{min_letters},}}$")
    found: dict[str, int] = {}
    for i in range(model.config.vocab_size - 1, -1, -1):
        if len(found) == n:
            break
        text = model.token_bytes(i).decode("utf-8", errors="replace")
        if pattern.match(text) and text not in found:
            found[text] = i
    return found


@dataclass(frozen=True)
class PCA:
    """Points projected onto their directions of greatest spread."""

    points: np.ndarray  # [n, k] coordinates along each component
    components: np.ndarray  # [k, d] unit directions, greatest spread first
    mean: np.ndarray  # [d] the centre that was subtracted
    explained: np.ndarray  # [k] fraction of the total variance each component keeps


def principal_components(vectors: np.ndarray, k: int = 3) -> PCA:
    """PCA of vectors [n, d] to k dimensions (needs n > k).

    Signs are fixed so the point farthest along each component lies on its positive side,
    so the same data always gives the same picture.
    """
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] <= k or x.shape[1] < k:
        raise GptMathError(f"PCA to {k} dimensions needs more than {k} vectors of at least {k} numbers "
                           f"(got shape {x.shape}): give more words")
    mean = x.mean(axis=0)
    centred = x - mean
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:k]
    points = centred @ components.T
    flip = np.sign(points[np.abs(points).argmax(axis=0), np.arange(k)])
    flip[flip == 0] = 1
    total = float((s**2).sum())
    explained = (s[:k] ** 2) / total if total > 0 else np.zeros(k)
    return PCA(points * flip, components * flip[:, None], mean, explained)


def view_rotation(azimuth: float, elevation: float) -> np.ndarray:
    """[3, 3] rotation for a camera turned by azimuth about the vertical axis, then tilted by elevation (radians).

    Rows give screen x (right), screen y (up) and depth (towards the viewer).
    """
    ca, sa, ce, se = math.cos(azimuth), math.sin(azimuth), math.cos(elevation), math.sin(elevation)
    turn = np.array([[ca, 0, sa], [0, 1, 0], [-sa, 0, ca]])  # about the y axis
    tilt = np.array([[1, 0, 0], [0, ce, -se], [0, se, ce]])  # about the x axis
    return tilt @ turn


def rotate_view(points: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
    """3-D points [n, 3] as seen by the turned camera: [n, 3] of screen x, screen y, depth."""
    return np.asarray(points, dtype=np.float64) @ view_rotation(azimuth, elevation).T


def rows(matrix: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """Rows `ids` of a matrix as stored (float32, float16 or bfloat16, memory-mapped) in float64: only those rows
    are read and widened."""
    return np.asarray(widen(np.asarray(matrix)[list(ids)]), dtype=np.float64)


def cosine_similarities(matrix: np.ndarray, vector: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """cos(angle) between each row of matrix [n, d] (as stored) and vector [d]; a zero vector gives 0. The rows
    are read `chunk` at a time, so a vocabulary-wide matrix is never all in float64 at once."""
    v = np.asarray(vector, dtype=np.float64)
    cos = np.empty(len(matrix))
    for start in range(0, len(matrix), chunk):
        m = rows(matrix, range(start, min(start + chunk, len(matrix))))
        norms = np.linalg.norm(m, axis=1) * np.linalg.norm(v)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos[start:start + len(m)] = np.where(norms > 0, (m @ v) / norms, 0.0)
    return cos


def nearest_neighbours(matrix: np.ndarray, index: int, k: int) -> list[tuple[int, float]]:
    """The k rows most similar (by cosine) to row `index`, itself excluded: [(row, cosine), ...]."""
    n = len(matrix)
    if not 0 <= index < n:
        raise GptMathError(f"token id {index} is out of range: ids run 0..{n - 1}")
    cos = cosine_similarities(matrix, rows(matrix, [index])[0])
    cos[index] = -np.inf
    order = np.argsort(-cos, kind="stable")[:min(k, n - 1)]
    return [(int(i), float(cos[i])) for i in order]


def direction_scores(matrix: np.ndarray, ids: Sequence[int], plus: int, minus: int) -> np.ndarray:
    """Dot product of each row `ids` of matrix with the direction matrix[plus] − matrix[minus]."""
    ends = rows(matrix, [plus, minus])
    return rows(matrix, ids) @ (ends[0] - ends[1])


def nearest_in_group_share(matrix: np.ndarray, ids: Sequence[int], groups: Sequence[int]) -> float:
    """The share of rows `ids` whose most similar other row among them (cosine over all their numbers) has the
    same group: near 1 when each group's rows gather together, about one over the number of groups at random."""
    if len(ids) != len(groups) or len(ids) < 2:
        raise GptMathError(f"need a group for each of at least 2 rows (got {len(ids)} rows, {len(groups)} groups)")
    m = rows(matrix, ids)
    norms = np.linalg.norm(m, axis=1)
    unit = m / np.where(norms > 0, norms, 1.0)[:, None]
    cos = unit @ unit.T
    np.fill_diagonal(cos, -np.inf)
    g = np.asarray(groups)
    return float((g[cos.argmax(axis=1)] == g).mean())


def pairs_in_order(matrix: np.ndarray, pairs: Sequence[tuple[int, int]], plus: int, minus: int) -> int:
    """How many pairs (a, b) of rows have a further along the direction matrix[plus] − matrix[minus] than b."""
    return sum(int(a > b) for a, b in (direction_scores(matrix, pair, plus, minus) for pair in pairs))
