"""The model as a whole: the unembedding product, the forward pass's blocks, the parameter tally."""
from __future__ import annotations
from collections.abc import Callable, Sequence
import numpy as np
from manim import (
    DOWN, LEFT, ORIGIN, RIGHT, UP, Line, Rectangle, RoundedRectangle, Square, VGroup, VMobject, interpolate_color,
)
from gptmath.params import ParamGroup, total
from scenes import theme as th
from scenes.mobjects.numbers import MatrixWithEllipses, VectorColumn, elide
from scenes.mobjects.text import fit, label, line_text


class LogitProduct(VGroup):
    """The unembedding as a product: matrix (V × d) × vector (d) = logits (V), each shown logit beside its token.

    Centred on the product's row; `logits_head` above the logits and `vector_head` below the vector name them.

    Parameters
    ----------
    matrix : ndarray, shape (V, d)
        The unembedding matrix, one row per vocabulary token.
    vector : ndarray, shape (d,)
        The final, normalised vector.
    logits : ndarray, shape (V,)
        matrix @ vector.
    token_strings : callable
        Token ids to strings, for the shown logits' labels.
    row_name, col_name : str
        The matrix's axes.
    logits_head, vector_head : str
        What the logits and the vector are.

    Examples
    --------
    >>> W = np.linspace(-1, 1, 40).reshape(10, 4)
    >>> product = LogitProduct(W, np.ones(4), W @ np.ones(4), lambda ids: [f"t{i}" for i in ids],
    ...                        "tokens", "dims", "10 logits", "the last vector")
    """

    def __init__(self, matrix: np.ndarray, vector: np.ndarray, logits: np.ndarray,
                 token_strings: Callable[[list[int]], list[str]], row_name: str, col_name: str, logits_head: str,
                 vector_head: str) -> None:
        super().__init__()
        self.matrix = MatrixWithEllipses(matrix, n_rows=7, n_cols=5, decimals=2, cell_width=0.72,
                                         row_name=row_name, col_name=col_name)
        self.vector = VectorColumn(vector, n_shown=6, cell_height=0.3)
        self.logit_column = VectorColumn(logits, n_shown=7, cell_height=0.3, show_dimension=False)
        rows = elide(len(logits), 6, up_to=7)
        names = iter(token_strings([r for r in rows if r is not None]))
        self.logit_labels = VGroup(*[
            fit(label(th.show_spaces(next(names)), th.SMALL_SIZE, mono=True).next_to(cell, RIGHT, buff=0.3), 2.1)
            for r, cell in zip(rows, self.logit_column.cells) if r is not None])
        self.times, self.equals = label("×", th.TITLE_SIZE), label("=", th.TITLE_SIZE)
        logit_group = VGroup(self.logit_column, self.logit_labels)
        row = VGroup(self.matrix, self.times, self.vector, self.equals, logit_group).arrange(RIGHT, buff=0.35)
        fit(row.move_to(ORIGIN), th.CONTENT_WIDTH)
        self.logits_head = label(logits_head, th.SMALL_SIZE, th.DIM).next_to(logit_group, UP, buff=0.25)
        self.vector_head = fit(label(vector_head, th.SMALL_SIZE, th.DIM), 6.5)
        self.vector_head.next_to(row, DOWN, buff=0.3).set_x(self.vector.get_x())
        self.add(row, self.logits_head, self.vector_head)


class StreamBlock(VGroup):
    """A block on the residual stream: a rounded box from x[0] to x[1], centred at height `y`, its name inside.

    Parameters
    ----------
    x : (float, float)
        Left and right edge.
    text : str
        The block's name ("": none, for a box too narrow to hold one).
    color : ManimColor
        Its outline and, faintly, its fill.
    font_size : float
        Size of the name; `font_size_for` finds one every block's name fits at.
    y, height : float
        Where the stream runs, and the box's height.

    Examples
    --------
    >>> block = StreamBlock((-0.6, 0.6), "MLP", th.KEY)
    """

    def __init__(self, x: tuple[float, float], text: str, color, font_size: float = th.SMALL_SIZE, y: float = 0.0,
                 height: float = 0.6) -> None:
        rect = RoundedRectangle(corner_radius=0.08, width=x[1] - x[0], height=height, stroke_color=color,
                                stroke_width=2, fill_color=interpolate_color(th.BACKGROUND, color, 0.25),
                                fill_opacity=1).move_to([(x[0] + x[1]) / 2, y, 0])
        super().__init__(rect, *([label(text, font_size, th.TEXT).move_to(rect)] if text else []))

    @staticmethod
    def font_size_for(boxes: Sequence[tuple[float, str]], pad: float = 0.1) -> float:
        """One size for all names: SMALL_SIZE, or less if some (width, name) would not fit with `pad` to spare."""
        return th.SMALL_SIZE * min(1.0, *[(width - pad) / label(text, th.SMALL_SIZE).width for width, text in boxes])


class TallyRow(VGroup):
    """A row of a parameter table: swatch · name | formula | count, across `width` from `left` at height `y`.

    Names sit on one baseline at the left; `formula_mob` is right-aligned at `formula_right` of the width,
    `count_mob` at the right edge.

    Parameters
    ----------
    name, formula, count : str
        The row's texts.
    color : ManimColor
        The swatch's colour.
    left, width, y : float
        Where the row runs.
    formula_right : float
        The formula's right edge, as a share of the width.

    Examples
    --------
    >>> row = TallyRow("Query", "12 × 768 × 64", "589,824", th.QUERY, left=-6, width=12, y=0)
    """

    def __init__(self, name: str, formula: str, count: str, color, left: float, width: float, y: float,
                 formula_right: float = 0.62) -> None:
        super().__init__()
        self.swatch = Square(0.16, stroke_width=0, fill_color=color, fill_opacity=1).move_to([left + 0.08, y, 0])
        self.name_mob = fit(line_text(name, th.SMALL_SIZE, keep_strut=True)[0], 0.3 * width)
        self.name_mob.move_to([left + 0.3, y, 0], aligned_edge=LEFT)
        self.count_mob = fit(label(count, th.NUMBER_SIZE, th.TEXT, mono=True), 0.3 * width)
        self.count_mob.move_to([left + width, y, 0], aligned_edge=RIGHT)
        right = left + formula_right * width
        self.formula_mob = fit(label(formula, th.NUMBER_SIZE, th.DIM, mono=True),
                               right - self.name_mob.get_right()[0] - 0.3)
        self.formula_mob.move_to([right, y, 0], aligned_edge=RIGHT)
        self.add(self.swatch, self.name_mob, self.formula_mob, self.count_mob)


class ParameterTally(VGroup):
    """Parameter groups as blocks side by side (width ∝ count) over a table of their counts.

    `rows[i]` and `blocks[i]` belong to `groups[i]`, `block_labels[i]` too where the name fits in the block;
    a group with no parameters of its own (a tied unembedding) gets a row and an empty block. The running
    total is the caller's to draw, between `total_name` and `total_label` under `rule`.

    Parameters
    ----------
    groups : list of ParamGroup
        The groups (gptmath.params), in order.
    names, formulas : list of str
        Each group's name and how its count comes about (`ParameterTally.formula`, or a word).
    left, width : float
        Where the strip and the table run.
    strip_y, top : float
        Height of the strip, and of the table's first row.

    Examples
    --------
    >>> from gptmath.params import ParamGroup
    >>> groups = [ParamGroup("query", (768, 64), 12), ParamGroup("mlp_up", (768, 3072), 1)]
    >>> tally = ParameterTally(groups, ["Query", "MLP up"], [ParameterTally.formula(g) for g in groups])
    """

    MLP = th.TOKEN_COLORS[4]
    KIND_COLORS = {  # one colour per kind: its block, and the swatch of its row
        "token_embedding": th.TOKEN_COLORS[3], "position_embedding": th.TOKEN_COLORS[5], "query": th.QUERY,
        "key": th.KEY, "value": th.VALUE, "output": th.TOKEN_COLORS[0], "mlp_gate": MLP.darker(0.4), "mlp_up": MLP,
        "mlp_down": MLP.darker(0.2), "biases": th.DIM, "layer_norms": th.FAINT,
        "unembedding": th.TOKEN_COLORS[3].darker(0.3),
    }
    ROW, STRIP_HEIGHT, FORMULA_RIGHT = 0.31, 0.36, 0.62  # row pitch; the strip's height; formulas' right edge

    def __init__(self, groups: list[ParamGroup], names: list[str], formulas: list[str],
                 left: float = -th.FRAME_WIDTH / 2 + th.EDGE, width: float = th.CONTENT_WIDTH, strip_y: float = 1.55,
                 top: float = 1.0) -> None:
        super().__init__()
        self.groups, self.left, self.right = groups, left, left + width
        self.formula_x = left + self.FORMULA_RIGHT * width
        scale = width / total(groups)
        self.blocks, self.rows, self.block_labels = VGroup(), VGroup(), {}
        x = left
        for i, (g, name, formula) in enumerate(zip(groups, names, formulas)):
            color = self.KIND_COLORS.get(g.kind, th.DIM)
            block = Rectangle(width=max(g.count * scale, 1e-3), height=self.STRIP_HEIGHT, fill_color=color,
                              fill_opacity=0.9 if g.count else 0, stroke_color=th.BACKGROUND,
                              stroke_width=1.5 if g.count else 0)
            self.blocks.add(block.move_to([x, strip_y, 0], aligned_edge=LEFT))
            text = label(name + "|", th.SMALL_SIZE - 2, th.BACKGROUND)  # the bar, invisible, gives every name
            text[-1].set_opacity(0)  # the same height, and the same nudge left of the block's middle
            if text.width + 0.06 <= block.width:
                self.block_labels[i] = text.move_to(block)
            x += g.count * scale
            self.rows.add(TallyRow(name, formula, f"{g.count:,}", color, left, width, top - i * self.ROW,
                                   self.FORMULA_RIGHT))
        bottom = top - (len(groups) - 0.35) * self.ROW
        self.rule = Line([left, bottom, 0], [self.right, bottom, 0], color=th.DIM, stroke_width=1.5)
        self.total_y = bottom - 0.6 * self.ROW
        self.add(self.blocks, *self.block_labels.values(), self.rows, self.rule)

    @staticmethod
    def formula(group: ParamGroup) -> str:
        """copies × rows × columns, the copies left out when there is one."""
        return " × ".join(f"{f:,}" for f in ([group.copies] if group.copies != 1 else []) + list(group.shape))

    def total_name(self, text: str) -> VMobject:
        """The total row's name, on the rows' baseline."""
        return line_text(text, th.SMALL_SIZE, keep_strut=True)[0].move_to([self.left + 0.3, self.total_y, 0],
                                                                           aligned_edge=LEFT)

    def total_label(self, count: int, final: bool) -> VMobject:
        """The running total after some rows, in the total row (highlighted once every row is in)."""
        mob = label(f"{count:,}", th.NUMBER_SIZE, th.HIGHLIGHT if final else th.TEXT, mono=True)
        return mob.move_to([self.right, self.total_y, 0], aligned_edge=RIGHT)
