"""Unembedding, Temperature and Generation scenes: logits, bars and sampled tokens drawn are the model's."""
from __future__ import annotations

import re

import numpy as np
import pytest

from gptmath import generate, hooks, softmax_with_temperature
from gptmath.readout import bar_values
from scenes.i18n import tr
from scenes.mobjects import quoted
from scenes.mobjects.charts import percent
from scenes.theme import show_spaces
from scenes.settings import Settings
from scenes.data import N_CONTINUE, N_GENERATE
from scenes.generation import Generation
from scenes.temperature import (
    HIGH_T, LOW_T, NEARLY_ALL, PEAKED, T_MAX, T_MIN, Temperature, cold_key, hot_key,
)
from scenes.unembedding import Unembedding
from tests.narration_check import assert_narrated, caption_texts, line, said, subtitle_at, unsubtitled
from tests.scene_harness import LONG, ONE_TOKEN, after_each_frame, check_layout, compare_golden, render, shown

TOY = "3L5H-gelu-n_inner"
CLOSE = "2L3H"
BYTES_SEED = 1  # the Japanese model's T = 2 continuation with this seed draws a lone byte (seed 0 draws none)  # with ONE_TOKEN, its top logits are so close that even T = 0.01 leaves the top token 62 %


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """One media folder for the whole module, so manim renders each distinct text only once."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def settings_for(toy_dirs):
    """default, long prompt, and a one-token prompt on a random model of another shape."""
    return {"default": Settings(), "long": Settings(prompt=LONG),
            "toy": Settings(prompt=ONE_TOKEN, model=str(toy_dirs[TOY])), "ja": Settings(lang="ja"),
            "ja-bytes": Settings(lang="ja", seed=BYTES_SEED), "close": Settings(prompt=ONE_TOKEN, model=str(toy_dirs[CLOSE]))}


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
        steps = generate(model, settings.prompt, N_CONTINUE, temperature=t, seed=settings.seed)
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


# --- narration and captions chosen by the numbers -------------------------------------------------------------

@pytest.mark.parametrize("case", ["default", "ja"])
def test_unembedding_narrates_every_step(case, rendered):
    scene, _ = rendered(Unembedding, case)
    top = scene.bars.top
    assert_narrated(scene, ["say_bridge_unembedding", "say_show_product", "say_show_product_tied",
                            "say_show_top_logits", "say_show_softmax"])  # both shipped models are tied
    assert quoted(scene.data.tokens[-1]) in line(scene, "say_show_product")
    assert quoted(top.texts[0]) in line(scene, "say_show_top_logits")
    assert shown(top.logits[0]) in line(scene, "say_show_top_logits")
    said, v = line(scene, "say_show_softmax"), f"{scene.data.model.config.vocab_size:,}"
    assert percent(top.probs[0]) in said and percent(top.rest) in said and v in said
    assert tr("softmax", "tied_caption", scene.settings.lang) in caption_texts(scene)


def test_unembedding_of_an_untied_model_says_nothing_of_tied_weights(tmp_path, media):
    from gpttrain.toy import make_toy_model

    folder = make_toy_model(tmp_path / "untied", n_layer=1, n_head=2, d_model=16, tie_word_embeddings=False)
    scene, _ = render(Unembedding, Settings(model=str(folder), prompt=ONE_TOKEN), media)
    assert_narrated(scene, ["say_bridge_unembedding", "say_show_product", "say_show_top_logits", "say_show_softmax"])
    assert tr("softmax", "tied_caption", "en") not in caption_texts(scene)


@pytest.mark.parametrize("case, cold, hot", [("default", "cold", "hot"), ("ja", "cold", "hot"),
                                             ("ja-bytes", "cold", "hot"), ("close", "cold_close", "hot_flat")])
def test_temperature_says_what_the_sweep_does_to_these_bars(case, cold, hot, rendered):
    """The shipped models go to ~100 % at T = 0.01 and keep a clear top token at T = 5; a random model's top
    logits can be so close that even T = 0.01 leaves the top token short of 99 %. A lone byte drawn at T = 2
    is said and shown (the Japanese model draws one with another seed)."""
    scene, _ = rendered(Temperature, case)
    logits, ids = scene.data.trace[hooks.LOGITS][-1], scene.bars.top.ids
    p_one, p_cold, p_hot = bar_values(logits, 1.0, ids)[0], bar_values(logits, T_MIN, ids)[0], \
        bar_values(logits, T_MAX, ids)
    assert (p_cold >= NEARLY_ALL) == (cold == "cold") and (p_one >= PEAKED) == (hot == "hot")
    drawn = scene.data.model.token_strings([s.chosen for steps in scene.samples.values() for s in steps])
    byte = next((t for t in drawn if re.fullmatch(r"<[0-9a-f]{2}>", t)), None)  # a lone byte drawn, shown as <xx>
    assert byte or case != "ja-bytes"  # this seed's T = 2 continuation draws a lone byte
    assert_narrated(scene, ["say_bridge_temperature", "say_show_bars", f"say_sweep_{cold}", f"say_sweep_{hot}",
                            "say_show_samples", *(["say_samples_bytes"] if byte else [])])
    assert percent(p_cold) in line(scene, f"say_sweep_{cold}")
    assert percent(p_hot[0]) in line(scene, f"say_sweep_{hot}")
    lang, top = scene.settings.lang, quoted(scene.bars.top.texts[0])
    values = dict(top=top, n=f"{scene.data.model.config.vocab_size - len(ids):,}", rest=percent(p_hot[-1]))
    captions = caption_texts(scene)
    for key in ("cold", "cold_close"):
        assert (tr("softmax", f"{key}_caption", lang, t="0.01", p=percent(p_cold), **values) in captions) == (key == cold)
    for key in ("hot", "hot_flat", "hot_still"):
        assert (tr("softmax", f"{key}_caption", lang, t="5", p=percent(p_hot[0]), **values) in captions) == (key == hot)
    if byte:  # said and shown: the first lone byte drawn
        assert said(scene, "say_samples_bytes", byte=byte) and tr("softmax", "bytes_caption", lang, byte=byte) in captions


def test_temperature_variants_follow_the_thresholds():
    """A very sure model stays peaked at T = 5 ("hot_still"); the cut-offs are the named constants."""
    sure = np.zeros(1024)
    sure[0] = 50.0  # at T = 5 still e^10 against 1,023 others: 96 %
    p = bar_values(sure, 1.0, [0])[0], bar_values(sure, T_MAX, [0])[0]
    assert hot_key(*p) == "hot_still"
    mild = sure.copy()
    mild[0] = 20.0  # at T = 5, e^4 against 1,023: 5 %
    assert hot_key(bar_values(mild, 1.0, [0])[0], bar_values(mild, T_MAX, [0])[0]) == "hot"
    assert hot_key(PEAKED - 1e-6, 0.0) == "hot_flat" and hot_key(PEAKED, PEAKED - 1e-6) == "hot"
    assert cold_key(NEARLY_ALL) == "cold" and cold_key(NEARLY_ALL - 1e-6) == "cold_close"


def test_temperature_captions_come_with_the_part_of_the_sweep_they_describe(tmp_path):
    """Animated: while "Lowering T" is up, T only falls; while the cold caption is up, T is at T_MIN; while
    "Raising T" is up, T only rises; while the hot caption is up, T is at T_MAX (within a frame's step at 4 fps)."""
    seen: list[tuple[float, float]] = []

    def record(renderer, scene) -> None:
        if hasattr(scene, "readout"):
            seen.append((renderer.time, scene.readout.temperature))

    with after_each_frame(record):
        scene, _ = render(Temperature, Settings(), tmp_path, width=320, height=180, animate=True, frame_rate=4)
    en = {k: tr("softmax", k, "en").split("{")[0] for k in ("cooling_caption", "warming_caption")}
    starts = [t for t, _ in scene.captions] + [scene.renderer.time]
    checked = set()
    for (start, text), end in zip(scene.captions, starts[1:]):
        temps = [T for t, T in seen if start <= t < end]
        if text == en["cooling_caption"]:
            assert temps == sorted(temps, reverse=True) and temps[-1] == pytest.approx(T_MIN, rel=0.05), text
        elif text == en["warming_caption"]:
            assert temps == sorted(temps) and temps[-1] == pytest.approx(T_MAX, rel=0.05), text
        elif text.startswith("At T = 0.01"):
            assert temps and max(temps) == pytest.approx(T_MIN, rel=0.05), text
        elif text.startswith("At T = 5"):
            assert temps and min(temps) == pytest.approx(T_MAX, rel=0.05), text
        else:
            continue
        checked.add(text[:12])
    assert len(checked) == 4, checked


@pytest.mark.parametrize("case", ["default", "ja"])
def test_generation_narrates_the_real_pick(case, rendered):
    scene, _ = rendered(Generation, case)
    assert_narrated(scene, ["say_bridge_generation", "say_show_loop", "say_run_round", "say_run_round_append",
                            "say_run_more_rounds", "say_show_result"])
    first = scene.steps[0]
    token = quoted(scene.data.model.token_strings([first.chosen])[0])
    p = softmax_with_temperature(scene.data.trace[hooks.LOGITS][-1], scene.data.settings.temperature)[first.chosen]
    said = line(scene, "say_run_round")
    assert token in said and percent(p) in said  # the picked token at its bar's percentage
    assert token in line(scene, "say_run_round_append")
    assert f"{N_GENERATE}" in line(scene, "say_show_result")


class PickTimes(Generation):
    """Generation that notes when each round's pick frame starts to be drawn."""

    def play(self, *animations, **kwargs) -> None:
        from manim import Create, SurroundingRectangle

        if any(isinstance(a, Create) and isinstance(a.mobject, SurroundingRectangle) for a in animations):
            self.pick_times = [*getattr(self, "pick_times", []), self.renderer.time]
        super().play(*animations, **kwargs)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_generation_always_has_the_subtitle_of_what_moves(lang, media):
    """From the first frame to the last a subtitle is up (rounds 2-8 ran 13 s without one), and the first pick is
    framed only once the subtitle naming it is up (it came 7 s before "This time it picks ...")."""
    scene, _ = render(PickTimes, Settings(lang=lang), media)
    assert unsubtitled(scene) == []
    assert len(scene.pick_times) == N_GENERATE
    token = quoted(scene.data.model.token_strings([scene.steps[0].chosen])[0])
    assert token in subtitle_at(scene, scene.pick_times[0])
    more = scene.tr("say_run_more_rounds")
    assert all(subtitle_at(scene, t) and subtitle_at(scene, t) in more for t in scene.pick_times[1:])
