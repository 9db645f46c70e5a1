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


# --- narration and captions chosen by the numbers -------------------------------------------------------------

from gptmath.model import Config  # noqa: E402
from gptmath.params import GPT3, parameter_tally, stored_count, total, weight_matrix_tally  # noqa: E402
from scenes.i18n import tr  # noqa: E402
from scenes.parameter_count import MOSTLY_MATRICES, Counts, tally_variant, times  # noqa: E402
from tests.narration_check import assert_narrated, caption_texts, line, said_keys  # noqa: E402

STEPS = ["say_introduce", "say_tally_ours", "say_tally_ours_total", "say_check_ours", "say_tally_gpt3",
         "say_tally_gpt3_total", "say_compare"]


def test_narration_default(default_render):
    scene, _ = default_render
    assert_narrated(scene, ["say_bridge", *STEPS])
    model = scene.data.model
    counts = Counts.of(model.weights)
    assert counts.every and counts.matrix_share >= MOSTLY_MATRICES
    assert f"{total(counts.ours):,}" in line(scene, "say_tally_ours_total")
    assert "175,181,291,520" in line(scene, "say_tally_gpt3_total") and "27,938" in line(scene, "say_tally_gpt3_total")
    # the total is said once it stands: after the last row of the tally came in
    said_at = dict(zip(said_keys(scene), (t for t, _ in scene.narration)))
    assert said_at["say_tally_ours_total"] > said_at["say_tally_ours"] + 10
    ratio = total(weight_matrix_tally(GPT3)) / total(weight_matrix_tally(model.config))
    assert f"{ratio:,.0f}" in line(scene, "say_compare")
    captions = caption_texts(scene)
    assert tr("params", "end_caption", "en", ratio=f"{ratio:,.0f}", model=model.name) in captions
    assert tr("params", "ours_caption", "en", norm="LayerNorm") in captions


def test_narration_japanese_and_untied(toy_dirs, tmp_path):
    from gpttrain.toy import make_toy_model

    scene, _ = render(ParameterCount, Settings(lang="ja"), tmp_path)
    assert_narrated(scene, ["say_bridge", *STEPS])
    folder = make_toy_model(tmp_path / "untied", n_layer=1, n_head=2, d_model=16, tie_word_embeddings=False)
    scene, _ = render(ParameterCount, Settings(model=str(folder), prompt="Once"), tmp_path)
    assert_narrated(scene, ["say_bridge", "say_introduce", "say_tally_ours", "say_tally_ours_total_untied",
                            "say_check_ours", "say_tally_gpt3", "say_tally_gpt3_total", "say_compare"])
    assert tr("params", "ours_untied_caption", "en", norm="LayerNorm") in caption_texts(scene)


def test_when_the_numbers_say_otherwise_the_scene_does_too(monkeypatch, tmp_path):
    """Weights that hold more numbers than the tally, biases that are not tiny, a model bigger than GPT-3: the
    header, the check, the tally's words and the comparison all change with them."""
    import scenes.parameter_count as pc

    monkeypatch.setattr(pc, "stored_count", lambda weights: stored_count(weights) + 7)
    monkeypatch.setattr(Counts, "matrix_share", property(lambda self: 0.5))
    monkeypatch.setattr(Counts, "ratio", property(lambda self: 0.25))
    scene, _ = render(ParameterCount, Settings(), tmp_path)
    assert_narrated(scene, ["say_bridge", "say_introduce", "say_tally_ours", "say_tally_ours_total_spread",
                            "say_check_ours_differs", "say_tally_gpt3", "say_tally_gpt3_total", "say_compare_bigger"])
    assert "50.0%" in line(scene, "say_tally_ours_total_spread") and ", 7 off" in line(scene, "say_check_ours_differs")
    assert "4.0" in line(scene, "say_compare_bigger")
    captions = caption_texts(scene)
    assert tr("params", "end_caption_bigger", "en", ratio="4.0", model=scene.data.model.name) in captions
    assert tr("params", "ours_spread_caption", "en", norm="LayerNorm", share="50.0%") in captions


def test_counts_choose_by_the_numbers(toy_model):
    counts = Counts.of(toy_model.weights)
    assert counts.every and tally_variant(counts, True) == "" and tally_variant(counts, False) == "_untied"
    tiny = Config(n_layer=1, n_head=1, d_model=1, d_mlp=1, n_ctx=1, vocab_size=1)  # biases and norms: most of it
    spread = Counts(parameter_tally(tiny), [], weight_matrix_tally(tiny), 0, total(parameter_tally(tiny)))
    assert spread.matrix_share < MOSTLY_MATRICES and tally_variant(spread, True) == "_spread"
    huge = Config(n_layer=200, n_head=96, d_model=16_384, d_mlp=4 * 16_384, n_ctx=2048, vocab_size=50_257)
    bigger = Counts([], weight_matrix_tally(GPT3), weight_matrix_tally(huge), 0, 0)
    assert bigger.ratio < 1 and times(1 / bigger.ratio) == f"{1 / bigger.ratio:.1f}"
    assert times(81_001.6) == "81,002" and times(9.94) == "9.9"
