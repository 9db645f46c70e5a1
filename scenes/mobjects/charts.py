"""Charts and diagrams: probability bars that update in place, next-token bars, a temperature readout, a loss
curve on a log scale of steps, the unembedding product, blocks on the residual stream, a parameter tally."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from manim import (
    DOWN, LEFT, ORIGIN, RIGHT, UP, Dot, Group, Line, MathTypst, Rectangle, Square, ValueTracker, VGroup, VMobject,
)

from gptmath.readout import Bars
from scenes import theme as th
from scenes.mobjects.numbers import HeatMap
from scenes.mobjects.text import GlyphText, fit, label, number


REST_WIDTH = 3.6  # room for NextTokenBars' last row name ("other 1,019 (not drawn)") at th.SMALL_SIZE, unshrunk


def percent(p: float) -> str:
    """A probability as the bars write it: one decimal and a percent sign (0.6219 -> "62.2%")."""
    return f"{100 * p:.1f}%"


class ProbabilityBars(VGroup):
    """Horizontal bars: token label, bar length ∝ probability, percentage; updatable in place (`set_probs`).

    Parameters
    ----------
    labels : sequence of str
        One token (or name) per bar.
    probs : sequence of float
        Their probabilities, 0..1.
    bar_length : float
        Length of a bar at 100 %.
    bar_height : float
        Thickness of a bar.
    font_size : float
        Size of the labels.
    color : ManimColor
        Colour of the bars.
    label_width : float
        Room for the labels left of the bars.

    Examples
    --------
    >>> bars = ProbabilityBars([" girl", " boy", " dog"], [0.62, 0.16, 0.05])
    """

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
            text = percent(p)
            if getattr(self.percents[i], "text", None) == text:
                continue  # the same percentage, already written
            pct = GlyphText(text, self.font_size * 0.9)
            pct.shift([track.get_right()[0] + 0.15, track.get_center()[1], 0])
            row.submobjects[3] = self.percents.submobjects[i] = pct
        return self


class LossCurve(VGroup):
    """A loss curve against training steps on a log scale, step 0 drawn left of a break; labels are real numbers.

    `point(step)` is where one plotted step sits.

    Parameters
    ----------
    steps : sequence of int
        Training steps (0 allowed), increasing.
    losses : sequence of float
        The loss at each step.
    width, height : float
        Size of the axes.
    x_label, y_label : str
        Axis names.
    color : ManimColor
        Colour of the curve and its dots.

    Examples
    --------
    >>> curve = LossCurve([0, 30, 100, 1000], [8.3, 7.9, 6.5, 4.0], y_label="held-out loss")
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


class NextTokenBars(ProbabilityBars):
    """A readout's likeliest next tokens as bars, then one dimmer row for all the other tokens together.

    `top` keeps the readout; the last row is the others', named by `rest_text`.

    Parameters
    ----------
    top : Bars
        The tokens with bars and everything else's share (gptmath.readout.top_bars).
    rest_text : str
        The last row's name, e.g. "50,245 other tokens".
    bar_length : float
        Length of a bar at 100 %.
    height : float
        Height the rows share: the more rows, the thinner each.

    Examples
    --------
    >>> from gptmath.readout import Bars
    >>> bars = NextTokenBars(Bars([7, 3], [" girl", " boy"], [4.1, 2.7], [0.62, 0.16], 0.22), "all the others")
    """

    def __init__(self, top: Bars, rest_text: str, bar_length: float = 3.6, height: float = 5.0) -> None:
        bar_height = min(0.34, height / len(top.values) - 0.14)
        super().__init__([*map(th.show_spaces, top.texts), "·"], top.values, bar_length=bar_length,
                         bar_height=bar_height, font_size=min(th.LABEL_SIZE - 2, 62 * bar_height))
        self.top = top
        row = self.rows[-1]
        rest = fit(label(rest_text, th.SMALL_SIZE, th.DIM), REST_WIDTH)  # may reach left of the token labels
        rest.move_to(row[1]).align_to(row[0], RIGHT)
        row.submobjects[0] = self.label_mobs.submobjects[-1] = rest
        self.bars[-1].set_fill(th.DIM)

    def numbers_beside(self, values: Sequence[float], gap: float = 0.5) -> VGroup:
        """One number per token row (logits, say), right-aligned in a column `gap` left of the labels' room."""
        left = self.rows[0][1].get_left()[0] - 2.2 - gap
        return VGroup(*[number(v, 2, th.SMALL_SIZE).move_to(row[1]).align_to([left, 0, 0], RIGHT)
                        for v, row in zip(values, self.rows)])


def temperature_text(t: float) -> MathTypst:
    """A temperature as a formula, "T = 0.3".

    Parameters
    ----------
    t : float
        The temperature.

    Examples
    --------
    >>> head = temperature_text(0.3).scale_to_fit_height(0.4)
    """
    return MathTypst(f"T = {t:g}", color=th.HIGHLIGHT)


class TemperatureReadout(VGroup):
    """"T = 1.00", its value following `tracker`, the log of a temperature that animations move.

    Animate the tracker and let the value follow: `UpdateFromFunc(readout[1], readout.follow)`.

    Parameters
    ----------
    t : float
        The temperature shown first.

    Examples
    --------
    >>> readout = TemperatureReadout(1.0)
    >>> readout.tracker.set_value(np.log(0.3))
    >>> readout.follow(readout[1])
    """

    def __init__(self, t: float = 1.0) -> None:
        super().__init__(MathTypst("T =", color=th.HIGHLIGHT).scale_to_fit_height(0.32), self.value_text(t))
        self.arrange(RIGHT, buff=0.2)
        self.tracker = ValueTracker(math.log(t))

    @property
    def temperature(self) -> float:
        return math.exp(self.tracker.get_value())

    @staticmethod
    def value_text(t: float) -> GlyphText:
        return GlyphText(f"{t:.2f}", th.LABEL_SIZE + 8, th.HIGHLIGHT)

    def follow(self, value: GlyphText) -> None:
        """Rewrite the value (`self[1]`, cached glyphs: cheap) when its two decimals change."""
        new = self.value_text(self.temperature)
        if new.text != value.text:
            value.become(new.move_to(value, aligned_edge=LEFT))
            value.text = new.text


def before_after(name: str, before: str, after: str, size: float = th.LABEL_SIZE) -> VGroup:
    """One row "name  before → after": a number before a change and, highlighted, after it.

    Parameters
    ----------
    name : str
        What the numbers are (written dim, a little smaller).
    before, after : str
        The numbers as they are to be written.
    size : float
        Font size of the numbers and the arrow.

    Returns
    -------
    VGroup
        (name, before, arrow, after): `row[3]` is the new number.

    Examples
    --------
    >>> row = before_after("loss", "0.538", "0.387")
    """
    row = VGroup(label(name, size - 2, th.DIM), label(before, size, mono=True), label("→", size, th.DIM),
                 label(after, size, th.HIGHLIGHT, mono=True))
    return row.arrange(RIGHT, buff=0.3)


class AreaComparison(VGroup):
    """Two amounts as areas: a big square, and in its lower left corner a square with `small / big` of its area.

    A small square whose side would be under `min_side` is drawn that big, so that it stays visible; `enlarged`
    says so. `big` and `small` are the two squares (the big one centred at the origin until moved).

    Parameters
    ----------
    big, small : float
        The two amounts (tokens read, say); `small` may be 0 (drawn at `min_side`).
    side : float
        Side of the big square.
    min_side : float
        The smallest side drawn.

    Examples
    --------
    >>> areas = AreaComparison(300e9, 61.4e6)
    """

    def __init__(self, big: float, small: float, side: float = 4.2, min_side: float = 0.06) -> None:
        super().__init__()
        true_side = side * math.sqrt(small / big) if small else 0.0
        self.enlarged = true_side < min_side
        self.big = Square(side, stroke_color=th.DIM, fill_color=th.POSITIVE, fill_opacity=0.25)
        self.small = Square(max(true_side, min_side), stroke_width=0, fill_color=th.HIGHLIGHT, fill_opacity=1)
        self.small.align_to(self.big, DOWN + LEFT)
        self.add(self.big, self.small)


class LossStrip(Group):
    """The loss at each token as one strip of cells (redder: more surprised), a line where a repeat starts.

    `cells` is the strip without the line (a HeatMap), `losses` the values drawn; the strip's centre is the
    cells' centre.

    Parameters
    ----------
    losses : ndarray
        [p] nats per token, in order.
    split : int
        The position the line is drawn before (where the repeat starts).
    width, height : float
        Size of the strip of cells.

    Examples
    --------
    >>> strip = LossStrip(np.array([6.1, 5.8, 6.3, 0.4, 0.2, 0.3]), split=3)
    """

    def __init__(self, losses: np.ndarray, split: int, width: float = 5.6, height: float = 0.45) -> None:
        super().__init__()
        self.losses = np.asarray(losses, dtype=float)
        self.cells = HeatMap(-self.losses[None, :], width=width, height=height, scale=float(self.losses.max()))
        x = self.cells.get_left() + RIGHT * self.cells.width * split / len(self.losses)
        self.split_line = Line(x + UP * 0.35, x + DOWN * 0.35, color=th.TEXT, stroke_width=3)
        self.add(self.cells, self.split_line)
