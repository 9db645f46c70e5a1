"""Numbers, vectors and matrices: coloured value cells, long axes elided around ⋯ ⋮, braces with real sizes."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, WHITE, Brace, Group, ImageMobject, Rectangle, VGroup, VMobject
from manim.constants import RESAMPLING_ALGORITHMS

from gptmath.ops import largest_magnitude, widen

from scenes import theme as th
from scenes.mobjects.text import fit, label, number

SMALL_NUMBER = th.NUMBER_SIZE - 1  # entries of 0.74-wide cells: as big as they allow, about 9.5 px tall at 480p



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
               font_size: float = th.NUMBER_SIZE, show_number: bool = True,
               fill_color=None, fill_opacity: float = 1.0, number_color=th.TEXT) -> VGroup:
    """One entry of a vector, matrix or grid: a box coloured by sign and magnitude (blue positive, red negative,
    brighter when larger relative to `scale`) unless `fill_color` says otherwise, its number on top (a column
    of them shares one size, that of its widest number: VectorColumn).

        value_cell(-0.42, scale=1.0, width=0.8, height=0.3)
    """
    fill = th.value_color(value, scale) if fill_color is None else fill_color
    box = Rectangle(width=width, height=height, stroke_width=0, fill_opacity=fill_opacity, fill_color=fill)
    cell = VGroup(box)
    if show_number:
        text = number(value, decimals, font_size, number_color)
        cell.add(text.move_to(box))
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
        widest = max((number(v, decimals, font_size).width for v in self.shown_values), default=0.0)
        size = font_size * min(1.0, 0.94 * cell_width / widest) if widest else font_size  # one size: the widest fits
        self.cells = VGroup()
        for i in shown:
            if i is None:
                self.cells.add(label("⋮", font_size * 1.2, th.DIM).set_height(cell_height * 0.8))
                continue
            self.cells.add(value_cell(self.values[i], scale, cell_width, cell_height, decimals, size, show_numbers))
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
        The whole matrix [rows, cols]: float, or a model's weight as stored (bfloat16, memory-mapped): only the
        entries drawn are read as numbers.
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
    >>> weights = np.random.default_rng(0).normal(size=(64, 1000))
    >>> matrix = MatrixWithEllipses(weights, row_name="dims", col_name="tokens")
    """

    def __init__(self, values: np.ndarray, n_rows: int = 5, n_cols: int = 6, decimals: int = 1,
                 col_labels: Sequence[str] | None = None, row_name: str = "rows", col_name: str = "columns",
                 cell_width: float = 0.62, cell_height: float = 0.3, font_size: float = th.NUMBER_SIZE - 2,
                 show_numbers: bool = True, scale: float | None = None) -> None:
        super().__init__()
        self.values = np.asarray(values)  # no copy: a model's embedding stays a view of its memory-mapped file
        rows = elide(self.values.shape[0], n_rows - 1, up_to=n_rows)
        cols = elide(self.values.shape[1], n_cols - 1, up_to=n_cols)
        scale = scale or largest_magnitude(self.values) or 1.0
        self.row_indices = [r for r in rows if r is not None]
        self.col_indices = [c for c in cols if c is not None]
        block = widen(self.values[np.ix_(self.row_indices, self.col_indices)])  # the entries drawn, as float32
        at = {(r, c): float(block[i, j]) for i, r in enumerate(self.row_indices) for j, c in enumerate(self.col_indices)}
        self.shown = {}
        grid = VGroup()
        for r in rows:
            for c in cols:
                if r is None or c is None:
                    dots = "⋱" if r is None and c is None else ("⋮" if r is None else "⋯")
                    cell = VGroup(Rectangle(width=cell_width, height=cell_height, stroke_width=0, fill_opacity=0),
                                  label(dots, font_size, th.DIM))
                else:
                    v = self.shown[(r, c)] = at[(r, c)]
                    cell = value_cell(v, scale, cell_width, cell_height, decimals, font_size, show_numbers)
                grid.add(cell)
        grid.arrange_in_grid(rows=len(rows), cols=len(cols), buff=0.04)
        self.grid = grid
        self.brackets = brackets(grid)
        self.add(grid, self.brackets)
        self.col_label_mobs = VGroup()
        if col_labels is not None:
            self.col_label_mobs = self._column_labels(col_labels, cols, cell_width)
            self.add(self.col_label_mobs)
        n_r, n_c = self.values.shape
        self.row_brace = size_brace(self.brackets, LEFT, f"{n_r:,} {row_name}")
        self.col_brace = size_brace(VGroup(self.brackets, self.col_label_mobs), UP, f"{n_c:,} {col_name}")
        self.add(self.row_brace, self.col_brace)

    def take_out_text(self) -> VGroup:
        """Take the numbers, ellipses, column labels and size braces out of the matrix and return them (to fade
        out): what is left, the coloured boxes in their brackets, can shrink to a thumbnail with no unreadable text."""
        text = VGroup(*[piece for cell in self.grid for piece in cell.submobjects[1:]], self.col_label_mobs,
                      self.row_brace, self.col_brace)
        for cell in self.grid:
            cell.remove(*cell.submobjects[1:])
        self.remove(self.col_label_mobs, self.row_brace, self.col_brace)
        return text

    def _column_labels(self, col_labels: Sequence[str], cols: list[int | None], cell_width: float) -> VGroup:
        """Above each drawn column its label (a vocabulary token, say); ⋯ above the skipped columns."""
        mobs = VGroup()
        for j, c in enumerate(cols):
            text = "⋯" if c is None else th.show_spaces(col_labels[j])
            mob = label(text, th.SMALL_SIZE, th.DIM if c is None else th.TEXT)
            fit(mob, cell_width * 1.05)
            mobs.add(mob.next_to(self.grid[j], UP, buff=0.22))
        return mobs


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
