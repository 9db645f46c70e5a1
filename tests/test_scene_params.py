"""ParameterCount scene: the drawn tally is transformers' count and GPT-3's is 3Blue1Brown's; fits the frame."""
from __future__ import annotations

import numpy as np
import pytest
from transformers import GPT2LMHeadModel

from gptmath import DEFAULT_MODEL
from scenes.parameter_count import ParameterCount
from scenes.settings import Settings
from tests.scene_harness import check_layout, compare_golden, render


def _plain(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture(scope="module")
def default_render(tmp_path_factory):
    return render(ParameterCount, Settings(), tmp_path_factory.mktemp("params"))


def test_drawn_total_is_transformers_count(default_render):
    scene, _ = default_render
    want = sum(p.numel() for p in GPT2LMHeadModel.from_pretrained(DEFAULT_MODEL).parameters())
    assert _plain(scene.total_mob.text) == want
    assert sum(_plain(row.count_mob.text) for row in scene.ours.rows) == want
    assert _plain(scene.gpt3_total_mob.text) == 175_181_291_520
    assert "27,938" in scene.gpt3_matrices_mob.text
    check_layout(scene)


def test_blocks_are_as_wide_as_their_counts(default_render):
    scene, _ = default_render
    for tally in (scene.ours, scene.gpt3):
        counts = np.array([g.count for g in tally.groups], dtype=float)
        widths = np.array([b.width if g.count else 0.0 for g, b in zip(tally.groups, tally.blocks)])
        np.testing.assert_allclose(widths, counts / counts.sum() * widths.sum(), atol=2e-3)
        for i, text in tally.block_labels.items():  # a name written on a block stays inside it
            block = tally.blocks[i]
            assert block.get_left()[0] < text.get_left()[0] and text.get_right()[0] < block.get_right()[0]


def test_golden(default_render, update_golden):
    compare_golden(default_render[1], "ParameterCount", update_golden)


@pytest.mark.parametrize("name", ["3L5H-gelu-n_inner", "1L1H"])
def test_other_model_shapes(name, toy_dirs, tmp_path):
    folder = toy_dirs[name]
    scene, _ = render(ParameterCount, Settings(model=str(folder), prompt="Once"), tmp_path)
    want = sum(p.numel() for p in GPT2LMHeadModel.from_pretrained(folder).parameters())
    assert _plain(scene.total_mob.text) == want
    check_layout(scene)
