"""Every scene renders with Japanese on-screen text and the Japanese model, fits the frame, shows no hard-coded
English, and ends on its golden frame."""
from __future__ import annotations

import importlib

import pytest

from scenes.cli import SCENES
from scenes.i18n import catalogue
from scenes.settings import Settings
from tests.scene_harness import check_layout, check_reading, compare_golden, render, visible_texts


@pytest.mark.parametrize("module, scene_name", SCENES, ids=[cls for _, cls in SCENES])
def test_scene_renders_in_japanese(module, scene_name, tmp_path, update_golden):
    scene_cls = getattr(importlib.import_module(f"scenes.{module}"), scene_name)
    scene, frame = render(scene_cls, Settings(lang="ja"), tmp_path)
    check_layout(scene)
    check_reading(scene)
    words = catalogue(scene_cls.catalogue)
    english = set(words["en"].values()) - set(words["ja"].values())
    shown = {getattr(t, "text", "") for t in visible_texts(scene)}
    assert not shown & english, f"English text left on screen: {shown & english}"
    assert scene.title_mob is not None and any("\u3040" <= c <= "\u9fff" for c in scene.title_mob.text)
    compare_golden(frame, f"ja-{scene_name}", update_golden)


@pytest.mark.parametrize("module, key", [("reading", "arc_example"), ("reading", "copy_example"),
                                         ("chat", "request"), ("pretraining", "example_text")])
def test_japanese_example_texts_are_whole_tokens_for_the_japanese_model(module, key):
    """The scenes' own Japanese examples are cut into words and kana, never into byte pieces of a character."""
    from gptmath import load_model
    from scenes.settings import DEFAULT_MODELS

    if not DEFAULT_MODELS["ja"].is_dir():
        pytest.skip("the Japanese model is not shipped")
    model = load_model(DEFAULT_MODELS["ja"])
    text = catalogue(module)["ja"][key]
    pieces = [model.decode([i]) for i in model.encode(text)]
    assert "".join(pieces) == text
    assert not [p for p in pieces if "\ufffd" in p], f"byte pieces in {text!r}: {pieces}"
