"""Unembedding, Temperature and Generation scenes: logits, bars and sampled tokens drawn are the model's."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import generate, hooks, softmax_with_temperature
from gptmath.readout import bar_values
from scenes.theme import show_spaces
from scenes.settings import Settings
from scenes.generation import N_GENERATE, Generation
from scenes.temperature import HIGH_T, LOW_T, N_SAMPLE, T_MAX, Temperature
from scenes.unembedding import Unembedding
from tests.scene_harness import LONG, ONE_TOKEN, check_layout, compare_golden, render, shown

TOY = "3L5H-gelu-n_inner"


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """One media folder for the whole module, so manim renders each distinct text only once."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def settings_for(toy_dirs):
    """default, long prompt, and a one-token prompt on a random model of another shape."""
    return {"default": Settings(), "long": Settings(prompt=LONG),
            "toy": Settings(prompt=ONE_TOKEN, model=str(toy_dirs[TOY]))}


@pytest.fixture(scope="module")
def rendered(media, settings_for):
    cache = {}

    def get(scene_cls, case):
        if (scene_cls, case) not in cache:
            cache[scene_cls, case] = render(scene_cls, settings_for[case], media)
        return cache[scene_cls, case]

    return get


def check_bars(bars, logits, temperature, ids, token_strings) -> None:
    """Bar labels are the tokens, lengths the probabilities at T (then the rest), percentages as written."""
    probs = softmax_with_temperature(logits, temperature)
    want = [*probs[ids], 1 - probs[ids].sum()]
    np.testing.assert_allclose(bars.probs, want, atol=1e-9)
    assert [m.text for m in bars.label_mobs[:-1]] == [show_spaces(t) for t in token_strings(ids)]
    assert [m.text for m in bars.percents] == [f"{100 * p:.1f}%" for p in bars.probs]
    for bar, p in zip(bars.bars, bars.probs):
        assert bar.width == pytest.approx(max(p, 1e-4) * bars.bar_length, rel=1e-3)


@pytest.mark.parametrize("case", ["default", "long", "toy"])
def test_unembedding(case, rendered):
    scene, _ = rendered(Unembedding, case)
    model, trace = scene.data.model, scene.data.trace
    product = scene.product
    final = trace[hooks.hook(hooks.LN_FINAL, "normalized")][-1]
    np.testing.assert_array_equal(product.vector.values, final)
    assert "LayerNorm" in product.vector_head.text  # GPT-2s: the final norm is a LayerNorm
    np.testing.assert_array_equal(product.logit_column.values, trace[hooks.LOGITS][-1])
    np.testing.assert_allclose(product.logit_column.values, final @ model.weights.W_U, rtol=1e-4, atol=1e-4)
    assert [m.text for m in product.logit_labels] == [
        show_spaces(t) for t in model.token_strings(product.logit_column.shown_indices)]
    ids = scene.bars.top.ids
    logits = trace[hooks.LOGITS][-1]
    assert ids == list(np.argsort(-logits, kind="stable")[:len(ids)])
    assert len(ids) == min(scene.data.settings.top_k, model.config.vocab_size)
    assert [m.text for m in scene.logit_numbers] == [shown(logits[i]) for i in ids]
    check_bars(scene.bars, logits, 1.0, ids, model.token_strings)
    check_layout(scene)


@pytest.mark.parametrize("case", ["default", "long", "toy"])
def test_temperature(case, rendered):
    scene, _ = rendered(Temperature, case)
    model, settings = scene.data.model, scene.data.settings
    logits = scene.data.trace[hooks.LOGITS][-1]
    assert scene.readout.temperature == pytest.approx(T_MAX)  # the sweep ended hot
    check_bars(scene.bars, logits, T_MAX, scene.bars.top.ids, model.token_strings)
    np.testing.assert_allclose(bar_values(logits, 1e-3, scene.bars.top.ids)[0], 1.0)  # cold end: one bar is 100 %
    for t, text in zip((LOW_T, HIGH_T), scene.sample_texts):
        steps = generate(model, settings.prompt, N_SAMPLE, temperature=t, seed=settings.seed)
        assert [s.chosen for s in scene.samples[t]] == [s.chosen for s in steps]
        assert text.tokens == [*scene.data.tokens, *model.token_strings([s.chosen for s in steps])]
        assert text.shown_indices[-1] == len(text.tokens) - 1
    check_layout(scene)


@pytest.mark.parametrize("case", ["default", "long", "toy"])
def test_generation(case, rendered):
    scene, _ = rendered(Generation, case)
    model, settings = scene.data.model, scene.data.settings
    steps = generate(model, settings.prompt, N_GENERATE, temperature=settings.temperature, seed=settings.seed,
                     top_k_only=settings.top_k)
    chosen = [s.chosen for s in steps]
    assert [s.chosen for s in scene.steps] == chosen
    for step in steps:  # top-k sampling: every pick is one of the k likeliest, the tokens with bars
        logits = step.trace[hooks.LOGITS][-1]
        assert step.chosen in np.argsort(-logits, kind="stable")[:settings.top_k]
    assert scene.result.tokens == [*scene.data.tokens, *model.token_strings(chosen)]
    last = steps[-1]
    assert last.chosen in scene.bars.top.ids  # the picked token always has its bar
    check_bars(scene.bars, last.trace[hooks.LOGITS][-1], settings.temperature, scene.bars.top.ids, model.token_strings)
    check_layout(scene)


@pytest.mark.parametrize("scene_cls", [Unembedding, Temperature, Generation], ids=lambda c: c.__name__)
def test_golden(scene_cls, rendered, update_golden):
    compare_golden(rendered(scene_cls, "default")[1], scene_cls.__name__, update_golden)


def test_glyph_text_keeps_text_and_baseline():
    from scenes.mobjects import GlyphText

    a, b = GlyphText("1.0%"), GlyphText("68.9%")
    assert (a.text, b.text) == ("1.0%", "68.9%")
    assert len(b) == 5 and abs(a.get_left()[0]) < 0.05  # left edge at x = 0
    # the same characters sit at the same height whatever surrounds them
    assert abs(a[1].get_center()[1] - b[2].get_center()[1]) < 1e-6  # the "." of each


def test_text_widths_are_measured_per_language(tmp_path):
    """Wrapping must not reuse widths measured in another language's font (an order-dependent bug)."""
    from scenes.mobjects import text_width

    scene_ja, _ = render(Temperature, Settings(lang="ja"), tmp_path / "ja")
    scene_en, frame = render(Temperature, Settings(), tmp_path / "en")
    assert text_width("Once upon", 20.0, "DejaVu Sans") > 0
    compare_golden(frame, "Temperature", False)
