"""Attention: score and weight grids, pattern thumbnails, arcs from a token to the tokens it reads."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from manim import (
    DOWN, LEFT, ORIGIN, RIGHT, UP, Arc, ArcBetweenPoints, Arrow, Circle, CubicBezier, Group, ImageMobject, ManimColor,
    Rectangle, VGroup, VMobject,
)
from manim.constants import RESAMPLING_ALGORITHMS

from scenes import theme as th
from scenes.mobjects.numbers import SMALL_NUMBER, VectorColumn, symbol, value_cell
from scenes.mobjects.text import fit, glyph_advance, label, number, number_text
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
        self.shown_values = np.full((p, p), np.nan)
        finite = self.values[np.isfinite(self.values) & ~self.masked]
        scale = float(np.abs(finite).max()) if finite.size else 1.0
        self.cells = {}
        grid = VGroup()
        shown_all = np.where(self.masked, -np.inf if mode == "scores" else 0.0, self.values)

        def size_for(decimals: int) -> float:  # one size for all: monospaced widths
            widest = max(len(number_text(v, decimals)) for v in shown_all.ravel())
            size = min(th.NUMBER_SIZE, cell * 26)
            return min(size, size * cell * 0.86 / (widest * glyph_advance(size)))

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
                fill = th.FAINT if masked else (th.weight_color(v) if mode == "pattern" else None)
                shown = shown_all[q, k]
                made = value_cell(shown, scale, cell * 0.94, cell * 0.94, decimals, size, self.show_numbers,
                                  fill_color=fill, fill_opacity=0.35 if masked else 1, number_color=th.DIM if masked else th.TEXT)
                box = made if self.show_numbers else made[0]  # a heat map's cells are bare squares
                if self.show_numbers:
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
        return self.place_label(query, key, label(f"{weight:.2f}", th.SMALL_SIZE - 2, color, mono=True))

    def from_query(self, query: int) -> VGroup:
        """Every drawn arc leaving one query token."""
        return VGroup(*[a for (q, _), a in self.arcs.items() if q == query])


ROLE_COLORS = {"previous": th.TOKEN_COLORS[0], "induction": th.TOKEN_COLORS[4], "duplicate": th.TOKEN_COLORS[1],
               "first": th.TOKEN_COLORS[3], "self": th.TOKEN_COLORS[2], "spread": th.FAINT}  # a head's role -> colour


def pair_text(pair: np.ndarray) -> str:
    """Two coordinates as the scenes print numbers: (0.12, −0.50)."""
    return "(" + ", ".join(f"{v:.2f}".replace("-", "−") for v in pair) + ")"


class RotationDial(VGroup):
    """One coordinate pair before (faint) and after (bright) rotary turned it, and the angle it turned by.

    Both arrows have the dial's radius (turning keeps a pair's length); the arc runs from one to the other
    (the angle modulo a full turn), and the full angle is written beneath in degrees.

    Parameters
    ----------
    before, after : ndarray, shape (2,)
        The pair before and after turning.
    angle : float
        The angle it turned by, in radians.
    radius : float
        The dial's radius.
    color : ManimColor
        Colour of the arrows.

    Examples
    --------
    >>> dial = RotationDial(np.array([0.3, -0.1]), np.array([0.2, 0.25]), angle=1.0)
    """

    def __init__(self, before: np.ndarray, after: np.ndarray, angle: float, radius: float = 0.4,
                 color: ManimColor = th.QUERY) -> None:
        super().__init__()
        self.before, self.after, self.angle = np.asarray(before, float), np.asarray(after, float), angle
        length = float(np.linalg.norm(self.before)) or 1.0
        start = math.atan2(self.before[1], self.before[0])
        end = math.atan2(self.after[1], self.after[0])

        def arrow(xy: np.ndarray, opacity: float) -> Arrow:
            tip = np.array([*(xy / length * radius), 0.0])
            return Arrow(ORIGIN, tip, buff=0, stroke_width=3, max_tip_length_to_length_ratio=0.3,
                         color=color).set_opacity(opacity)

        self.circle = Circle(radius=radius, stroke_color=th.FAINT, stroke_width=1.5)
        self.before_arrow, self.after_arrow = arrow(self.before, 0.35), arrow(self.after, 1.0)
        self.arc = Arc(radius=radius * 0.55, start_angle=start, angle=(end - start) % (2 * math.pi),
                       stroke_color=th.HIGHLIGHT, stroke_width=2)
        self.degrees = label(f"{math.degrees(angle):,.0f}°", th.NUMBER_SIZE, th.DIM, mono=True)
        self.degrees.next_to(self.circle, DOWN, buff=0.1)
        self.add(self.circle, self.arc, self.before_arrow, self.after_arrow, self.degrees)


class ScaledDot(VGroup):
    """One attention score worked out with the real vectors: q · k / divisor = score.

    Parameters
    ----------
    q, k : ndarray, shape (d_head,)
        The query and the key (as turned by rotary, for a model that has it).
    score : float
        The score written after the = sign.
    divisor : str
        What q · k is divided by, in Typst math ("sqrt(64)"); "" for none.
    font_size : float
        Size of the vectors' numbers.

    Examples
    --------
    >>> dot = ScaledDot(np.array([0.5, -1.0, 0.2]), np.array([0.2, 0.3, -0.4]), -0.15, "sqrt(3)")
    """

    def __init__(self, q: np.ndarray, k: np.ndarray, score: float, divisor: str,
                 font_size: float = SMALL_NUMBER) -> None:
        super().__init__()
        col = dict(n_shown=5, cell_width=0.78, cell_height=0.3, font_size=font_size, show_dimension=False)
        self.q = VectorColumn(q, border_color=th.QUERY, **col)
        self.k = VectorColumn(k, border_color=th.KEY, **col)
        self.score = number(score, 2, th.LABEL_SIZE)
        self.add(self.q, symbol("dot", th.TEXT, 34), self.k,
                 symbol(f"\\/ {divisor} =" if divisor else "=", th.TEXT, 30), self.score)
        self.arrange(RIGHT, buff=0.2)


class WeightedSum(VGroup):
    """A head's weighted sum of values with the real numbers: Σ_k w_k v_k = z.

    One term per drawn key, its token over its weight over its value column (⋯ for keys left out), then
    "= Σ w v =" and z. `terms` holds the terms; `value_columns` and `weight_labels` map each drawn key to its
    column and weight; `equals`, `z_name` and `z` are the rest.

    Parameters
    ----------
    tokens : sequence of str
        The keys' token texts.
    weights : ndarray, shape (keys,)
        The query's attention weight on each key.
    values : ndarray, shape (keys, d_head)
        Each key's value vector (one colour scale for all).
    keys : sequence of int or None
        The keys drawn, None for a ⋯.
    z : ndarray, shape (d_head,)
        The sum.
    font_size : float
        Size of the vectors' numbers.

    Examples
    --------
    >>> v, w = np.array([[0.1, -0.2], [0.5, 0.4]]), np.array([0.3, 0.7])
    >>> total = WeightedSum(["The", " cat"], w, v, [0, 1], w @ v)
    """

    def __init__(self, tokens: Sequence[str], weights: np.ndarray, values: np.ndarray,
                 keys: Sequence[int | None], z: np.ndarray, font_size: float = SMALL_NUMBER) -> None:
        super().__init__()
        scale = float(np.abs(values).max()) or 1.0
        col = dict(n_shown=4, cell_width=0.74, cell_height=0.27, font_size=font_size, scale=scale,
                   show_dimension=False)
        self.value_columns: dict[int, VectorColumn] = {}
        self.weight_labels: dict[int, VMobject] = {}
        self.terms = VGroup()
        for k in keys:
            if k is None:
                self.terms.add(label("⋯", th.LABEL_SIZE, th.DIM))
                continue
            name = fit(label(th.show_spaces(tokens[k]), th.SMALL_SIZE, th.KEY), 0.95)
            weight = number(weights[k], 2, th.NUMBER_SIZE + 2, th.weight_color(1.0))
            column = VectorColumn(values[k], border_color=th.VALUE, **col)
            self.value_columns[k], self.weight_labels[k] = column, weight
            self.terms.add(VGroup(name, weight, column).arrange(DOWN, buff=0.12))
        self.terms.arrange(RIGHT, buff=0.14, aligned_edge=DOWN)
        self.z = VectorColumn(z, n_shown=4, cell_width=0.74, cell_height=0.27, font_size=font_size,
                              border_color=th.TEXT)
        self.z_name = symbol("z", th.TEXT, 30).next_to(self.z.brackets, UP, buff=0.12)
        self.equals = symbol("= sum_k w_k v_k =", th.TEXT, 28)
        self.add(self.terms, self.equals, VGroup(self.z_name, self.z))
        self.arrange(RIGHT, buff=0.25)
        self.equals.match_y(self.z.brackets)


class HeadMap(Group):
    """Every head of a model as one cell of a layers × heads image, coloured by its role ("spread" grey),
    brighter the higher its best detector score.

    Parameters
    ----------
    roles : list of list of str
        [layer][head]: each head's role, a key of ROLE_COLORS.
    scores : ndarray, shape (n_layer, n_head)
        Each head's best detector score, a share 0..1.
    height : float
        Height of the map.
    width : float, optional
        Width of the map (default: square cells).
    cell_px : int
        Pixels per cell in the image, with a 2-pixel gap of background between cells.

    Examples
    --------
    >>> head_map = HeadMap([["previous", "spread"], ["induction", "self"]], np.array([[0.8, 0.2], [0.6, 0.9]]), 3.0)
    >>> numbers = head_map.axis_numbers()
    """

    def __init__(self, roles: list[list[str]], scores: np.ndarray, height: float, width: float | None = None,
                 cell_px: int = 12) -> None:
        super().__init__()
        self.roles, self.scores = roles, np.asarray(scores, dtype=float)  # [n_layer][n_head], [n_layer, n_head]
        n_layer, n_head = self.scores.shape
        step = cell_px + 2  # a 2-pixel gap of background between cells
        rgb = np.tile(np.array(th.BACKGROUND.to_rgb()), (n_layer * step, n_head * step, 1))
        for L in range(n_layer):
            for h in range(n_head):
                strength = 0.2 + 0.8 * float(np.clip(self.scores[L, h], 0, 1))
                colour = th.ZERO.interpolate(ROLE_COLORS[roles[L][h]], strength).to_rgb()
                rgb[L * step + 1:L * step + 1 + cell_px, h * step + 1:h * step + 1 + cell_px] = colour
        self.image = ImageMobject(np.round(255 * rgb).astype(np.uint8))
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.map_height = height
        self.map_width = width if width is not None else height * n_head / n_layer
        self.image.stretch_to_fit_width(self.map_width).stretch_to_fit_height(height)
        self.add(self.image)

    def cell(self, layer: int, head: int) -> np.ndarray:
        """The centre of one head's cell."""
        n_layer, n_head = self.scores.shape
        left, top = self.image.get_left()[0], self.image.get_top()[1]
        return np.array([left + (head + 0.5) * self.image.width / n_head,
                         top - (layer + 0.5) * self.image.height / n_layer, 0.0])

    def cell_size(self) -> tuple[float, float]:
        """A cell's width and height."""
        n_layer, n_head = self.scores.shape
        return self.image.width / n_head, self.image.height / n_layer

    def axis_numbers(self, layer_gap: float = 0.32, head_gap: float = 0.42) -> VGroup:
        """Layer numbers left of the rows and head numbers above the columns, every few where they would be
        closer than `layer_gap` (`head_gap`)."""
        n_layer, n_head = self.scores.shape
        cw, ch = self.cell_size()
        numbers = VGroup()
        every = max(1, math.ceil(n_layer * layer_gap / self.map_height))
        for L in range(0, n_layer, every):
            numbers.add(label(str(L), th.SMALL_SIZE, th.DIM, mono=True).next_to(self.cell(L, 0), LEFT,
                                                                                buff=cw / 2 + 0.1))
        every = max(1, math.ceil(n_head * head_gap / self.map_width))
        for h in range(0, n_head, every):
            numbers.add(label(str(h), th.SMALL_SIZE, th.DIM, mono=True).next_to(self.cell(0, h), UP,
                                                                                buff=ch / 2 + 0.08))
        return numbers


class RoleLegend(VGroup):
    """A colour square and a name for each head role, in a row.

    Parameters
    ----------
    names : dict of str to str
        Role (a key of ROLE_COLORS) -> the name written beside its colour, in the order drawn.

    Examples
    --------
    >>> legend = RoleLegend({"previous": "previous token", "spread": "spread out"})
    """

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__(*[VGroup(Rectangle(width=0.22, height=0.22, stroke_width=0, fill_opacity=1,
                                            fill_color=ROLE_COLORS[role]), label(text, th.SMALL_SIZE, th.DIM))
                           .arrange(RIGHT, buff=0.1) for role, text in names.items()])
        self.arrange(RIGHT, buff=0.3)


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
