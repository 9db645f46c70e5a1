"""Japanese text cut into words, so that a Japanese tokenizer learns its merges inside words.

Japanese is written without spaces, so a byte-level BPE trained on raw text learns merges across word boundaries
(さんが, とお|ばあ: おばあさん cut after と's merge). Training the merges on words instead keeps a particle a token of
its own (おじいさん|と|おばあさん|が). The words come from janome's morphemes (a pure-Python analyser with its own
dictionary), joined the way a reader groups them: a prefix goes with the word after it; auxiliaries, conjunctive
particles, suffixes and dependent words go with the word before (あり|まし|た → ありました, お|医者|さま → お医者さま).
Only training needs this: the tokenizer itself runs on raw text with the merges it learned.

>>> words("おじいさんとおばあさんがありました。")
['おじいさん', 'と', 'おばあさん', 'が', 'ありました', '。']
"""
from __future__ import annotations

from functools import lru_cache

PUNCTUATION = "、。「」『』（）！？　\n"


@lru_cache(maxsize=1)
def analyser():
    """janome's tokenizer (loads its dictionary once, about a second)."""
    try:
        from janome.tokenizer import Tokenizer
    except ImportError:
        raise SystemExit("training a Japanese tokenizer needs janome: pip install -e '.[train]'") from None
    return Tokenizer()


def joins_previous(part_of_speech: str) -> bool:
    """Whether a morpheme with this janome part of speech belongs to the word before it."""
    kind, sub = part_of_speech.split(",")[:2]
    return kind == "助動詞" or (kind == "助詞" and sub == "接続助詞") or sub in ("接尾", "非自立")


def words(text: str) -> list[str]:
    """`text` cut into words (see the module docstring); their concatenation is `text`."""
    out: list[str] = []
    prefix = ""
    for morpheme in analyser().tokenize(text):
        surface, pos = morpheme.surface, morpheme.part_of_speech
        if pos.startswith("接頭詞"):
            prefix += surface
        elif out and not prefix and joins_previous(pos) and out[-1][-1] not in PUNCTUATION:
            out[-1] += surface
        else:
            out.append(prefix + surface)
            prefix = ""
    return out + ([prefix] if prefix else [])
