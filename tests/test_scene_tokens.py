"""Tokenization scene: draws the real tokens and ids, fits the frame, matches its golden frame."""
from __future__ import annotations

import pytest

from scenes.settings import DEFAULT_MODELS, Settings
from scenes.tokenization import Tokenization
from tests.scene_harness import LONG, check_layout, compare_golden, render



@pytest.mark.parametrize("prompt", ["Once upon a time, there was a little", LONG, "Once"])
def test_tokens_and_ids_drawn_are_the_models(prompt, tmp_path):
    scene, _ = render(Tokenization, Settings(prompt=prompt), tmp_path)
    model, row = scene.data.model, scene.row
    ids = model.encode(prompt)
    assert row.ids == ids
    assert row.tokens == model.token_strings(ids)
    for i in row.shown_indices:
        cell = row.cell(i)
        assert cell.id_mob.text == str(ids[i])
        assert cell.text.text == row.tokens[i].replace(" ", "␣")
    assert str(f"{model.config.vocab_size:,}") in scene.vocab_mob.text
    check_layout(scene)


def test_other_model_shape(toy_dirs, tmp_path):
    folder = toy_dirs["3L5H-gelu-n_inner"]
    scene, _ = render(Tokenization, Settings(model=str(folder)), tmp_path)
    assert scene.row.ids == scene.data.model.encode(Settings().prompt)
    check_layout(scene)


def test_split_characters_are_bracketed(tmp_path):
    scene, _ = render(Tokenization, Settings(prompt="A café 猫 🙂"), tmp_path)
    model, ids = scene.data.model, scene.data.ids
    marked = [m[1].text for m in scene.split_marks]
    for char in "é猫🙂":
        whole = any(char.encode() in model.token_bytes(i) for i in ids)
        assert (char in marked) != whole, f"{char!r}: split across tokens = {not whole}, marked = {char in marked}"
    assert "\ufffd" not in "".join(scene.row.tokens)
    check_layout(scene)


def test_golden(tmp_path, update_golden):
    _, frame = render(Tokenization, Settings(), tmp_path)
    compare_golden(frame, "Tokenization", update_golden)


def test_japanese_prompt_brackets_each_character_over_its_byte_tokens(tmp_path, update_golden):
    """The English model never saw Japanese: each character is split into byte tokens, bracketed honestly."""
    prompt = "むかしむかし、猫がいました。"
    scene, frame = render(Tokenization, Settings(prompt=prompt, lang="ja", model=str(DEFAULT_MODELS["en"])), tmp_path)
    model, ids = scene.data.model, scene.data.ids
    assert b"".join(model.token_bytes(i) for i in ids).decode() == prompt
    marked = "".join(m[1].text for m in scene.split_marks)
    split = "".join(c for c in prompt if not any(c.encode() in model.token_bytes(i) for i in ids))
    assert marked == split  # every split character, in order, once
    assert "\ufffd" not in "".join(scene.row.tokens)
    check_layout(scene)
    compare_golden(frame, "Tokenization-ja-bytes", update_golden)


@pytest.mark.skipif(not DEFAULT_MODELS["ja"].is_dir(), reason="the Japanese model is not shipped yet")
def test_japanese_model_reads_whole_japanese_words(tmp_path, update_golden):
    """--lang ja picks the Japanese model and prompt: whole words and kana runs are single tokens."""
    scene, frame = render(Tokenization, Settings(lang="ja"), tmp_path)
    assert scene.data.settings.model_source == str(DEFAULT_MODELS["ja"])
    assert not scene.split_marks and len(scene.data.tokens) <= len(scene.data.settings.prompt) * 2 / 3
    check_layout(scene)
    compare_golden(frame, "Tokenization-ja", update_golden)
