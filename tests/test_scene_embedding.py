"""Embedding and EmbeddingSpace scenes: the vectors, points and numbers drawn are the model's."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import hooks
from gptmath.embedding_space import direction_scores, nearest_neighbours, principal_components
from scenes.embedding import Embedding
from scenes.embedding_space import EmbeddingSpace
from scenes.mobjects import round_ticks
from scenes.theme import show_spaces
from scenes.settings import Settings
from tests.scene_harness import LONG, ONE_TOKEN, check_layout, compare_golden, render, shown


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """One media folder for the whole module, so manim renders each distinct text only once."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def embedding(media):
    return render(Embedding, Settings(), media)


@pytest.fixture(scope="module")
def space(media):
    return render(EmbeddingSpace, Settings(), media)


def check_vectors(scene) -> None:
    """Every drawn column is the trace's (and the weights') vector, its numbers written as drawn."""
    W, trace, ids = scene.data.model.weights, scene.data.trace, scene.data.ids
    slots = [(p, t, q, r) for p, t, q, r in zip(scene.positions, scene.token_vectors, scene.position_vectors,
                                                 scene.residuals) if p is not None]
    assert [p for p, *_ in slots] == [p for p in scene.positions if p is not None]
    for p, tok, pos, resid in slots:
        np.testing.assert_array_equal(tok.values, W.W_E[ids[p]])
        np.testing.assert_array_equal(pos.values, W.W_pos[p])
        np.testing.assert_allclose(resid.values, W.W_E[ids[p]] + W.W_pos[p], rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(resid.values, trace[hooks.resid(0, "pre")][p])
        drawn = [c[1].text for c in resid.cells if len(c) > 1]
        assert drawn == [shown(v) for v in resid.shown_values]
    headers = [h for h, p in zip(scene.headers, scene.positions) if p is not None]
    for h, p in zip(headers, [p for p in scene.positions if p is not None]):
        assert h[1].text == str(ids[p])


def test_embedding_matrix_and_vectors_are_the_models(embedding):
    scene, _ = embedding
    model = scene.data.model
    V, d = model.config.vocab_size, model.config.d_model
    for (r, c), v in scene.matrix.shown.items():
        assert v == pytest.approx(float(model.weights.W_E[c, r]))  # drawn as d rows x V columns
    labels = [m.text for m, c in zip(scene.matrix.col_label_mobs, scene.matrix_cols) if c is not None]
    assert labels == [show_spaces(s) for s in model.token_strings(scene.matrix.col_indices)]
    assert "<eot>" in labels and "<|endoftext|>" in scene.short_notes[0].text  # a short header, said in full once
    assert f"{V * d:,}" in scene.params_mob.text
    assert scene.positions == list(range(len(model.encode(Settings().prompt))))
    check_vectors(scene)
    check_layout(scene)


def test_embedding_long_prompt(media):
    scene, _ = render(Embedding, Settings(prompt=LONG), media)
    n = len(scene.data.ids)
    assert n >= 35 and scene.positions[0] == 0 and scene.positions[-1] == n - 1 and None in scene.positions
    check_vectors(scene)
    check_layout(scene)


def test_embedding_other_model_one_token(toy_dirs, media):
    scene, _ = render(Embedding, Settings(model=str(toy_dirs["3L5H-gelu-n_inner"]), prompt=ONE_TOKEN), media)
    assert scene.data.model.config.d_model == 40 and scene.positions == [0]
    check_vectors(scene)
    check_layout(scene)


def test_embedding_golden(embedding, update_golden):
    compare_golden(embedding[1], "Embedding", update_golden)


def check_space(scene) -> None:
    model = scene.data.model
    W_E = model.weights.W_E
    look = scene.layout()
    words = look.cloud.ids
    for word, i in words.items():
        assert model.encode(word) == [i]
    pca = principal_components(W_E[list(words.values())])
    cloud = scene.cloud
    np.testing.assert_allclose(cloud.points3d, pca.points * cloud.radius / np.linalg.norm(pca.points, axis=1).max())
    assert [m.text for m in cloud.labels] == [show_spaces(w) for w in words]
    bars = scene.neighbour_table[-1]
    want = nearest_neighbours(W_E, scene.data.ids[scene.data.position], len(bars))
    assert bars.values == [cos for _, cos in want]
    for row, (i, cos) in zip(bars, want):
        assert row[0].text == show_spaces(model.token_strings([i])[0])
        assert row[2].text == shown(cos)
    plus, minus = look.ends
    tokens = list(look.direction.ids)
    ids = [model.encode(w)[0] for w in tokens]
    line = scene.number_line
    np.testing.assert_allclose(line.values, direction_scores(W_E, ids, plus, minus))
    dots = [m[1].get_x() for m in line.markers]
    assert dots == sorted(dots)  # markers drawn left to right by value
    assert [m[2].text for m in line.markers] == [show_spaces(tokens[i]) for i in np.argsort(line.values)]
    for tick, value in zip(line.ticks, line.tick_values):  # round values, hanging below the dots
        assert tick[0].get_x() == pytest.approx(line.x(value)) and tick[0].get_top()[1] <= line.line.get_y() + 1e-6


def test_round_ticks():
    assert round_ticks(-0.25, 0.27, 5) == ([-0.2, -0.1, 0.0, 0.1, 0.2], 1)
    assert round_ticks(-0.05, 0.051, 5) == ([-0.04, -0.02, 0.0, 0.02, 0.04], 2)
    assert round_ticks(0.3, 7.9, 5) == ([2.0, 4.0, 6.0], 0)


def test_cloud_labels_touch_their_dots(space):
    scene, _ = space
    cloud = scene.cloud
    for dot, text in zip(cloud.dots, cloud.labels):
        gap_x = max(text.get_left()[0] - dot.get_right()[0], dot.get_left()[0] - text.get_right()[0], 0)
        gap_y = max(text.get_bottom()[1] - dot.get_top()[1], dot.get_bottom()[1] - text.get_top()[1], 0)
        assert max(gap_x, gap_y) < 0.06


def test_space_points_neighbours_and_direction_are_the_models(space):
    scene, _ = space
    assert {" she", " he"} <= set(scene.layout().direction.ids)
    check_space(scene)
    check_layout(scene)


def test_space_long_prompt(media):
    scene, _ = render(EmbeddingSpace, Settings(prompt=LONG), media)
    check_space(scene)
    check_layout(scene)


def test_space_other_model_skips_missing_words(toy_dirs, media):
    """The toy tokenizer splits most example words: the scene falls back to whole-word tokens, no crash."""
    scene, _ = render(EmbeddingSpace, Settings(model=str(toy_dirs["3L5H-gelu-n_inner"]), prompt=ONE_TOKEN), media)
    assert len(scene.data.ids) == 1
    check_space(scene)
    check_layout(scene)


def test_space_golden(space, update_golden):
    compare_golden(space[1], "EmbeddingSpace", update_golden)
