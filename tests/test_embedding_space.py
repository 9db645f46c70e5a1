"""Embedding geometry: single-token words, PCA, camera rotation, cosine neighbours, directions."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gptmath import GptMathError
from gptmath.embedding_space import (
    cosine_similarities, direction_scores, nearest_in_group_share, nearest_neighbours, pairs_in_order,
    principal_components, rotate_view, single_token_ids, view_rotation, vocabulary_words,
)


def test_pca_of_points_on_known_axes():
    rng = np.random.default_rng(0)
    d = 6
    axes = np.linalg.qr(rng.normal(size=(d, d)))[0].T[:3]  # three orthonormal directions
    coords = rng.normal(size=(200, 3)) * np.array([5.0, 2.0, 0.5])
    centre = rng.normal(size=d)
    pca = principal_components(coords @ axes + centre)
    np.testing.assert_allclose(pca.mean, centre + coords.mean(0) @ axes, atol=1e-9)
    # each component is one of the known axes up to sign, largest spread first
    np.testing.assert_allclose(np.abs(pca.components @ axes.T), np.eye(3), atol=0.05)
    np.testing.assert_allclose(pca.explained.sum(), 1.0, atol=1e-9)
    assert pca.explained[0] > pca.explained[1] > pca.explained[2]


def test_pca_matches_numpy_covariance_eigendecomposition():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 8)) @ rng.normal(size=(8, 8))
    pca = principal_components(x)
    cov = np.cov(x.T, bias=True)
    vals, vecs = np.linalg.eigh(cov)
    top = vecs[:, ::-1][:, :3].T
    np.testing.assert_allclose(np.abs(np.sum(pca.components * top, axis=1)), 1.0, atol=1e-8)
    np.testing.assert_allclose(pca.points, (x - x.mean(0)) @ pca.components.T, atol=1e-9)
    np.testing.assert_allclose(pca.explained, vals[::-1][:3] / vals.sum(), atol=1e-9)


def test_pca_signs_are_fixed():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 5))
    a, b = principal_components(x), principal_components(x.copy())
    np.testing.assert_array_equal(a.points, b.points)
    far = np.abs(a.points).argmax(axis=0)
    assert (a.points[far, range(3)] > 0).all()


def test_pca_needs_enough_vectors():
    with pytest.raises(GptMathError, match="more words"):
        principal_components(np.ones((3, 5)))


def test_view_rotation_known_values():
    np.testing.assert_allclose(view_rotation(0, 0), np.eye(3), atol=1e-12)
    # turning by 90°: the depth axis (towards the viewer) comes to the right
    np.testing.assert_allclose(rotate_view(np.array([[0, 0, 1.0]]), math.pi / 2, 0), [[1, 0, 0]], atol=1e-12)
    # tilting by 90°: the up axis turns towards the viewer
    np.testing.assert_allclose(rotate_view(np.array([[0, 1.0, 0]]), 0, math.pi / 2), [[0, 0, 1]], atol=1e-12)
    r = view_rotation(0.7, -0.3)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


def test_cosine_of_known_vectors():
    m = np.array([[1.0, 0], [0, 2], [-3, 0], [1, 1], [0, 0]])
    np.testing.assert_allclose(cosine_similarities(m, np.array([2.0, 0])), [1, 0, -1, 1 / math.sqrt(2), 0])


def test_nearest_neighbours_exclude_the_token_itself():
    m = np.array([[1.0, 0], [0.9, 0.1], [0, 1], [-1, 0], [0.5, 0.5]])
    got = nearest_neighbours(m, 0, 3)
    assert [i for i, _ in got] == [1, 4, 2]
    assert got[0][1] == pytest.approx(0.9 / math.hypot(0.9, 0.1))
    with pytest.raises(GptMathError, match="out of range"):
        nearest_neighbours(m, 5, 2)


def test_direction_scores_are_dot_products():
    m = np.array([[1.0, 2, 0], [0, 1, 1], [3, 0, 1], [1, 1, 1]])
    np.testing.assert_allclose(direction_scores(m, [2, 3], 0, 1), [m[2] @ (m[0] - m[1]), m[3] @ (m[0] - m[1])])


def test_words_that_are_not_one_token_are_skipped(toy_model):
    words = [" girl", " xqzzy", "", " the"]
    found = single_token_ids(toy_model, words)
    assert " xqzzy" not in found and "" not in found
    for word, i in found.items():
        assert toy_model.encode(word) == [i]


def test_vocabulary_words_are_whole_word_tokens(toy_model):
    found = vocabulary_words(toy_model, 6)
    assert 0 < len(found) <= 6
    for text, i in found.items():
        assert text.startswith(" ") and text[1:].isalpha()
        assert toy_model.token_bytes(i).decode() == text


def test_groups_gather_when_each_words_nearest_is_of_its_group():
    m = np.array([[1.0, 0.1], [1.0, -0.1], [0.1, 1.0], [-0.1, 1.0], [5.0, 0.0]])
    assert nearest_in_group_share(m, [0, 1, 2, 3], [0, 0, 1, 1]) == 1.0
    assert nearest_in_group_share(m, [0, 1, 2, 3], [0, 1, 0, 1]) == 0.0  # each one's nearest is the other group's
    # row 4 points like rows 0 and 1: nearest by direction (cosine), not by distance
    assert nearest_in_group_share(m, [0, 2, 3, 4], [0, 1, 1, 0]) == 1.0
    with pytest.raises(GptMathError, match="group for each"):
        nearest_in_group_share(m, [0, 1], [0])


def test_random_vectors_hardly_gather():
    rng = np.random.default_rng(3)
    m = rng.normal(size=(40, 64))
    assert nearest_in_group_share(m, range(40), [i % 4 for i in range(40)]) < 0.5


def test_pairs_in_order_counts_pairs_along_the_direction():
    m = np.array([[1.0, 0], [-1.0, 0], [0.5, 3], [0.2, -1], [-0.3, 2], [0.4, 0]])  # direction row 0 − row 1 = (2, 0)
    assert pairs_in_order(m, [(2, 3), (4, 5)], 0, 1) == 1  # 1.0 > 0.4 in order; −0.6 < 0.8 not
    assert pairs_in_order(m, [(3, 2), (5, 4)], 0, 1) == 1
    assert pairs_in_order(m, [], 0, 1) == 0
