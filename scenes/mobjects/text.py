"""Text: labels in the project's fonts, numbers from cached glyphs, text that sits on its line.

    from scenes.mobjects.text import label, number, fit
    title = fit(label("Attention", 36), width=6)
    score = number(-0.5)          # "−0.50" in the monospaced font
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from manim import RIGHT, Text, VGroup, VMobject, config

from scenes import theme as th
from scenes.i18n import font_for


def label(text: str, size: float = th.LABEL_SIZE, color=th.TEXT, mono: bool = False, face: str | None = None,
          **kwargs) -> Text:
    """A piece of on-screen text in the project's fonts: mono for numbers, else `face` or the font that has the
    text's characters (scenes.i18n.font_for).

    Texts are made once per (text, size, colour, font, pixel width) and copied after that:
    grids repeat "0.00" and "−∞" hundreds of times, and copying is far cheaper. (Pango wraps
    text at the render's pixel width, so a text made for a smaller render may not be reused.)
    """
    face = th.MONO if mono else face or font_for(text)
    key = (text, size, str(color), face, tuple(sorted(kwargs.items())), config.pixel_width)
    if key not in _LABELS:
        _LABELS[key] = without_svg_paths(Text(text, font=face, font_size=size, color=color, **kwargs))
    return _LABELS[key].copy()


def without_svg_paths(text: Text) -> Text:
    """Drop each glyph's parsed SVG path: used once, it makes every later copy ~13x slower."""
    for glyph in text.family_members_with_points():
        glyph.__dict__.pop("path_obj", None)
    return text


_LABELS: dict[tuple, Text] = {}


def glyph_advance(size: float) -> float:
    """How far apart two characters of the monospaced font sit."""
    bars = Text("||", font=th.MONO, font_size=size)
    return bars[1].get_center()[0] - bars[0].get_center()[0]


@lru_cache(maxsize=None)
def _glyph(char: str, size: float) -> tuple[VMobject, np.ndarray]:
    """One character's outline and its centre relative to (left edge of its cell, middle of the line)."""
    # the bar marks the line's middle and cell 0
    made = without_svg_paths(Text("|" + char, font=th.MONO, font_size=size))
    strut, glyph = made[0], VGroup(*made[1:])
    cell_1_left = strut.get_center() + RIGHT * glyph_advance(size) / 2
    return glyph, glyph.get_center() - cell_1_left


class GlyphText(VGroup):
    """Short monospaced text (numbers, percentages) put together from cached glyphs.

    Cheap enough to rebuild on every frame of a live readout. Before you move it,
    its left edge is at x = 0 and the middle of its line at y = 0; `text` keeps the string.

    Parameters
    ----------
    text : str
        The characters to draw (spaces leave a gap).
    size : float
        Font size.
    color : ManimColor
        Fill colour of the glyphs.

    Examples
    --------
    >>> readout = GlyphText("62.2%", size=24)
    """

    def __init__(self, text: str, size: float = th.NUMBER_SIZE, color=th.TEXT) -> None:
        super().__init__()
        self.text = text
        advance = glyph_advance(size)
        for i, char in enumerate(text):
            if not char.isspace():
                glyph, offset = _glyph(char, size)
                self.add(glyph.copy().set_fill(color, 1).move_to(offset + RIGHT * i * advance))


def fit(mob: VMobject, width: float = th.CONTENT_WIDTH, height: float | None = None) -> VMobject:
    """Shrink a mobject (never grow it) to fit within width, and height if given; returns it."""
    if mob.width > width:
        mob.scale_to_fit_width(width)
    if height is not None and mob.height > height:
        mob.scale_to_fit_height(height)
    return mob


def even_labels(texts: Sequence[str], width: float, size: float = th.LABEL_SIZE, color=th.TEXT) -> VGroup:
    """Labels of one kind (row names, say) all at one size: a text too wide goes on two lines, broken at its
    middle space, and all shrink as much as the widest then needs.

        even_labels(["residual stream", "size of change", "logit lens"], width=1.6)
    """
    def two_lines(text: str) -> str:
        spaces = [i for i, c in enumerate(text) if c == " "]
        if not spaces or label(text, size, color).width <= width:
            return text
        middle = min(spaces, key=lambda i: abs(i - len(text) / 2))
        return text[:middle] + "\n" + text[middle + 1:]

    mobs = VGroup(*[label(two_lines(text), size, color) for text in texts])
    scale = min(1.0, *(width / mob.width for mob in mobs))
    return mobs.scale(scale) if scale < 1 else mobs


def number_text(x: float, decimals: int = 2) -> str:
    """How `number` writes x: fixed decimals, an explicit minus sign (none on what rounds to 0.00), −∞."""
    return "−∞" if np.isneginf(x) else f"{x:z.{decimals}f}".replace("-", "−")


def number(x: float, decimals: int = 2, size: float = th.NUMBER_SIZE, color=th.TEXT) -> GlyphText:
    """A real number in the monospaced font (from cached glyphs: grids show hundreds)."""
    return GlyphText(number_text(x, decimals), size, color)


def line_text(text: str, font_size: float, color=th.TEXT, keep_strut: bool = False) -> tuple[Text, float]:
    """A one-line text and how far its ink's centre lies above the middle of its line, so baselines line up.

    A full-height bar set before the text gives every line the same box; it is dropped again, or with
    `keep_strut` kept, invisible and under the ink's centre, so the text keeps its line's height.

        comma, ink_up = line_text(",", 24)
        comma.move_to(box).shift(UP * ink_up)  # sits low in the box, as in running text
    """
    made = label("|" + text, font_size, color)
    strut, ink = made.submobjects[0], VGroup(*made.submobjects[1:])
    ink_up = ink.get_center()[1] - strut.get_center()[1]
    if keep_strut:
        strut.set_opacity(0).set_x(ink.get_x())
    else:
        made.remove(strut)
    made.text = text
    return made, ink_up


def text_width(text: str, font_size: float, face: str) -> float:
    """Width of a short text in a font (0 for blank text), measured once per process."""
    return label(text, font_size, face=face).width if text.strip() else 0.0


def quoted(token: str) -> str:
    """A token in curly quotes with its spaces made visible: “␣cat”."""
    return f"“{th.show_spaces(token)}”"
