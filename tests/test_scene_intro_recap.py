"""Introduction and Recap: the film's opening question with the model's real answer, and the whole path with the
prompt's real numbers at the end, back at the question with its answer; both fit the frame at 480p, in English and
Japanese, for any model; every step says its narration in time to read it, and what it claims ("the model is sure",
"the pick is the likeliest") is chosen by the numbers: the shipped English model, the Japanese model, a random one."""
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
from gptmath.readout import Bars
from scenes import theme as th
from scenes.i18n import LANGUAGES, catalogue
from scenes.introduction import CHAPTERS, SURE, Answer, Introduction, answer_key
from scenes.mobjects import quoted
from scenes.recap import Recap
from scenes.settings import Settings
from tests.families import FAMILY_SHAPES, make_family_model
from tests.narration_check import said_keys
from tests.scene_harness import LONG, ONE_TOKEN, assert_inside_frame, check_layout, check_reading, compare_golden, \
    frames_at, render, shown, visible_texts

PROMPTS = [None, LONG, ONE_TOKEN]  # None: the default prompt
STEPS = {  # each scene's steps in order: every one has a say_<step> narration in the catalogue
    Introduction: ["ask_the_question", "show_the_answer", "wonder_where_it_comes_from", "lay_out_the_road",
                   "bring_the_questions", "bring_the_writing_questions", "bring_the_training_questions"],
    Recap: ["recall_the_tokens", "look_up_the_vector", "pass_through_the_layers", "read_the_last_vector",
            "score_every_token", "make_probabilities", "pick_the_answer"],
}
BRIDGED = {Recap}  # scenes whose first step says say_bridge first (the Introduction opens the film: no bridge)
VARIANTS = {  # steps whose narration is chosen by the numbers: the keys it may say
    "show_the_answer": ("say_show_the_answer_sure", "say_show_the_answer_unsure"),
    "pick_the_answer": ("say_pick_the_answer", "say_pick_the_answer_other"),
    "look_up_the_vector": ("say_look_up_the_vector", "say_look_up_the_vector_position"),  # rotary; learned
}
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


def step_keys(scene_cls) -> list[tuple[str, ...]]:
    """The narration keys each line of a scene may come from, in order (the bridge first where there is one)."""
    keys = [VARIANTS.get(step, (f"say_{step}",)) for step in STEPS[scene_cls]]
    return [("say_bridge",), *keys] if scene_cls in BRIDGED else keys


def assert_narrated(scene) -> None:
    """Every step says its line(s), in step order, from the step's own keys, every placeholder filled, and every
    line and caption stays up long enough to read (check_reading)."""
    keys = step_keys(type(scene))
    said = said_keys(scene)
    assert len(said) == len(keys) and scene.steps_done == len(STEPS[type(scene)])
    for key, allowed in zip(said, keys):
        assert key in allowed, f"{key} is none of {allowed}"
    check_reading(scene)


# --- Introduction ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt", PROMPTS)
def test_introduction_answers_with_the_models_real_probabilities(prompt, media):
    scene, _ = render(Introduction, settings_for(prompt), media)
    bars = scene.answer[-1]
    assert_bars_are(bars, expected_top(scene))
    assert scene.data.tokens == scene.data.model.token_strings(scene.data.model.encode(scene.data.settings.prompt))
    assert_readable([scene.answer, *scene.mobjects])
    assert_fits(scene, scene.answer)  # the answer is gone by the end, but it was on screen
    assert_narrated(scene)
    top = expected_top(scene)[0]
    assert f"{100 * top.prob:.1f}%" in scene.narration[1][1] and quoted(top.text) in scene.narration[1][1]


def test_introduction_lays_out_the_films_road_and_its_questions(media):
    scene, _ = render(Introduction, Settings(), media)
    en = catalogue("story")["en"]
    pills, brace_label = scene.road[1], scene.road[3]
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


MAX_STEP = 20.0  # seconds: a step longer than this is a wall of text (the Japanese questions were one of 33 s)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_questions_come_a_few_at_a_time(lang, media):
    """The nine questions in three steps (reading, writing, training), each held until its line and its questions
    are read, none longer than MAX_STEP."""
    scene, _ = render(Introduction, Settings(lang=lang), media)
    lengths = np.diff([0.0, *scene.step_ends])
    assert max(lengths) <= MAX_STEP, [round(t, 1) for t in lengths]
    assert len(scene.questions) == len(CHAPTERS)
    check_reading(scene)


def shared_phrases(a: str, b: str, lang: str) -> set[str]:
    """The runs of three words (English) or five characters (Japanese, punctuation and spaces aside) in both."""
    def runs(text: str) -> set[str]:
        if lang == "en":
            words = re.findall(r"[\w’']+", text.lower())
            return {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}
        chars = re.sub(r"[\s、。「」：（）？！・]", "", text)
        return {chars[i:i + 5] for i in range(len(chars) - 4)}
    return runs(a) & runs(b)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tokenization_bridges_from_the_introduction_without_repeating_it(lang):
    """Tokenization's first line takes up the road's first question and says nothing the Introduction said (it
    repeated "what comes next" and "number by number")."""
    bridge, story = catalogue("tokens")[lang]["say_bridge"], catalogue("story")[lang]
    assert story["question_tokens"].lower().rstrip("?？") in bridge.lower()
    for keys in step_keys(Introduction):
        for key in keys:
            assert not shared_phrases(bridge, story[key], lang), key


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
    entering = trace[hooks.resid(0, "pre")][-1]  # what the first layer reads: token embedding + position's
    assert cfg.positions == "learned" and p.embedding[0].original_text == en["input_head"]
    np.testing.assert_array_equal(embedding.values, entering)
    assert embedding.shown_values == [float(entering[i]) for i in embedding.shown_indices]
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
        if scene_cls is Recap:  # a learned position is added to the vector; a rotary model's enters as its embedding
            learned = scene.data.model.config.positions == "learned"
            assert learned == (folder != family_dir)
            assert scene.picture.embedding[0].original_text == catalogue("story")["en"][
                "input_head" if learned else "embedding_head"]
            assert said_keys(scene)[2] == ("say_look_up_the_vector_position" if learned else "say_look_up_the_vector")


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
    assert_narrated(scene)
    bars = scene.answer[-1] if scene_cls is Introduction else scene.picture.bars[1]
    assert_bars_are(bars, expected_top(scene))
    assert_readable(scene.mobjects)
    assert_fits(scene)
    compare_golden(frame, f"ja-{scene_cls.__name__}", update_golden)


@pytest.mark.parametrize("scene_cls", [Introduction, Recap])
def test_golden(scene_cls, media, update_golden):
    _, frame = render(scene_cls, Settings(), media)
    compare_golden(frame, scene_cls.__name__, update_golden)


# seconds into each scene at its default settings (regenerate with --update-golden when the timeline changes)
MOMENTS = {
    Introduction: {"bars": 15.0},  # the answer's bars half grown
    Recap: {"softmax": 48.8, "pick": 57.3},  # the probability bars half grown; the answer arriving after the pick
}


@pytest.mark.parametrize("scene_cls", list(MOMENTS), ids=lambda c: c.__name__)
def test_golden_moments_of_introduction_and_recap(scene_cls, media, update_golden):
    _, frames = frames_at(scene_cls, Settings(), media, MOMENTS[scene_cls])
    for name, frame in frames.items():
        compare_golden(frame, f"{scene_cls.__name__}-{name}", update_golden)


def test_catalogue_has_a_narration_for_every_step():
    cat = catalogue("story")
    for scene_cls, steps in STEPS.items():
        tree = ast.parse(textwrap.dedent(inspect.getsource(scene_cls.construct)))
        called = [node.func.attr for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in steps]
        assert called == steps, f"{scene_cls.__name__}'s steps changed: update STEPS"
        for keys in step_keys(scene_cls):
            for key in keys:
                for lang in LANGUAGES:
                    line = cat[lang][key]
                    assert 1 <= len(re.findall(r"[.?!](\s|$)|[。？！]", line)) <= 3, f"{lang} {key}: {line}"
    for lang in LANGUAGES:  # every say_ key belongs to a step
        assert {k for k in cat[lang] if k.startswith("say_")} == \
            {k for scene_cls in STEPS for keys in step_keys(scene_cls) for k in keys}
    for key, text in cat["en"].items():  # same placeholders in both languages
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        assert names == {f for _, f, _, _ in string.Formatter().parse(cat["ja"][key]) if f}, key


# --- claims chosen by the numbers --------------------------------------------------------------------------------

def likeliest(scene) -> float:
    return expected_top(scene, 1)[0].prob


def test_the_model_is_sure_only_above_half():
    """The threshold itself: "more than all the others together" exactly when the likeliest is above SURE."""
    def answer(p: float) -> Answer:
        return Answer(Bars([1, 2], ["a", "b"], [2.0, 1.0], [p, (1 - p) / 2], (1 - p) / 2), 10)
    assert answer_key(answer(0.51)) == "say_show_the_answer_sure"
    assert answer_key(answer(SURE)) == answer_key(answer(0.2)) == "say_show_the_answer_unsure"


@pytest.mark.parametrize("model, sure", [("en", True), ("ja", False), ("random", False)])
def test_the_answer_says_sure_by_the_numbers(model, sure, media, family_dir):
    """The shipped English model gives “␣girl” 62%: sure. The Japanese model's likeliest has 3%, a random
    model's under 2%: not sure. The narration says which, and quotes the bar's token and percentage."""
    settings = {"en": Settings(), "ja": Settings(lang="ja"), "random": Settings(model=str(family_dir))}[model]
    scene, _ = render(Introduction, settings, media)
    top = expected_top(scene, 1)[0]
    assert (top.prob > SURE) is sure
    assert said_keys(scene)[1] == ("say_show_the_answer_sure" if sure else "say_show_the_answer_unsure")
    line = scene.narration[1][1]
    assert quoted(top.text) in line and f"{100 * top.prob:.1f}%" in line
    assert_narrated(scene)


def random_seed_picking_the_likeliest(folder) -> int:
    """A seed for which a top-5 pick on the random model draws its likeliest token (its default seed does not)."""
    from gptmath.load import load_model
    model, prompt = load_model(folder), Settings().prompt
    top = int(np.argmax(generate(model, prompt, 1, seed=0, top_k_only=5)[0].probs))
    return next(seed for seed in range(1, 50) if generate(model, prompt, 1, seed=seed, top_k_only=5)[0].chosen == top)


@pytest.mark.parametrize("model, likeliest_picked", [("en", True), ("ja", True), ("random", False),
                                                     ("random-seeded", True)])
def test_the_recap_answers_the_opening_question_with_the_same_numbers(model, likeliest_picked, media, family_dir):
    """The Recap reads the Introduction's trace: same prompt tokens, same likeliest token and percentage; it ends
    on the prompt with the picked token, and says "the likeliest" only when the pick is the likeliest (the
    English model picks “␣girl” and the Japanese model “ひとり”, each its likeliest; the random model, at its default
    seed, a token that is not)."""
    settings = {"en": Settings(), "ja": Settings(lang="ja"), "random": Settings(model=str(family_dir)),
                "random-seeded": Settings(model=str(family_dir), seed=random_seed_picking_the_likeliest(family_dir))
                }[model]
    intro, _ = render(Introduction, settings, media)
    recap, _ = render(Recap, settings, media)
    top = expected_top(intro, 1)[0]
    asked = intro.data.tokens
    answer = recap.picture.answer[2]
    assert recap.numbers.tokens == asked and answer.tokens == [*asked, recap.numbers.picked_text]
    assert answer.shown_indices[-1] == len(asked)  # the answer's last token is drawn, right after the question
    said_top = [quoted(top.text), f"{100 * top.prob:.1f}%"]
    assert all(v in intro.narration[1][1] for v in said_top)
    assert all(v in recap.narration[6][1] for v in said_top)  # make_probabilities, after the bridge
    assert (recap.numbers.picked == top.token_id) is likeliest_picked
    assert said_keys(recap)[7] == ("say_pick_the_answer" if likeliest_picked else "say_pick_the_answer_other")
    assert quoted(recap.numbers.picked_text) in recap.narration[7][1]
    assert_narrated(recap)
