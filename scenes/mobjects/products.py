"""Products and equations: a matrix times a vector, vectors side by side, terms joined by operators."""
from __future__ import annotations
from collections.abc import Sequence
import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, WHITE, ManimColor, MathTypst, VGroup, VMobject
from scenes import theme as th
from scenes.mobjects.numbers import SMALL_NUMBER, MatrixWithEllipses, VectorColumn
from scenes.mobjects.text import fit, label, quoted


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
        Horizontal room for one column. A token's text wider than 95 % of it is not shrunk: every other text
        moves up a line, so each may take two slots (and only then is fitted to them).

    Examples
    --------
    >>> row = TokenVectorRow(["The", " cat"], np.array([[0.1, -0.4, 0.3], [0.5, 0.2, -0.1]]), [0, 1], "x")
    """

    def __init__(self, tokens: Sequence[str], vectors: np.ndarray, shown: Sequence[int | None], name: str,
                 color: ManimColor = WHITE, slot: float = 1.0) -> None:
        super().__init__()
        self.row = VectorRow(vectors, shown, name, color, slot=slot)
        self.names = VGroup(*[label(th.show_spaces(tokens[i]), th.SMALL_SIZE, th.token_color(i))
                              for i in shown if i is not None])
        staggered = any(text.width > slot * 0.95 for text in self.names)
        line = max((text.height for text in self.names), default=0) + 0.08
        for k, (text, i) in enumerate(zip(self.names, [i for i in shown if i is not None])):
            fit(text, slot * (1.9 if staggered else 0.95))
            text.next_to(self.row.columns[i].brackets, UP, buff=0.12 + (line if staggered and k % 2 else 0))
        self.add(self.names, self.row)


class ResidualSum(VGroup):
    """A token's residual vector plus a change with the real numbers, r + Δ = r + Δ, the token's text above.

    `before`, `delta` and `after` are the columns; `token`, `plus`, `equals` and `names` the rest.

    Parameters
    ----------
    token : str
        The token's text, drawn quoted with its spaces made visible (a lone “、” is no stray mark).
    color : ManimColor
        The token's colour.
    before, delta, after : ndarray, shape (d,)
        The residual vector, the change and their sum.
    n_shown : int
        Entries drawn per column.

    Examples
    --------
    >>> r, change = np.array([0.5, -1.2, 0.3]), np.array([0.1, 0.2, -0.4])
    >>> total = ResidualSum(" cat", th.token_color(1), r, change, r + change)
    """

    def __init__(self, token: str, color: ManimColor, before: np.ndarray, delta: np.ndarray, after: np.ndarray,
                 n_shown: int = 6) -> None:
        super().__init__()
        col = dict(n_shown=n_shown, cell_width=0.85, cell_height=0.32, font_size=15)
        self.before, self.after = VectorColumn(before, **col), VectorColumn(after, **col)
        self.delta = VectorColumn(delta, border_color=th.HIGHLIGHT, **col)
        self.plus, self.equals = label("+", th.LABEL_SIZE), label("=", th.LABEL_SIZE)
        row = VGroup(self.before, self.plus, self.delta, self.equals, self.after).arrange(RIGHT, buff=0.35)
        self.names = VGroup(*[symbol(n, c, 30).next_to(m.brackets, DOWN, buff=0.15) for n, c, m in
                              (("r", WHITE, self.before), ("Delta", th.HIGHLIGHT, self.delta),
                               ("r + Delta", WHITE, self.after))])
        self.token = label(quoted(token), th.LABEL_SIZE, color).next_to(self.before.brackets, UP, buff=0.2)  # “、”
        self.add(self.token, row, self.names)


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
