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
# Words use the font that has their characters (scenes.i18n.font_for); numbers and token text use MONO.
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


# --- themes ----------------------------------------------------------------
# Scenes draw in the palette above. The light theme prints the same picture on white: the camera passes every
# colour through an Ink. Each palette colour has a counterpart that reads on white, and a colour mixed from the
# background (or ZERO, or black) towards a palette colour, such as every value and weight colour, is mixed from
# the counterparts by the same amount: blue still means positive, red negative, and stronger means larger.
THEMES = ("dark", "light")
LIGHT_PALETTE = {
    BACKGROUND: "#ffffff", ManimColor("#000000"): "#ffffff", ZERO: "#eceef2",
    TEXT: "#16181d", DIM: "#565a62", FAINT: "#c3c6cc",
    POSITIVE: "#1565c0", NEGATIVE: "#c62828", QUERY: "#946a00", KEY: "#00796b",
    **dict(zip(TOKEN_COLORS, ("#b5452a", "#3f7d5f", "#9c7014", "#3a6aae", "#8a4f9a", "#21876a", "#c4521f"))),
}
MIX_FROM = (BACKGROUND, ZERO, ManimColor("#000000"))  # what darker, weaker and value colours are mixed from


def check_theme(name: str) -> str:
    if name not in THEMES:
        from gptmath import GptMathError

        raise GptMathError(f"theme {name!r} is not available: choose one of {', '.join(THEMES)}")
    return name


class Ink:
    """Maps the colours scenes draw with to the colours a theme shows (RGB floats in [0, 1])."""

    def __init__(self, palette: dict[ManimColor, str]) -> None:
        self.source = np.array([c.to_rgb() for c in palette])  # [P, 3]
        self.target = np.array([ManimColor(c).to_rgb() for c in palette.values()])
        self.anchors = [i for i, c in enumerate(palette) if c in MIX_FROM]
        self._cache: dict[tuple[int, int, int], np.ndarray] = {}

    def rgb(self, rgb: np.ndarray) -> np.ndarray:
        """One colour, as the theme shows it."""
        key = tuple(int(round(255 * v)) for v in rgb[:3])
        if key not in self._cache:
            self._cache[key] = self._map(np.array(key) / 255)
        return self._cache[key]

    def rgbas(self, rgbas: np.ndarray) -> np.ndarray:
        """[n, 4] colours with opacity (a mobject's fill or stroke); opacity is kept."""
        out = np.array(rgbas, dtype=float)
        for row in out:
            row[:3] = self.rgb(row[:3])
        return out

    def pixels(self, rgba: np.ndarray) -> np.ndarray:
        """An image's [h, w, 4] uint8 pixels, each distinct colour mapped once."""
        colors, inverse = np.unique(rgba[..., :3].reshape(-1, 3), axis=0, return_inverse=True)
        mapped = np.round(255 * np.array([self.rgb(c / 255) for c in colors])).astype(np.uint8)
        return np.concatenate([mapped[inverse.reshape(-1)].reshape(*rgba.shape[:2], 3), rgba[..., 3:]], axis=-1)

    def _map(self, c: np.ndarray) -> np.ndarray:
        exact = np.abs(self.source - c).max(1)
        if exact.min() <= 1.0 / 255:
            return self.target[int(exact.argmin())]
        best, best_error = None, 2.0 / 255  # within rounding of a palette mix
        for a in self.anchors:
            A, A2 = self.source[a], self.target[a]
            span = self.source - A  # [P, 3]
            t = np.clip((span @ (c - A)) / np.maximum((span * span).sum(1), 1e-12), 0, 1)
            error = np.abs(A + t[:, None] * span - c).max(1)
            p = int(error.argmin())
            if error[p] < best_error:
                best, best_error = A2 + t[p] * (self.target[p] - A2), error[p]
        return best if best is not None else flip_lightness(c)


def flip_lightness(rgb: np.ndarray) -> np.ndarray:
    """A colour outside the palette on white: its OKLab lightness turned over, hue kept (clipped to RGB)."""
    lab = _oklab(rgb)
    lab[0] = np.clip(1.0 - 0.85 * (lab[0] - 0.15), 0.0, 1.0)
    return np.clip(_from_oklab(lab), 0.0, 1.0)


_M1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929], [0.2119034982, 0.6806995451, 0.1073969566],
                [0.0883024619, 0.2817188376, 0.6299787005]])
_M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468], [1.9779984951, -2.4285922050, 0.4505937099],
                [0.0259040371, 0.7827717662, -0.8086757660]])


def _oklab(rgb: np.ndarray) -> np.ndarray:
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return _M2 @ np.cbrt(_M1 @ linear)


def _from_oklab(lab: np.ndarray) -> np.ndarray:
    linear = np.linalg.solve(_M1, np.linalg.solve(_M2, lab) ** 3)
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def ink(theme: str) -> Ink | None:
    """The theme's ink; None for the dark theme, which shows colours as drawn."""
    return Ink(LIGHT_PALETTE) if check_theme(theme) == "light" else None
