"""Every on-screen text exists in every language, and no scene hard-codes words."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scenes.i18n import LANGUAGES, LOCALES, catalogue, tr

SCENES = Path(__file__).parent.parent / "scenes"
MODULES = sorted(p.stem for p in LOCALES.glob("*.toml"))


@pytest.mark.parametrize("module", MODULES)
def test_every_key_in_every_language(module):
    cat = catalogue(module)
    assert set(cat) == set(LANGUAGES), f"{module}: languages {sorted(cat)}"
    keys = {lang: set(cat[lang]) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert keys[lang] == keys["en"], f"{module}.{lang}: missing {keys['en'] - keys[lang]}, extra {keys[lang] - keys['en']}"


@pytest.mark.parametrize("module", MODULES)
def test_placeholders_agree_between_languages(module):
    import string

    cat = catalogue(module)
    for key, text in cat["en"].items():
        want = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        for lang in LANGUAGES:
            have = {f for _, f, _, _ in string.Formatter().parse(cat[lang][key]) if f}
            assert have == want, f"{module}.{lang}.{key}: placeholders {have} != {want}"


def test_tr_fills_placeholders():
    assert tr("tokens", "vocab", lang="en", v="4,096", last="4,095") == "Vocabulary: 4,096 tokens, ids 0 … 4,095"
    assert "4,096" in tr("tokens", "vocab", lang="ja", v="4,096", last="4,095")


def _scene_modules() -> list[Path]:
    skip = {"__init__", "__main__", "i18n", "settings", "data", "theme", "base", "mobjects", "cli"}
    return [p for p in sorted(SCENES.glob("*.py")) if p.stem not in skip]


@pytest.mark.parametrize("path", _scene_modules(), ids=lambda p: p.stem)
def test_scene_modules_hard_code_no_words(path):
    """String literals passed to label()/show_title()/show_caption() must come from tr()."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "label", "show_title", "show_caption", "Text"):
            if not node.args:
                continue
            arg = node.args[0]
            parts = [arg] if isinstance(arg, ast.Constant) else arg.values if isinstance(arg, ast.JoinedStr) else []
            words = "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))
            assert not any(c.isalpha() for c in words), \
                f"{path.name}:{node.lineno}: on-screen words {words!r} must come from tr()"
