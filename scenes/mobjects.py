"""Reusable pieces for drawing a GPT: import them into your own scenes.

    from scenes.mobjects import TokenRow, VectorColumn, MatrixWithEllipses, AttentionGrid, ProbabilityBars
    from scenes.mobjects import ArcDiagram, LossCurve, ChatTranscript

Each is a VGroup built from real numbers you pass in (usually from a gptmath
trace). Each keeps what it drew (`shown_values`, `shown_indices`, ...) so
tests and your own code can check that the picture matches the data.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from manim import (
    DOWN, LEFT, ORIGIN, RIGHT, UP, ArcBetweenPoints, Brace, Circle, CubicBezier, Dot, Group, ImageMobject, Line, Rectangle,
    RoundedRectangle, Square, Text, VGroup, VMobject, WHITE, config,
)
from manim.constants import RESAMPLING_ALGORITHMS

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


@lru_cache(maxsize=None)
def _advance(size: float) -> float:
    """How far apart two characters of the monospaced font sit."""
    bars = Text("||", font=th.MONO, font_size=size)
    return bars[1].get_center()[0] - bars[0].get_center()[0]


@lru_cache(maxsize=None)
def _glyph(char: str, size: float) -> tuple[VMobject, np.ndarray]:
    """One character's outline and its centre relative to (left edge of its cell, middle of the line)."""
    # the bar marks the line's middle and cell 0
    made = without_svg_paths(Text("|" + char, font=th.MONO, font_size=size))
    strut, glyph = made[0], VGroup(*made[1:])
    cell_1_left = strut.get_center() + RIGHT * _advance(size) / 2
    return glyph, glyph.get_center() - cell_1_left


class GlyphText(VGroup):
    """Short monospaced text (numbers, percentages) put together from cached glyphs.

    Cheap enough to rebuild on every frame of a live readout. Before you move it,
    its left edge is at x = 0 and the middle of its line at y = 0; `text` keeps the string.
    """

    def __init__(self, text: str, size: float = th.NUMBER_SIZE, color=th.TEXT) -> None:
        super().__init__()
        self.text = text
        advance = _advance(size)
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
    """How `number` writes x: fixed decimals, an explicit minus sign, −∞."""
    return "−∞" if np.isneginf(x) else f"{x:.{decimals}f}".replace("-", "−")


def number(x: float, decimals: int = 2, size: float = th.NUMBER_SIZE, color=th.TEXT) -> GlyphText:
    """A real number in the monospaced font (from cached glyphs: grids show hundreds)."""
    return GlyphText(number_text(x, decimals), size, color)


def brackets(group: VMobject, buff: float = 0.08, tip: float = 0.12, color=WHITE) -> VGroup:
    """Square brackets [ ] around a group, drawn with lines (no LaTeX)."""
    top, bottom = group.get_top()[1] + buff, group.get_bottom()[1] - buff
    left, right = group.get_left()[0] - buff, group.get_right()[0] + buff

    def one(x: float, sign: int) -> VMobject:
        return VMobject(stroke_color=color, stroke_width=2).set_points_as_corners(
            [[x + sign * tip, top, 0], [x, top, 0], [x, bottom, 0], [x + sign * tip, bottom, 0]])

    return VGroup(one(left, 1), one(right, -1))


def size_brace(mob: VMobject, direction: np.ndarray, text: str, size: float = th.SMALL_SIZE) -> VGroup:
    """A brace beside a mobject with a label stating its real size."""
    brace = Brace(mob, direction, buff=0.08, color=th.DIM)
    text_mob = label(text, size, th.DIM)
    text_mob.next_to(brace, direction, buff=0.08)
    return VGroup(brace, text_mob)


def _elide(n: int, n_shown: int) -> list[int | None]:
    """Indices to draw for a length-n axis: the first n_shown-1, None (an ellipsis), the last."""
    if n <= n_shown:
        return list(range(n))
    return [*range(n_shown - 1), None, n - 1]


class VectorColumn(VGroup):
    """A long vector as its first entries, a vertical ellipsis and its last entry.

    Cells are coloured blue (positive) or red (negative), brighter with
    magnitude, inside square brackets; a brace states the real dimension.
    """

    def __init__(self, values: Sequence[float], n_shown: int = 5, decimals: int = 2, scale: float | None = None,
                 cell_width: float = 0.85, cell_height: float = 0.32, font_size: float = th.NUMBER_SIZE,
                 show_numbers: bool = True, show_dimension: bool = True, border_color=None) -> None:
        super().__init__()
        self.values = np.asarray(values, dtype=float)
        scale = scale or float(np.abs(self.values).max()) or 1.0
        self.shown_indices = [i for i in _elide(len(self.values), n_shown) if i is not None]
        self.shown_values = [float(self.values[i]) for i in self.shown_indices]
        self.cells = VGroup()
        for i in _elide(len(self.values), n_shown):
            if i is None:
                self.cells.add(label("⋮", font_size * 1.2, th.DIM).set_height(cell_height * 0.8))
                continue
            box = Rectangle(width=cell_width, height=cell_height, stroke_width=0, fill_opacity=1,
                            fill_color=th.value_color(self.values[i], scale))
            cell = VGroup(box)
            if show_numbers:
                cell.add(fit(number(self.values[i], decimals, font_size), cell_width * 0.94).move_to(box))
            self.cells.add(cell)
        self.cells.arrange(DOWN, buff=0.05)
        self.brackets = brackets(self.cells, color=border_color or WHITE)
        self.add(self.cells, self.brackets)
        if show_dimension and len(self.values) > n_shown:
            self.dimension = size_brace(self.brackets, RIGHT, f"{len(self.values):,}")
            self.add(self.dimension)


class MatrixWithEllipses(VGroup):
    """A big matrix as its corner entries with ⋯ ⋮ ⋱, braces stating its real size.

    `col_labels` (e.g. vocabulary tokens) are written above the shown columns.
    """

    def __init__(self, values: np.ndarray, n_rows: int = 5, n_cols: int = 6, decimals: int = 1,
                 col_labels: Sequence[str] | None = None, row_name: str = "rows", col_name: str = "columns",
                 cell_width: float = 0.62, cell_height: float = 0.3, font_size: float = th.NUMBER_SIZE - 2,
                 show_numbers: bool = True, scale: float | None = None) -> None:
        super().__init__()
        self.values = np.asarray(values, dtype=float)
        rows, cols = _elide(self.values.shape[0], n_rows), _elide(self.values.shape[1], n_cols)
        scale = scale or float(np.abs(self.values).max()) or 1.0
        self.row_indices = [r for r in rows if r is not None]
        self.col_indices = [c for c in cols if c is not None]
        self.shown = {}
        grid = VGroup()
        for r in rows:
            for c in cols:
                if r is None or c is None:
                    dots = "⋱" if r is None and c is None else ("⋮" if r is None else "⋯")
                    cell = VGroup(Rectangle(width=cell_width, height=cell_height, stroke_width=0, fill_opacity=0),
                                  label(dots, font_size, th.DIM))
                else:
                    v = float(self.values[r, c])
                    self.shown[(r, c)] = v
                    box = Rectangle(width=cell_width, height=cell_height, stroke_width=0, fill_opacity=1,
                                    fill_color=th.value_color(v, scale))
                    cell = VGroup(box, number(v, decimals, font_size).move_to(box)) if show_numbers else VGroup(box)
                grid.add(cell)
        grid.arrange_in_grid(rows=len(rows), cols=len(cols), buff=0.04)
        self.grid = grid
        self.brackets = brackets(grid)
        self.add(grid, self.brackets)
        self.col_label_mobs = VGroup()
        if col_labels is not None:
            for j, c in enumerate(cols):
                text = "⋯" if c is None else th.show_spaces(col_labels[j])
                mob = label(text, th.SMALL_SIZE, th.DIM if c is None else th.TEXT)
                fit(mob, cell_width * 1.05)
                mob.next_to(grid[j], UP, buff=0.22)
                self.col_label_mobs.add(mob)
            self.add(self.col_label_mobs)
        n_r, n_c = self.values.shape
        self.row_brace = size_brace(self.brackets, LEFT, f"{n_r:,} {row_name}")
        self.col_brace = size_brace(VGroup(self.brackets, self.col_label_mobs), UP, f"{n_c:,} {col_name}")
        self.add(self.row_brace, self.col_brace)


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


class TokenRow(VGroup):
    """The prompt's tokens as coloured boxes, whitespace made visible, ids beneath.

    Wraps onto several lines to fit `max_width`; beyond `max_lines` the middle
    tokens are replaced by one "…" box, and `shown_indices` says which stayed.
    """

    def __init__(self, tokens: Sequence[str], ids: Sequence[int] | None = None, max_width: float = th.CONTENT_WIDTH,
                 font_size: float = th.LABEL_SIZE, max_lines: int = 3, line_buff: float = 0.25) -> None:
        super().__init__()
        self.tokens = list(tokens)
        self.ids = list(ids) if ids is not None else None
        cells = [self._cell(i, font_size) for i in range(len(self.tokens))]
        lines = self._wrap(cells, max_width)
        if len(lines) > max_lines:
            cells, lines = self._elided(cells, max_width, max_lines, font_size)
        self.cells = VGroup(*[c for c in cells])
        self.lines = VGroup(*[VGroup(*line).arrange(RIGHT, buff=0.06, aligned_edge=UP) for line in lines])
        self.lines.arrange(DOWN, buff=line_buff, aligned_edge=LEFT)
        self.add(self.lines)

    def _cell(self, i: int, font_size: float) -> VGroup:
        shown = th.show_spaces(self.tokens[i]) or " "
        text, ink_up = line_text(shown, font_size)
        id_mob = label(str(self.ids[i]), font_size * 0.7, th.DIM, mono=True) if self.ids is not None else None
        width = max(text.width, id_mob.width if id_mob else 0) + 0.16
        box = RoundedRectangle(corner_radius=0.06, width=width, height=font_size / 48 * 0.75 + 0.1,
                               stroke_color=th.token_color(i), stroke_width=2, fill_color=th.token_color(i),
                               fill_opacity=0.25)
        text.move_to(box).shift(UP * ink_up)  # centre the line, not the ink: baselines line up
        cell = VGroup(box, text)
        cell.index, cell.box, cell.text = i, box, text
        if id_mob is not None:
            cell.id_mob = id_mob.next_to(box, DOWN, buff=0.08)
            cell.add(cell.id_mob)
        return cell

    @staticmethod
    def _wrap(cells: list[VGroup], max_width: float) -> list[list[VGroup]]:
        lines, width = [[]], 0.0
        for cell in cells:
            if lines[-1] and width + cell.width + 0.06 > max_width:
                lines.append([])
                width = 0.0
            lines[-1].append(cell)
            width += cell.width + 0.06
        return lines

    def _elided(self, cells, max_width, max_lines, font_size):
        """Keep tokens from both ends so that, with a … box between, max_lines lines suffice."""
        dots = VGroup(label("…", font_size, th.DIM))
        dots.index = None
        keep = len(cells)
        while keep > 2:
            keep -= 1
            head, tail = cells[:(keep + 1) // 2], cells[len(cells) - keep // 2:]
            lines = self._wrap([*head, dots, *tail], max_width)
            if len(lines) <= max_lines:
                return [*head, dots, *tail], lines
        return [cells[0], dots, cells[-1]], self._wrap([cells[0], dots, cells[-1]], max_width)

    @property
    def shown_indices(self) -> list[int]:
        return [c.index for c in self.cells if c.index is not None]

    def cell(self, index: int) -> VGroup:
        """The drawn cell of token `index` (must be shown)."""
        return next(c for c in self.cells if c.index == index)

    def runs(self, first: int, last: int) -> list[list[VGroup]]:
        """The shown cells of tokens first..last, split where the row wraps onto a new line."""
        return [[c for c in line if c.index is not None and first <= c.index <= last] for line in self.lines
                if any(c.index is not None and first <= c.index <= last for c in line)]


class AttentionGrid(VGroup):
    """Attention as a grid: one column per query (top labels), one row per key (left labels).

    `values` is [query, key] (a trace's scores or pattern for one head).
    mode="scores": signed values coloured blue/red; with `causal`, cells whose
    key comes after the query are greyed out and read −∞.
    mode="pattern": weights 0..1 as brightness. `masked` [query, key] overrides which cells are greyed
    (e.g. a local-attention layer also hides keys beyond its window).
    Numbers are written while the grid is small (≤ 12 tokens); beyond that it
    is a heat map. With `min_size`, decimals are dropped (down to none) until
    the numbers can be drawn that big, and a grid whose numbers would still be
    smaller is a heat map. `decimals` and `number_size` say what was drawn;
    `shown_values` holds the numbers as drawn (NaN where no number is
    written), `masked` the greyed cells, both [query, key].

        AttentionGrid(pattern, [" a", " cat"], mode="pattern", min_size=th.MIN_NUMBER_SIZE)
    """

    def __init__(self, values: np.ndarray, tokens: Sequence[str], mode: str = "pattern", cell: float | None = None,
                 max_size: float = 5.2, show_numbers: bool | None = None, decimals: int = 2,
                 show_labels: bool = True, causal: bool = True, min_size: float | None = None,
                 masked: np.ndarray | None = None) -> None:
        super().__init__()
        self.values = np.asarray(values, dtype=float)  # [query, key]
        p = self.values.shape[0]
        self.cell_size = cell = cell or min(0.62, max_size / p)
        if masked is not None:
            self.masked = np.asarray(masked, dtype=bool)
        else:
            self.masked = np.triu(np.ones((p, p), dtype=bool), k=1) if causal else np.zeros((p, p), dtype=bool)
        self.shown_values = np.full((p, p), np.nan)
        finite = self.values[np.isfinite(self.values) & ~self.masked]
        scale = float(np.abs(finite).max()) if finite.size else 1.0
        self.cells = {}
        grid = VGroup()
        shown_all = np.where(self.masked, -np.inf if mode == "scores" else 0.0, self.values)

        def size_for(decimals: int) -> float:  # one size for all: monospaced widths
            widest = max(len(number_text(v, decimals)) for v in shown_all.ravel())
            size = min(th.NUMBER_SIZE, cell * 26)
            return min(size, size * cell * 0.86 / (widest * _advance(size)))

        while min_size is not None and decimals > 0 and size_for(decimals) < min_size:
            decimals -= 1
        size = size_for(decimals)
        self.decimals, self.number_size = decimals, size
        readable = min_size is None or size >= min_size
        self.show_numbers = show_numbers if show_numbers is not None else p <= 12 and readable
        for k in range(p):  # rows: keys
            for q in range(p):  # columns: queries
                v = self.values[q, k]
                masked = bool(self.masked[q, k])
                fill = th.FAINT if masked else (th.weight_color(v) if mode == "pattern" else th.value_color(v, scale))
                sq = Square(side_length=cell * 0.94, stroke_width=0, fill_color=fill,
                            fill_opacity=0.35 if masked else 1)
                box = VGroup(sq) if self.show_numbers else sq  # a heat map's cells are bare squares
                if self.show_numbers:
                    shown = shown_all[q, k]
                    box.add(number(shown, decimals, size, th.DIM if masked else th.TEXT).move_to(sq))
                    self.shown_values[q, k] = shown if np.isinf(shown) else round(shown, decimals)
                self.cells[(q, k)] = box
                grid.add(box)
        grid.arrange_in_grid(rows=p, cols=p, buff=cell * 0.06)
        self.grid = grid
        self.add(grid)
        self.query_labels, self.key_labels = VGroup(), VGroup()
        if show_labels:
            size = min(th.SMALL_SIZE, max(8.0, cell * 30))
            for i, tok in enumerate(tokens):
                top = label(th.show_spaces(tok), size, th.QUERY).rotate(np.pi / 2)
                fit(top, cell * 0.9, height=1.1)
                top.next_to(self.cells[(i, 0)], UP, buff=0.08)
                left = label(th.show_spaces(tok), size, th.KEY)
                fit(left, 1.3, height=cell * 0.9)
                left.next_to(self.cells[(0, i)], LEFT, buff=0.08)
                self.query_labels.add(top)
                self.key_labels.add(left)
            self.add(self.query_labels, self.key_labels)

    def column(self, query: int, masked: bool | None = None) -> VGroup:
        """The cells of one query's column, top (first key) to bottom; only the (un)masked ones if `masked` is set."""
        keys = range(self.values.shape[0])
        return VGroup(*[self.cells[(query, k)] for k in keys if masked is None or self.masked[query, k] == masked])


class ProbabilityBars(VGroup):
    """Horizontal bars: token label, bar length ∝ probability, percentage; updatable in place."""

    def __init__(self, labels: Sequence[str], probs: Sequence[float], bar_length: float = 4.5,
                 bar_height: float = 0.34, font_size: float = th.LABEL_SIZE, color=th.POSITIVE,
                 label_width: float = 2.2) -> None:
        super().__init__()
        self.labels = list(labels)
        self.bar_length, self.bar_height, self.font_size = bar_length, bar_height, font_size
        self.rows = VGroup()
        self.bars, self.percents, self.label_mobs = VGroup(), VGroup(), VGroup()
        for i, text in enumerate(self.labels):
            name = label(th.show_spaces(text), font_size, mono=True)
            fit(name, label_width)
            track = Rectangle(width=bar_length, height=bar_height, stroke_width=0, fill_color=th.ZERO, fill_opacity=1)
            bar = Rectangle(width=bar_length, height=bar_height, stroke_width=0, fill_color=color, fill_opacity=1)
            pct = VMobject()  # the percentage: set_probs writes it (a Text; DecimalNumber's % would need LaTeX)
            row = VGroup(name, track, bar, pct)
            name.move_to(track.get_left() + LEFT * (label_width / 2 + 0.2))
            name.align_to(track.get_left() + LEFT * 0.2, RIGHT)
            self.rows.add(row)
            self.bars.add(bar)
            self.percents.add(pct)
            self.label_mobs.add(name)
        self.rows.arrange(DOWN, buff=0.14, aligned_edge=RIGHT)
        self.add(self.rows)
        self.probs: list[float] | None = None
        self.set_probs(probs)

    def set_probs(self, probs: Sequence[float]) -> "ProbabilityBars":
        """Resize every bar and rewrite every percentage, in place (nothing to do if they are unchanged)."""
        probs = [float(p) for p in probs]
        if probs == self.probs:
            return self
        self.probs = probs
        for i, (row, bar, p) in enumerate(zip(self.rows, self.bars, self.probs)):
            track = row[1]
            bar.stretch_to_fit_width(max(p, 1e-4) * self.bar_length)
            bar.move_to(track.get_left(), LEFT)
            text = f"{100 * p:.1f}%"
            if getattr(self.percents[i], "text", None) == text:
                continue  # the same percentage, already written
            pct = GlyphText(text, self.font_size * 0.9)
            pct.shift([track.get_right()[0] + 0.15, track.get_center()[1], 0])
            row.submobjects[3] = self.percents.submobjects[i] = pct
        return self


class HeatMap(Group):
    """A big array as one image: blue positive, red negative, one pixel block per entry (nearest resampling).

    Far faster and clearer than thousands of numbers; `values` keeps what it shows.
    """

    def __init__(self, values: np.ndarray, width: float, height: float, scale: float | None = None,
                 frame_color=th.FAINT) -> None:
        super().__init__()
        self.values = np.atleast_2d(np.asarray(values, dtype=float))  # [rows, cols], drawn top to bottom
        scale = scale or float(np.abs(self.values).max()) or 1.0
        self.image = ImageMobject(th.value_rgb(self.values, scale))
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.image.stretch_to_fit_width(width).stretch_to_fit_height(height)
        self.frame = Rectangle(width=width, height=height, stroke_color=frame_color, stroke_width=1.5)
        self.add(self.image, self.frame)

    def row_point(self, row: int) -> np.ndarray:
        """The centre of the left edge of one row of entries."""
        n = self.values.shape[0]
        top, bottom = self.frame.get_top()[1], self.frame.get_bottom()[1]
        return np.array([self.frame.get_left()[0], top - (row + 0.5) * (top - bottom) / n, 0.0])


class PatternThumbnail(Group):
    """One head's attention pattern [query, key] as a small image laid out like AttentionGrid.

    Columns are queries, rows keys; brightness is the weight, cells after the
    query (masked) are grey. An image, not squares, so a whole model's heads
    render fast. `values` keeps the pattern shown.
    """

    def __init__(self, pattern: np.ndarray, size: float, frame_color=th.FAINT) -> None:
        super().__init__()
        self.values = np.asarray(pattern, dtype=float)  # [query, key]
        p = self.values.shape[0]
        lut = np.array([th.weight_color(i / 255).to_rgb() for i in range(256)])  # weight -> colour
        rgb = lut[np.round(np.clip(self.values.T, 0, 1) * 255).astype(int)]  # [key, query, 3]: rows are keys
        masked = np.triu(np.ones((p, p), dtype=bool), k=1).T  # key after query
        grey = np.array(th.BACKGROUND.interpolate(th.FAINT, 0.35).to_rgb())
        rgb[masked] = grey
        self.image = ImageMobject(np.round(255 * rgb).astype(np.uint8))
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.image.stretch_to_fit_width(size).stretch_to_fit_height(size)
        self.frame = Rectangle(width=size, height=size, stroke_color=frame_color, stroke_width=1.5)
        self.add(self.image, self.frame)


class TokenText(VGroup):
    """Tokens as running text wrapped to `max_width`, each token in its own colour (e.g. prompt vs generated).

    Newlines show as ↵. Beyond `max_lines` only the last lines stay, the first starting with "…".
    `token_mobs[i]` is the drawn glyphs of token i (for shown tokens), `shown_indices` says which.
    """

    def __init__(self, tokens: Sequence[str], max_width: float, colors: Sequence | None = None,
                 font_size: float = th.LABEL_SIZE, max_lines: int | None = None, line_buff: float = 0.18) -> None:
        super().__init__()
        self.tokens = list(tokens)
        shown = [th.show_spaces(t).replace("␣", " ") for t in self.tokens]
        colors = list(colors) if colors is not None else [th.TEXT] * len(shown)
        # Wrap by estimated widths: one long Text would itself be wrapped by Pango at the frame's pixel width.
        # Lines break before a token that starts with a space, so words split into several tokens stay whole.
        face = font_for("".join(shown))  # one font for every line, so the widths measured are the widths drawn
        space = _text_width("x x", font_size, face) - _text_width("xx", font_size, face)
        words = [t.lstrip(" ") for t in shown]
        advance = [_text_width("x" + w, font_size, face) - _text_width("x", font_size, face) if w else 0.0
                   for w in words]
        lead = [space * (len(t) - len(w)) for t, w in zip(shown, words)]
        lines: list[list[int]] = [[]]
        for i in range(len(shown)):
            line = lines[-1]
            if line and words[i] and sum(lead[j] + advance[j] for j in line[1:]) + advance[line[0]] \
                    + lead[i] + advance[i] > max_width:
                starts = [k for k, j in enumerate(line) if k > 0 and lead[j] > 0]
                cut = starts[-1] if starts and not lead[i] else len(line)  # mid-word: carry the word's start over
                lines[-1:] = [line[:cut], line[cut:]]
            lines[-1].append(i)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[-max_lines:]
        self.shown_indices = [i for line in lines for i in line]
        self.token_mobs: dict[int, VGroup] = {}
        self.lines = VGroup()
        for n, line in enumerate(lines):
            prefix = "…" if n == 0 and self.shown_indices[0] > 0 else ""
            texts = [shown[i].lstrip(" ") if k == 0 else shown[i] for k, i in enumerate(line)]
            mob = label(prefix + "".join(texts), font_size, face=face, disable_ligatures=True)
            if prefix:
                mob[0].set_color(th.DIM)
            at = len(prefix)
            for i, text in zip(line, texts):
                self.token_mobs[i] = VGroup(*mob[at:at + len(text)]).set_color(colors[i])
                at += len(text)
            self.lines.add(mob)
        self.lines.arrange(DOWN, buff=line_buff, aligned_edge=LEFT)
        self.add(self.lines)


@lru_cache(maxsize=4096)
def _text_width(text: str, font_size: float, face: str) -> float:
    """Width of a short text in a font (0 for blank text), measured once per process."""
    return label(text, font_size, face=face).width if text.strip() else 0.0


class ArcDiagram(VGroup):
    """Arcs above a token row: each from a query token to an earlier token it reads.

    An arc's thickness and opacity grow with the attention weight; a token reading
    itself gets a ring above it; a link to a token on an earlier line runs through the gap
    between the lines, from the query's top to the key's bottom. Links to tokens the row elides are left out.

        row = TokenRow(["The", " cat", " sat"], max_lines=1)
        arcs = ArcDiagram(row, [(2, 1, 0.7), (2, 0, 0.3)], color=th.QUERY)
        arcs.arc(2, 1)   # the drawn arc from " sat" to " cat"
    """

    def __init__(self, row: TokenRow, links: Sequence[tuple[int, int, float]], color=th.QUERY,
                 max_stroke: float = 14.0, rise: float = 0.32, max_height: float = 3.2) -> None:
        super().__init__()
        self.row, self.links = row, [(int(q), int(k), float(w)) for q, k, w in links]
        shown = set(row.shown_indices)
        self.arcs: dict[tuple[int, int], VMobject] = {}
        for q, k, w in self.links:
            if q not in shown or k not in shown:
                continue
            top_q, top_k = row.cell(q).box.get_top(), row.cell(k).box.get_top()
            if q == k:
                r = 0.05 + 0.08 * math.sqrt(w)
                arc = Circle(radius=r).move_to(top_q + UP * (r + 0.05))
            elif top_k[1] > top_q[1] + 0.01:  # the key is on an earlier line
                start, end = top_q + UP * 0.04, row.cell(k).box.get_bottom() + DOWN * 0.04
                lift = UP * (end[1] - start[1]) / 2
                arc = CubicBezier(start, start + lift, end - lift, end)
            else:
                distance = abs(top_q[0] - top_k[0])
                height = min(max_height, 0.15 + rise * distance)
                angle = -2 * math.atan2(2 * height, distance)  # a circular arc of that height, bulging up
                arc = ArcBetweenPoints(top_k + UP * 0.04, top_q + UP * 0.04, angle=angle)
            arc.set_stroke(color, width=max(1.0, max_stroke * w), opacity=0.35 + 0.65 * w)
            self.arcs[(q, k)] = arc
            self.add(arc)

    def arc(self, query: int, key: int) -> VMobject:
        """The drawn arc (or ring, if query == key) of one link."""
        return self.arcs[(query, key)]

    def place_label(self, query: int, key: int, mob: VMobject, buff: float = 0.05) -> VMobject:
        """Put `mob` (a weight, say) beside one link: above an arc, right of a ring, above-left of a link
        between lines."""
        arc = self.arc(query, key)
        if query == key:
            return mob.next_to(arc, RIGHT, buff=buff)
        if not isinstance(arc, CubicBezier):
            return mob.next_to(arc, UP, buff=buff)
        mid, ahead = arc.point_from_proportion(0.5), arc.point_from_proportion(0.55)
        normal = np.array([-(ahead - mid)[1], (ahead - mid)[0], 0.0])
        normal *= np.sign(normal[1]) / np.linalg.norm(normal)  # the side facing up
        reach = abs(normal[0]) * mob.width / 2 + abs(normal[1]) * mob.height / 2 + buff
        return mob.move_to(mid + normal * reach)

    def from_query(self, query: int) -> VGroup:
        """Every drawn arc leaving one query token."""
        return VGroup(*[a for (q, _), a in self.arcs.items() if q == query])


class LossCurve(VGroup):
    """A loss curve against training steps on a log scale, step 0 drawn left of a break; labels are real numbers.

        curve = LossCurve([0, 30, 100, 1000], [8.3, 7.9, 6.5, 4.0], y_label="held-out loss")
        curve.point(100)   # where step 100's loss sits
    """

    def __init__(self, steps: Sequence[int], losses: Sequence[float], width: float = 6.0, height: float = 3.4,
                 x_label: str = "step", y_label: str = "loss", color=th.VALUE) -> None:
        super().__init__()
        self.steps, self.losses = [int(s) for s in steps], [float(v) for v in losses]
        self.width_, self.height_ = width, height
        last = max(max(self.steps), 10)
        self.decades = list(range(1, math.ceil(math.log10(last)) + 1))  # ticks at 10, 100, ...
        self.lo = math.floor(min(self.losses)) if min(self.losses) > 0 else 0
        self.hi = math.ceil(max(self.losses))
        x_axis = Line(ORIGIN, RIGHT * width, color=th.DIM, stroke_width=2)
        y_axis = Line(ORIGIN, UP * height, color=th.DIM, stroke_width=2)
        self.axes = VGroup(x_axis, y_axis)
        self.ticks = ticks = VGroup()
        for step, text in [(0, "0"), *[(10 ** d, f"{10 ** d:,}") for d in self.decades]]:
            x = self._x(step)
            ticks.add(Line([x, 0, 0], [x, -0.08, 0], color=th.DIM), label(text, th.SMALL_SIZE - 2, th.DIM, mono=True)
                      .next_to([x, -0.08, 0], DOWN, buff=0.08))
        for v in range(self.lo, self.hi + 1):
            y = self._y(v)
            ticks.add(Line([0, y, 0], [-0.08, y, 0], color=th.DIM), number(v, 0, th.SMALL_SIZE - 2, th.DIM)
                      .next_to([-0.08, y, 0], LEFT, buff=0.08))
        gap = self._x(0) + 0.3 * (self._x(10) - self._x(0))
        self.axis_break = brk = VGroup(Line([gap - 0.05, -0.1, 0], [gap + 0.03, 0.1, 0]),
                                       Line([gap + 0.03, -0.1, 0], [gap + 0.11, 0.1, 0]))
        brk.set_stroke(th.DIM, 2)
        self.x_name = label(x_label, th.SMALL_SIZE, th.DIM).next_to(x_axis, DOWN, buff=0.45)
        self.y_name = label(y_label, th.SMALL_SIZE, th.DIM).rotate(math.pi / 2).next_to(y_axis, LEFT, buff=0.55)
        self.dots = VGroup(*[Dot([self._x(s), self._y(v), 0], radius=0.06, color=color)
                             for s, v in zip(self.steps, self.losses)])
        self.line = VMobject(stroke_color=color, stroke_width=3).set_points_as_corners(
            [d.get_center() for d in self.dots])
        self.add(self.axes, ticks, brk, self.x_name, self.y_name, self.line, self.dots)

    def _x(self, step: int) -> float:
        """Log scale, one `span` per decade from 10 on; 1..10 squeezed before it, step 0 left of a break."""
        span = self.width_ / (len(self.decades) + 0.6)
        if step <= 0:
            return 0.1 * span
        if step < 10:
            return 0.3 * span + 0.3 * span * math.log10(step)
        return 0.6 * span + (math.log10(step) - 1) * span

    def _y(self, value: float) -> float:
        return self.height_ * (value - self.lo) / max(self.hi - self.lo, 1e-9)

    def point(self, step: int) -> np.ndarray:
        """Where one of the plotted steps is drawn."""
        return self.dots[self.steps.index(step)].get_center()



class ChatTranscript(VGroup):
    """A chat script as the model reads it: role markers as coloured chips, the turns' text wrapped between them.

        ChatTranscript([("<|user|>", True), ("Tell me a story.", False), ("<|end|>", True)], max_width=8)

    `segments` are (text, is_marker) in order, e.g. from gptmath.chat.split_markers;
    a newline in a text starts a new line. `markers` holds the chips, `texts` the text pieces.
    """

    ROLE_COLORS = {"system": th.TEXT, "user": th.KEY, "assistant": th.QUERY, "end": th.DIM}

    def __init__(self, segments: Sequence[tuple[str, bool]], max_width: float = 9.0, font_size: float = th.SMALL_SIZE,
                 line_height: float | None = None) -> None:
        super().__init__()
        self.markers, self.texts, self.lines = VGroup(), VGroup(), VGroup()
        self.font_size, self.max_width = font_size, max_width
        self.line_height = line_height or font_size / 48 * 0.75 + 0.22
        self.x, self.line = 0.0, VGroup()
        for text, is_marker in segments:
            if is_marker:
                self._place(self._chip(text), 0.0, self.markers)
                continue
            for n, paragraph in enumerate(text.split("\n")):
                if n > 0:
                    self._new_line()
                self._flow(paragraph)
        self._new_line()
        self.add(self.lines)
        del self.x, self.line

    def _flow(self, text: str) -> None:
        """Words of `text` onto the current line, as long runs as fit, then onto new lines.

        How many words fit is estimated from each word's width (measured once per word), then checked on the
        run's own text: one text made per line, not one per word tried.
        """
        words = text.split(" ")
        while words:
            n = self._words_that_fit(words)
            made = line_text(" ".join(words[:n]), self.font_size)
            while n > 1 and self.x + made[0].width > self.max_width:  # the estimate was a little generous
                n -= 1
                made = line_text(" ".join(words[:n]), self.font_size)
            if made[0].text.strip():
                self._place(*made, self.texts)
            words = words[n:]
            if words:
                self._new_line()

    def _words_that_fit(self, words: list[str]) -> int:
        """How many of `words` (at least one) the rest of the current line holds, by estimated widths."""
        face = font_for(" ".join(words))
        space = _text_width("x x", self.font_size, face) - _text_width("xx", self.font_size, face)
        x = self.x + _text_width(words[0], self.font_size, face)
        for n, word in enumerate(words[1:], start=1):
            x += space + (_text_width("x" + word, self.font_size, face) - _text_width("x", self.font_size, face))
            if x > self.max_width:
                return n
        return len(words)

    def _place(self, mob: VMobject, offset: float, group: VGroup) -> None:
        """Put mob at the cursor, its line middle on the current line's middle."""
        gap = 0.1 if len(self.line) else 0.0
        if len(self.line) and self.x + gap + mob.width > self.max_width:
            self._new_line()
            gap = 0.0
        y = -len(self.lines) * self.line_height
        mob.move_to([self.x + gap + mob.width / 2, y + offset, 0])
        self.x += gap + mob.width
        self.line.add(mob)
        group.add(mob)

    def _new_line(self) -> None:
        if len(self.line):
            self.lines.add(self.line)
        self.x, self.line = 0.0, VGroup()

    def _chip(self, marker: str) -> VGroup:
        role = marker.strip("<|>")
        color = self.ROLE_COLORS.get(role, th.HIGHLIGHT)
        text = label(marker, self.font_size * 0.85, color, mono=True)
        box = RoundedRectangle(corner_radius=0.05, width=text.width + 0.14, height=self.line_height * 0.8,
                               stroke_color=color, stroke_width=1.5, fill_color=color, fill_opacity=0.18)
        chip = VGroup(box, text.move_to(box))
        chip.role = role
        return chip
