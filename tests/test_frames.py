"""Every frame written to the video shows exactly what is on screen: no stale or half-drawn mobjects.

Manim draws an animation's frames as a cached background of the mobjects it
believes are still, plus the moving ones. Each scene is rendered small, at a
low frame rate, with animations; at sampled frames the frame written is
compared with a fresh render of every mobject on screen.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from manim.utils.iterables import list_update

from gptmath.chat import read_chat_template
from gptmath.load import DEFAULT_MODEL
from scenes.chat import Chat
from scenes.cli import SCENES as STORY
from scenes.settings import Settings
from tests.scene_harness import after_each_frame, check_reading, render

SCENES = [getattr(importlib.import_module(f"scenes.{module}"), name) for module, name in STORY]
DEFAULT_CHAT_TEMPLATE = read_chat_template(DEFAULT_MODEL)
EVERY = 3  # compare every third frame written
TOLERANCE = 0.002  # share of pixels that may differ (by more than 40 of 255) between the two renders


class FrameChecker:
    """After every EVERY-th frame drawn, render everything on screen afresh and compare."""

    def __init__(self) -> None:
        self.calls, self.checked, self.bad = 0, 0, []

    def __call__(self, renderer, scene) -> None:
        self.calls += 1
        if self.calls % EVERY:
            return
        camera = renderer.camera
        written = camera.pixel_array.copy()
        camera._paths.clear()  # the fresh render traces every outline anew (GPTCamera replays remembered ones)
        camera.reset()
        camera.capture_mobjects(list_update(scene.mobjects, scene.foreground_mobjects))
        fresh = camera.pixel_array.copy()
        camera.pixel_array[:] = written
        off = (np.abs(written[..., :3].astype(int) - fresh[..., :3]).max(axis=-1) > 40).mean()
        self.checked += 1
        if off > TOLERANCE:
            self.bad.append((round(renderer.time, 2), round(float(off), 4)))


@pytest.mark.parametrize("scene_cls", SCENES, ids=lambda c: c.__name__)
def test_every_sampled_frame_matches_a_fresh_render(scene_cls, tmp_path, toy_dir):
    checker = FrameChecker()
    # a chat needs a model with a chat template: the toy models have one
    settings = Settings(model=str(toy_dir)) if scene_cls is Chat and DEFAULT_CHAT_TEMPLATE is None else Settings()
    with after_each_frame(checker):
        scene, _ = render(scene_cls, settings, tmp_path, width=320, height=180, animate=True, frame_rate=4)
    check_reading(scene)  # the same render, timed as the video is: every step narrated, every line readable in time
    assert checker.checked > 5, "too few frames were checked: did the scene animate?"
    assert not checker.bad, f"{len(checker.bad)} of {checker.checked} sampled frames differ from what is on screen " \
                            f"(time s, share of pixels): {checker.bad[:5]}"
