"""Charts: probability bars that update in place, and a loss curve on a log scale of steps."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from manim import DOWN, LEFT, ORIGIN, RIGHT, UP, Dot, Line, Rectangle, VGroup, VMobject

from scenes import theme as th
from scenes.mobjects.text import GlyphText, fit, label, number


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
