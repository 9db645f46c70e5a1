"""Scenes IV: AttentionArcs, InContextCopying, Chat, PreTraining draw the model's own numbers and fit at 480p."""
from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import pytest

from gptmath import generate, hooks, load_model
from gptmath.chat import END, chat_prompt
from gptmath.model import softmax
from gptmath.readout import top_bars
from gptmath.cache import GradientStep
from gpttrain.step import gradient_step
from scenes.chat import Chat
from scenes.data import STEP_LR
from gptmath.reading import MIN_LIFT
from scenes.data import SceneData
from scenes.i18n import catalogue, tr
from scenes import pre_training as scene_module
from scenes.pre_training import EVEN_LIFT, PreTraining, bars_caption
from scenes.attention_arcs import MIN_WEIGHT, PREVIOUS_HEAD, AttentionArcs, content_variant
from scenes.in_context_copying import ALREADY_EXPECTED, CLEAR_LINK, COPY_MIN, COPY_RATIO, InContextCopying, copy_claim
from scenes.mobjects import quoted
from scenes.settings import Settings
from tests.narration_check import caption_texts, said, said_keys
from tests.scene_harness import LONG, check_layout, check_reading, compare_golden, render
from tests.test_checkpoints import run  # noqa: F401  (the tiny training run, shipped below)

TOY = "3L5H-gelu-n_inner"
ONCE = "Lily found a red ball. She gave it to her dog, Max."  # no token occurs twice two or more places back
DRAGON = "The dragon looked at the knight and the knight looked at the dragon"
ALREADY = "Once upon a time. Once upon a time"  # every repeat continues a phrase the model expects anyway
BRIDGES = {AttentionArcs: "say_bridge_attention_arcs", InContextCopying: "say_bridge_in_context_copying",
           PreTraining: "say_bridge"}
ARC_PROMPT, COPY_PROMPT = catalogue("reading")["en"]["arc_example"], catalogue("reading")["en"]["copy_example"]
REQUEST, EXAMPLE = catalogue("chat")["en"]["request"], catalogue("pretraining")["en"]["example_text"]


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


def on_screen(scene) -> str:
    """Every caption shown, pages joined, without spaces or line breaks (pages break lines anywhere)."""
    return "".join(text for _, text in scene.captions).replace("\n", "").replace(" ", "")


def shown(scene, module: str, key: str, **values) -> bool:
    """Whether the caption `key` of the catalogue, filled with `values`, was shown (over one or more pages)."""
    return tr(module, key, scene.settings.lang, **values).replace(" ", "") in on_screen(scene)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_multi_head_attention_of_a_one_head_model_speaks_of_one_head(lang, toy_dirs, media):
    """With one head a layer, the bridge, the heads and the sum speak of that one head (the bridge said "several
    heads"); with three, of several."""
    from scenes.multi_head_attention import MultiHeadAttention

    one, _ = render(MultiHeadAttention, Settings(model=str(toy_dirs["1L1H"]), lang=lang), media)
    three, _ = render(MultiHeadAttention, Settings(model=str(toy_dirs["2L3H"]), lang=lang), media)
    assert said_keys(one)[:3] == ["say_bridge_multi_head_attention_one", "say_show_heads_one",
                                  "say_combine_outputs_one"]
    assert said_keys(three)[:3] == ["say_bridge_multi_head_attention", "say_show_heads", "say_combine_outputs"]
    assert caption_texts(one)[:2] == [one.tr("heads_one"), one.tr("combine_one", query=quoted(one.data.tokens[-1]))]
    assert one.title_mob.original_text == one.tr("mh_title_one", layer=one.data.layer)  # not "Multi-head"
    check_reading(one)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("scene_cls", [AttentionArcs, InContextCopying, PreTraining], ids=lambda c: c.__name__)
def test_every_step_of_the_scene_says_its_narration(scene_cls, lang, media):
    """Each step says its narration, placeholders filled, the bridge first; every line is up long enough to read."""
    scene, _ = render(scene_cls, Settings(lang=lang), media)
    check_reading(scene)
    lines = [line for _, line in scene.narration]
    assert lines[0] == catalogue(scene_cls.catalogue)[lang][BRIDGES[scene_cls]].format(
        total=f"{scene.training.n_params:,}" if scene_cls is PreTraining else "")
    assert len(scene.step_ends) >= 5 and len(lines) > len(scene.step_ends)  # the bridge, then one a step or more


@pytest.mark.parametrize("lang, prompt", [("en", None), ("en", ONCE), ("ja", None)])
def test_arcs_call_a_head_content_reading_only_when_its_token_comes_twice(lang, prompt, media):
    """The English example has a head that favours " a", twice among the keys, with a lift of at least
    MIN_LIFT: reading by content; in ONCE every head's favourite occurs once (place and content cannot be told
    apart), and the scene says so. Whatever the Japanese model, the words follow its numbers."""
    scene, _ = render(AttentionArcs, Settings(lang=lang, prompt=prompt), media)
    c, s = scene.content_head, scene.sentence
    variant = content_variant(c)
    assert variant == ("" if c.count >= 2 and c.lift >= MIN_LIFT else "_once" if c.count < 2 else "_weak")
    assert c.count == s.tokens[1:-2].count(c.token)
    values = dict(token=quoted(c.token), share=f"{c.share:.0%}", lift=f"{c.lift:.0f}")
    assert shown(scene, "reading", "content" + variant, **values)
    assert said(scene, "say_switch_to_content_head" + variant, **values)
    for other in {"", "_once", "_weak"} - {variant}:
        assert not shown(scene, "reading", "content" + other, **values)
    if lang == "en":
        assert variant == ("" if prompt is None else "_once"), c
    from gptmath.heads import previous_token_scores

    score = previous_token_scores(s.trace)[s.layer, s.head]
    habit = said(scene, "say_show_all_links_previous", w=f"{MIN_WEIGHT:.2f}", score=f"{score:.2f}")
    assert habit == (score >= PREVIOUS_HEAD) and habit != said(scene, "say_show_all_links",
                                                               w=f"{MIN_WEIGHT:.2f}", score=f"{score:.2f}")
    check_reading(scene)


@pytest.mark.parametrize("lang, prompt, toy, claim", [
    ("en", None, False, "copies"),  # "u" → "ri": 0.2 % the first time, 96.6 % after the repeat
    ("en", DRAGON, False, "copies"),  # not "g" → "on" (98 % → 99.9 %: completing a word) but " d" → "ra"
    ("en", ALREADY, False, "already"),  # " a" → " time": 99.9 % the first time already
    ("en", None, True, "no_copy"),  # a random model copies nothing
    ("ja", None, False, None),  # whatever the Japanese model does: the words follow its numbers
])
def test_copying_is_claimed_only_when_the_first_time_was_unlikely_and_the_repeat_likely(lang, prompt, toy, claim,
                                                                                         toy_dirs, media):
    model = str(toy_dirs[TOY]) if toy else None
    scene, _ = render(InContextCopying, Settings(lang=lang, prompt=prompt, model=model), media)
    s, ex = scene.story, scene.story.example
    got = copy_claim(ex)
    copies = ex.p_again >= COPY_MIN and ex.p_again >= COPY_RATIO * ex.p_first
    assert got == ("copies" if copies else "already" if ex.p_first >= ALREADY_EXPECTED else "no_copy")
    if claim is not None:
        assert got == claim, ex
    values = dict(next=quoted(s.tokens[ex.first + 1]), first=f"{ex.p_first:.1%}", now=f"{ex.p_again:.1%}")
    assert shown(scene, "reading", f"jump_{got}", **values)
    assert said(scene, f"say_compare_probabilities_{got}", **values)
    for other in {"copies", "already", "no_copy"} - {got}:
        assert not shown(scene, "reading", f"jump_{other}", **values)
    (pL, ph), (iL, ih) = s.heads.previous, s.heads.induction
    links = {"previous": dict(layer=pL, head=ph, token=quoted(s.tokens[ex.first + 1]), before=quoted(s.tokens[ex.first]),
                              w=s.weight(s.heads.previous, ex.first + 1, ex.first)),
             "induction": dict(layer=iL, head=ih, token=quoted(s.tokens[ex.query]), next=quoted(s.tokens[ex.first + 1]),
                               w=s.weight(s.heads.induction, ex.query, ex.first + 1))}
    for step, values in links.items():
        weak = "" if values["w"] >= CLEAR_LINK else "_weak"
        values["w"] = f"{values['w']:.2f}"
        assert shown(scene, "reading", step + weak, **values), (step + weak, values)
        assert said(scene, f"say_{step}{'_token' if step == 'previous' else ''}_head{weak}", **values)
        assert not shown(scene, "reading", step + ("_weak" if weak == "" else ""), **values)
        if toy:  # random attention spreads thinly: neither link is strong
            assert weak == "_weak", (step, values)
        if lang == "en" and not toy and prompt is None:
            assert weak == "", (step, values)
    check_reading(scene)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_querys_caption_is_never_shown_without_its_arcs(lang, media):
    """Each frame that shows what one token reads (the "reads" caption) has arcs on screen: the last query's
    caption once stayed 3 s over the bare sentence while the next step's arcs were still to come. And the content
    head's caption (the last step's) never stands over the first head's arcs (yellow, th.QUERY)."""
    import re

    from manim import ArcBetweenPoints, Circle, CubicBezier, ManimColor

    from scenes import theme as th
    from scenes.mobjects.attention import ArcDiagram
    from tests.scene_harness import after_each_frame

    template = re.escape(tr("reading", "reads", lang, query="QQQ", reads="RRR"))
    reads = re.compile(template.replace("QQQ", "“[^”]+”").replace("RRR", "“[^”]+” .*"))
    told, _ = render(AttentionArcs, Settings(lang=lang), media)
    content_pages = {text for t, text in told.captions if t >= told.step_ends[-2]}
    query_color = ManimColor(th.QUERY).to_hex().lower()
    bare, crossed = [], []

    def look(renderer, scene) -> None:
        caption = scene.caption_mob.original_text if scene.caption_mob is not None else ""
        arcs = [m for m in scene.mobjects if isinstance(m, (ArcDiagram, ArcBetweenPoints))]
        if reads.fullmatch(caption) and not arcs:
            bare.append((round(renderer.time, 1), caption))
        drawn = [a for m in scene.mobjects for a in m.get_family()
                 if isinstance(a, (ArcBetweenPoints, Circle, CubicBezier))]
        if caption in content_pages and any(a.get_stroke_color().to_hex().lower() == query_color for a in drawn):
            crossed.append((round(renderer.time, 1), caption))

    with after_each_frame(look):
        scene, _ = render(AttentionArcs, Settings(lang=lang), media, width=320, height=180, animate=True,
                          frame_rate=5)
    assert any(reads.fullmatch(text) for _, text in scene.captions) and content_pages
    assert not crossed, crossed[:3]
    stretches, last = [], None  # runs of consecutive frames (0.2 s apart) with the caption and no arcs
    for t, text in bare:
        if last is None or t - last > 0.25:
            stretches.append([t, t, text])
        stretches[-1][1] = last = t
    assert all(end - start <= 0.5 for start, end, _ in stretches), stretches  # a caption's own fade-out, no more


def test_the_first_drawing_waits_for_the_bridge_to_be_said(media):
    """The bridge is said over the title alone; the sentence and its caption come with the words about them
    (they once stood 20 s ahead of them, over the bridge)."""
    from tests.scene_harness import after_each_frame

    drawn: list[float] = []  # times of frames with more than the title on screen

    def look(renderer, scene) -> None:
        if scene.title_mob is not None and any(m is not scene.title_mob for m in scene.mobjects):  # title faded in
            drawn.append(renderer.time)

    with after_each_frame(look):
        scene, _ = render(AttentionArcs, Settings(lang="ja"), media, width=320, height=180, animate=True,
                          frame_rate=5)
    bridge_end = scene.narration[1][0]  # the second line starts once the bridge has been said
    assert said_keys(scene)[0] == BRIDGES[AttentionArcs] and bridge_end > 5
    assert drawn and min(drawn) >= bridge_end - 0.25, (min(drawn), bridge_end)


@pytest.mark.parametrize("prompt", [None, LONG, "Once upon a time"])
def test_attention_arcs_are_the_heads_weights(prompt, media):
    settings = Settings() if prompt is None else Settings(prompt=prompt)
    scene, _ = render(AttentionArcs, settings, media)
    s, content = scene.sentence, (scene.content_head.layer, scene.content_head.head)
    assert s.trace.token_strings == scene.data.model.token_strings(scene.data.model.encode(prompt or ARC_PROMPT))
    for diagram, (layer, head) in ((scene.all_arcs, (s.layer, s.head)), (scene.content, content)):
        pattern = s.trace[hooks.attn(layer, "pattern")][head]
        assert diagram.links, "no link drawn"
        for q, k, w in diagram.links:
            assert k <= q and w == pytest.approx(pattern[q, k]) and w >= MIN_WEIGHT
        strong = {(q, k) for q in range(pattern.shape[0]) for k in range(q + 1) if pattern[q, k] >= MIN_WEIGHT}
        assert {(q, k) for q, k, _ in diagram.links} == strong
    assert content != (s.layer, s.head)
    check_layout(scene)


@pytest.mark.parametrize("prompt", [None, LONG])
def test_copying_shows_the_copied_tokens_real_probabilities(prompt, media):
    settings = Settings() if prompt is None else Settings(prompt=prompt)
    scene, _ = render(InContextCopying, settings, media)
    ex, trace = scene.story.example, scene.story.trace
    assert trace.token_strings == scene.data.model.token_strings(scene.data.model.encode(prompt or COPY_PROMPT))
    assert trace.tokens[ex.query] == trace.tokens[ex.first] and ex.copied == trace.tokens[ex.first + 1]
    assert ex.p_first == pytest.approx(softmax(trace["logits"][ex.first])[ex.copied])
    assert ex.p_again == pytest.approx(softmax(trace["logits"][ex.query])[ex.copied])
    np.testing.assert_allclose(scene.bars.probs[:2], [ex.p_first, ex.p_again])
    pL, ph = scene.story.heads.previous
    assert pL < max(scene.story.heads.induction[0], 1)
    check_layout(scene)


def test_copying_captions_say_what_the_numbers_show(toy_dirs, media):
    """The shipped model copies (a stripe, far less surprised on the repeat); a random one does not, and says so."""
    copying, not_copying = ["The stripe:", "far less surprised"], ["would draw a stripe", "hardly less surprised"]
    for settings, shown_words, unshown in ((Settings(), copying, not_copying),
                                           (Settings(model=str(toy_dirs[TOY])), not_copying, copying)):
        scene, _ = render(InContextCopying, settings, media)
        captions = " ".join(text for _, text in scene.captions)
        assert all(p in captions for p in shown_words) and not any(p in captions for p in unshown), captions


def test_copying_without_a_repeat_says_so(media):
    scene, _ = render(InContextCopying, Settings(prompt="The cat sat"), media)
    assert scene.story.example is None and any("twice" in text for _, text in scene.captions)


def test_chat_reads_the_template_and_writes_the_models_answer(toy_dirs, media):
    folder = toy_dirs[TOY]
    scene, _ = render(Chat, Settings(model=str(folder)), media)
    model = load_model(folder)
    from transformers import AutoTokenizer

    want = AutoTokenizer.from_pretrained(folder).apply_chat_template(
        [{"role": "user", "content": REQUEST}], add_generation_prompt=True, tokenize=False)
    assert scene.prompt == want == chat_prompt(model.chat_template, [{"role": "user", "content": REQUEST}])
    s = scene.data.settings
    steps = generate(model, want, 40, temperature=s.temperature, seed=s.seed, top_k_only=s.top_k,
                     stop=model.tokenizer.token_to_id(END))
    assert [x.chosen for x in scene.steps] == [x.chosen for x in steps]
    assert [m.role for m in scene.transcript.markers][:3] == ["system", "end", "user"]
    ended = steps[-1].chosen == model.tokenizer.token_to_id(END)  # else the answer was cut: the caption says which
    captions = " ".join(text for _, text in scene.captions)
    assert ("until it writes" in captions) == ended and ("its first" in captions) == (not ended)
    check_layout(scene)


def test_chat_without_a_template_says_so(tmp_path, media):
    import json
    import shutil

    from gpttrain.toy import make_toy_model

    folder = make_toy_model(tmp_path / "plain")
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    scene, _ = render(Chat, Settings(model=str(folder)), media)
    assert scene.note.original_text == "This model has no chat template"
    assert any("chat-trained" in text for _, text in scene.captions)
    shutil.rmtree(folder)


def check_training_words(scene) -> list[str]:
    """The words PreTraining chose, checked against its numbers; returns the bars' caption keys.

    Random weights only over a step-0 checkpoint whose bars are flat; "three steps" only when it shows three;
    "every weight moves" only when the step changed every number; the loss "fell" only over two or more steps.
    """
    t, lang = scene.training, scene.settings.lang
    keys = [bars_caption(i, t.predictions) for i in range(len(t.predictions))]
    for i, (key, p) in enumerate(zip(keys, t.predictions)):
        if key is None:
            continue
        assert shown(scene, "pretraining", key, n=f"{p.vocab_size:,}", step=f"{p.checkpoint.step:,}",
                     token=quoted(p.top.texts[0]), p=f"{p.top.probs[0]:.0%}"), key
        flat = p.top_lift <= EVEN_LIFT
        assert (key == "untrained") == (i == 0 and p.checkpoint.step == 0 and flat and len(keys) > 1)
    random_words = catalogue("pretraining")[lang]["untrained"].split("{")[0].replace(" ", "")  # "At step 0 the..."
    assert (random_words in on_screen(scene)) == ("untrained" in keys)
    if t.history:
        last = t.history[-1]
        fell = len(t.history) > 1 and last.nats_per_token < t.history[0].nats_per_token
        assert shown(scene, "pretraining", "curve" if fell else "curve_at", steps=f"{last.step:,}",
                     tokens=scene_module.token_count(last.tokens_seen, lang), loss=f"{last.nats_per_token:.2f}")
        seed, k, step = scene.settings.seed, scene.settings.top_k, f"{t.samples[-1].checkpoint.step:,}"
        assert shown(scene, "pretraining", "samples" if len(t.samples) > 1 else "samples_one", n=len(t.samples),
                     seed=seed, k=k, step=step)
    every = t.step.n_changed == t.step.n_params
    assert shown(scene, "pretraining", "step_all" if every else "step", lr=f"{t.step.lr:g}")
    assert not shown(scene, "pretraining", "step" if every else "step_all", lr=f"{t.step.lr:g}")
    check_reading(scene)
    return keys


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_pretraining_says_what_its_checkpoints_show(lang, media):
    """English: step 0 is saved and flat (random weights), eight steps, three samples, and the step leaves some
    numbers unchanged (1,902,766 of 2,025,600): not "every weight". Japanese: whatever its checkpoints are, the
    words follow them (its first model saved only step 9,000: no "random", one sample)."""
    scene, _ = render(PreTraining, Settings(lang=lang), media)
    keys = check_training_words(scene)
    t = scene.training
    assert t.step.n_changed < t.step.n_params  # positions past the example get no gradient
    assert said_the_update(scene, every=False)
    if lang == "en":
        assert keys[0] == "untrained" and keys[-1] == "trained" and len(t.samples) == 3
    if t.history[0].step != 0:
        assert "ランダム" not in on_screen(scene) and "random" not in on_screen(scene)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_pretraining_captions_leave_with_the_drawings_they_describe(lang, media):
    """A caption outlives its step by no more than its fade: the bars' caption once stood over the samples coming
    in, the samples' over the gradient step's example, and the step's over GPT-3's area. Only the update keeps
    the example's caption while the example stays on screen."""
    from bisect import bisect_right

    from tests.scene_harness import after_each_frame

    seen: list[tuple[float, object]] = []  # (time, the caption on screen)
    with after_each_frame(lambda r, s: seen.append((r.time, s.caption_mob)) if s.caption_mob else None):
        scene, _ = render(PreTraining, Settings(lang=lang), media, width=320, height=180, animate=True,
                          frame_rate=5)
    ends = scene.step_ends
    update = next(e["step"] for e in scene.script if "one_step_update" in e["name"])

    def step_at(t: float) -> int:
        return bisect_right(ends, t - 1e-6) + 1

    first, last = {}, {}
    for t, caption in seen:
        first.setdefault(caption, t)
        last[caption] = t
    late = []
    for caption, start in first.items():
        own = step_at(start) + (step_at(start) == update - 1)  # the example's caption may stay through the update
        if last[caption] - ends[own - 1] > 0.5:
            late.append((round(ends[own - 1], 1), round(last[caption], 1)))
    assert len(first) >= 5 and not late, late


@pytest.mark.parametrize("tokens, en, ja", [(18_432_000, "18 million", "1,843 万"), (61_440_000, "61 million", "6,144 万"),
                                            (3_072, "0.003 million", "3,072"), (40_960, "0.041 million", "4.1 万")])
def test_token_counts_are_written_as_each_language_counts(tokens, en, ja):
    assert scene_module.token_count(tokens, "en") == en and scene_module.token_count(tokens, "ja") == ja


def test_pretraining_draws_each_checkpoint_and_a_real_step(run, tmp_path, media):  # noqa: F811
    from gpttrain.ship import ship

    root, _ = run
    folder = tmp_path / "model"
    ship(root / "out", root / "work", folder, root / "corpus")
    scene, _ = render(PreTraining, Settings(model=str(folder), prompt="Lily and the dog"), media)
    t = scene.training
    assert scene.curve.steps == [c.step for c in t.history] == [0, 4, 12]
    assert scene.curve.losses == [c.nats_per_token for c in t.history]
    final = load_model(folder)
    want = top_bars(final.trace("Lily and the dog")["logits"][-1], 1.0, 5, final.token_strings)
    assert t.predictions[-1].top == want
    step = gradient_step(str(folder), "Lily and the dog", STEP_LR)  # torch, here in the test: the scene read the cache
    assert t.step == GradientStep(**asdict(step)) and step.n_changed > 0 and step.loss_after < step.loss_before
    assert check_training_words(scene)[0] == "untrained"  # step 0 of a real run: random weights, flat bars
    check_layout(scene)


def test_pretraining_without_step_0_never_says_random(run, tmp_path, media):  # noqa: F811
    """The same run with its step-0 snapshot left out of the index: its first bars are trained ones."""
    import json

    from gpttrain.ship import ship

    root, _ = run
    folder = tmp_path / "model"
    ship(root / "out", root / "work", folder, root / "corpus")
    index = folder / "checkpoints" / "index.json"
    entries = json.loads(index.read_text())
    entries["checkpoints"] = [e for e in entries["checkpoints"] if e["step"] != 0]
    index.write_text(json.dumps(entries))
    scene, _ = render(PreTraining, Settings(model=str(folder), prompt="Lily and the dog"), media)
    assert [c.step for c in scene.training.history] == [4, 12]
    keys = check_training_words(scene)
    assert keys[0] == "first_step" and "random" not in on_screen(scene) and len(scene.training.samples) == 2
    assert shown(scene, "pretraining", "samples", n=2, seed=0, k=5, step="12")


def test_pretraining_without_history_still_takes_a_step(toy_dir, media, monkeypatch):
    """No history: the bridge, "no history" and the step; a step that changed every number says "every weight"."""
    real = SceneData.gradient_step
    monkeypatch.setattr(SceneData, "gradient_step", lambda self: replace(real(self), n_changed=real(self).n_params))
    scene, _ = render(PreTraining, Settings(model=str(toy_dir)), media)
    assert scene.training.history == [] and scene.training.step.ids == load_model(toy_dir).encode(EXAMPLE)
    assert said(scene, "say_no_history") and check_training_words(scene) == []
    assert shown(scene, "pretraining", "step_all", lr=f"{STEP_LR:g}")
    assert said_the_update(scene, every=True)


def said_the_update(scene, every: bool) -> bool:
    """Whether the scene said the gradient step's three lines (rule, result, numbers changed) with its numbers."""
    step = scene.training.step
    token = quoted(scene.data.model.token_strings(step.ids)[-1])
    changed = dict(total=f"{step.n_params:,}") if every else dict(n=f"{step.n_changed:,}", total=f"{step.n_params:,}")
    return (said(scene, "say_one_step_update", lr=f"{step.lr:g}")
            and said(scene, "say_one_step_result", token=token, loss_before=f"{step.loss_before:.3f}",
                     loss_after=f"{step.loss_after:.3f}", p_before=f"{step.p_before:.1%}", p_after=f"{step.p_after:.1%}")
            and said(scene, "say_one_step_changed_all" if every else "say_one_step_changed", **changed))


@pytest.mark.parametrize("scene_cls", [AttentionArcs, InContextCopying, Chat, PreTraining], ids=lambda c: c.__name__)
def test_golden(scene_cls, media, update_golden):
    compare_golden(render(scene_cls, Settings(), media)[1], scene_cls.__name__, update_golden)
