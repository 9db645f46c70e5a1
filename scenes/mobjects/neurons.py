"""Neurons: an activation curve with every neuron placed on it, and callouts beside a heat map's rows."""
from __future__ import annotations
from collections.abc import Callable, Sequence
import numpy as np
from manim import DOWN, LEFT, UP, Axes, Dot, Line, VGroup, VMobject
from scenes import theme as th
from scenes.mobjects.numbers import HeatMap
from scenes.mobjects.text import label, number


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
