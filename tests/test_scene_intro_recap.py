"""Introduction and Recap: the film's opening question with the model's real answer, and the whole path with the
prompt's real numbers at the end; both fit the frame at 480p, in English and Japanese, for any model."""
from __future__ import annotations

import ast
import inspect
import re
import string
import textwrap

import numpy as np
import pytest
from manim import Text

from gptmath import generate, hooks, softmax_with_temperature, top_k
from gptmath.params import GPT3, total, weight_matrix_tally
from scenes import theme as th
from scenes.i18n import LANGUAGES, catalogue
from scenes.introduction import CHAPTERS, Introduction
from scenes.recap import Recap
from scenes.settings import Settings
from tests.families import FAMILY_SHAPES, make_family_model
from tests.scene_harness import LONG, ONE_TOKEN, assert_inside_frame, check_layout, compare_golden, render, shown, \
    visible_texts

PROMPTS = [None, LONG, ONE_TOKEN]  # None: the default prompt
STEPS = {  # each scene's steps in order: every one has a say_<step> narration in the catalogue
    Introduction: ["ask_the_question", "show_the_answer", "wonder_where_it_comes_from", "lay_out_the_road",
                   "bring_the_questions"],
    Recap: ["recall_the_tokens", "look_up_the_vector", "pass_through_the_layers", "read_the_last_vector",
            "score_every_token", "make_probabilities", "pick_the_answer"],
}
CHARS_PER_SECOND = 17  # a caption must stay on screen long enough to be read
MARGIN = 0.2  # nothing closer than this to the frame's edge
FAMILY = "llama-3H-gqa3-tied"  # rotary positions, RMSNorm, shared key/value heads


def japanese(text: str) -> bool:
    return any(0x3040 <= ord(c) <= 0x9FFF for c in text)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("intro-recap-media")


@pytest.fixture(scope="module")
def family_dir(tmp_path_factory):
    model_type, kw = FAMILY_SHAPES[FAMILY]
    return make_family_model(tmp_path_factory.mktemp("family") / FAMILY, model_type, **kw)


def settings_for(prompt: str | None, **kw) -> Settings:
    return Settings(**kw) if prompt is None else Settings(prompt=prompt, **kw)


def expected_top(scene, k: int = 5):
    """The top k of softmax of the trace's last logits, computed here with gptmath's own functions."""
    logits = scene.data.trace[hooks.LOGITS][-1]
    probs = softmax_with_temperature(logits, scene.data.settings.temperature)
    return top_k(logits, probs, k, scene.data.model.token_strings)


def assert_bars_are(bars, top) -> None:
    """The bars' labels, lengths and percentages are the top tokens', then everything else's share."""
    assert bars.labels[:-1] == [c.text for c in top]
    np.testing.assert_allclose(bars.probs[:-1], [c.prob for c in top], rtol=1e-9)
    assert bars.probs[-1] == pytest.approx(1 - sum(c.prob for c in top), abs=1e-9)
    assert [p.text for p in bars.percents] == [f"{100 * p:.1f}%" for p in bars.probs]
    assert [m.text for m in bars.label_mobs[:-1]] == [th.show_spaces(c.text) for c in top]


def drawn_size(text: Text) -> float:
    """The font size a Text is drawn at, after any scaling: its last glyph against the same glyph unscaled
    (Text.font_size would also count glyphs removed after it was made, such as line_text's strut)."""
    ref = Text(text.original_text, font=text.font, font_size=text._font_size)
    glyph, unscaled = text.submobjects[-1], ref.submobjects[-1]
    return text._font_size * (glyph.width + glyph.height) / (unscaled.width + unscaled.height)


def assert_readable(mobjects) -> None:
    """No word a viewer must read is smaller than th.SMALL_SIZE, shrunk to fit or not."""
    for mob in mobjects:
        for text in (m for m in mob.get_family() if isinstance(m, Text) and m.submobjects):
            assert drawn_size(text) >= th.SMALL_SIZE - 0.05, \
                f"{text.original_text!r} is drawn at size {drawn_size(text):.1f}"


def assert_fits(scene, *more) -> None:
    """check_layout, and everything at least MARGIN inside the frame."""
    check_layout(scene)
    for mob in [*scene.mobjects, *more]:
        assert_inside_frame(mob, MARGIN)


def assert_captions_readable(scene) -> None:
    """Each English caption stays up at least len / CHARS_PER_SECOND seconds."""
    times = [t for t, _ in scene.captions] + [scene.renderer.time]
    for (start, text), end in zip(scene.captions, times[1:]):
        assert end - start >= len(text) / CHARS_PER_SECOND, f"{text!r} stays {end - start:.1f} s"


def assert_narrated(scene) -> None:
    """One spoken line per step, in step order, every placeholder filled."""
    steps = STEPS[type(scene)]
    assert not any("{" in line or "}" in line for _, line in scene.narration)
    assert len(scene.narration) == len(steps) == scene.steps_done
    times = [t for t, _ in scene.narration]
    assert times == sorted(times)


# --- Introduction ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt", PROMPTS)
def test_introduction_answers_with_the_models_real_probabilities(prompt, media):
    scene, _ = render(Introduction, settings_for(prompt), media)
    bars = scene.answer[-1]
    assert_bars_are(bars, expected_top(scene))
    assert scene.data.tokens == scene.data.model.token_strings(scene.data.model.encode(scene.data.settings.prompt))
    assert_readable([scene.answer, *scene.mobjects])
    assert_fits(scene, scene.answer)  # the answer is gone by the end, but it was on screen
    assert_captions_readable(scene)
    assert_narrated(scene)
    top = expected_top(scene)[0]
    assert f"{100 * top.prob:.1f}%" in scene.narration[1][1] and f"“{top.text.strip()}”" in scene.narration[1][1]


def test_introduction_lays_out_the_films_road_and_its_questions(media):
    scene, _ = render(Introduction, Settings(), media)
    en = catalogue("story")["en"]
    road, pills, brace_label = scene.road, scene.road[1], scene.road[3]
    assert [p[1].original_text for p in pills] == [en[f"chapter_{c}"] for c in CHAPTERS]
    ys = [p.get_y() for p in pills]
    assert ys == sorted(ys, reverse=True), "chapters in film order, top to bottom"
    assert brace_label.original_text == en["repeat_layers"].format(n=scene.data.model.config.n_layer)  # 4 layers
    gpt3 = f"{total(weight_matrix_tally(GPT3)):,}"
    assert gpt3 == "175,181,291,520"
    assert [q.original_text for q in scene.questions] == [en[f"question_{c}"].format(gpt3=gpt3) for c in CHAPTERS]
    shown_texts = {t.original_text for t in visible_texts(scene)}
    assert {q.original_text for q in scene.questions} | {p[1].original_text for p in pills} <= shown_texts
    for question, chapter in zip(scene.questions, pills):
        assert question.get_left()[0] > chapter.get_right()[0] and abs(question.get_y() - chapter.get_y()) < 0.05


# --- Recap -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt", PROMPTS)
def test_recap_draws_the_prompts_real_path(prompt, media):
    scene, _ = render(Recap, settings_for(prompt), media)
    model, trace, s = scene.data.model, scene.data.trace, scene.data.settings
    cfg, p, n = model.config, scene.picture, len(trace.tokens)
    ids = model.encode(s.prompt)
    assert scene.numbers.tokens == model.token_strings(ids) and p.tokens[1].tokens == model.token_strings(ids)
    en = catalogue("story")["en"]
    assert p.tokens[0].original_text == en["n_tokens_one" if n == 1 else "n_tokens"].format(n=n)
    embedding, last = p.embedding[1], p.last[1]
    np.testing.assert_array_equal(embedding.values, trace[hooks.EMBED][-1])
    assert embedding.shown_values == [float(trace[hooks.EMBED][-1][i]) for i in embedding.shown_indices]
    assert embedding.shown_indices[:4] == [0, 1, 2, 3] and embedding.dimension[1].text == f"{cfg.d_model:,}"
    np.testing.assert_array_equal(last.values, trace[hooks.resid(cfg.n_layer - 1, "post")][-1])
    assert last.dimension[1].text == f"{cfg.d_model:,}"
    box_texts = [t.original_text for t in p.layers.get_family() if isinstance(t, Text)]
    assert en["layers_box_one" if cfg.n_layer == 1 else "layers_box"].format(n=cfg.n_layer) in box_texts
    assert en["attention_part_one" if cfg.n_head == 1 else "attention_part"].format(n=cfg.n_head) in box_texts
    top = expected_top(scene)
    assert [z.text for z in p.logits[1]] == [shown(c.logit) for c in top]
    bars = p.bars[1]
    assert_bars_are(bars, top)
    picked = generate(model, s.prompt, 1, temperature=s.temperature, seed=s.seed, top_k_only=5)[0].chosen
    assert scene.numbers.picked == picked
    answer = p.answer[2]
    assert answer.tokens == [*model.token_strings(ids), model.token_strings([picked])[0]]
    assert answer.shown_indices[-1] == n  # the picked token is drawn, last
    pick_row = bars.rows[[c.token_id for c in top].index(picked)]
    assert p.pick.get_top()[1] >= pick_row.get_top()[1] and p.pick.get_bottom()[1] <= pick_row.get_bottom()[1]
    assert_readable(scene.mobjects)
    assert_fits(scene)
    assert_captions_readable(scene)
    assert_narrated(scene)


@pytest.mark.parametrize("scene_cls", [Introduction, Recap])
def test_small_random_models(scene_cls, toy_dirs, family_dir, media):
    """Toy GPT-2s of other shapes and a random Llama (rotary, RMSNorm) draw their own numbers and fit."""
    for folder in (toy_dirs["3L5H-gelu-n_inner"], toy_dirs["1L1H"], family_dir):
        scene, _ = render(scene_cls, Settings(model=str(folder)), media)
        bars = scene.answer[-1] if scene_cls is Introduction else scene.picture.bars[1]
        assert_bars_are(bars, expected_top(scene))
        assert_readable(scene.mobjects)
        assert_fits(scene)


# --- Japanese, words, golden frames ------------------------------------------------------------------------------

@pytest.mark.parametrize("scene_cls", [Introduction, Recap])
def test_japanese_renders_japanese_words(scene_cls, media, update_golden):
    scene, frame = render(scene_cls, Settings(lang="ja"), media)
    texts = [t.original_text for t in visible_texts(scene)]
    assert scene.title_mob.original_text == catalogue("story")["ja"]["intro_title" if scene_cls is Introduction
                                                          else "recap_title"]
    en_words = {v for k, v in catalogue("story")["en"].items() if "{" not in v and any(c.isalpha() for c in v)}
    assert not en_words & set(texts), f"English words in the Japanese scene: {en_words & set(texts)}"
    assert sum(map(japanese, texts)) >= 5
    assert all(japanese(line) for _, line in scene.narration)
    bars = scene.answer[-1] if scene_cls is Introduction else scene.picture.bars[1]
    assert_bars_are(bars, expected_top(scene))
    assert_readable(scene.mobjects)
    assert_fits(scene)
    compare_golden(frame, f"ja-{scene_cls.__name__}", update_golden)


@pytest.mark.parametrize("scene_cls", [Introduction, Recap])
def test_golden(scene_cls, media, update_golden):
    _, frame = render(scene_cls, Settings(), media)
    compare_golden(frame, scene_cls.__name__, update_golden)


def test_catalogue_has_a_narration_for_every_step():
    cat = catalogue("story")
    for scene_cls, steps in STEPS.items():
        tree = ast.parse(textwrap.dedent(inspect.getsource(scene_cls.construct)))
        called = [node.func.attr for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in steps]
        assert called == steps, f"{scene_cls.__name__}'s steps changed: update STEPS"
        for step in steps:
            for lang in LANGUAGES:
                line = cat[lang][f"say_{step}"]
                assert 1 <= len(re.findall(r"[.?!](\s|$)|[。？！]", line)) <= 4, f"{lang} say_{step}: {line}"
    for lang in LANGUAGES:  # every say_ key belongs to a step
        assert {k[4:] for k in cat[lang] if k.startswith("say_")} == {s for steps in STEPS.values() for s in steps}
    for key, text in cat["en"].items():  # same placeholders in both languages
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        assert names == {f for _, f, _, _ in string.Formatter().parse(cat["ja"][key]) if f}, key
