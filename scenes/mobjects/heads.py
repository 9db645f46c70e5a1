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
from scenes.mobjects.numbers import SMALL_NUMBER, VectorColumn
from scenes.mobjects.products import symbol
from scenes.mobjects.text import fit, label, number

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
