"""--theme light: the same picture printed on white, with the same meaning of colours; settings passed explicitly."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from manim import ManimColor

from scenes import theme as th
from scenes.i18n import tr
from scenes.settings import Settings
from scenes.unembedding import Unembedding
from scenes.tokenization import Tokenization
from tests.scene_harness import render, visible_texts

LIGHT = th.ink("light")


def shown(color: ManimColor) -> np.ndarray:
    return LIGHT.rgb(np.array(color.to_rgb()))


def luminance(rgb: np.ndarray) -> float:
    """WCAG relative luminance."""
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


WHITE = np.ones(3)


def test_light_background_is_white_and_dark_shows_colours_as_drawn():
    assert np.allclose(shown(th.BACKGROUND), WHITE)
    assert th.ink("dark") is None
    with pytest.raises(Exception, match="theme 'sepia' is not available"):
        Settings(theme="sepia").check()


@pytest.mark.parametrize("name", ["TEXT", "DIM", "POSITIVE", "NEGATIVE", "QUERY", "KEY", "VALUE", "HIGHLIGHT"])
def test_every_text_colour_reads_on_white(name):
    assert contrast(shown(getattr(th, name)), WHITE) >= 4.5  # WCAG AA for body text


@pytest.mark.parametrize("i", range(len(th.TOKEN_COLORS)))
def test_token_colours_read_on_white(i):
    assert contrast(shown(th.TOKEN_COLORS[i]), WHITE) >= 3.0  # token chips: bold boxes and large text


def test_values_keep_their_meaning_blue_positive_red_negative_stronger_when_larger():
    xs = np.linspace(0.05, 1.0, 12)
    for sign, (strong, weak) in ((1, (2, 0)), (-1, (0, 2))):  # blue: b > r; red: r > b
        colours = [shown(th.value_color(sign * x, 1.0)) for x in xs]
        assert all(c[strong] > c[weak] for c in colours)
        lum = [luminance(c) for c in colours]
        assert all(a > b for a, b in zip(lum, lum[1:])), "a larger value must look stronger (darker on white)"
    assert np.allclose(shown(th.value_color(0.0, 1.0)), shown(th.ZERO))
    # mixing is by the same amount as in the dark theme: a half weight sits halfway between the light ends
    half = shown(th.weight_color(0.25))  # weight_color(w) mixes sqrt(w) of the way: 0.5
    assert np.allclose(half, (shown(th.ZERO) + shown(th.POSITIVE)) / 2, atol=2 / 255)


def test_images_are_inked_like_vectors():
    values = np.array([[-1.0, -0.3, 0.0, 0.4, 1.0]])
    rgba = np.concatenate([th.value_rgb(values, 1.0), np.full((1, 5, 1), 255, np.uint8)], axis=-1)
    inked = LIGHT.pixels(rgba)
    for pixel, x in zip(inked[0], values[0]):
        assert np.allclose(pixel[:3] / 255, shown(th.value_color(x, 1.0)), atol=2 / 255)
    assert (inked[..., 3] == 255).all()


@pytest.mark.parametrize("scene_cls", [Tokenization, Unembedding])
def test_light_stills_are_white_paper_with_readable_text(scene_cls, tmp_path):
    scene, frame = render(scene_cls, Settings(theme="light"), tmp_path)
    white = (frame.min(axis=-1) >= 250).mean()
    assert white > 0.6, f"only {white:.0%} of the still is white paper"
    h, w = frame.shape[:2]
    for text in visible_texts(scene):
        if text.get_fill_opacity() < 1:
            continue
        (x0, y0), (x1, y1) = (scene.renderer.camera.points_to_pixel_coords(text, np.array([p]))[0]
                              for p in (text.get_corner(np.array([-1, 1, 0])), text.get_corner(np.array([1, -1, 0]))))
        box = frame[max(y0, 0):min(y1 + 1, h), max(x0, 0):min(x1 + 1, w)].reshape(-1, 3) / 255
        if len(box):
            darkest = box[box.sum(1).argmin()]  # the ink of the glyphs, against the paper around them
            assert contrast(darkest, WHITE) >= 3.0, f"{getattr(text, 'text', text)!r} is faint on white"
    _, dark = render(scene_cls, Settings(), tmp_path / "dark")
    assert (dark.max(axis=-1) <= 30).mean() > 0.6  # the default is still the dark theme


def test_settings_are_passed_not_read_from_the_environment(tmp_path, monkeypatch):
    """A scene given its settings ignores GPTMANIM_SETTINGS; without them (manim making it) it reads them once."""
    monkeypatch.setenv("GPTMANIM_SETTINGS", json.dumps({"prompt": "The cat", "lang": "ja"}))
    scene, _ = render(Tokenization, Settings(), tmp_path)
    assert scene.data.settings.prompt == Settings().prompt
    assert scene.title_mob.text == tr("tokens", "title", "en").replace(" ", "")  # Text keeps no spaces
    assert Tokenization().settings == Settings(prompt="The cat", lang="ja")


def test_no_module_reads_the_environment_at_import():
    """Importing every module with unreadable settings in the environment works: nothing reads them then."""
    code = ("import importlib, pkgutil\n"
            "for pkg in ('gptmath', 'gpttrain', 'scenes'):\n"
            "    for m in pkgutil.iter_modules(importlib.import_module(pkg).__path__):\n"
            "        if m.name != '__main__':\n"
            "            importlib.import_module(f'{pkg}.{m.name}')\n")
    env = os.environ | {"GPTMANIM_SETTINGS": "{not json", "GPTMANIM_FIGURES": "/nonexistent", "GPTMANIM_SLIDES": "1"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
