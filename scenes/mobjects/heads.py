"""One head's arithmetic and the model's heads: rotary dials, a worked score, the weighted sum, the head map."""
from __future__ import annotations
import math
from collections.abc import Sequence
import numpy as np
from manim import (
    DOWN, LEFT, ORIGIN, RIGHT, UP, Arc, Arrow, Circle, Group, ImageMobject, ManimColor, Rectangle, VGroup, VMobject,
)
from manim.constants import RESAMPLING_ALGORITHMS
from scenes import theme as th
from scenes.i18n import FONTS
from scenes.mobjects.attention import AttentionGrid, PatternThumbnail
from scenes.mobjects.numbers import SMALL_NUMBER, VectorColumn
from scenes.mobjects.products import symbol
from scenes.mobjects.text import fit, label, number

NAME_GAP = 0.25  # between two names side by side in a HeadGrid
ROLE_COLORS = {"previous": th.TOKEN_COLORS[0], "induction": th.TOKEN_COLORS[4], "duplicate": th.TOKEN_COLORS[1],
               "first": th.TOKEN_COLORS[3], "self": th.TOKEN_COLORS[2], "spread": th.FAINT}  # a head's role -> colour


def pair_text(pair: np.ndarray) -> str:
    """Two coordinates as the scenes print numbers: (0.12, −0.50)."""
    return "(" + ", ".join(f"{v:.2f}".replace("-", "−") for v in pair) + ")"


def readable_grid(values: np.ndarray, tokens: Sequence[str], note: str, height: float, min_px: float,
                  **kwargs) -> AttentionGrid:
    """An AttentionGrid (`kwargs` as it takes them) fitted to `height`, its token labels at least `min_px` tall
    at 480p (a capital, or a kana in Japanese) or left out: then `note`, saying what the axes hold, stands above
    the grid among its query labels instead.

        grid = readable_grid(pattern, tokens, "40 tokens in order: too many to name", height=6.0, min_px=10)
    """
    grid = fit(AttentionGrid(values, tokens, **kwargs), height=height)
    labels = [(t, t.font_size) for t in grid.key_labels]
    labels += [(t, t.font_size * t.width / t.height) for t in grid.query_labels]  # turned a quarter
    if min((size * glyph_px(t.font) for t, size in labels), default=min_px) >= min_px:
        return grid
    grid = fit(AttentionGrid(values, tokens, show_labels=False, **kwargs), height=height - 0.5)
    grid.query_labels.add(label(note, th.SMALL_SIZE, th.DIM).next_to(grid.grid, UP, buff=0.2)
                          .align_to(grid.grid, LEFT))
    return grid.add(grid.query_labels)


def glyph_px(font: str) -> float:
    """Pixels at 480p per point of font size that a capital (a kana, in a Japanese font) stands tall."""
    if font not in _GLYPH_PX:
        glyph = label("あ" if font == FONTS["ja"] else "H", 48, face=font)
        _GLYPH_PX[font] = glyph.height * 480 / 8 / 48  # 480 pixels to the frame's 8 units
    return _GLYPH_PX[font]


_GLYPH_PX: dict[str, float] = {}


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


class DialRow(VGroup):
    """Tokens' first coordinate pairs as RotationDials in a row, each at its token's x, a ⋯ where tokens are
    skipped, the vectors' symbol at the left.

    `dials` maps each drawn token to its dial, `row` holds the dials and ⋯ left to right, `name` the symbol.

    Parameters
    ----------
    before, after : ndarray, shape (tokens, 2)
        Each token's pair before and after turning.
    angles : ndarray, shape (tokens,)
        The angle each pair turned by, in radians.
    slots : sequence of (int or None, float)
        The tokens drawn, left to right, each with its x (None: a ⋯ there).
    name : str
        The vectors' symbol in Typst math.
    radius : float
        Each dial's radius.

    Examples
    --------
    >>> pairs = np.array([[0.3, -0.1], [0.2, 0.4], [-0.5, 0.1]])
    >>> row = DialRow(pairs, pairs[:, ::-1], np.array([0.0, 1.0, 2.0]), [(0, -1.0), (None, 0.0), (2, 1.0)], "q")
    """

    def __init__(self, before: np.ndarray, after: np.ndarray, angles: np.ndarray,
                 slots: Sequence[tuple[int | None, float]], name: str, radius: float = 0.36) -> None:
        super().__init__()
        self.dials: dict[int, RotationDial] = {}
        self.row = VGroup()
        for i, x in slots:
            if i is None:
                self.row.add(label("⋯", th.LABEL_SIZE, th.DIM).move_to([x, 0, 0]))
                continue
            self.dials[i] = RotationDial(before[i], after[i], float(angles[i]), radius=radius)
            self.row.add(self.dials[i].move_to([x, 0, 0], coor_mask=[1, 0, 0]))
        self.name = symbol(name, th.QUERY, 34).next_to(self.row, LEFT, buff=0.5)
        self.add(self.name, self.row)


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
    "= Σ w v =" and z; a token's text is never shrunk, a long one widens its term. `terms` holds the terms;
    `value_columns` and `weight_labels` map each drawn key to its column and weight; `equals`, `z_name` and `z`
    are the rest.

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
            name = label(th.show_spaces(tokens[k]), th.SMALL_SIZE, th.KEY)
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


class HeadGrid(Group):
    """Every head of a model as a thumbnail of its pattern, a row per layer, each thumbnail named beneath, the
    heads' names above the first row and the layers' at the left. Names are drawn at the words' size, never
    shrunk: the thumbnails are spaced as wide as the widest name needs.

    `thumbnails` and `names` map (layer, head) to each thumbnail and the name under it; `rows` holds each
    layer's thumbnails and names, `layer_names` and `head_names` the rest.

    Parameters
    ----------
    patterns : sequence of ndarray
        One per layer, shape (heads, query, key): its heads' patterns.
    names : list of list of str
        [layer][head]: the name written under each thumbnail (its role, say).
    layer_names, head_names : sequence of str
        Written left of each row and above each column.
    size : float
        A thumbnail's side.

    Examples
    --------
    >>> pattern = np.tril(np.ones((4, 4))) / np.arange(1, 5)[:, None]
    >>> grid = HeadGrid([np.stack([pattern, pattern])], [["spread", "first"]], ["layer 0"], ["head 0", "head 1"], 0.8)
    """

    def __init__(self, patterns: Sequence[np.ndarray], names: list[list[str]], layer_names: Sequence[str],
                 head_names: Sequence[str], size: float) -> None:
        super().__init__()
        texts = {(L, h): label(name, th.SMALL_SIZE, th.DIM) for L, row in enumerate(names)
                 for h, name in enumerate(row)}
        self.head_names = VGroup(*[label(name, th.SMALL_SIZE, th.DIM) for name in head_names])
        pitch = max(size, *(t.width for t in [*texts.values(), *self.head_names])) + NAME_GAP
        row_pitch = size + 0.36 + max(t.height for t in texts.values())
        self.thumbnails: dict[tuple[int, int], PatternThumbnail] = {}
        self.names: dict[tuple[int, int], VMobject] = {}
        self.rows, self.layer_names = Group(), VGroup()
        for L, layer in enumerate(patterns):
            row = Group()
            for h, pattern in enumerate(layer):
                thumb = PatternThumbnail(pattern, size).move_to([h * pitch, -L * row_pitch, 0])
                self.thumbnails[(L, h)], self.names[(L, h)] = thumb, texts[(L, h)].next_to(thumb, DOWN, buff=0.12)
                row.add(thumb, self.names[(L, h)])
            self.layer_names.add(label(layer_names[L], th.SMALL_SIZE, th.DIM)
                                 .next_to(self.thumbnails[(L, 0)], LEFT, buff=0.2))
            self.rows.add(Group(self.layer_names[-1], row))
        for h, name in enumerate(self.head_names):
            name.next_to(self.thumbnails[(0, h)], UP, buff=0.14)  # clear of a frame drawn round a thumbnail
        self.add(self.head_names, self.rows)


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
