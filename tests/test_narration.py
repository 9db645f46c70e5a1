"""Time to read: reading speed, and long lines cut into readable cues."""
from __future__ import annotations

import pytest

from scenes.narration import CUE_CHARS, reading_seconds, split_cues


def test_reading_time_follows_the_language_and_never_drops_below_a_second():
    assert reading_seconds("x" * 34, "en") == pytest.approx(2.0)
    assert reading_seconds("あ" * 12, "ja") == pytest.approx(2.0)
    assert reading_seconds("Hi", "en") == 1.0


def test_sentences_become_cues():
    assert split_cues("The model reads tokens. Each has an id! Why? Because.", "en") == [
        "The model reads tokens.", "Each has an id!", "Why?", "Because."]
    assert split_cues("モデルは文字を読みません。トークンを読みます。", "ja") == ["モデルは文字を読みません。", "トークンを読みます。"]


@pytest.mark.parametrize("lang, text", [
    ("en", "The unembedding matrix has one row per token of the vocabulary, so multiplying it by the last vector "
           "gives one score per token, and those scores are called logits, which softmax turns into probabilities."),
    ("ja", "アンエンベディング行列は語彙のトークンごとに一行を持ち、最後のベクトルに掛けるとトークンごとに一つの点数が出て、"
           "その点数をロジットと呼び、ソフトマックス関数がそれを確率に変えます。"),
    ("ja", "句読点のないとても長い日本語の文はそれでも読める長さの字幕に文字の単位で分けられなければなりません"),
])
def test_a_long_sentence_is_cut_into_cues_of_two_lines_keeping_every_word(lang, text):
    cues = split_cues(text, lang)
    assert len(cues) > 1 and all(len(c) <= CUE_CHARS[lang] for c in cues)
    assert ("" if lang == "ja" else " ").join(cues) == text

