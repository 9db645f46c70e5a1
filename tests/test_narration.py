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



@pytest.mark.parametrize("text, whole", [
    ("tinytales-ja のパラメータは全部で 4,273,664 個ですがほぼすべてが行列の中にあります。", "4,273,664"),
    ("GPT-3 のパラメータは全部で 175,181,291,520 個でありこのモデルの何万倍にもなります。", "175,181,291,520"),
    ("句読点のない長い文でも切れ目の後が読点で始まってはいけませんね、とモデルは言いました。", None),
])
def test_a_cut_between_characters_never_splits_a_number_or_begins_with_a_comma(text, whole):
    """A Japanese sentence with no 、 near its middle is cut between characters, never inside 4,273,664 (the
    parameter count once read 「…4,273,66」「4 個です。」) and never just before 、 or 。."""
    from scenes.i18n import NO_LINE_START

    cues = split_cues(text, "ja")
    assert len(cues) > 1 and all(len(c) <= CUE_CHARS["ja"] and c == c.strip() for c in cues)
    assert "".join(cues).replace(" ", "") == text.replace(" ", "")
    assert whole is None or any(whole in cue for cue in cues)
    assert not any(cue[0] in NO_LINE_START for cue in cues)


def test_a_question_in_brackets_stays_in_its_sentence():
    assert split_cues("最初の問いは「文章はどう区切られる？」です。次の文。", "ja") == [
        "最初の問いは「文章はどう区切られる？」です。", "次の文。"]


def _scene(narration, captions, step_ends, end, lang="en"):
    from types import SimpleNamespace

    return SimpleNamespace(settings=SimpleNamespace(lang=lang), renderer=SimpleNamespace(time=end),
                           narration=narration, captions=captions, step_ends=step_ends)


def test_check_reading_fails_on_a_line_cut_short_a_silent_step_and_a_placeholder():
    from tests.scene_harness import check_reading

    line = "The model never sees letters: it reads a list of tokens."  # 56 characters: 3.3 s in English
    check_reading(_scene([(0.0, line), (4.0, "Each has an id.")], [(0.0, "Tokens")], [4.0, 6.0], 6.0))
    with pytest.raises(AssertionError, match="needs"):
        check_reading(_scene([(0.0, line), (2.0, "Each has an id.")], [], [2.0, 6.0], 6.0))
    with pytest.raises(AssertionError, match="step 2 says nothing"):
        check_reading(_scene([(0.0, line)], [], [4.0, 6.0], 6.0))
    with pytest.raises(AssertionError, match="placeholder"):
        check_reading(_scene([(0.0, "{n} tokens")], [], [4.0], 4.0))
    with pytest.raises(AssertionError, match="needs"):
        check_reading(_scene([(0.0, "トークン" * 5)], [], [2.0], 2.0, lang="ja"))  # 20 characters: 3.3 s


def test_a_quoted_token_is_never_cut():
    assert split_cues("“、” が最も大きな重みを与えるのは直前の “あるところに” です。次。", "ja") == [
        "“、” が最も大きな重みを与えるのは直前の “あるところに” です。", "次。"]
    text = "The head gives “, and” most weight, then “.” less, and the rest of the prompt, token by token, less still."
    assert all(c.count("“") == c.count("”") for c in split_cues(text * 2, "en"))
