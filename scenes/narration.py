"""Time to read: how long a line must stay up, and a long line cut into cues a viewer can read.

Subtitle practice for adults: at most about 17 characters a second in English and 6 in Japanese, and never
less than a second on screen. A narration of several sentences becomes one cue per sentence; a sentence too
long for two subtitle lines is cut at a comma (、 in Japanese), else between words.

    reading_seconds("The model never sees letters.", "en")   # 1.71 (29 characters / 17)
    split_cues("First sentence. Second one.", "en")          # ["First sentence.", "Second one."]
"""
from __future__ import annotations

import re

from scenes.i18n import japanese_pieces

READING_SPEED = {"en": 17.0, "ja": 6.0}  # characters per second
MIN_SECONDS = 1.0  # the shortest a cue may stay
CUE_CHARS = {"en": 84, "ja": 32}  # two subtitle lines at most
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？])(?![」』）])")  # 「…？」です。 is one sentence
CLAUSE_END = {"en": re.compile(r"(?<=[,;:])\s+"), "ja": re.compile(r"(?<=[、，])")}


def reading_seconds(text: str, lang: str) -> float:
    """How long a viewer needs to read `text`: its characters at the language's reading speed, at least 1 s."""
    return max(MIN_SECONDS, len(text.strip()) / READING_SPEED[lang])


def split_cues(text: str, lang: str) -> list[str]:
    """The text as cues of at most two subtitle lines: sentences, long ones cut at clauses, then at words."""
    cues: list[str] = []
    for sentence in _unquoted(SENTENCE_END.split(text.strip()), " " if lang == "en" else ""):
        if sentence.strip():
            cues += [cue.strip() for cue in _fit(sentence.strip(), lang)]  # a cut at a space leaves none at the ends
    return cues


def _unquoted(pieces: list[str], joiner: str) -> list[str]:
    """Pieces joined again wherever a cut fell inside “quotes” (a quoted token such as “、” is never cut)."""
    out: list[str] = []
    for piece in pieces:
        if out and out[-1].count("“") > out[-1].count("”"):
            out[-1] += joiner + piece
        else:
            out.append(piece)
    return out


def _fit(sentence: str, lang: str) -> list[str]:
    """One sentence as pieces of at most CUE_CHARS characters, cut at the clause ends nearest the middle."""
    limit = CUE_CHARS[lang]
    if len(sentence) <= limit:
        return [sentence]
    joiner = " " if lang == "en" else ""
    words = sentence.split(" ") if lang == "en" else japanese_pieces(sentence)
    for pieces in (CLAUSE_END[lang].split(sentence), words):
        if len(pieces) > 1:
            return _pack(_unquoted([p for p in pieces if p], joiner), limit, joiner)
    return [sentence]


def _pack(pieces: list[str], limit: int, joiner: str) -> list[str]:
    """Consecutive pieces joined into cues as long as the limit allows (a piece longer than it stands alone)."""
    cues, current = [], ""
    for piece in pieces:
        candidate = current + joiner + piece if current else piece
        if current and len(candidate) > limit:
            cues.append(current)
            current = piece
        else:
            current = candidate
    return [*cues, current] if current else cues
