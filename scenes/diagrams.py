"""Reusable pieces for the story's later chapters: arcs over a token row, a loss curve, a chat transcript."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from manim import DOWN, LEFT, ORIGIN, RIGHT, UP, ArcBetweenPoints, Circle, Dot, Line, RoundedRectangle, VGroup, VMobject

from scenes import theme as th
from scenes.mobjects import TokenRow, fit, label, number


class ArcDiagram(VGroup):
    """Arcs above a one-line token row: each from a query token to an earlier token it reads.

    An arc's thickness and opacity grow with the attention weight; a token reading
    itself gets a ring above it. Links to tokens the row elides are left out.

        row = TokenRow(["The", " cat", " sat"], max_lines=1)
        arcs = ArcDiagram(row, [(2, 1, 0.7), (2, 0, 0.3)], color=th.QUERY)
        arcs.arc(2, 1)   # the drawn arc from " sat" to " cat"
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

    def from_query(self, query: int) -> VGroup:
        """Every drawn arc leaving one query token."""
        return VGroup(*[a for (q, _), a in self.arcs.items() if q == query])


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



class ChatTranscript(VGroup):
    """A chat script as the model reads it: role markers as coloured chips, the turns' text wrapped between them.

        ChatTranscript([("<|user|>", True), ("Tell me a story.", False), ("<|end|>", True)], max_width=8)

    `segments` are (text, is_marker) in order, e.g. from gptmath.chat.split_markers;
    a newline in a text starts a new line. `markers` holds the chips, `texts` the text pieces.
    """

    ROLE_COLORS = {"system": th.TEXT, "user": th.KEY, "assistant": th.QUERY, "end": th.DIM}

    def __init__(self, segments: Sequence[tuple[str, bool]], max_width: float = 9.0, font_size: float = th.SMALL_SIZE,
                 line_height: float | None = None) -> None:
        super().__init__()
        self.markers, self.texts, self.lines = VGroup(), VGroup(), VGroup()
        self.font_size, self.max_width = font_size, max_width
        self.line_height = line_height or font_size / 48 * 0.75 + 0.22
        self.x, self.line = 0.0, VGroup()
        for text, is_marker in segments:
            if is_marker:
                self._place(self._chip(text), 0.0, self.markers)
                continue
            for n, paragraph in enumerate(text.split("\n")):
                if n > 0:
                    self._new_line()
                self._flow(paragraph)
        self._new_line()
        self.add(self.lines)
        del self.x, self.line

    def _flow(self, text: str) -> None:
        """Words of `text` onto the current line, as long runs as fit, then onto new lines."""
        words, run = text.split(" "), ""
        for word in words:
            trial = f"{run} {word}" if run else word
            if run and self.x + _line_text(trial, self.font_size)[0].width > self.max_width:
                self._place(*_line_text(run, self.font_size), self.texts)
                self._new_line()
                trial = word
            run = trial
        if run.strip():
            self._place(*_line_text(run, self.font_size), self.texts)

    def _place(self, mob: VMobject, offset: float, group: VGroup) -> None:
        """Put mob at the cursor, its line middle on the current line's middle."""
        gap = 0.1 if len(self.line) else 0.0
        if len(self.line) and self.x + gap + mob.width > self.max_width:
            self._new_line()
            gap = 0.0
        y = -len(self.lines) * self.line_height
        mob.move_to([self.x + gap + mob.width / 2, y + offset, 0])
        self.x += gap + mob.width
        self.line.add(mob)
        group.add(mob)

    def _new_line(self) -> None:
        if len(self.line):
            self.lines.add(self.line)
        self.x, self.line = 0.0, VGroup()

    def _chip(self, marker: str) -> VGroup:
        role = marker.strip("<|>")
        color = self.ROLE_COLORS.get(role, th.HIGHLIGHT)
        text = label(marker, self.font_size * 0.85, color, mono=True)
        box = RoundedRectangle(corner_radius=0.05, width=text.width + 0.14, height=self.line_height * 0.8,
                               stroke_color=color, stroke_width=1.5, fill_color=color, fill_opacity=0.18)
        chip = VGroup(box, text.move_to(box))
        chip.role = role
        return chip


def _line_text(text: str, font_size: float) -> tuple[VMobject, float]:
    """A text and how far its ink's centre lies above the middle of its line (so baselines can line up)."""
    made = label("|" + text, font_size)
    strut = made.submobjects[0]
    made.remove(strut)
    return made, made.get_center()[1] - strut.get_center()[1]
