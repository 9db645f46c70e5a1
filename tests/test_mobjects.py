"""The reusable Mobjects: numbers, grids and bars show what they are given, at sizes that fit."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.mobjects import AttentionGrid, GlyphText, ProbabilityBars, label, number


def test_number_writes_a_real_minus_and_infinity_in_the_label_font():
    assert number(-1.234, 2).text == "−1.23"
    assert number(-np.inf).text == "−∞"
    glyphs, text = number(-0.5, 2, 20), label("−0.50", 20, mono=True)  # same font, same size, same box
    assert glyphs.width == pytest.approx(text.width, rel=1e-3) and glyphs.height == pytest.approx(text.height, rel=1e-3)


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

    from scenes.base import GPTCamera
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
