"""Byte-level BPE helpers: what bytes a token stands for, and which characters they make.

GPT-2's tokenizer works on UTF-8 bytes, so one character (an emoji, a Japanese
kana, an accented letter) can be split across several tokens. These helpers
let scenes show that honestly instead of printing replacement glyphs.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable


@lru_cache(maxsize=1)
def _byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from the 256 bytes to printable unicode characters."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return dict(zip(printable, map(chr, chars)))


def byte_level_decoder() -> Callable[[str], bytes]:
    """A function turning a byte-level token string (e.g. 'Ġthe') into its bytes (b' the')."""
    inverse = {c: b for b, c in _byte_to_unicode().items()}

    def decode(token: str) -> bytes:
        # Special tokens such as <|endoftext|> are not byte-mapped: keep their text.
        if all(c in inverse for c in token):
            return bytes(inverse[c] for c in token)
        return token.encode("utf-8")

    return decode


@dataclass(frozen=True)
class Piece:
    """A run of a token's bytes: whole characters as text, or a lone byte as <xx>."""

    text: str
    raw: bytes

    @property
    def is_partial(self) -> bool:
        return self.text.startswith("<") and len(self.raw) == 1 and self.raw[0] >= 0x80


def byte_pieces(data: bytes) -> list[Piece]:
    """Split a token's bytes into printable characters and leftover bytes shown as <xx>."""
    pieces: list[Piece] = []
    i = 0
    while i < len(data):
        for width in (1, 2, 3, 4):
            chunk = data[i:i + width]
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                continue
            pieces.append(Piece(text, chunk))
            i += width
            break
        else:
            pieces.append(Piece(f"<{data[i]:02x}>", data[i:i + 1]))
            i += 1
    return pieces


@dataclass(frozen=True)
class CharSpan:
    """One character of the text and the tokens (first..last, inclusive) its bytes lie in."""

    char: str
    first_token: int
    last_token: int


def char_spans(token_bytes: list[bytes]) -> list[CharSpan]:
    """Map every character of the joined text back to the tokens that carry its bytes."""
    owner = [t for t, data in enumerate(token_bytes) for _ in data]  # byte -> token
    spans, i = [], 0
    for piece in byte_pieces(b"".join(token_bytes)):
        spans.append(CharSpan(piece.text, owner[i], owner[i + len(piece.raw) - 1]))
        i += len(piece.raw)
    return spans
