"""Tokenization scene: draws the real tokens and ids, fits the frame, matches its golden frame."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from gptmath.tokens import char_spans
from scenes.settings import DEFAULT_MODELS, Settings
from scenes.tokenization import Tokenization
from tests.narration_check import said
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
    shown = set(scene.row.shown_indices)  # a long row gives way to "…" in the middle
    split = "".join(s.char for s in char_spans([model.token_bytes(i) for i in ids])
                    if not any(s.char.encode() in model.token_bytes(i) for i in ids)
                    and {s.first_token, s.last_token} <= shown)
    assert marked == split and len(marked) >= 5  # every split character drawn whole, in order, once
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


# --- narration and claims chosen by the numbers (issue 27) ---------------------------------------------------------

STEPS = ["show_prompt", "cut_into_tokens", "show_ids", "show_split_characters", "state_vocabulary"]
PX_PER_UNIT = 480 / 8  # 480p: the frame is 8 units tall


def test_every_step_has_its_narration_in_both_languages():
    from scenes.i18n import LANGUAGES, catalogue

    cat = catalogue("tokens")
    for lang in LANGUAGES:
        keys = {k for k in cat[lang] if k.startswith("say_")}
        assert "say_bridge" in keys
        for step in STEPS:
            assert f"say_{step}" in keys, f"{lang}: no narration for {step}"
        assert all(k == "say_bridge" or any(k.startswith(f"say_{s}") for s in STEPS) for k in keys)


@pytest.mark.parametrize("kw", [dict(), dict(lang="ja"), dict(prompt="Once"), dict(prompt="A café 猫 🙂"),
                                dict(prompt=LONG)], ids=["en", "ja", "one-token", "bytes", "long"])
def test_narration_is_filled_readable_and_chosen_by_the_tokens(kw, tmp_path):
    """Spaces (␣) are spoken of only when a token holds one; one token is one token; the byte named is drawn."""
    from tests.scene_harness import check_reading

    scene, _ = render(Tokenization, Settings(**kw), tmp_path)
    check_reading(scene)
    tokens, n = scene.data.tokens, len(scene.data.tokens)
    assert said(scene, "say_bridge") and said(scene, "say_show_prompt") and said(scene, "say_show_ids")
    kind = "_one" if n == 1 else ("" if any(" " in t for t in tokens) else "_spaceless")
    assert said(scene, f"say_cut_into_tokens{kind}", n=n)
    assert [t for _, t in scene.captions if scene.tr(f"cut{kind}", n=n) in t]
    assert ("␣" in scene.tr(f"say_cut_into_tokens{kind}", n=n)) == (kind == "")
    if len(scene.split_marks):  # the byte the narration names lies under the first bracket
        byte = next(b for _, line in scene.narration for b in re.findall(r"<[0-9a-f]{2}>", line))
        first = scene.layout().spans[0]
        assert byte in "".join(tokens[first.first_token:first.last_token + 1])
    else:
        assert not any(scene.tr("say_show_split_characters", byte="") in line for _, line in scene.narration)
    v = scene.data.model.config.vocab_size
    assert said(scene, "say_state_vocabulary", model=scene.data.model.name, v=f"{v:,}", gpt3="50,257")


def test_a_vocabulary_larger_than_gpt3s_is_not_called_small(tmp_path, monkeypatch):
    import scenes.tokenization as module

    monkeypatch.setattr(module, "GPT3", SimpleNamespace(vocab_size=1_000))  # the shipped model's 1,024 is larger
    scene, _ = render(Tokenization, Settings(), tmp_path)
    assert said(scene, "say_state_vocabulary_large", model=scene.data.model.name, v="1,024", gpt3="1,000")
    assert not any(" just " in line for _, line in scene.narration)


@pytest.mark.parametrize("kw", [dict(), dict(prompt=LONG), dict(prompt="むかしむかし、猫がいました。", lang="ja",
                                                                model=str(DEFAULT_MODELS["en"]))],
                         ids=["en", "long", "ja-bytes"])
def test_ids_are_at_least_10_px_tall_at_480p(kw, tmp_path):
    scene, _ = render(Tokenization, Settings(**kw), tmp_path)
    heights = [c.id_mob.height * PX_PER_UNIT for c in scene.row.cells if c.index is not None]
    assert min(heights) >= 10, f"ids {min(heights):.1f} px tall"
    check_layout(scene)
