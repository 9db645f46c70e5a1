"""Attention scenes: the numbers drawn are the trace's, the layout fits, bad layer/head numbers fail clearly."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import GptMathError, hooks
from gptmath.heads import head_roles, head_step, head_weights, unmasked_scores
from gpttrain.toy import make_toy_model
from scenes.attention_head import AttentionHead
from scenes.i18n import tr
from scenes.mobjects import GlyphText
from scenes.multi_head_attention import HeadsLayout, ModelView, MultiHeadAttention
from scenes.settings import Settings
from tests.scene_harness import HEIGHT, LONG, check_layout, compare_golden, render, visible_texts


@pytest.fixture(scope="module")
def head_scene(tmp_path_factory):
    return render(AttentionHead, Settings(), tmp_path_factory.mktemp("head"))


@pytest.fixture(scope="module")
def multi_scene(tmp_path_factory):
    return render(MultiHeadAttention, Settings(), tmp_path_factory.mktemp("multi"))


def shown_match(column, vector: np.ndarray) -> None:
    """A VectorColumn shows the vector's real entries at the indices it names."""
    assert len(column.values) == len(vector)
    np.testing.assert_allclose(column.shown_values, vector[column.shown_indices], atol=1e-6)


def test_head_queries_keys_and_products_are_the_trace(head_scene):
    scene, _ = head_scene
    d, L = scene.data, scene.data.layer
    x = d.trace[hooks.norm(L, 1, "normalized")]
    q, k = d.trace[hooks.attn(L, "q")][:, d.head], d.trace[hooks.attn(L, "k")][:, d.head]
    assert d.position == len(d.tokens) - 1  # the default query is the last token
    for i in scene.inputs.row.columns:
        shown_match(scene.inputs.row.columns[i], x[i])
        shown_match(scene.q_row.columns[i], q[i])
        shown_match(scene.k_row.columns[i], k[i])
    i = d.position
    shown_match(scene.query_product.vector, x[i])
    shown_match(scene.query_product.result, q[i])
    shown_match(scene.key_product.result, k[i])
    w = head_weights(d.model.weights, L, d.head)
    np.testing.assert_allclose(scene.query_product.vector.values @ w.W_Q + w.b_Q, q[i], atol=1e-5)


def test_head_scores_mask_and_pattern_are_the_trace(head_scene):
    scene, _ = head_scene
    d, L = scene.data, scene.data.layer
    scores, pattern = d.trace[hooks.attn(L, "attn_scores")][d.head], d.trace[hooks.attn(L, "pattern")][d.head]
    p = len(d.tokens)
    future = np.triu(np.ones((p, p), dtype=bool), k=1)
    np.testing.assert_allclose(scene.raw_grid.values, unmasked_scores(d.trace, d.model.config, d.layer, d.head))
    assert not scene.raw_grid.masked.any()
    np.testing.assert_array_equal(scene.score_grid.masked, future)
    np.testing.assert_array_equal(scene.score_grid.values, scores)
    np.testing.assert_array_equal(np.isneginf(scene.score_grid.shown_values), future)
    decimals = scene.score_grid.decimals
    np.testing.assert_allclose(scene.score_grid.shown_values[~future], np.round(scores[~future], decimals), atol=1e-9)
    np.testing.assert_array_equal(scene.pattern_grid.values, pattern)
    np.testing.assert_allclose(scene.pattern_grid.shown_values, np.round(pattern, 2), atol=1e-9)
    np.testing.assert_allclose(scene.pattern_grid.values.sum(axis=1), 1, atol=1e-5)  # each query's column
    for (q, k), cell in scene.pattern_grid.cells.items():
        assert cell[1].text == f"{pattern[q, k]:.2f}"


READABLE_PX = 8.9  # digits (cap height) about 9 px tall at 480p


def smallest_digit_px(*mobs) -> float:
    """The height in pixels at 480p of the smallest digit drawn by GlyphText numbers inside mobs."""
    heights = [glyph.height * HEIGHT / 8 for mob in mobs for sub in mob.get_family() if isinstance(sub, GlyphText)
               for glyph, char in zip(sub.submobjects, sub.text.replace(" ", "")) if char.isdigit()]
    return min(heights)


def test_head_numbers_are_readable_at_480p(head_scene):
    scene, _ = head_scene
    drawn = [scene.inputs.row, scene.q_row, scene.k_row, scene.query_product, scene.key_product, scene.raw_grid,
             scene.score_grid, scene.pattern_grid, scene.example_q, scene.example_k,
             *scene.weighted_sum.value_columns.values(), scene.weighted_sum.z, scene.output_product,
             *scene.residual_columns]
    assert all(smallest_digit_px(mob) >= READABLE_PX for mob in drawn)


def test_head_weighted_sum_output_and_residual(head_scene):
    scene, _ = head_scene
    d = scene.data
    step = head_step(d.trace, d.model.weights, d.layer, d.head, d.position)
    v = d.trace[hooks.attn(d.layer, "v")][:, d.head]
    for k, column in scene.weighted_sum.value_columns.items():
        shown_match(column, v[k])
        assert scene.weighted_sum.weight_labels[k].text == f"{step.weights[k]:.2f}"
    shown_match(scene.weighted_sum.z, d.trace[hooks.attn(d.layer, "z")][d.position, d.head])
    shown_match(scene.output_product.result, step.output)
    before, delta, after = scene.residual_columns
    shown_match(before, d.trace[hooks.resid(d.layer, "pre")][d.position])
    shown_match(delta, step.output)
    shown_match(after, step.resid_after)


def test_head_layout_and_golden(head_scene, update_golden):
    scene, frame = head_scene
    check_layout(scene)
    compare_golden(frame, "AttentionHead", update_golden)


@pytest.mark.parametrize("prompt", [LONG, "Once"])
def test_head_long_and_one_token_prompts(prompt, tmp_path):
    scene, _ = render(AttentionHead, Settings(prompt=prompt), tmp_path)
    p = len(scene.data.tokens)
    assert scene.pattern_grid.values.shape == (p, p)
    if p > 12:  # a heat map: no numbers written
        assert not scene.pattern_grid.show_numbers and np.isnan(scene.pattern_grid.shown_values).all()
    else:
        assert scene.pattern_grid.shown_values[0, 0] == 1.0
    check_layout(scene)


def test_head_on_another_model_shape(toy_dirs, tmp_path):
    scene, _ = render(AttentionHead, Settings(model=str(toy_dirs["3L5H-gelu-n_inner"]), layer=2, head=4,
                                              position=3), tmp_path)
    d = scene.data
    assert (d.layer, d.head, d.position) == (2, 4, 3)
    shown_match(scene.query_product.result, d.trace[hooks.attn(2, "q")][3, 4])
    np.testing.assert_array_equal(scene.pattern_grid.values, d.trace[hooks.attn(2, "pattern")][4])
    check_layout(scene)


@pytest.mark.parametrize("scene_cls", [AttentionHead, MultiHeadAttention])
@pytest.mark.parametrize("bad, message", [(dict(layer=4), r"layer 4 is out of range: this model has layers 0\.\.3"),
                                          (dict(layer=0, head=6), r"head 6 is out of range: .* heads 0\.\.5"),
                                          (dict(head=-1), r"heads 0\.\.5")])
def test_layer_or_head_out_of_range(scene_cls, bad, message, tmp_path):
    with pytest.raises(GptMathError, match=message):
        render(scene_cls, Settings(**bad), tmp_path)


def test_multi_head_thumbnails_and_sum_are_the_trace(multi_scene):
    scene, _ = multi_scene
    d, cfg, total, view = scene.data, scene.data.model.config, scene.layer_sum, scene.model_view
    patterns = d.trace[hooks.attn(d.layer, "pattern")]
    assert len(scene.thumbnails) == cfg.n_head
    for h, thumb in enumerate(scene.thumbnails):
        np.testing.assert_array_equal(thumb.values, patterns[h])
    attn_out = d.trace[hooks.out(d.layer, "attn")][d.position]
    np.testing.assert_allclose(total.attn_out, attn_out, atol=1e-4)
    shown_match(total.result, total.attn_out)
    assert smallest_digit_px(*total.columns, total.result) >= READABLE_PX
    for h, column in zip(total.heads, total.columns):
        shown_match(column, head_step(d.trace, d.model.weights, d.layer, h, d.position).output)
    assert set(scene.grid_thumbnails) == {(L, h) for L in range(cfg.n_layer) for h in range(cfg.n_head)}
    for (L, h), thumb in scene.grid_thumbnails.items():
        np.testing.assert_array_equal(thumb.values, d.trace[hooks.attn(L, "pattern")][h])
    assert view.roles == head_roles(d.trace)
    for (L, h), role in view.role_labels.items():
        assert role.text == tr("attention", view.roles[L][h], "en")
        assert role.get_top()[1] < scene.grid_thumbnails[(L, h)].get_bottom()[1]
    chosen = scene.grid_thumbnails[(d.layer, d.head)]
    assert np.allclose(view.chosen_frame.get_center(), chosen.get_center(), atol=1e-6)


def test_multi_head_layout_and_golden(multi_scene, update_golden):
    scene, frame = multi_scene
    check_layout(scene)
    compare_golden(frame, "MultiHeadAttention", update_golden)


@pytest.mark.parametrize("settings", [Settings(prompt=LONG), Settings(prompt="Once"), "toy"],
                         ids=["long", "one-token", "toy"])
def test_multi_head_other_prompts_and_shapes(settings, toy_dirs, tmp_path):
    if settings == "toy":
        settings = Settings(model=str(toy_dirs["3L5H-gelu-n_inner"]))
    scene, _ = render(MultiHeadAttention, settings, tmp_path)
    cfg = scene.data.model.config
    assert len(scene.grid_thumbnails) == cfg.n_layer * cfg.n_head
    check_layout(scene)


# -- a layer with many heads: thumbnails in rows, the sum of the first heads, ⋯ and the last ----------------

class HeadsAndSum(MultiHeadAttention):
    """MultiHeadAttention's first two steps only: its last frame is the sum of the heads' outputs."""

    def show_model_view(self, layout: HeadsLayout) -> ModelView:
        return ModelView(roles=[], thumbnails={}, role_labels={}, head_map=None, chosen_frame=None)


@pytest.fixture(scope="module")
def wide_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("wide")
    return {n: make_toy_model(root / f"{n}H", n_layer=2, n_head=n, d_model=4 * n) for n in (12, 16)}


def assert_clear_of_columns(scene) -> None:
    """No text outside the sum's vector columns (+, =, names, ⋯, labels) overlaps one of them."""
    total = scene.layer_sum
    columns = [*total.columns, total.result] + ([total.bias] if total.bias else [])
    inside = {id(m) for c in columns for m in c.get_family()}
    for text in visible_texts(scene):
        if id(text) in inside:
            continue
        for column in columns:
            w = min(text.get_right()[0], column.get_right()[0]) - max(text.get_left()[0], column.get_left()[0])
            h = min(text.get_top()[1], column.get_top()[1]) - max(text.get_bottom()[1], column.get_bottom()[1])
            assert w <= 0.01 or h <= 0.01, f"{text.text!r} overlaps an output column"


@pytest.mark.parametrize("n_head", [6, 12, 16])
def test_many_heads_sum_is_readable_at_480p(n_head, wide_dirs, tmp_path):
    settings = Settings() if n_head == 6 else Settings(model=str(wide_dirs[n_head]))
    scene, _ = render(HeadsAndSum, settings, tmp_path)
    check_layout(scene)
    assert_clear_of_columns(scene)
    d, total = scene.data, scene.layer_sum
    assert d.model.config.n_head == n_head
    assert min(t.width for t in scene.thumbnails) * HEIGHT / 8 >= 48  # about 50 px or more
    assert smallest_digit_px(*total.columns, total.result) >= READABLE_PX
    # the sum drawn is the layer's real attention output: every head's, the ones left to ⋯ included
    np.testing.assert_allclose(total.attn_out, d.trace[hooks.out(d.layer, "attn")][d.position], atol=1e-4)
    shown_match(total.result, total.attn_out)
    for h, column in zip(total.heads, total.columns):
        shown_match(column, head_step(d.trace, d.model.weights, d.layer, h, d.position).output)
    texts = {t.text for t in visible_texts(scene)}  # manim's Text drops spaces
    if n_head <= 6:
        assert total.heads == list(range(n_head))
        return
    assert {0, 1, 2, d.head, n_head - 1} == set(total.heads)
    assert tr("attention", "heads_summed", "en", n=n_head).replace(" ", "") in texts
    gaps = [(a + 1, b - 1) for a, b in zip(total.heads, total.heads[1:]) if b > a + 1]
    assert len(gaps) == sum(h is None for h in HeadsLayout.of(d.model.config, d.head).summed)
    assert all(f"{a}–{b}" in texts or f"head{a}" in texts for a, b in gaps)
