"""Scenes IV: AttentionArcs, InContextCopying, Chat, PreTraining draw the model's own numbers and fit at 480p."""
from __future__ import annotations

from dataclasses import asdict

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
from scenes.i18n import catalogue
from scenes.pre_training import PreTraining
from scenes.attention_arcs import MIN_WEIGHT, AttentionArcs
from scenes.in_context_copying import InContextCopying
from scenes.settings import Settings
from tests.scene_harness import LONG, check_layout, compare_golden, render
from tests.test_checkpoints import run  # noqa: F401  (the tiny training run, shipped below)

TOY = "3L5H-gelu-n_inner"
ARC_PROMPT, COPY_PROMPT = catalogue("reading")["en"]["arc_example"], catalogue("reading")["en"]["copy_example"]
REQUEST, EXAMPLE = catalogue("chat")["en"]["request"], catalogue("pretraining")["en"]["example_text"]


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


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
    for settings, said, unsaid in ((Settings(), copying, not_copying),
                                   (Settings(model=str(toy_dirs[TOY])), not_copying, copying)):
        scene, _ = render(InContextCopying, settings, media)
        captions = " ".join(text for _, text in scene.captions)
        assert all(p in captions for p in said) and not any(p in captions for p in unsaid), captions


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
    check_layout(scene)


def test_pretraining_without_history_still_takes_a_step(toy_dir, media):
    scene, _ = render(PreTraining, Settings(model=str(toy_dir)), media)
    assert scene.training.history == [] and scene.training.step.ids == load_model(toy_dir).encode(EXAMPLE)


@pytest.mark.parametrize("scene_cls", [AttentionArcs, InContextCopying, Chat, PreTraining], ids=lambda c: c.__name__)
def test_golden(scene_cls, media, update_golden):
    compare_golden(render(scene_cls, Settings(), media)[1], scene_cls.__name__, update_golden)
