"""Attention scenes: the numbers drawn are the trace's, the layout fits, every word is big enough to read, every
step says its narration, each claim is chosen by the numbers, bad layer/head numbers fail clearly."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import GptMathError, Trace, hooks
from gptmath.heads import head_roles, head_step, head_weights, unmasked_scores
from gptmath.query import QueryFocus, focus_kind, query_focus
from gptmath.model import Config
from gpttrain.toy import make_toy_model
from scenes.attention_head import SOFTMAX_EVEN_LIFT, AttentionHead
from scenes.i18n import catalogue, tr
from scenes.mobjects import GlyphText, quoted
from scenes.multi_head_attention import HeadsLayout, ModelView, MultiHeadAttention
from scenes.settings import Settings
from tests.families import FAMILY_SHAPES, make_family_model
from tests.narration_check import said
from tests.scene_harness import (
    HEIGHT, LONG, ONE_TOKEN, WordsChecked, check_layout, check_reading, compare_golden, render, visible_texts,
)


class CheckedHead(WordsChecked, AttentionHead):
    pass


class CheckedMulti(WordsChecked, MultiHeadAttention):
    pass


@pytest.fixture(scope="module")
def head_scene(tmp_path_factory):
    return render(CheckedHead, Settings(), tmp_path_factory.mktemp("head"))


@pytest.fixture(scope="module")
def multi_scene(tmp_path_factory):
    return render(CheckedMulti, Settings(), tmp_path_factory.mktemp("multi"))


@pytest.fixture(scope="module")
def ja_head_scene(tmp_path_factory):
    return render(CheckedHead, Settings(lang="ja"), tmp_path_factory.mktemp("ja-head"))[0]


@pytest.fixture(scope="module")
def ja_multi_scene(tmp_path_factory):
    return render(CheckedMulti, Settings(lang="ja"), tmp_path_factory.mktemp("ja-multi"))[0]


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
    scene, _ = render(CheckedHead, Settings(prompt=prompt), tmp_path)
    d = scene.data
    p = len(d.tokens)
    assert scene.pattern_grid.values.shape == (p, p)
    if p > 12:  # a heat map: no numbers written, and tokens too many to name: a note says what the axes hold
        assert not scene.pattern_grid.show_numbers and np.isnan(scene.pattern_grid.shown_values).all()
        note = tr("attention", "grid_unnamed", "en", n=p, first=quoted(d.tokens[0]), last=quoted(d.tokens[-1]))
        for grid in (scene.raw_grid, scene.score_grid, scene.pattern_grid):
            assert len(grid.key_labels) == 0 and [t.text for t in grid.query_labels] == [note.replace(" ", "")]
    else:  # one token: it reads only itself, and the narration says so rather than naming a favourite
        assert scene.pattern_grid.shown_values[0, 0] == 1.0
        assert said(scene, "say_apply_softmax_alone", query=quoted(d.tokens[0]))
        assert said(scene, "say_sum_values_alone", query=quoted(d.tokens[0]))
    assert not scene.small, f"words too small to read: {scene.small[:5]}"
    check_layout(scene)
    check_reading(scene)


def test_head_on_another_model_shape(toy_dirs, tmp_path):
    """A random model: its query spreads its weights evenly, and the narration says so, not that it reads a token."""
    scene, _ = render(AttentionHead, Settings(model=str(toy_dirs["3L5H-gelu-n_inner"]), layer=2, head=4,
                                              position=3), tmp_path)
    d = scene.data
    assert (d.layer, d.head, d.position) == (2, 4, 3)
    shown_match(scene.query_product.result, d.trace[hooks.attn(2, "q")][3, 4])
    np.testing.assert_array_equal(scene.pattern_grid.values, d.trace[hooks.attn(2, "pattern")][4])
    weights = d.trace[hooks.attn(2, "pattern")][4, 3, :4]
    assert weights.max() * 4 <= SOFTMAX_EVEN_LIFT  # random weights: close to an even 1/4 each
    query = quoted(d.tokens[3])
    assert said(scene, "say_apply_softmax_even", query=query, n=4, w=f"{weights.max():.2f}")
    assert said(scene, "say_sum_values_even", query=query, n=4)
    assert not any("reads the previous token" in line for _, line in scene.narration)
    check_layout(scene)
    check_reading(scene)


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


# -- narration: every step says its line, in both languages; each claim chosen by the numbers -------------------

def softmax_facts(scene) -> tuple[int, float, bool]:
    """The query's heaviest key and its weight, read off the trace, and whether the detectors name the head a
    previous-token head on this prompt (gptmath.heads.head_roles: TransformerLens' previous-token score)."""
    d = scene.data
    weights = d.trace[hooks.attn(d.layer, "pattern")][d.head, d.position]
    return int(weights.argmax()), float(weights.max()), head_roles(d.trace)[d.layer][d.head] == "previous"


def test_every_step_says_its_narration_in_english(head_scene, multi_scene):
    bridges = ((head_scene[0], "say_bridge_attention_head"), (multi_scene[0], "say_bridge_multi_head_attention"))
    for scene, first in bridges:
        d = scene.data
        assert scene.narration[0][1] == tr("attention", first, "en", layer=d.layer, head=d.head)
        assert len(scene.step_ends) == scene.steps_done and len(scene.narration) == scene.steps_done + 1
        check_reading(scene)  # every step says something, no placeholder left, every line up long enough to read


def test_every_step_says_its_narration_in_japanese(ja_head_scene, ja_multi_scene):
    for scene in (ja_head_scene, ja_multi_scene):
        assert len(scene.narration) == scene.steps_done + 1
        assert all(any("\u3040" <= c <= "\u9fff" for c in line) for _, line in scene.narration)
        check_reading(scene)


def test_the_bridge_opens_the_mechanics_after_the_intuition(head_scene):
    line = head_scene[0].narration[0][1]
    assert line.startswith("We have seen which tokens read which. Now the mechanics of one head")


def test_a_previous_token_head_is_said_to_read_the_token_before(head_scene):
    """The shipped model's head: its query weighs the token before most, and so does the head over the prompt."""
    scene = head_scene[0]
    d = scene.data
    top, weight, previous = softmax_facts(scene)
    assert top == d.position - 1 and previous
    assert said(scene, "say_apply_softmax_previous", query=quoted(d.tokens[d.position]), top=quoted(d.tokens[top]),
                w=f"{weight:.2f}")


def test_a_head_that_only_here_weighs_the_token_before_is_not_called_a_previous_token_head(tmp_path):
    """The Japanese model's layer 1 head 2: this query weighs the token before most, but over the prompt the head is
    no previous-token head: the narration says the first and denies the second."""
    scene = render(CheckedHead, Settings(lang="ja", layer=1, head=2), tmp_path)[0]
    d = scene.data
    top, weight, previous = softmax_facts(scene)
    assert top == d.position - 1 and not previous
    values = dict(query=quoted(d.tokens[d.position]), top=quoted(d.tokens[top]), w=f"{weight:.2f}")
    assert said(scene, "say_apply_softmax_previous_here", **values)
    assert not said(scene, "say_apply_softmax_previous", **values)


def test_a_one_head_layer_says_no_other_head_adds(toy_dirs, tmp_path):
    scene, _ = render(AttentionHead, Settings(model=str(toy_dirs["1L1H"]), prompt=ONE_TOKEN), tmp_path)
    query = quoted(scene.data.tokens[-1])
    assert said(scene, "say_add_to_residual_single", query=query)
    assert scene.captions[-1][1] == tr("attention", "residual_single", "en", query=query)
    check_reading(scene)


def made_up(pattern: np.ndarray) -> Trace:
    """A one-layer, one-head trace with this pattern [q, k] and scores masked where the pattern is 0 above the
    diagonal."""
    p = len(pattern)
    scores = np.where(np.triu(np.ones((p, p), dtype=bool), k=1), -np.inf, 0.0)
    cache = {hooks.attn(0, "pattern"): pattern[None], hooks.attn(0, "attn_scores"): scores[None],
             hooks.resid(0, "pre"): np.zeros((p, 2))}
    return Trace(tokens=np.arange(p), token_strings=[str(i) for i in range(p)], cache=cache)


@pytest.mark.parametrize("row, previous_head, kind", [
    ([0.1, 0.8, 0.1], True, "previous"), ([0.1, 0.8, 0.1], False, "previous_here"), ([0.8, 0.1, 0.1], True, "other"),
    ([0.3, 0.4, 0.3], True, "even"), ([0.5, 0.5, 0.0], True, "even"), ([0.1, 0.51, 0.39], True, "previous")])
def test_focus_kind_is_chosen_by_the_weights(row, previous_head, kind):
    pattern = np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None]
    pattern[2] = row
    cfg = Config(n_layer=1, n_head=1, d_model=2, d_mlp=8, n_ctx=8, vocab_size=3)
    focus = query_focus(made_up(pattern), cfg, 0, 0, 2)
    assert (focus.top, focus.visible) == (int(np.argmax(row)), 3)
    assert focus.lift == pytest.approx(max(row) * 3)
    assert focus_kind(focus, 2, previous_head, SOFTMAX_EVEN_LIFT) == kind
    assert focus_kind(QueryFocus(top=0, weight=1.0, visible=1, lift=1.0), 0, True) == "alone"


def role_counts_said(scene) -> None:
    """The model view's names are head_roles' and the narration counts them: or says that none is named."""
    view, d = scene.model_view, scene.data
    roles = head_roles(d.trace)
    assert view.roles == roles
    found = [role for row in roles for role in row]
    for (L, h), name in view.role_labels.items():
        assert name.text == tr("attention", roles[L][h], scene.settings.lang).replace(" ", "")
    lines = [line for _, line in scene.narration]
    if set(found) == {"spread"}:
        assert said(scene, "say_show_model_view_kinds_none", share="40%", total=len(found))
        return
    for role in set(found):
        assert any(tr("attention", f"count_{role}", scene.settings.lang, n=found.count(role)) in line for line in lines)
    for role in {"previous", "first", "self", "duplicate", "induction"} - set(found):
        words = max(catalogue("attention")[scene.settings.lang][f"count_{role}"].split("{n}"), key=len).strip()
        assert not any(words in line for line in lines), f"the narration names {role} heads, and there are none"


def test_model_view_names_and_counts_heads_by_their_roles(multi_scene, ja_multi_scene):
    """The shipped models have previous-token heads (English: head 3 of layer 2 among them; Japanese: head 4 of layer
    0): the names under the thumbnails and the counts said follow the detectors."""
    scene = multi_scene[0]
    assert scene.model_view.role_labels[(2, 3)].text == "previous"
    assert head_roles(scene.data.trace)[2][3] == "previous"
    role_counts_said(scene)
    assert head_roles(ja_multi_scene.data.trace)[0][4] == "previous"
    role_counts_said(ja_multi_scene)


def test_a_random_model_names_no_head(toy_dirs, tmp_path):
    scene, _ = render(MultiHeadAttention, Settings(model=str(toy_dirs["2L3H"])), tmp_path)
    assert {name.text for name in scene.model_view.role_labels.values()} == {"spread"}
    role_counts_said(scene)
    check_reading(scene)


def test_shared_keys_rotary_and_rmsnorm_are_narrated(tmp_path):
    """A Llama: RMSNorm, keys shared by two query heads, rotary positions: each step says what this model does."""
    model_type, kw = FAMILY_SHAPES["llama-4H-gqa2-untied"]
    folder = make_family_model(tmp_path / "llama", model_type, **kw)
    scene, _ = render(CheckedHead, Settings(model=str(folder), layer=2, head=3), tmp_path)
    assert said(scene, "say_show_inputs_rmsnorm", norm="RMSNorm", d=32)
    assert said(scene, "say_turn_pairs", deg="57") and said(scene, "say_show_turned_numbers")
    assert said(scene, "say_show_product_key_shared", kv=1, heads="2–3")
    rows, half = scene.turned_rows, scene.data.model.config.rotary_dims // 2  # gptmath.query.turned_pairs
    assert [(name, pair) for name, pair, *_ in rows] == [("q", 0), ("q", half - 1), ("k", 0)]
    assert rows[0][4] == pytest.approx(scene.data.position)  # the fastest pair turns a radian per position
    for _, _, before, after, angle in rows:  # turning keeps a pair's length, and turns it by the angle
        assert np.linalg.norm(after) == pytest.approx(np.linalg.norm(before), rel=1e-4)
        turned = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ before
        np.testing.assert_allclose(after, turned, atol=1e-4)
    assert not scene.small, f"words too small to read: {scene.small[:5]}"
    check_reading(scene)
    multi, _ = render(MultiHeadAttention, Settings(model=str(folder)), tmp_path)
    assert said(multi, "say_show_heads_shared", layer=multi.data.layer, h=4, kv=2)
    check_reading(multi)


def test_every_word_is_big_enough_to_read(head_scene, multi_scene, ja_head_scene, ja_multi_scene):
    """At every step's end, in English and Japanese: no word smaller than about 10 px at 480p (the heat map's
    token names, too small once it shrinks aside, fade out with its numbers; long Japanese tokens are not shrunk)."""
    for scene in (head_scene[0], multi_scene[0], ja_head_scene, ja_multi_scene):
        assert not scene.small, f"{type(scene).__name__} ({scene.settings.lang}): {scene.small[:5]}"
