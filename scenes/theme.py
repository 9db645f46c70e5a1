"""Colours, fonts and layout constants shared by every scene (3Blue1Brown's look)."""
from __future__ import annotations

import numpy as np
from manim import BLUE, GREY_B, GREY_D, RED, TEAL, WHITE, YELLOW, ManimColor, interpolate_color

# --- colours -------------------------------------------------------------
BACKGROUND = ManimColor("#0b0c10")
TEXT = WHITE
DIM = GREY_B  # secondary labels: ids, sizes, captions
FAINT = GREY_D  # masked cells, ellipses' frames
POSITIVE = BLUE  # positive values
NEGATIVE = RED  # negative values
ZERO = ManimColor("#1c1f26")  # colour of a value near zero
QUERY = YELLOW
KEY = TEAL
VALUE = RED
HIGHLIGHT = YELLOW
TOKEN_COLORS = [ManimColor(c) for c in ("#e07a5f", "#81b29a", "#f2cc8f", "#7fa7d9", "#c490d1", "#66c2a5", "#fc8d62")]

# --- fonts ---------------------------------------------------------------
# Installed by render.sh (Debian's fonts-dejavu-core), so frames match on every machine.
# Words use the language's font (scenes.i18n.font); numbers and token text use MONO.
MONO = "DejaVu Sans Mono"

# --- sizes (manim units; the frame is 14.2 x 8 units) ------------------------
TITLE_SIZE = 40
LABEL_SIZE = 24
SMALL_SIZE = 18
NUMBER_SIZE = 16
MIN_NUMBER_SIZE = 14.5  # smallest number size drawn in grids and columns: digits about 9 px tall at 480p
CAPTION_SIZE = 24
EDGE = 0.35  # margin kept free at the frame's edges
FRAME_WIDTH = 14.22
FRAME_HEIGHT = 8.0
CONTENT_WIDTH = FRAME_WIDTH - 2 * EDGE


def value_color(x: float, scale: float) -> ManimColor:
    """Blue for positive, red for negative, brighter the larger |x| is relative to scale."""
    t = float(np.clip(abs(x) / scale, 0.0, 1.0)) if scale > 0 else 0.0
    return interpolate_color(ZERO, POSITIVE if x >= 0 else NEGATIVE, 0.25 + 0.75 * t if t > 0 else 0.0)


def weight_color(w: float, base: ManimColor = POSITIVE) -> ManimColor:
    """A probability or attention weight in [0, 1] as brightness of one colour."""
    return interpolate_color(ZERO, base, float(np.clip(w, 0.0, 1.0)) ** 0.5)


def value_rgb(values: np.ndarray, scale: float) -> np.ndarray:
    """value_color for a whole array at once: [..., 3] uint8 for heat-map images."""
    t = np.clip(np.abs(values) / scale, 0, 1)[..., None] if scale > 0 else np.zeros((*values.shape, 1))
    zero, pos, neg = (np.array(c.to_rgb()) for c in (ZERO, POSITIVE, NEGATIVE))
    target = np.where(values[..., None] >= 0, pos, neg)
    mix = np.where(t > 0, 0.25 + 0.75 * t, 0.0)
    return np.round(255 * (zero + (target - zero) * mix)).astype(np.uint8)


NORM_NAMES = {"layernorm": "LayerNorm", "rmsnorm": "RMSNorm"}  # Config.norm as scenes write it


def norm_name(norm: str) -> str:
    """A model's norm (Config.norm) by its usual name: LayerNorm or RMSNorm."""
    return NORM_NAMES[norm]


def token_color(i: int) -> ManimColor:
    return TOKEN_COLORS[i % len(TOKEN_COLORS)]


SHORT_TOKENS = {"<|endoftext|>": "<eot>"}  # special tokens too long for a column header, as scenes write them


def show_spaces(text: str) -> str:
    """A token's text made visible: space as ␣, newline as ↵, tab as →, other control characters as <xx>.

    A special token in SHORT_TOKENS is written short (a scene showing one says
    what it stands for). (Pango cannot draw characters such as \r at all.)
    """
    if text in SHORT_TOKENS:
        return SHORT_TOKENS[text]
    shown = text.replace(" ", "␣").replace("\n", "↵").replace("\t", "→")
    return "".join(c if c.isprintable() else f"<{ord(c):02x}>" for c in shown)
