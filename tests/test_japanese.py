"""Every scene renders with Japanese on-screen text, fits the frame and shows no hard-coded English."""
from __future__ import annotations

import importlib

import pytest

from scenes.cli import SCENES
from scenes.i18n import catalogue
from scenes.settings import Settings
from tests.scene_harness import check_layout, render, visible_texts


@pytest.mark.parametrize("module, scene_name", SCENES, ids=[cls for _, cls in SCENES])
def test_scene_renders_in_japanese(module, scene_name, tmp_path):
    scene_cls = getattr(importlib.import_module(f"scenes.{module}"), scene_name)
    scene, _ = render(scene_cls, Settings(lang="ja"), tmp_path)
    check_layout(scene)
    english = set(catalogue(module)["en"].values()) - set(catalogue(module)["ja"].values())
    shown = {getattr(t, "text", "") for t in visible_texts(scene)}
    assert not shown & english, f"English text left on screen: {shown & english}"
    assert scene.title_mob is not None and any("\u3040" <= c <= "\u9fff" for c in scene.title_mob.text)
