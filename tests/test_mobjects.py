"""The reusable Mobjects: numbers, grids and bars show what they are given, at sizes that fit."""
from __future__ import annotations

import numpy as np
import pytest

from scenes import theme as th
from scenes.mobjects import AttentionGrid, GlyphText, ProbabilityBars, label, number


def test_number_writes_a_real_minus_and_infinity_in_the_label_font():
    assert number(-1.234, 2).text == "−1.23"
    assert number(-np.inf).text == "−∞"
    glyphs, text = number(-0.5, 2, 20), label("−0.50", 20, mono=True)  # same font, same size, same box
    assert glyphs.width == pytest.approx(text.width, rel=1e-3) and glyphs.height == pytest.approx(text.height, rel=1e-3)


def test_a_number_that_rounds_to_zero_is_written_without_a_minus():
    assert number(-0.004, 2).text == "0.00" and number(-0.04, 1).text == "0.0" and number(-0.005, 2).text == "−0.01"
    scores = np.array([[-0.003, 0.0, 0.0], [-0.2, -0.0001, 0.0], [1.5, -0.006, 2e-4]])
    grid = AttentionGrid(scores, ["a", "b", "c"], mode="scores", causal=False)
    written = {(q, k): grid.cells[(q, k)][1].text for q in range(3) for k in range(3)}
    assert written[(0, 0)] == written[(1, 1)] == written[(2, 2)] == "0.00"
    assert written[(1, 0)] == "−0.20" and written[(2, 1)] == "−0.01"


def test_attention_grid_writes_every_number_at_one_size_inside_its_cell():
    scores = np.array([[1.0, -12.34, 3.0], [0.5, -1.0, 100.2], [2.0, 3.0, -4.5]])
    grid = AttentionGrid(scores, ["a", "b", "c"], mode="scores", decimals=1)
    numbers = [grid.cells[(q, k)][1] for q in range(3) for k in range(3)]
    heights: dict[str, set[float]] = {}
    for n in numbers:
        for glyph, char in zip(n, n.text):
            heights.setdefault(char, set()).add(round(glyph.height, 4))
    assert all(len(h) == 1 for h in heights.values()), heights  # e.g. a "1" as tall in "1.0" as in "−12.3"
    assert max(n.width for n in numbers) <= grid.cell_size * 0.86 + 1e-6
    assert grid.shown_values[0, 1] == -np.inf and grid.shown_values[2, 1] == pytest.approx(3.0)


def test_probability_bars_rewrite_only_when_probabilities_change():
    bars = ProbabilityBars(["a", "b"], [0.75, 0.25])
    first = bars.percents[0]
    assert isinstance(first, GlyphText) and first.text == "75.0%"
    bars.set_probs([0.75, 0.25])
    assert bars.percents[0] is first  # nothing rebuilt
    bars.set_probs([0.5, 0.5])
    assert [p.text for p in bars.percents] == ["50.0%", "50.0%"]
    assert bars.bars[0].width == pytest.approx(0.5 * bars.bar_length, rel=1e-3)


def test_gpt_camera_draws_images_like_manims_camera():
    from manim import Camera

    from scenes.render_speed import GPTCamera
    from scenes.mobjects import HeatMap, PatternThumbnail

    pattern = np.tril(np.random.default_rng(0).random((6, 6)))
    pattern /= pattern.sum(axis=1, keepdims=True)
    mobs = [PatternThumbnail(pattern, 2.0).shift(np.array([1.5, -0.5, 0])),
            HeatMap(np.random.default_rng(1).normal(size=(40, 1)), width=0.45, height=5.0).shift(np.array([-5, 0, 0])),
            PatternThumbnail(pattern, 2.0).shift(np.array([7.0, 3.5, 0]))]  # partly off the frame
    frames = []
    for camera_class in (Camera, GPTCamera):
        camera = camera_class(pixel_width=854, pixel_height=480, background_color="#102030")
        camera.capture_mobjects(mobs)
        frames.append(camera.pixel_array.astype(int))
    drawn = (frames[0] != frames[0][0, 0]).any(axis=2)
    assert drawn.mean() > 0.05  # the images are in the frame
    differ = (np.abs(frames[0] - frames[1]).max(axis=2) > 0)
    assert differ.sum() < 0.05 * drawn.sum(), differ.sum() / drawn.sum()  # cell edges may fall one pixel apart


def test_arc_diagram_draws_each_link_by_its_weight_and_skips_elided_tokens():
    from scenes.mobjects import ArcDiagram, TokenRow

    row = TokenRow(["The", " cat", " sat", " on", " the", " mat"], max_lines=1)
    arcs = ArcDiagram(row, [(2, 1, 0.8), (2, 0, 0.2), (3, 3, 0.5)])
    assert set(arcs.arcs) == {(2, 1), (2, 0), (3, 3)} and len(arcs.from_query(2)) == 2
    assert arcs.arc(2, 1).get_stroke_width() > arcs.arc(2, 0).get_stroke_width()
    assert arcs.arc(2, 0).get_top()[1] > arcs.arc(2, 1).get_top()[1]  # farther keys get higher arcs
    assert arcs.arc(2, 1).get_bottom()[1] >= row.get_top()[1] - 0.05  # above the row
    long_row = TokenRow([f" w{i}" for i in range(60)], max_width=4, max_lines=1)
    hidden = next(i for i in range(60) if i not in long_row.shown_indices)
    assert (hidden, 0) not in ArcDiagram(long_row, [(hidden, 0, 0.9)]).arcs


def test_weights_of_two_short_arcs_never_overlap():
    """Japanese tokens are narrow: the weights of 見 → を and 見 → 花 once sat on top of each other."""
    from scenes.mobjects import ArcDiagram, TokenRow

    row = TokenRow(["花", "子", "は", "赤い", "花", "を", "見", "つけました"], max_lines=1)
    links = [(6, 5, 0.47), (6, 4, 0.24)]
    arcs = ArcDiagram(row, links)
    near = [arcs.write_weight(q, k, w) for q, k, w in links]
    assert abs(near[0].get_x() - near[1].get_x()) < near[0].width and \
        abs(near[0].get_y() - near[1].get_y()) < near[0].height  # placed alone, they collide
    weights = arcs.write_weights(links)
    assert [w.text for w in weights] == ["0.47", "0.24"]
    a, b = weights
    assert a.get_top()[1] <= b.get_bottom()[1] or b.get_top()[1] <= a.get_bottom()[1]  # one above the other
    for (q, k, _), w in zip(links, weights):  # each over its own arc, the higher arc's weight higher
        arc = arcs.arc(q, k)
        assert arc.get_left()[0] <= w.get_x() <= arc.get_right()[0] and w.get_bottom()[1] >= arc.get_top()[1] - 0.01
    assert b.get_y() > a.get_y()


def test_arc_diagram_links_lines_through_the_gap_between_them():
    from scenes.mobjects import ArcDiagram, TokenRow, label

    row = TokenRow([f" word{i}" for i in range(12)], max_width=5, max_lines=3, line_buff=1.2)
    query = next(i for i in row.shown_indices if row.cell(i).get_y() < row.cell(0).get_y() - 0.1)  # second line
    key = 1
    arcs = ArcDiagram(row, [(query, key, 0.9)])
    link, q_box, k_box = arcs.arc(query, key), row.cell(query).box, row.cell(key).box
    assert link.get_top()[1] <= k_box.get_bottom()[1] + 1e-6 and link.get_bottom()[1] >= q_box.get_top()[1] - 1e-6
    weight = arcs.place_label(query, key, label("0.90", 20))
    line_one = [row.cell(i).box for i in row.shown_indices if abs(row.cell(i).get_y() - row.cell(0).get_y()) < 0.01]
    assert weight.get_bottom()[1] > q_box.get_top()[1]  # in the gap or above, never on the query's line
    touching = [b for b in line_one if weight.get_bottom()[1] < b.get_top()[1] and weight.get_top()[1] > b.get_bottom()[1]
                and weight.get_left()[0] < b.get_right()[0] and weight.get_right()[0] > b.get_left()[0]]
    assert not touching


def test_loss_curve_puts_steps_on_a_log_scale_and_losses_in_order():
    from scenes.mobjects import LossCurve

    steps, losses = [0, 30, 100, 1000, 10000], [8.3, 7.9, 6.5, 4.0, 3.1]
    curve = LossCurve(steps, losses)
    xs = [curve.point(s)[0] for s in steps]
    ys = [curve.point(s)[1] for s in steps]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True)
    assert (xs[3] - xs[2]) == pytest.approx(xs[4] - xs[3])  # one decade is one decade wide
    assert curve.steps == steps and curve.losses == losses


def test_chat_transcript_keeps_markers_and_text_in_order_and_wraps():
    from scenes.mobjects import ChatTranscript

    segments = [("<|user|>", True), ("Tell me a story about a dog named Max. " * 3, False), ("<|end|>", True),
                ("\n", False), ("<|assistant|>", True), ("Once upon a time", False)]
    t = ChatTranscript(segments, max_width=5)
    assert [m.role for m in t.markers] == ["user", "end", "assistant"]
    assert len(t.lines) >= 3 and all(line.width <= 5 + 1e-6 for line in t.lines)
    assert "".join(m.text for m in t.texts).replace(" ", "") == "".join(
        s for s, marker in segments if not marker).replace(" ", "").replace("\n", "")


JA_STORY = "むかしむかし、あるところに、おじいさんとおばあさんがすんでいました。おじいさんは山へしばかりに、おばあさんは川へ" \
           "せんたくにいきました。「おや、これはなんだろう。」"


def test_chat_transcript_wraps_japanese_between_characters_and_never_begins_a_line_with_a_comma():
    from scenes.i18n import NO_LINE_START
    from scenes.mobjects import ChatTranscript

    t = ChatTranscript([("<|assistant|>", True), (JA_STORY, False)], max_width=5)
    lines = ["".join(m.text for m in line if m in t.texts) for line in t.lines]
    assert len(lines) >= 4 and all(line.width <= 5 + 1e-6 for line in t.lines)
    assert "".join(lines) == JA_STORY
    assert not any(line[0] in NO_LINE_START for line in lines if line)
    assert any(line[1] in NO_LINE_START for line in lines[1:])  # a break fell before one: a character came down


@pytest.mark.parametrize("width", [2.2, 2.8, 3.6, 4.4])  # plain greedy breaks begin a line with 、 or 。
def test_japanese_caption_lines_never_begin_with_a_comma(width):
    from scenes.base import wrap
    from scenes.i18n import FONTS, NO_LINE_START
    from scenes.mobjects.text import text_width

    def fits(line: str) -> bool:
        return text_width(line, 20, FONTS["ja"]) <= width

    lines = wrap(JA_STORY, "ja", fits)
    assert "".join(lines) == JA_STORY and all(fits(line) for line in lines)
    assert not any(line[0] in NO_LINE_START for line in lines)


@pytest.mark.parametrize("width", [1.9, 3.4, 4.7])  # plain greedy breaks put 、 or 。 first on a line
def test_japanese_token_lines_never_begin_with_a_comma(width):
    from scenes.i18n import FONTS, NO_LINE_START
    from scenes.mobjects.tokens import wrapped_tokens

    tokens = ["むかし", "むかし", "、", "ある", "ところに", "、", "おじいさん", "と", "おばあさん", "が", "すんで", "いました",
              "。", "おじいさん", "は", "山", "へ", "しばかり", "に", "、", "おばあさん", "は", "川", "へ"]
    rows = wrapped_tokens(tokens, width, 20, FONTS["ja"])
    assert [i for row in rows for i in row] == list(range(len(tokens))) and len(rows) > 2
    assert not any(tokens[row[0]][0] in NO_LINE_START for row in rows)


def test_labels_made_for_a_small_render_are_not_reused_at_480p(tmp_path):
    """Pango wraps at the pixel width: a caption cached at 320 px must not come back wrapped at 854 px."""
    from manim import tempconfig

    text = "Softmax turns logits into probabilities: exponentiate, then divide by the sum over all 4,096 tokens"
    with tempconfig({"pixel_width": 320, "pixel_height": 180, "media_dir": str(tmp_path / "small")}):
        small = label(text, 24)
    with tempconfig({"pixel_width": 854, "pixel_height": 480, "media_dir": str(tmp_path / "wide")}):
        wide = label(text, 24)
    assert wide.height < small.height  # one line at 480p, wrapped at 320 px


def test_family_lists_what_manims_get_family_lists():
    """scenes.base.family (installed as Mobject.get_family) returns manim's list, repeats and order included."""
    from manim import Circle, Square, VGroup

    from scenes.render_speed import family

    def manims(mob):  # manim's own definition
        from manim.utils.iterables import remove_list_redundancies

        return remove_list_redundancies([mob, *[m for sub in mob.submobjects for m in manims(sub)]])

    shared = Square()
    inner = VGroup(Circle(), shared, VGroup(Square(), shared))
    tree = VGroup(inner, shared, label("ab c"), VGroup(inner[2], Circle()))
    assert family(tree) == manims(tree)
    assert family(tree).count(shared) == 1  # the repeats were there to remove
    text = label("x")
    assert family(text) == manims(text)


def test_gpt_camera_replays_outlines_exactly_where_they_are_now():
    """A remembered outline drawn again after a shift lands where manim would trace it; a changed shape is retraced."""
    from manim import Camera, Square

    from scenes.render_speed import GPTCamera

    def draw(camera_class, mobs):
        camera = camera_class(pixel_width=427, pixel_height=240)
        camera.capture_mobjects(mobs)
        return camera.pixel_array.astype(int), camera

    text, box = label("0.25 −1.50", 30), Square(1.0, fill_opacity=1)
    _, gpt = draw(GPTCamera, [text, box])  # remembers both outlines
    text.shift(np.array([1.234567, -0.5, 0]))
    box.stretch(1.5, 0)
    gpt.reset()
    gpt.capture_mobjects([text, box])
    want, _ = draw(Camera, [text, box])
    assert np.abs(gpt.pixel_array.astype(int) - want).max() <= 1


def test_gpt_camera_draws_what_manim_draws_for_odd_outlines():
    """Points that are not finite, and ends that almost meet, go manim's own way (the latter never remembered)."""
    from manim import Camera, Square, VMobject

    from scenes.render_speed import GPTCamera

    broken = Square()
    broken.points[0] = np.nan
    almost = VMobject(stroke_width=20).set_points_as_corners([[0, 0, 0], [1, 0, 0], [1, 1, 0], [3e-5, 0, 0]])
    gpt = GPTCamera(pixel_width=427, pixel_height=240)  # one camera: what it saw at 0 must not be replayed at 5
    for shift in (0.0, 5.0):
        almost.shift(np.array([shift, 0, 0]))
        want = Camera(pixel_width=427, pixel_height=240)
        want.capture_mobjects([broken, almost])
        gpt.reset()
        gpt.capture_mobjects([broken, almost])
        assert np.abs(want.pixel_array.astype(int) - gpt.pixel_array.astype(int)).max() <= 1


def test_even_labels_share_one_size_and_break_long_names():
    from scenes.mobjects import even_labels

    texts = ["a residual stream of words", "a change", "a"]
    single = label("a residual stream of words", th.SMALL_SIZE)
    mobs = even_labels(texts, width=single.width / 2, size=th.SMALL_SIZE)
    assert all(m.width <= single.width / 2 + 1e-6 for m in mobs)
    assert mobs[0].height > 1.5 * mobs[1].height  # two lines
    first_glyphs = [m.family_members_with_points()[0].height for m in mobs]
    assert first_glyphs == pytest.approx([first_glyphs[0]] * 3)  # the same "a" at the same size


def test_a_columns_numbers_share_one_size_and_fit_their_cells():
    """Every number of a VectorColumn at the size at which its widest fits (a lone '−10.06' once shrank alone, so
    '0.15' stood taller than '−0.08' beside it)."""
    from scenes.mobjects import VectorColumn

    column = VectorColumn(np.array([-0.08, 0.0, 0.15, 0.03, 5.0, -10.06]), n_shown=6, cell_width=0.6)
    numbers = [cell[1] for cell in column.cells if len(cell.submobjects) > 1]
    heights = [n.height for n in numbers]
    assert len(numbers) == 6 and max(heights) / min(heights) < 1.01
    assert max(n.width for n in numbers) <= 0.94 * 0.6 * 1.001
