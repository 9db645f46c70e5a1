"""Scenes: token ids pick columns of the embedding matrix; embeddings as points in space."""
from __future__ import annotations

import math

import numpy as np
from manim import (
    DL, DOWN, DR, LEFT, ORIGIN, RIGHT, UL, UP, UR, Create, Dot, LaggedStart, Line, Rectangle,
    SurroundingRectangle, TransformFromCopy, ValueTracker, VGroup, Write, linear,
)

from gptmath.embedding_space import (
    direction_scores, nearest_neighbours, principal_components, rotate_view, single_token_ids, vocabulary_words,
)
from gptmath import hooks
from gptmath.params import parameter_tally

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut, MoveScale
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import MatrixWithEllipses, VectorColumn, elide, fit, label, line_text, number

T = "embedding"  # this module's catalogue: scenes/locales/embedding.toml

MAX_SLOTS = 9  # vectors side by side; longer prompts show their first and last tokens around "…"
ROW_LABEL_WIDTH = 3.0
SLOTS_LEFT, SLOTS_RIGHT = -3.4, 5.6  # x range of the vector columns (the last one's brace and size go beyond)
TOKEN_Y, POSITION_Y, SUM_Y = 1.15, -1.35, -0.1
NOTES_BOTTOM = -3.15  # lowest the matrix's notes go, above the caption

# The cloud's word groups and the direction's word pairs come from the language's catalogue (words_0.. and
# direction/direction_pairs in scenes/locales/embedding.toml: "|" between words, "/" inside a pair); words the
# tokenizer splits into several tokens are left out, and the scene says how many words it shows.
N_GROUPS = 4


def cloud_groups(lang: str) -> list[list[str]]:
    return [tr(T, f"words_{g}", lang).split("|") for g in range(N_GROUPS)]


def direction_pairs(lang: str) -> list[tuple[str, str]]:
    """The main pair (e.g. " she", " he") first, then the pairs placed along its direction."""
    return [tuple(pair.split("/")) for pair in [tr(T, "direction", lang), *tr(T, "direction_pairs", lang).split("|")]]


CLOUD_CENTRE = np.array([-3.3, -0.3, 0.0])
PANEL_WIDTH = 5.6  # the text beside the cloud
MIN_WORDS = 8  # fewer single-token words than this: use whole-word tokens of the vocabulary instead
N_NEIGHBOURS = 6


class RotatingCloud(VGroup):
    """Labelled 3-D points seen by a camera turning about the vertical axis; nearer points are bigger and brighter.

    `azimuth` is a ValueTracker (radians): animate it and the view follows, the projection done by gptmath.
    """

    def __init__(self, points: np.ndarray, texts: list[str], colors: list, radius: float = 2.7,
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

    def turn(self) -> "RotatingCloud":
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
        placed: list = list(self.dots)
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
    """Of n camera turns, the one at which the two closest points lie farthest apart on screen."""
    def closest(azimuth: float) -> float:
        xy = rotate_view(points, azimuth, elevation)[:, :2]
        gaps = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy)) * 1e9
        return float(gaps.min())

    return max(np.linspace(0, 2 * math.pi, n, endpoint=False), key=closest)


PLACES = [RIGHT, LEFT, UR, DR, UL, DL, UP, DOWN]  # a label's places around its dot, best first


def _overlap(a, b) -> bool:
    return (abs(a.get_x() - b.get_x()) < (a.width + b.width) / 2
            and abs(a.get_y() - b.get_y()) < (a.height + b.height) / 2)


class EmbeddingSpace(GPTScene):
    """Real embeddings as a rotating 3-D cloud (PCA), a token's nearest neighbours, one direction as a line."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("space_title"))
        self.show_cloud()
        self.show_neighbours()
        self.show_direction()

    def cloud_words(self) -> tuple[dict[str, int], list, list[int]]:
        """{word: id} of the cloud, each word's colour, and the groups present (for the legend).

        With a tokenizer that splits too many of the words, whole-word tokens of its vocabulary instead (no groups).
        """
        model = self.data.model
        words, colors, groups = {}, [], []
        for g, group in enumerate(cloud_groups(self.settings.lang)):
            found = single_token_ids(model, group)
            words.update(found)
            colors += [th.token_color(g)] * len(found)
            groups += [g] if found else []
        if len(words) < MIN_WORDS:
            words = vocabulary_words(model, 2 * MIN_WORDS)
            return words, [th.token_color(0)] * len(words), []
        return words, colors, groups

    def show_cloud(self) -> None:
        """PCA of the chosen embeddings, turning once around, with a legend of the word groups."""
        W_E = self.data.model.weights.W_E
        self.words, colors, groups = self.cloud_words()
        self.pca = principal_components(W_E[list(self.words.values())])
        self.cloud = RotatingCloud(self.pca.points, list(self.words), colors, centre=CLOUD_CENTRE)
        start = clearest_azimuth(self.cloud.points3d, self.cloud.elevation)
        self.cloud.azimuth.set_value(start)
        self.cloud.turn()
        pct = f"{100 * self.pca.explained.sum():.0f}"
        heading = label(self.tr("pca_axes", n=len(self.words), pct=pct), th.LABEL_SIZE, th.HIGHLIGHT)
        fit(heading, PANEL_WIDTH)
        legend = VGroup(*[VGroup(Dot(radius=0.1, color=th.token_color(g)),
                                 label(self.tr(f"group_{g}"), th.LABEL_SIZE))
                          .arrange(RIGHT, buff=0.2) for g in groups]).arrange(DOWN, buff=0.25, aligned_edge=LEFT)
        self.legend = VGroup(heading, legend).arrange(DOWN, buff=0.5)
        self.fit_right_panel(self.legend)
        self.show_caption(self.tr("pca_caption", n=len(self.words), d=f"{W_E.shape[1]:,}", pct=pct))
        self.play(Create(self.cloud.axes), FadeIn(self.cloud.dots), FadeIn(self.cloud.labels), FadeIn(self.legend))
        self.play(self.cloud.azimuth.animate.set_value(start + 2 * math.pi), run_time=10, rate_func=linear)
        self.cloud.clear_updaters()
        self.remove(self.cloud.azimuth)  # the tracker is not drawn, but play() added it to the scene
        self.end_step()

    @staticmethod
    def fit_right_panel(mob: VGroup) -> VGroup:
        """Scale a group into the right half of the frame, beside the cloud."""
        fit(mob, PANEL_WIDTH, height=5.6)
        return mob.move_to([th.FRAME_WIDTH / 2 - th.EDGE - PANEL_WIDTH / 2, CLOUD_CENTRE[1], 0])

    def show_neighbours(self) -> None:
        """The tokens whose embeddings point most nearly the same way as the configured token's."""
        model, p = self.data.model, self.data.position
        self.neighbours = nearest_neighbours(model.weights.W_E, self.data.ids[p], N_NEIGHBOURS)
        texts = model.token_strings([i for i, _ in self.neighbours])
        title = label(self.tr("neighbours_title", token=th.show_spaces(self.data.tokens[p])), th.LABEL_SIZE,
                      th.HIGHLIGHT)
        header = label(self.tr("neighbours_header"), th.SMALL_SIZE, th.DIM)
        self.neighbour_rows = VGroup()
        for j, (text, (_, cos)) in enumerate(zip(texts, self.neighbours)):
            name = label(th.show_spaces(text), th.LABEL_SIZE - 2, mono=True)
            fit(name, 2.2)
            bar = Rectangle(width=max(abs(cos), 0.01) * 2.4, height=0.26, stroke_width=0, fill_opacity=1,
                            fill_color=th.value_color(cos, 1.0))
            value = number(cos, 2, th.LABEL_SIZE - 4)
            y = -0.45 * j
            name.move_to([-0.1, y, 0], aligned_edge=RIGHT)
            bar.move_to([0.1, y, 0], aligned_edge=LEFT)
            value.next_to(bar, RIGHT, buff=0.15)
            self.neighbour_rows.add(VGroup(name, bar, value))
        self.neighbour_table = VGroup(title, header, self.neighbour_rows).arrange(DOWN, buff=0.3)
        self.fit_right_panel(self.neighbour_table)
        self.show_caption(self.tr("neighbours_caption", v=f"{model.config.vocab_size:,}"))
        self.play(FadeOut(self.legend), FadeIn(title), FadeIn(header))
        self.play(LaggedStart(*[FadeIn(r, shift=0.2 * LEFT) for r in self.neighbour_rows], lag_ratio=0.12))
        self.end_step()

    def direction_words(self) -> tuple[tuple[int, int], dict[str, int], list]:
        """The two tokens giving the direction, the tokens placed along it, and their colours (one per pair)."""
        model = self.data.model
        pairs = direction_pairs(self.settings.lang)
        ends = single_token_ids(model, pairs[0])
        words, colors = {}, []
        for j, pair in enumerate(pairs):
            found = single_token_ids(model, pair)
            words.update(found)
            colors += [th.HIGHLIGHT if j == 0 else th.token_color(j)] * len(found)
        if len(ends) < 2 or len(words) < 4:  # the tokenizer splits these words: use the cloud's instead
            words = dict(list(self.words.items())[:MIN_WORDS])
            colors = [th.token_color(j // 2) for j in range(len(words))]
            ends = dict(list(words.items())[:2])
        return tuple(ends.values()), words, colors

    def show_direction(self) -> None:
        """Dot products with the difference of two embeddings, on a number line."""
        model = self.data.model
        (plus, minus), words, colors = self.direction_words()
        self.direction_ids = (plus, minus)
        self.direction_tokens = list(words)
        self.direction_values = direction_scores(model.weights.W_E, list(words.values()), plus, minus)
        names = model.token_strings([plus, minus])
        plus_text, minus_text = (th.show_spaces(n) for n in names)
        self.number_line = DotProductLine(self.direction_values, list(words), colors, width=th.CONTENT_WIDTH - 0.6)
        axis = label(self.tr("direction_axis", plus=plus_text, minus=minus_text), th.SMALL_SIZE, th.DIM)
        self.number_line.move_to(0.3 * DOWN)
        axis.next_to(self.number_line.ticks, DOWN, buff=0.3)
        heading = label(self.tr("direction_title", plus=plus_text, minus=minus_text), th.LABEL_SIZE, th.HIGHLIGHT)
        self.direction_group = VGroup(heading, self.number_line, axis)
        self.show_caption(self.tr("direction_caption"))
        self.play(FadeOut(self.cloud), FadeOut(self.neighbour_table))
        heading.next_to(self.title_mob, DOWN, buff=0.35).align_to(self.title_mob, LEFT)
        self.play(FadeIn(heading), Create(self.number_line.line), FadeIn(self.number_line.ticks), FadeIn(axis))
        self.play(LaggedStart(*[FadeIn(m, shift=0.2 * DOWN) for m in self.number_line.markers], lag_ratio=0.08),
                  run_time=2)
        self.end_step(2)


def round_ticks(lo: float, hi: float, n: int) -> tuple[list[float], int]:
    """About n round values (steps of 1, 2 or 5 times a power of ten) within [lo, hi], and the decimals they need.

        round_ticks(-0.25, 0.27, 5) == ([-0.2, -0.1, 0.0, 0.1, 0.2], 1)
    """
    raw = (hi - lo) / max(n - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda step: abs(math.log(step / raw)))
    first = math.ceil(lo / step - 1e-9)
    values = [round(k * step, 12) + 0.0 for k in range(first, math.floor(hi / step + 1e-9) + 1)]
    return values, max(0, -math.floor(math.log10(step) + 1e-9))


class DotProductLine(VGroup):
    """Values on a horizontal line: a dot per value, its label stacked above or below so no labels overlap."""

    def __init__(self, values: np.ndarray, texts: list[str], colors: list, width: float = 12.0,
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
