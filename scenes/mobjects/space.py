"""Embedding space: a turning 3-D cloud of words, cosine-similarity bars, values along one direction."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from manim import DL, DOWN, DR, LEFT, ORIGIN, RIGHT, UL, UP, UR, Dot, Line, ManimColor, Mobject, Rectangle, \
    ValueTracker, VGroup

from gptmath.embedding_space import rotate_view
from scenes import theme as th
from scenes.mobjects.text import fit, label, number

PLACES = [RIGHT, LEFT, UR, DR, UL, DL, UP, DOWN]  # a label's places around its dot, best first


class RotatingCloud(VGroup):
    """Labelled 3-D points seen by a camera turning about the vertical axis; nearer points are bigger and brighter.

    Animate `azimuth` (a ValueTracker, radians) and the view follows; gptmath projects the points.

    Parameters
    ----------
    points : np.ndarray
        [n, 3] coordinates, e.g. the first three principal components of n embeddings.
    texts : list of str
        A label per point.
    colors : list of ManimColor
        A colour per point.
    radius : float
        The farthest point's distance from `centre`, in frame units.
    elevation : float
        How far the camera looks down on the points (radians).
    centre : np.ndarray
        Where the origin of the points is drawn.
    font_size : float
        The labels' size.

    Examples
    --------
    >>> cloud = RotatingCloud(np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]), ["cat", "dog", "sun"], [th.POSITIVE] * 3)
    """

    def __init__(self, points: np.ndarray, texts: list[str], colors: list[ManimColor], radius: float = 2.7,
                 elevation: float = 0.35, centre: np.ndarray = ORIGIN, font_size: float = th.NUMBER_SIZE) -> None:
        super().__init__()
        points = np.asarray(points, dtype=float)
        self.points3d = points * (radius / (float(np.linalg.norm(points, axis=1).max()) or 1.0))
        self.texts, self.radius, self.elevation = list(texts), radius, elevation
        self.azimuth = ValueTracker(0.0)
        self.centre = np.asarray(centre, dtype=float)
        self.axes = VGroup(*[Line(ORIGIN, RIGHT, stroke_color=th.FAINT, stroke_width=2) for _ in range(3)])
        self.dots = VGroup(*[Dot(radius=0.07, color=c) for c in colors])
        self.labels = VGroup(*[label(th.show_spaces(t), font_size, c, mono=True) for t, c in zip(self.texts, colors)])
        self.add(self.axes, self.dots, self.labels)
        self.turn()
        self.add_updater(lambda m: m.turn())

    def turn(self) -> RotatingCloud:
        """Place axes, dots and labels for the current azimuth."""
        az = self.azimuth.get_value()
        axes = rotate_view(np.eye(3) * self.radius, az, self.elevation)
        for line, end in zip(self.axes, axes):
            line.put_start_and_end_on(self.centre - end * [1, 1, 0], self.centre + end * [1, 1, 0])
        view = rotate_view(self.points3d, az, self.elevation)
        near = (view[:, 2] / self.radius + 1) / 2  # 0 far .. 1 near
        for dot, text, (x, y, _), n in zip(self.dots, self.labels, view, near):
            dot.move_to(self.centre + [x, y, 0]).set_opacity(0.35 + 0.65 * n)
            dot.scale_to_fit_width(0.09 + 0.08 * n)
            text.set_opacity(0.35 + 0.65 * n)
        placed: list[Mobject] = list(self.dots)
        for i in np.argsort(-view[:, 2]):  # nearest first: their labels keep their place
            dot, text = self.dots[i], self.labels[i]
            for side in PLACES:  # the first place touching the dot that covers no dot and no nearer label
                text.next_to(dot, side, buff=0.04)
                if not any(_overlap(text, other) for other in placed if other is not dot):
                    break
            else:
                text.next_to(dot, RIGHT, buff=0.04)
            placed.append(text)
        return self


def clearest_azimuth(points: np.ndarray, elevation: float, n: int = 24) -> float:
    """Of n camera turns, the one at which the two closest points lie farthest apart on screen.

    Examples
    --------
    >>> azimuth = clearest_azimuth(np.array([[1.0, 0, 0], [0, 0, 1], [0, 1, 0]]), elevation=0.35)
    """
    def closest(azimuth: float) -> float:
        xy = rotate_view(points, azimuth, elevation)[:, :2]
        gaps = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy)) * 1e9
        return float(gaps.min())

    return max(np.linspace(0, 2 * math.pi, n, endpoint=False), key=closest)


def _overlap(a: Mobject, b: Mobject) -> bool:
    return (abs(a.get_x() - b.get_x()) < (a.width + b.width) / 2
            and abs(a.get_y() - b.get_y()) < (a.height + b.height) / 2)


def dot_legend(entries: Sequence[tuple[ManimColor, str]], font_size: float = th.LABEL_SIZE) -> VGroup:
    """A legend: a coloured dot and its text per entry, one under another.

    Examples
    --------
    >>> legend = dot_legend([(th.token_color(0), "animals"), (th.token_color(1), "colours")])
    """
    return VGroup(*[VGroup(Dot(radius=0.1, color=color), label(text, font_size)).arrange(RIGHT, buff=0.2)
                    for color, text in entries]).arrange(DOWN, buff=0.25, aligned_edge=LEFT)


class SimilarityBars(VGroup):
    """A row per token: its text, a bar as long as its cosine similarity (coloured by sign), the value.

    Parameters
    ----------
    texts : sequence of str
        The tokens, drawn with their spaces made visible.
    values : sequence of float
        Their cosine similarities, in -1..1.
    bar_length : float
        The length of a bar at similarity ±1.
    name_width : float
        The widest a token's text may be.

    Examples
    --------
    >>> bars = SimilarityBars([" cat", " dog", " sun"], [0.61, 0.44, -0.12])
    """

    def __init__(self, texts: Sequence[str], values: Sequence[float], bar_length: float = 2.4,
                 name_width: float = 2.2) -> None:
        super().__init__()
        self.values = [float(v) for v in values]
        for j, (text, cos) in enumerate(zip(texts, self.values)):
            name = label(th.show_spaces(text), th.LABEL_SIZE - 2, mono=True)
            fit(name, name_width)
            bar = Rectangle(width=max(abs(cos), 0.01) * bar_length, height=0.26, stroke_width=0, fill_opacity=1,
                            fill_color=th.value_color(cos, 1.0))
            value = number(cos, 2, th.LABEL_SIZE - 4)
            y = -0.45 * j
            name.move_to([-0.1, y, 0], aligned_edge=RIGHT)
            bar.move_to([0.1, y, 0], aligned_edge=LEFT)
            value.next_to(bar, RIGHT, buff=0.15)
            self.add(VGroup(name, bar, value))


def round_ticks(lo: float, hi: float, n: int) -> tuple[list[float], int]:
    """About n round values (steps of 1, 2 or 5 times a power of ten) within [lo, hi], and the decimals they need.

    Examples
    --------
    >>> round_ticks(-0.25, 0.27, 5)
    ([-0.2, -0.1, 0.0, 0.1, 0.2], 1)
    """
    raw = (hi - lo) / max(n - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda step: abs(math.log(step / raw)))
    first = math.ceil(lo / step - 1e-9)
    values = [round(k * step, 12) + 0.0 for k in range(first, math.floor(hi / step + 1e-9) + 1)]
    return values, max(0, -math.floor(math.log10(step) + 1e-9))


class DotProductLine(VGroup):
    """Values on a horizontal line: a dot per value, its label stacked above so no labels overlap.

    Round ticks hang below the line; `markers` holds (stem, dot, label) per value, left to right.

    Parameters
    ----------
    values : np.ndarray
        [n] the values placed, e.g. dot products with a direction.
    texts : list of str
        A label per value.
    colors : list of ManimColor
        A colour per value.
    width : float
        The line's length.
    font_size : float
        The labels' size.
    n_ticks : int
        About how many round values are marked.

    Examples
    --------
    >>> line = DotProductLine(np.array([-1.2, 0.3, 2.5]), [" he", " it", " she"], [th.POSITIVE] * 3, width=8.0)
    """

    def __init__(self, values: np.ndarray, texts: list[str], colors: list[ManimColor], width: float = 12.0,
                 font_size: float = th.SMALL_SIZE, n_ticks: int = 5) -> None:
        super().__init__()
        self.values = np.asarray(values, dtype=float)
        lo, hi = float(self.values.min()), float(self.values.max())
        pad = 0.08 * (hi - lo or 1.0)
        self.lo, self.hi = lo - pad, hi + pad
        self.line = Line([-width / 2, 0, 0], [width / 2, 0, 0], stroke_color=th.DIM, stroke_width=2)
        self.ticks = VGroup()  # at round values, hanging below the line so that no tick crosses a dot
        self.tick_values, decimals = round_ticks(self.lo, self.hi, n_ticks)
        for v in self.tick_values:
            x = self.x(v)
            self.ticks.add(VGroup(Line([x, 0, 0], [x, -0.14, 0], stroke_color=th.DIM, stroke_width=2),
                                  number(v, decimals, th.NUMBER_SIZE, th.DIM).move_to([x, -0.34, 0])))
        self.markers = VGroup()
        tiers: list[float] = []  # right edge of the last label in each row above the line
        for i in np.argsort(self.values):
            x = self.x(self.values[i])
            text = label(th.show_spaces(texts[i]), font_size, colors[i], mono=True)
            tier = next((t for t, right in enumerate(tiers) if right < x - text.width / 2 - 0.08), len(tiers))
            tiers[tier:tier + 1] = [x + text.width / 2]
            text.move_to([x, 0.35 + 0.36 * tier, 0])
            stem = Line([x, 0, 0], [x, text.get_bottom()[1] - 0.03, 0], stroke_color=colors[i], stroke_width=1,
                        stroke_opacity=0.6)
            self.markers.add(VGroup(stem, Dot([x, 0, 0], radius=0.06, color=colors[i]), text))
        self.add(self.line, self.ticks, self.markers)

    def x(self, value: float) -> float:
        """Where a value lies along the line."""
        return self.line.get_left()[0] + (value - self.lo) / (self.hi - self.lo) * self.line.width
