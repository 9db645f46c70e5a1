"""On-screen words in several languages: one catalogue file per scene module.

`scenes/locales/<module>.toml` holds one table per language:

    [en]
    title = "Text becomes tokens"
    n_tokens = "{n} tokens"
    [ja]
    title = "テキストはトークンになる"
    n_tokens = "{n} 個のトークン"

Scenes call `self.tr("tokens", "n_tokens", n=5)` (GPTScene.tr), which passes the
language of the scene's settings (`--lang`) on to `tr("tokens", "n_tokens", "ja", n=5)`.
Every key must exist in every language (a test checks). Text is drawn in the font
that has its characters (`font_for`), whatever the language.
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from gptmath import GptMathError

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "ja")
FONTS = {"en": "DejaVu Sans", "ja": "Noto Sans CJK JP"}  # installed by render.sh
# Japanese line breaking (kinsoku): these never begin a line; the character before them moves down with them
NO_LINE_START = frozenset("、。，．・：；！？ー…」』）】〉》ぁぃぅぇぉっゃゅょァィゥェォッャュョ")
UNBROKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z,.%_-]*[0-9A-Za-z%]|.")  # a number or Latin word stays whole: 4,273,664


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise GptMathError(f"language {lang!r} is not available: choose one of {', '.join(LANGUAGES)}")
    return lang


@lru_cache(maxsize=None)
def catalogue(module: str) -> dict[str, dict[str, str]]:
    """{language: {key: text}} of one scene module."""
    with open(LOCALES / f"{module}.toml", "rb") as f:
        return tomllib.load(f)


def tr(module: str, key: str, lang: str, **values) -> str:
    """The text for `key` in language `lang`, with {placeholders} filled in."""
    text = catalogue(module)[lang][key]
    return text.format(**values) if values else text


def font_for(text: str) -> str:
    """The font that shows the text's characters: the Japanese one once any character is Japanese (or Chinese)."""
    return FONTS["ja"] if breaks_anywhere(text) else FONTS["en"]


def breaks_anywhere(text: str) -> bool:
    """Whether a line of `text` may break between any two characters (Japanese), not only at spaces."""
    return any(_is_cjk(c) for c in text)


def japanese_pieces(text: str) -> list[str]:
    """Japanese text as the pieces a line or cue may break between: characters, but a number or Latin word whole,
    and 「、」「。」 and the like kept with the piece before them."""
    pieces: list[str] = []
    for piece in UNBROKEN.findall(text):
        if pieces and piece in NO_LINE_START:
            pieces[-1] += piece
        else:
            pieces.append(piece)
    return pieces


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3000 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF
