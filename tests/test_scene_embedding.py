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
from tests.narration_check import said
from tests.scene_harness import LONG, ONE_TOKEN, WordsChecked, check_layout, compare_golden, render, shown


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
    notes = " ".join(n.text for n in scene.short_notes)
    for text, full in zip(labels, [show_spaces(s) for s in model.token_strings(scene.matrix.col_indices)]):
        # whole, or cut short with … and said in full in a note (Text drops spaces)
        assert text == full or (text.endswith("…") and full.startswith(text[:-1]) and full in notes), (text, full)
    from scenes.mobjects import label
    from scenes.theme import SMALL_SIZE
    ratios = [m.width / label(m.original_text, SMALL_SIZE).width for m in scene.matrix.col_label_mobs]
    assert max(ratios) == pytest.approx(min(ratios), rel=0.02), "a header was shrunk to fit its column"
    assert "<eot>" in labels and "<|endoftext|>" in scene.short_notes[0].text  # a short header, said in full once
    assert f"{V * d:,}" in scene.params_mob.text
    assert scene.positions == list(range(len(model.encode(Settings().prompt))))
    check_vectors(scene)
    check_layout(scene)


class CheckedEmbedding(WordsChecked, Embedding):
    pass


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_word_of_embedding_is_big_enough_to_read(lang, media):
    """At every step's end, no word under about 10 px at 480p: the matrix shrinks aside as its coloured boxes
    only (its numbers, token names and sizes fade out before)."""
    scene, _ = render(CheckedEmbedding, Settings(lang=lang), media)
    assert not scene.small, scene.small[:5]


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


# --- narration, the addition drawn, claims chosen by the numbers (issue 27) ----------------------------------------

EMBEDDING_STEPS = ["show_matrix", "pull_out_columns", "add_positions", "point_to_rotary", "sum_vectors"]
SPACE_STEPS = ["show_cloud", "show_neighbours", "show_direction"]
PX_PER_UNIT = 480 / 8  # 480p: the frame is 8 units tall


@pytest.fixture(scope="module")
def rotary_dir(tmp_path_factory):
    from tests.families import FAMILY_SHAPES, make_family_model

    model_type, kw = FAMILY_SHAPES["llama-3H-gqa3-tied"]
    return make_family_model(tmp_path_factory.mktemp("rotary") / "llama", model_type, **kw)


def test_every_step_has_its_narration_in_both_languages():
    from scenes.i18n import LANGUAGES, catalogue

    cat = catalogue("embedding")
    steps = EMBEDDING_STEPS + SPACE_STEPS
    for lang in LANGUAGES:
        keys = {k for k in cat[lang] if k.startswith("say_")}
        assert {"say_bridge_embedding", "say_bridge_embedding_space"} <= keys
        assert all(f"say_{step}" in keys for step in steps)
        assert all(k.startswith("say_bridge") or any(k.startswith(f"say_{s}") for s in steps) for k in keys)


@pytest.mark.parametrize("kw", [dict(), dict(lang="ja")], ids=["en", "ja"])
def test_embedding_draws_the_addition_it_narrates(kw, media):
    """Token vectors, position vectors and their sums all stay on screen, one row under another, under a rule."""
    from tests.scene_harness import check_reading

    scene, _ = render(Embedding, Settings(**kw), media)
    check_reading(scene)
    on_screen = {id(m) for top in scene.mobjects for m in top.get_family()}
    for group in (scene.token_vectors, scene.position_vectors, scene.residuals):
        assert all(id(v) in on_screen for v in group), "an addend or a sum is not on screen at the end"
    assert scene.token_vectors.get_y() > scene.position_vectors.get_y() > scene.residuals.get_y()
    cfg, last = scene.data.model.config, len(scene.data.tokens) - 1
    assert said(scene, "say_show_matrix", d=f"{cfg.d_model:,}", v=f"{cfg.vocab_size:,}",
                n=f"{cfg.d_model * cfg.vocab_size:,}")
    assert said(scene, "say_pull_out_columns", token=show_spaces(scene.data.tokens[last]), id=scene.data.ids[last])
    assert said(scene, "say_add_positions", n_ctx=f"{cfg.n_ctx:,}")
    assert said(scene, "say_sum_vectors", d=f"{cfg.d_model:,}", layers=cfg.n_layer)
    assert not any("matrix" in text or "行列" in text for t, text in scene.captions[2:]), \
        "a caption speaks of a matrix after the matrix has gone"
    ids = [h[1] for h, p in zip(scene.headers, scene.positions) if p is not None]  # never shrunk to fit
    assert min(i.height for i in ids) * PX_PER_UNIT >= 9.5


def test_embedding_of_a_rotary_model_says_no_position_vector_is_added(rotary_dir, media):
    from tests.scene_harness import check_reading

    scene, _ = render(Embedding, Settings(model=str(rotary_dir)), media)
    check_reading(scene)
    cfg = scene.data.model.config
    assert said(scene, "say_point_to_rotary") and not said(scene, "say_add_positions", n_ctx=f"{cfg.n_ctx:,}")
    assert said(scene, "say_sum_vectors_rotary", d=f"{cfg.d_model:,}", layers=cfg.n_layer)
    check_layout(scene)


def test_space_cloud_turns_throughout_its_turn(media):
    """Every frame of the turn differs from the one before (the cloud's updater once ran on nothing)."""
    from tests.scene_harness import after_each_frame

    for lang in ("en", "ja"):
        frames = []
        with after_each_frame(lambda r, s: frames.append((r.time, np.asarray(r.camera.get_image().convert("L"))))):
            scene, _ = render(EmbeddingSpace, Settings(lang=lang), media, width=320, height=180, animate=True,
                              frame_rate=2)
        start, end = scene.turn_span
        turn = [f for t, f in frames if start < t <= end + 1e-6]
        assert len(turn) >= 10
        for i, (a, b) in enumerate(zip(turn, turn[1:])):
            changed = (np.abs(a.astype(int) - b.astype(int)) > 40).mean()
            assert changed > 0.002, f"{lang}: frame {i + 1} of the turn is the same as the one before"


def space_lines(scene) -> dict[str, dict]:
    """The values the scene's cloud and direction narration must say, computed here with gptmath, and which
    variant the numbers choose: {step: {"kind": variant suffix, **values}}."""
    from gptmath.embedding_space import nearest_in_group_share, pairs_in_order

    model, look = scene.data.model, scene.layout()
    W_E, cloud, line = model.weights.W_E, look.cloud, look.direction
    pct = f"{100 * principal_components(W_E[list(cloud.ids.values())]).explained.sum():.0f}"
    if not cloud.kinds:
        kind = "_ungrouped"
    else:
        kind = "" if nearest_in_group_share(W_E, list(cloud.ids.values()), cloud.kinds) > 0.5 else "_mixed"
    ids = list(line.ids.values())
    pairs = [tuple(i for i, k in zip(ids, line.kinds) if k == j) for j in sorted(set(line.kinds)) if j > 0]
    pairs = [p for p in pairs if len(p) == 2]
    in_order = pairs_in_order(W_E, pairs, *look.ends)
    plus, minus = (show_spaces(t) for t in model.token_strings(list(look.ends)))
    return {"show_cloud": dict(kind=kind, d=f"{W_E.shape[1]:,}", n=len(cloud.ids), pct=pct),
            "show_direction": dict(kind="_words" if not pairs else ("" if in_order > len(pairs) / 2 else "_mixed"),
                                   plus=plus, minus=minus, sorted=in_order, pairs=len(pairs))}


@pytest.mark.parametrize("case, cloud, direction", [("en", "", ""), ("ja", "", "_mixed"),
                                                    ("untrained", "_mixed", "_mixed"), ("toy", "_ungrouped", "_words")])
def test_space_narration_is_chosen_by_the_numbers(case, cloud, direction, untrained_dir, toy_dirs, media):
    """The English model: the groups gather and the pairs line up. The Japanese one: the groups gather, but only
    3 of its 6 pairs lie in order along 女 − 男. Random weights with the same words: neither. A tokenizer that
    splits the words: vocabulary words, no groups, no pairs."""
    from tests.scene_harness import check_reading

    kw = {"en": dict(), "ja": dict(lang="ja"), "untrained": dict(model=str(untrained_dir)),
          "toy": dict(model=str(toy_dirs["3L5H-gelu-n_inner"]), prompt=ONE_TOKEN)}[case]
    scene, _ = render(EmbeddingSpace, Settings(**kw), media)
    check_reading(scene)
    want = space_lines(scene)
    assert (want["show_cloud"]["kind"], want["show_direction"]["kind"]) == (cloud, direction)
    for step, values in want.items():
        kind = values.pop("kind")
        assert said(scene, f"say_{step}{kind}", **values), f"{case}: not say_{step}{kind} with {values}"
    d = scene.data.model.config.d_model
    assert said(scene, "say_bridge_embedding_space", d=f"{d:,}")
    p, model = scene.data.position, scene.data.model
    nearest, cos = nearest_neighbours(model.weights.W_E, scene.data.ids[p], 1)[0]
    assert said(scene, "say_show_neighbours", v=f"{model.config.vocab_size:,}", token=show_spaces(scene.data.tokens[p]),
                nearest=show_spaces(model.token_strings([nearest])[0]), cos=shown(cos))
