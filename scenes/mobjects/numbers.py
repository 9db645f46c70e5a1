"""Numbers, vectors and matrices: coloured value cells, long axes elided around ⋯ ⋮, braces with real sizes."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, WHITE, Axes, Brace, Dot, Group, ImageMobject, Line, ManimColor, MathTypst, Rectangle,
    VGroup, VMobject,
)
from manim.constants import RESAMPLING_ALGORITHMS

from scenes import theme as th
from scenes.mobjects.text import fit, label, number


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


def elide(n: int, first: int, last: int = 1, keep: Iterable[int] = (), up_to: int | None = None) -> list[int | None]:
    """Which of n entries a long axis draws: all of them up to `up_to` (default first + last), else the first
    `first`, the `keep` ones and the last `last`, with None wherever entries are skipped (drawn as ⋯ or ⋮).

        elide(10, 4)                 -> [0, 1, 2, 3, None, 9]
        elide(20, 6, keep=[12])      -> [0, 1, 2, 3, 4, 5, None, 12, None, 19]
        elide(5, 4)                  -> [0, 1, 2, 3, 4]      (5 = first + last: nothing to skip)
    """
    if n <= (first + last if up_to is None else up_to):
        return list(range(n))
    indices = sorted({*range(min(first, n)), *(i for i in keep if 0 <= i < n), *range(max(n - last, 0), n)})
    out: list[int | None] = []
    for i in indices:
        if out and i > out[-1] + 1:
            out.append(None)
        out.append(i)
    return out


def value_cell(value: float, scale: float, width: float, height: float, decimals: int = 2,
               font_size: float = th.NUMBER_SIZE, show_number: bool = True, fit_number: bool = False,
               fill_color=None, fill_opacity: float = 1.0, number_color=th.TEXT) -> VGroup:
    """One entry of a vector, matrix or grid: a box coloured by sign and magnitude (blue positive, red negative,
    brighter when larger relative to `scale`) unless `fill_color` says otherwise, its number on top
    (shrunk to the box with `fit_number`).

        value_cell(-0.42, scale=1.0, width=0.8, height=0.3)
    """
    fill = th.value_color(value, scale) if fill_color is None else fill_color
    box = Rectangle(width=width, height=height, stroke_width=0, fill_opacity=fill_opacity, fill_color=fill)
    cell = VGroup(box)
    if show_number:
        text = number(value, decimals, font_size, number_color)
        cell.add((fit(text, width * 0.94) if fit_number else text).move_to(box))
    return cell


class VectorColumn(VGroup):
    """A long vector as its first entries, a vertical ellipsis and its last entry.

    Cells are coloured blue (positive) or red (negative), brighter with
    magnitude, inside square brackets; a brace states the real dimension.
    `shown_indices` and `shown_values` say what was drawn.

    Parameters
    ----------
    values : sequence of float
        The whole vector.
    n_shown : int
        Entries drawn: the first n_shown − 1, ⋮, the last (all when the vector is no longer).
    decimals : int
        Decimals of each number.
    scale : float, optional
        The magnitude drawn brightest (default: the vector's largest).
    cell_width, cell_height : float
        Size of one entry's box.
    font_size : float
        Size of the numbers (shrunk to fit the box).
    show_numbers : bool
        Write the numbers, or only colour the boxes.
    show_dimension : bool
        Add the brace with the real length when entries are skipped.
    border_color : ManimColor, optional
        Colour of the brackets (queries yellow, keys teal, values red).

    Examples
    --------
    >>> column = VectorColumn(np.linspace(-1, 1, 768), n_shown=5)
    """

    def __init__(self, values: Sequence[float], n_shown: int = 5, decimals: int = 2, scale: float | None = None,
                 cell_width: float = 0.85, cell_height: float = 0.32, font_size: float = th.NUMBER_SIZE,
                 show_numbers: bool = True, show_dimension: bool = True, border_color=None) -> None:
        super().__init__()
        self.values = np.asarray(values, dtype=float)
        scale = scale or float(np.abs(self.values).max()) or 1.0
        shown = elide(len(self.values), n_shown - 1, up_to=n_shown)
        self.shown_indices = [i for i in shown if i is not None]
        self.shown_values = [float(self.values[i]) for i in self.shown_indices]
        self.cells = VGroup()
        for i in shown:
            if i is None:
                self.cells.add(label("⋮", font_size * 1.2, th.DIM).set_height(cell_height * 0.8))
                continue
            self.cells.add(value_cell(self.values[i], scale, cell_width, cell_height, decimals, font_size,
                                      show_numbers, fit_number=True))
        self.cells.arrange(DOWN, buff=0.05)
        self.brackets = brackets(self.cells, color=border_color or WHITE)
        self.add(self.cells, self.brackets)
        if show_dimension and len(self.values) > n_shown:
            self.dimension = size_brace(self.brackets, RIGHT, f"{len(self.values):,}")
            self.add(self.dimension)


class MatrixWithEllipses(VGroup):
    """A big matrix as its corner entries with ⋯ ⋮ ⋱, braces stating its real size.

    `row_indices`, `col_indices` and `shown` ({(row, col): value}) say what was drawn.

    Parameters
    ----------
    values : ndarray
        The whole matrix [rows, cols].
    n_rows, n_cols : int
        Rows and columns drawn, counting the last one after the ellipsis.
    decimals : int
        Decimals of each number.
    col_labels : sequence of str, optional
        Written above the shown columns (e.g. vocabulary tokens), one per matrix column.
    row_name, col_name : str
        What the braces call rows and columns ("768 dimensions", "50,257 tokens").
    cell_width, cell_height : float
        Size of one entry's box.
    font_size : float
        Size of the numbers.
    show_numbers : bool
        Write the numbers, or only colour the boxes.
    scale : float, optional
        The magnitude drawn brightest (default: the matrix's largest).

    Examples
    --------
    >>> matrix = MatrixWithEllipses(np.random.default_rng(0).normal(size=(64, 1000)), row_name="dims", col_name="tokens")
    """

    def __init__(self, values: np.ndarray, n_rows: int = 5, n_cols: int = 6, decimals: int = 1,
                 col_labels: Sequence[str] | None = None, row_name: str = "rows", col_name: str = "columns",
                 cell_width: float = 0.62, cell_height: float = 0.3, font_size: float = th.NUMBER_SIZE - 2,
                 show_numbers: bool = True, scale: float | None = None) -> None:
        super().__init__()
        self.values = np.asarray(values, dtype=float)
        rows = elide(self.values.shape[0], n_rows - 1, up_to=n_rows)
        cols = elide(self.values.shape[1], n_cols - 1, up_to=n_cols)
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
                    cell = value_cell(v, scale, cell_width, cell_height, decimals, font_size, show_numbers)
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


class HeatMap(Group):
    """A big array as one image: blue positive, red negative, one pixel block per entry (nearest resampling).

    Far faster and clearer than thousands of numbers; `values` keeps what it shows.

    Parameters
    ----------
    values : ndarray
        [rows, cols], drawn top to bottom (a vector becomes one row).
    width, height : float
        Size of the image in scene units.
    scale : float, optional
        The magnitude drawn brightest (default: the array's largest).
    frame_color : ManimColor
        Colour of the thin frame around it.

    Examples
    --------
    >>> heat = HeatMap(np.random.default_rng(0).normal(size=(8, 64)), width=6, height=1.5)
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


def labelled(mob: VMobject, text: str, direction: np.ndarray = UP, color=th.DIM) -> VGroup:
    """A mobject with a small caption above it (or beside it, towards `direction`).

    Examples
    --------
    >>> x = labelled(VectorColumn([0.5, -1.0, 2.0]), "normalised input")
    """
    tag = label(text, th.SMALL_SIZE, color)
    tag.next_to(mob, direction, buff=0.2)
    return VGroup(mob, tag)


class Equation(VGroup):
    """Terms in a row, operators between them: `W x + b = y`, `a × b = c`, `before + change = after`.

    `result` is the last term, `rest` all the terms before it.

    Parameters
    ----------
    terms : sequence of VMobject or str
        Left to right; strings ("+", "×", "=") are drawn as big monospaced operators.
    buff : float
        The gap between neighbours.

    Examples
    --------
    >>> total = Equation([VectorColumn([1.0, 2.0]), "+", VectorColumn([0.5, -1.0]), "=", VectorColumn([1.5, 1.0])])
    """

    def __init__(self, terms: Sequence[VMobject | str], buff: float = 0.3) -> None:
        super().__init__(*[label(t, th.TITLE_SIZE, mono=True) if isinstance(t, str) else t for t in terms])
        self.arrange(RIGHT, buff=buff)
        self.result, self.rest = self[-1], self[:-1]


class ActivationPlot(VGroup):
    """An activation function's curve over the inputs' range, and a dot per neuron at (its input, its output).

    The strongest neurons are big highlighted dots (`dots[1]`), the rest one mobject (`dots[0]`, fast to copy);
    `centers` says where each neuron's dot is, in neuron order. Integer ticks label both axes.

    Parameters
    ----------
    inputs : np.ndarray
        [m] each neuron's input (pre-activation).
    outputs : np.ndarray
        [m] its output (the activation of its input).
    function : Callable[[np.ndarray], np.ndarray]
        The activation, drawn as the curve.
    name : str
        The activation's name, written above the axes.
    strongest : sequence of int
        The neurons drawn as highlighted dots.
    width, height : float
        The axes' size.

    Examples
    --------
    >>> x = np.linspace(-3.0, 3.0, 40)
    >>> plot = ActivationPlot(x, np.maximum(x, 0), lambda v: np.maximum(v, 0), "ReLU", strongest=[39])
    """

    def __init__(self, inputs: np.ndarray, outputs: np.ndarray, function: Callable[[np.ndarray], np.ndarray],
                 name: str, strongest: Sequence[int] = (), width: float = 5.6, height: float = 4.6) -> None:
        super().__init__()
        self.inputs, self.outputs = np.asarray(inputs), np.asarray(outputs)
        lo, hi = min(float(self.inputs.min()), -1.0), max(float(self.inputs.max()), 1.0)
        xs = np.linspace(lo, hi, 400)
        ys = function(xs)
        pad = 0.08 * (ys.max() - ys.min())
        ylo, yhi = min(float(ys.min()), 0.0) - pad, float(ys.max()) + pad
        self.axes = Axes(x_range=[lo, hi, 1], y_range=[ylo, yhi, 1], x_length=width, y_length=height, tips=False,
                         axis_config={"color": th.DIM, "include_ticks": False})
        self.curve = self.axes.plot_line_graph(xs, ys, add_vertex_dots=False, line_color=th.TEXT, stroke_width=3)
        step = max(1, int(np.ceil((hi - lo) / 6)))
        # x labels go on the side of the axis the curve is not on (below GELU's dip they would sit on the curve)
        self.ticks = VGroup(*[number(v, 0, th.NUMBER_SIZE, th.DIM).next_to(
            self.axes.c2p(v, 0), UP if function(np.array([v]))[0] < 0 else DOWN, buff=0.1)
            for v in range(int(np.ceil(lo)), int(np.floor(hi)) + 1, step) if v != 0])
        self.ticks.add(*[number(v, 0, th.NUMBER_SIZE, th.DIM).next_to(self.axes.c2p(0, v), LEFT, buff=0.1)
                         for v in range(int(np.ceil(ylo + pad)), int(np.floor(yhi)) + 1, step) if v != 0])
        self.heading = label(name, th.LABEL_SIZE, th.TEXT).next_to(self.axes, UP, buff=0.15).align_to(self.axes, LEFT)
        rest = VMobject(fill_color=th.POSITIVE, fill_opacity=0.8, stroke_width=0)
        for i, (a, b) in enumerate(zip(self.inputs, self.outputs)):
            if i not in strongest:
                rest.append_points(Dot(self.axes.c2p(a, b), radius=0.03).points)
        strong = VGroup(*[Dot(self.axes.c2p(self.inputs[i], self.outputs[i]), radius=0.065, color=th.HIGHLIGHT)
                          for i in strongest])
        self.dots = VGroup(rest, strong)
        self.add(self.axes, self.ticks, self.curve, self.heading, self.dots)

    @property
    def centers(self) -> np.ndarray:
        """[m, 3] where each neuron's dot is drawn."""
        return np.array([self.axes.c2p(a, b) for a, b in zip(self.inputs, self.outputs)])


class RowCallouts(VGroup):
    """Labels beside a one-column HeatMap, each joined by a bent line to its row, spread apart so none overlap.

    Parameters
    ----------
    strip : HeatMap
        The column the rows belong to (placed where it will be drawn).
    rows : sequence of int
        The rows called out.
    labels : sequence of VMobject
        A label per row, placed right of the strip.
    gap : float
        The least distance between two labels' centres.

    Examples
    --------
    >>> strip = HeatMap(np.linspace(-1.0, 1.0, 40)[:, None], width=0.45, height=4.0)
    >>> callouts = RowCallouts(strip, [39, 37], [label("neuron 39", 18), label("neuron 37", 18)])
    """

    def __init__(self, strip: HeatMap, rows: Sequence[int], labels: Sequence[VMobject], gap: float = 0.42) -> None:
        super().__init__()
        ys = _spread([strip.row_point(i)[1] for i in rows], gap=gap, low=strip.get_bottom()[1] + 0.2,
                     high=strip.get_top()[1] - 0.45)
        x0 = strip.get_right()[0]
        self.marks, self.labels = VGroup(), VGroup()
        for i, y, text in zip(rows, ys, labels):
            row_y = strip.row_point(i)[1]
            self.labels.add(text.move_to([x0 + 0.6, y, 0], aligned_edge=LEFT))
            self.marks.add(Line([x0 - 0.35, row_y, 0], [x0 + 0.1, row_y, 0], color=th.HIGHLIGHT, stroke_width=2),
                           Line([x0 + 0.1, row_y, 0], [x0 + 0.55, y, 0], color=th.HIGHLIGHT, stroke_width=1.5))
        self.add(self.marks, self.labels)


def _spread(ys: list[float], gap: float, low: float, high: float) -> list[float]:
    """Move heights apart by at least `gap`, keeping them within [low, high] and in order."""
    order = np.argsort(ys)[::-1]
    placed = {}
    y_prev = None
    for k in order:
        y = min(ys[k], high) if y_prev is None else min(ys[k], y_prev - gap)
        placed[k] = y_prev = y
    shift = max(0.0, low - min(placed.values()))
    return [placed[k] + shift for k in range(len(ys))]


SMALL_NUMBER = th.NUMBER_SIZE - 1  # entries of 0.74-wide cells: as big as they allow, about 9.5 px tall at 480p


def symbol(expr: str, color: ManimColor = WHITE, size: float = 30) -> MathTypst:
    """A mathematical symbol or formula in Typst math: symbol("W_Q", th.QUERY), symbol("sum_k w_k v_k")."""
    return MathTypst(expr, font_size=size, color=color)


class VectorRow(VGroup):
    """Several tokens' vectors side by side, one column per slot, named by a symbol on the left.

    The columns share one colour scale; only the last states the vectors' length. `columns` maps each drawn
    token to its VectorColumn, `slots` holds the columns and ⋯ left to right, `name` the symbol.

    Parameters
    ----------
    vectors : ndarray, shape (tokens, d)
        One vector per token.
    shown : sequence of int or None
        The tokens drawn, left to right; None draws a ⋯ for tokens skipped (as elide() gives them).
    name : str
        The vectors' symbol in Typst math ("x", "q").
    color : ManimColor
        Colour of the symbol and of the columns' brackets.
    n_shown : int
        Entries drawn per column.
    slot : float
        Horizontal room for one column.
    font_size : float
        Size of the numbers.

    Examples
    --------
    >>> row = VectorRow(np.linspace(-1, 1, 30).reshape(3, 10), [0, None, 2], "q", th.QUERY)
    """

    def __init__(self, vectors: np.ndarray, shown: Sequence[int | None], name: str, color: ManimColor = WHITE,
                 n_shown: int = 4, slot: float = 1.0, font_size: float = SMALL_NUMBER) -> None:
        super().__init__()
        scale = float(np.abs(vectors).max()) or 1.0
        self.columns: dict[int, VectorColumn] = {}
        self.slots = VGroup()
        for j, i in enumerate(shown):
            if i is None:
                mob = label("⋯", th.LABEL_SIZE, th.DIM)
            else:
                mob = VectorColumn(vectors[i], n_shown=n_shown, scale=scale, cell_width=0.74, cell_height=0.26,
                                   font_size=font_size, border_color=color, show_dimension=j == len(shown) - 1)
                self.columns[i] = mob
            self.slots.add(mob.move_to(RIGHT * (j - (len(shown) - 1) / 2) * slot))
            if i is not None and j == len(shown) - 1:  # the brace hangs right; keep the brackets in the slot
                mob.shift(RIGHT * (mob.width - mob.brackets.width) / 2)
        self.name = symbol(name, color, 34).next_to(self.slots, LEFT, buff=0.5)
        self.add(self.name, self.slots)


class TokenVectorRow(VGroup):
    """A VectorRow with each drawn token's text above its column, in the token's colour.

    `names` holds the texts, `row` the VectorRow.

    Parameters
    ----------
    tokens : sequence of str
        Every token's text, indexed like `vectors`.
    vectors : ndarray, shape (tokens, d)
        One vector per token.
    shown : sequence of int or None
        The tokens drawn, None for a ⋯.
    name : str
        The vectors' symbol in Typst math.
    color : ManimColor
        Colour of the symbol and brackets.
    slot : float
        Horizontal room for one column; a token's text is fitted to 95 % of it.

    Examples
    --------
    >>> row = TokenVectorRow(["The", " cat"], np.array([[0.1, -0.4, 0.3], [0.5, 0.2, -0.1]]), [0, 1], "x")
    """

    def __init__(self, tokens: Sequence[str], vectors: np.ndarray, shown: Sequence[int | None], name: str,
                 color: ManimColor = WHITE, slot: float = 1.0) -> None:
        super().__init__()
        self.row = VectorRow(vectors, shown, name, color, slot=slot)
        self.names = VGroup()
        for i in shown:
            if i is not None:
                text = label(th.show_spaces(tokens[i]), th.SMALL_SIZE, th.token_color(i))
                fit(text, slot * 0.95)
                self.names.add(text.next_to(self.row.columns[i].brackets, UP, buff=0.12))
        self.add(self.names, self.row)


class Product(VGroup):
    """An equation with real entries: matrix · vector (+ bias) = result, the matrix as its corner entries.

    The pieces sit on one line, level with the matrix's grid, each named beneath; `plus` and `bias` are
    None without a bias.

    Parameters
    ----------
    matrix : ndarray, shape (rows, cols)
        The weights.
    vector : ndarray, shape (cols,)
        What they multiply.
    bias : ndarray, shape (rows,), optional
        Added to the product (None: no bias).
    result : ndarray, shape (rows,)
        matrix @ vector + bias.
    names : tuple of str
        Typst math names of the matrix, vector, bias and result (the bias's skipped without a bias).
    colors : tuple of ManimColor
        Colours of the names in the same order; the vector, bias and result take theirs for their brackets.
    axes : tuple of str
        What the matrix's rows and columns are called on its braces.
    decimals : int
        Decimals of the matrix's numbers.
    font_size : float
        Size of the numbers.

    Examples
    --------
    >>> W, x = np.linspace(-1, 1, 12).reshape(3, 4), np.array([0.5, -0.2, 0.1, 0.3])
    >>> product = Product(W, x, None, W @ x, ("W", "x", "y"), (th.TEXT, th.TEXT, th.HIGHLIGHT))
    """

    def __init__(self, matrix: np.ndarray, vector: np.ndarray, bias: np.ndarray | None, result: np.ndarray,
                 names: tuple[str, ...], colors: tuple[ManimColor, ...], axes: tuple[str, str] = ("rows", "columns"),
                 decimals: int = 2, font_size: float = SMALL_NUMBER) -> None:
        super().__init__()
        self.matrix = MatrixWithEllipses(matrix, n_rows=4, n_cols=4, decimals=decimals, cell_width=0.7,
                                         font_size=font_size, row_name=axes[0], col_name=axes[1])
        col = dict(n_shown=4, cell_width=0.78, cell_height=0.3, font_size=font_size)
        self.vector = VectorColumn(vector, border_color=colors[1], **col)
        self.bias = VectorColumn(bias, border_color=colors[2], **col) if bias is not None else None
        self.result = VectorColumn(result, border_color=colors[-1], **col)
        self.plus = label("+", th.LABEL_SIZE) if bias is not None else None
        self.equals = label("=", th.LABEL_SIZE)
        pieces = [self.matrix, self.vector] + ([self.plus, self.bias] if bias is not None else [])
        pieces += [self.equals, self.result]
        x = 0.0
        for mob in pieces:
            mob.move_to(RIGHT * (x + mob.width / 2))
            x += mob.width + 0.25
        y = self.matrix.grid.get_center()[1]
        for mob in pieces[1:]:
            mob.shift(UP * (y - (mob.brackets if hasattr(mob, "brackets") else mob).get_center()[1]))
        self.add(*pieces)
        bodies = [self.matrix.brackets, self.vector.brackets] + ([self.bias.brackets] if bias is not None else [])
        bodies.append(self.result.brackets)
        named = list(zip(names, colors))
        if len(named) > len(bodies):  # a bias named but the model has none
            del named[2]
        self.names = VGroup(*[symbol(n, c, 28).next_to(b, DOWN, buff=0.15) for (n, c), b in zip(named, bodies)])
        self.add(self.names)
