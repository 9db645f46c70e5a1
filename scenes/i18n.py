"""On-screen words in several languages: one catalogue file per scene module.

`scenes/locales/<module>.toml` holds one table per language:

    [en]
    title = "Text becomes tokens"
    n_tokens = "{n} tokens"
    [ja]
    title = "テキストはトークンになる"
    n_tokens = "{n} 個のトークン"

Scenes call `tr("tokens", "n_tokens", n=5)`; the language comes from the
settings (`--lang`). Every key must exist in every language (a test checks).
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from gptmath import GptMathError

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "ja")
FONTS = {"en": "DejaVu Sans", "ja": "Noto Sans CJK JP"}  # installed by render.sh


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise GptMathError(f"language {lang!r} is not available: choose one of {', '.join(LANGUAGES)}")
    return lang


@lru_cache(maxsize=None)
def catalogue(module: str) -> dict[str, dict[str, str]]:
    """{language: {key: text}} of one scene module."""
    with open(LOCALES / f"{module}.toml", "rb") as f:
        return tomllib.load(f)


def current_language() -> str:
    from scenes.settings import load_settings

    return load_settings().lang


def tr(module: str, key: str, lang: str | None = None, **values) -> str:
    """The text for `key` in the current language, with {placeholders} filled in."""
    text = catalogue(module)[lang or current_language()][key]
    return text.format(**values) if values else text


def font(lang: str | None = None) -> str:
    """The font that shows the language's characters."""
    return FONTS[lang or current_language()]
