"""Chat: the script, its tokens (ids readable), the answer; what the captions and narration claim is chosen by
the numbers: role markers one token each or cut into pieces, a model that learned chat scripts or not, a model
with no chat template at all (told to the viewer; the hint for the user goes to stderr)."""
from __future__ import annotations

import pytest

from gptmath import load_model
from gptmath.chat import CHAT_TEMPLATE, ROLE_TOKENS
from scenes import theme as th
from scenes.chat import Chat, marker_key
from scenes.i18n import catalogue, tr
from scenes.settings import Settings
from tests.families import FAMILY_SHAPES, make_family_model
from tests.narration_check import assert_narrated, caption_texts, line
from tests.scene_harness import HEIGHT, check_layout, render

TOY = "3L5H-gelu-n_inner"  # random weights, the toy tokenizer's role markers, a chat template
SPLIT = "llama-3H-gqa3-tied"  # a tokenizer without the role markers: given the template, it cuts them up
ROUNDS = ["say_show_loop", "say_run_round", "say_run_round_append", "say_run_more_rounds"]
PX_PER_UNIT = HEIGHT / th.FRAME_HEIGHT  # at 480p


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("chat-media")


def ended(scene) -> bool:
    return scene.steps[-1].chosen == scene.data.end_id()


def test_the_shipped_model_chats(media):
    scene, _ = render(Chat, Settings(), media)
    answer = "say_answer" if ended(scene) else "say_answer_cut"
    assert_narrated(scene, ["say_bridge", "say_show_script", "say_show_tokens", *ROUNDS, answer,
                            "say_show_transcript"])
    ids = scene.data.model.encode(scene.prompt)
    assert f"id {ids[0]}" in line(scene, "say_show_tokens") and f"{len(ids)}" in line(scene, "say_show_tokens")
    captions = caption_texts(scene)
    assert tr("chat", "same_machine", "en") in captions
    check_layout(scene)


def test_token_ids_are_readable_at_480p(media):
    """Every id under the script's tokens is at least ~10 px tall at 480p (digits at th.MIN_NUMBER_SIZE are 9)."""
    scene, _ = render(Chat, Settings(), media)
    row = scene.token_row
    cells = [row.cell(i) for i in row.shown_indices]
    assert cells and all(hasattr(c, "id_mob") for c in cells)
    heights = [c.id_mob.height * PX_PER_UNIT for c in cells if c.id_mob.text.isdigit()]
    assert min(heights) >= 9.5, f"ids {min(heights):.1f} px tall"
    assert row.width <= th.CONTENT_WIDTH + 1e-6 and row.get_top()[1] < th.FRAME_HEIGHT / 2 - 0.9


def test_a_random_model_with_a_template_is_not_said_to_have_learned_chats(toy_dirs, media):
    scene, _ = render(Chat, Settings(model=str(toy_dirs[TOY])), media)
    keys = ["say_bridge", "say_show_script", "say_show_tokens", *ROUNDS,
            "say_answer" if ended(scene) else "say_answer_cut", "say_show_transcript_untrained"]
    assert_narrated(scene, keys)
    captions = caption_texts(scene)
    assert tr("chat", "same_machine_untrained", "en") in captions and tr("chat", "same_machine", "en") not in captions


def test_role_markers_cut_into_pieces_are_not_called_single_tokens(tmp_path, media):
    model_type, kw = FAMILY_SHAPES[SPLIT]
    folder = make_family_model(tmp_path / SPLIT, model_type, **kw)
    (folder / "chat_template.jinja").write_text(CHAT_TEMPLATE, encoding="utf-8")
    scene, _ = render(Chat, Settings(model=str(folder)), media)
    said = line(scene, "say_show_tokens_split")
    pieces = len(load_model(folder).encode("<|system|>"))
    assert pieces > 1 and f"{pieces} pieces" in said and "<|system|>" in said
    n = len(scene.token_row.tokens)
    captions = caption_texts(scene)
    assert tr("chat", "tokens_split", "en", n=n, marker="<|system|>", k=pieces) in captions
    assert not [c for c in captions if "is token" in c]
    assert not [t for t in scene.token_row.tokens if t in ROLE_TOKENS]  # nothing to frame as a single token


def test_marker_key_counts_whole_marker_tokens():
    markers = ["<|system|>", "<|end|>"]
    assert marker_key(["<|system|>", "Hi", "<|end|>"], markers) == "tokens"
    assert marker_key(["<", "|", "system", "|>", "Hi", "<|end|>"], markers) == "tokens_split"
    assert marker_key(["Hi"], []) == "tokens_plain"


def test_without_a_template_the_film_tells_the_viewer_and_stderr_tells_the_user(capsys, media, tmp_path):
    """The Japanese model without its chat template (as the first Japanese model shipped): the picture says so to
    the viewer; how to render a chat (--model) is a note on stderr, never on screen."""
    import shutil

    from scenes.settings import DEFAULT_MODELS

    folder = tmp_path / "no-template"
    shutil.copytree(DEFAULT_MODELS["ja"], folder, ignore=shutil.ignore_patterns("checkpoints", "chat_template.jinja"))
    scene, _ = render(Chat, Settings(lang="ja", model=str(folder)), media)
    assert scene.data.model.chat_template is None
    assert_narrated(scene, ["say_bridge", "say_no_template"])
    captions = caption_texts(scene)
    assert captions == [tr("chat", "no_template_caption", "ja")]
    user_words = ("--model", "使ってください", "render", "use a ")
    for lang in ("en", "ja"):
        shown = [v for k, v in catalogue("chat")[lang].items() if not k.startswith("say_")]
        assert not [t for t in shown for w in user_words if w in t], "an instruction to the user is on screen"
    assert "--model" in capsys.readouterr().err


def test_the_models_output_arrow_leaves_with_its_bars(media):
    """The arrow out of the model box points at the round's bars: once they go, it goes with them (it once pointed
    at nothing for 10 s while the rest of the answer was read)."""
    from manim import Arrow

    from scenes.mobjects.charts import NextTokenBars
    from tests.scene_harness import after_each_frame

    alone: list[float] = []  # times of frames with the arrow out of the box and no bars

    def look(renderer, scene) -> None:
        out = [m for m in scene.mobjects if isinstance(m, Arrow) and m.get_end()[0] - m.get_start()[0] > 0.5]
        if out and not any(isinstance(m, NextTokenBars) for m in scene.mobjects):
            alone.append(renderer.time)

    with after_each_frame(look):
        render(Chat, Settings(lang="ja"), media, width=320, height=180, animate=True, frame_rate=5)
    assert not alone, alone
