"""Attention: score and weight grids, pattern thumbnails, arcs from a token to the tokens it reads."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, ArcBetweenPoints, Circle, CubicBezier, Group, ImageMobject, Rectangle, VGroup, VMobject,
)
from manim.constants import RESAMPLING_ALGORITHMS

from scenes import theme as th
from scenes.mobjects.numbers import value_cell
from scenes.mobjects.text import fit, glyph_advance, label, number_text
from scenes.mobjects.tokens import TokenRow


class AttentionGrid(VGroup):
    """Attention as a grid: one column per query (top labels), one row per key (left labels).

    Numbers are written while the grid is small (≤ 12 tokens); beyond that it is a heat map. With `min_size`,
    decimals are dropped (down to none) until the numbers can be drawn that big, and a grid whose numbers would
    still be smaller is a heat map. `decimals` and `number_size` say what was drawn; `shown_values` holds the
    numbers as drawn (NaN where no number is written), `masked` the greyed cells, both [query, key].

    Parameters
    ----------
    values : ndarray
        [query, key]: one head's scores or pattern from a trace.
    tokens : sequence of str
        The tokens, labelling columns (queries, yellow) and rows (keys, teal).
    mode : {"pattern", "scores"}
        "pattern": weights 0..1 as brightness; "scores": signed values coloured blue/red, masked cells read −∞.
    cell : float, optional
        Side of one cell (default: fit `max_size`).
    max_size : float
        Side of the whole grid at most.
    show_numbers : bool, optional
        Force numbers on or off.
    decimals : int
        Decimals of each number.
    show_labels : bool
        Write the token labels.
    causal : bool
        Grey out cells whose key comes after the query.
    min_size : float, optional
        The smallest font size numbers may have.
    masked : ndarray, optional
        [query, key] booleans overriding which cells are greyed (a local-attention window, say).

    Examples
    --------
    >>> grid = AttentionGrid(np.tril(np.full((3, 3), 1 / 3)), ["The", " cat", " sat"], mode="pattern")
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
        shown = np.where(self.masked, -np.inf if mode == "scores" else 0.0, self.values)  # what each cell writes
        self.decimals, self.number_size = grid_numbers(shown, cell, decimals, min_size)
        readable = min_size is None or self.number_size >= min_size
        self.show_numbers = show_numbers if show_numbers is not None else p <= 12 and readable
        self.shown_values = np.full((p, p), np.nan)
        self.cells = {}
        self.grid = self._cells(shown, mode)
        self.add(self.grid)
        self.query_labels, self.key_labels = VGroup(), VGroup()
        if show_labels:
            self._label(tokens)
            self.add(self.query_labels, self.key_labels)

    def _cells(self, shown: np.ndarray, mode: str) -> VGroup:
        """The value cells in rows of keys, columns of queries (a heat map's cells bare squares); fills `cells` and
        `shown_values`."""
        p, cell, decimals = self.values.shape[0], self.cell_size, self.decimals
        finite = self.values[np.isfinite(self.values) & ~self.masked]
        scale = float(np.abs(finite).max()) if finite.size else 1.0
        grid = VGroup()
        for k in range(p):  # rows: keys
            for q in range(p):  # columns: queries
                masked = bool(self.masked[q, k])
                fill = th.FAINT if masked else (th.weight_color(self.values[q, k]) if mode == "pattern" else None)
                made = value_cell(shown[q, k], scale, cell * 0.94, cell * 0.94, decimals, self.number_size,
                                  self.show_numbers, fill_color=fill, fill_opacity=0.35 if masked else 1,
                                  number_color=th.DIM if masked else th.TEXT)
                box = made if self.show_numbers else made[0]  # a heat map's cells are bare squares
                if self.show_numbers:
                    self.shown_values[q, k] = shown[q, k] if np.isinf(shown[q, k]) else round(shown[q, k], decimals)
                self.cells[(q, k)] = box
                grid.add(box)
        return grid.arrange_in_grid(rows=p, cols=p, buff=cell * 0.06)

    def _label(self, tokens: Sequence[str]) -> None:
        """Each token above its query column (turned upright) and left of its key row, shrunk to the cells."""
        cell = self.cell_size
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

    def column(self, query: int, masked: bool | None = None) -> VGroup:
        """The cells of one query's column, top (first key) to bottom; only the (un)masked ones if `masked` is set."""
        keys = range(self.values.shape[0])
        return VGroup(*[self.cells[(query, k)] for k in keys if masked is None or self.masked[query, k] == masked])


def grid_numbers(shown: np.ndarray, cell: float, decimals: int, min_size: float | None) -> tuple[int, float]:
    """(decimals, font size) of a grid's numbers: one size for all (monospaced widths), as big as the widest of
    `shown` allows in a cell of side `cell`; with `min_size`, decimals are dropped (down to none) until the numbers
    can be drawn that big."""
    def size_for(decimals: int) -> float:
        widest = max(len(number_text(v, decimals)) for v in shown.ravel())
        size = min(th.NUMBER_SIZE, cell * 26)
        return min(size, size * cell * 0.86 / (widest * glyph_advance(size)))

    while min_size is not None and decimals > 0 and size_for(decimals) < min_size:
        decimals -= 1
    return decimals, size_for(decimals)


class PatternThumbnail(Group):
    """One head's attention pattern [query, key] as a small image laid out like AttentionGrid.

    Columns are queries, rows keys; brightness is the weight, cells after the
    query (masked) are grey. An image, not squares, so a whole model's heads
    render fast. `values` keeps the pattern shown.

    Parameters
    ----------
    pattern : ndarray
        [query, key] weights of one head.
    size : float
        Side of the square image.
    frame_color : ManimColor
        Colour of the thin frame around it.

    Examples
    --------
    >>> thumb = PatternThumbnail(np.tril(np.ones((6, 6))) / np.arange(1, 7)[:, None], size=2)
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


class ArcDiagram(VGroup):
    """Arcs above a token row: each from a query token to an earlier token it reads.

    An arc's thickness and opacity grow with the attention weight; a token reading
    itself gets a ring above it; a link to a token on an earlier line runs through the gap
    between the lines, from the query's top to the key's bottom. Links to tokens the row elides are left out.
    `arc(query, key)` is one drawn link.

    Parameters
    ----------
    row : TokenRow
        The tokens, already placed.
    links : sequence of (query, key, weight)
        The links to draw.
    color : ManimColor
        Colour of the arcs.
    max_stroke : float
        Stroke width of a link of weight 1.
    rise : float
        How high an arc rises per unit of distance.
    max_height : float
        Highest an arc may rise.

    Examples
    --------
    >>> row = TokenRow(["The", " cat", " sat"], max_lines=1)
    >>> arcs = ArcDiagram(row, [(2, 1, 0.7), (2, 0, 0.3)], color=th.QUERY)
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

    def write_weight(self, query: int, key: int, weight: float, color=th.QUERY) -> VMobject:
        """The weight of one link written beside it (two decimals, `place_label`)."""
        return self.place_label(query, key, label(f"{weight:.2f}", th.SMALL_SIZE, color, mono=True))

    def write_weights(self, links: Sequence[tuple[int, int, float]], color=th.QUERY) -> VGroup:
        """The weights of several links, in their order, each beside its link; where two would overlap, the one of
        the higher arc moves up until it is clear."""
        written: dict[tuple[int, int], VMobject] = {}
        for q, k, w in sorted(links, key=lambda link: self.arc(link[0], link[1]).get_top()[1]):
            mob = self.write_weight(q, k, w, color)
            for other in written.values():
                apart = np.abs(mob.get_center() - other.get_center())[:2]
                if apart[0] < (mob.width + other.width) / 2 and apart[1] < (mob.height + other.height) / 2:
                    mob.shift(UP * (other.get_top()[1] + 0.04 - mob.get_bottom()[1]))
            written[q, k] = mob
        return VGroup(*[written[q, k] for q, k, _ in links])

    def from_query(self, query: int) -> VGroup:
        """Every drawn arc leaving one query token."""
        return VGroup(*[a for (q, _), a in self.arcs.items() if q == query])


def weighted_link(row: TokenRow, query: int, key: int, weight: float, color=th.QUERY, rise: float = 0.3) -> VGroup:
    """One link of a row drawn on its own, its weight written beside it: VGroup(ArcDiagram, weight).

    A weight below 0.05 is drawn as 0.05, so that even a link the head hardly uses can be seen (its
    true weight is the one written).

    Parameters
    ----------
    row : TokenRow
        The tokens, already placed; both ends of the link must be shown.
    query, key : int
        The token that reads, and the earlier (or same) token it reads.
    weight : float
        The attention weight of the link.
    color : ManimColor
        Colour of the arc and of its weight.
    rise : float
        How high the arc rises per unit of distance.

    Examples
    --------
    >>> row = TokenRow(["Lily", " ran", ".", " Lily"], max_lines=1)
    >>> link = weighted_link(row, 3, 1, 0.42)
    """
    diagram = ArcDiagram(row, [(query, key, max(weight, 0.05))], color=color, rise=rise)
    return VGroup(diagram, diagram.write_weight(query, key, weight, color))
