"""Golden frames from the middle of animations: the moments a viewer must see right, not only step ends.

Times are seconds into each scene at its default settings; when a scene's
timeline changes, regenerate (`./render.sh test --update-golden -k moments`) and look at the frames.
"""
from __future__ import annotations

import numpy as np
import pytest

from scenes.attention_head import AttentionHead
from scenes.mlp_block import MLPBlock
from scenes.settings import Settings
from scenes.generation import Generation
from scenes.temperature import Temperature
from tests.scene_harness import compare_golden, frame_difference, frames_at

MOMENTS = {
    Temperature: {"sweep": 19.3},  # the bars mid-way through the sweep to T ≈ 0
    AttentionHead: {"mask": 67.8, "softmax": 79.2},  # the causal mask arriving; softmax running down the columns
    Generation: {"round": 38.0},  # a round of the loop: its bars, the pick framed, before it flies to the text
    MLPBlock: {"gelu": 33.0},  # the neurons' dots landing on the GELU curve
}


@pytest.fixture(scope="module")
def moments(tmp_path_factory):
    media = tmp_path_factory.mktemp("moments")
    return {cls: frames_at(cls, Settings(), media, times) for cls, times in MOMENTS.items()}


@pytest.mark.parametrize("scene_cls", list(MOMENTS), ids=lambda c: c.__name__)
def test_golden_moments(scene_cls, moments, update_golden):
    _, frames = moments[scene_cls]
    for name, frame in frames.items():
        compare_golden(frame, f"{scene_cls.__name__}-{name}", update_golden)


def test_a_missing_number_fails_the_comparison(moments):
    """Redraw the mid-sweep frame without one percentage: the golden comparison must notice."""
    scene, frames = moments[Temperature]
    camera = scene.renderer.camera
    shown = [m for m in scene.mobjects if m is not scene.bars] + [scene.bars]
    camera.reset()
    camera.capture_mobjects(shown)
    whole = np.asarray(camera.get_image().convert("RGB"))
    pct = scene.bars.percents[2]
    pct.set_opacity(0)
    camera.reset()
    camera.capture_mobjects(shown)
    without = np.asarray(camera.get_image().convert("RGB"))
    off, worst = frame_difference(whole, without)
    assert off < 0.003, "a single number is too small for the global share alone to notice"
    assert worst > 0.15, f"a missing percentage changed its worst tile by only {worst:.0%}"
