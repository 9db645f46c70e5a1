"""Scenes: the last vector becomes logits and probabilities; temperature; writing text one token at a time."""
from __future__ import annotations

import math

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, Arrow, Create, GrowFromEdge, LaggedStart, MathTypst,
    ReplacementTransform, RoundedRectangle, SurroundingRectangle, Transform, UpdateFromFunc, ValueTracker, VGroup,
    Write, smooth,
)

from gptmath.readout import Bars, bar_values, top_bars
from gptmath.sampling import generate

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.mobjects import GlyphText, MatrixWithEllipses, ProbabilityBars, TokenText, VectorColumn, elide, fit, label, number

T = "softmax"  # this module's catalogue: scenes/locales/softmax.toml

SOFTMAX = r"p_i = e^(z_i) / (sum_j e^(z_j))"
SOFTMAX_T = r"p_i = e^(z_i \/ T) / (sum_j e^(z_j \/ T))"
MAX_BARS = 12  # at most this many token rows fit the frame, whatever top_k asks for
BARS_HEIGHT = 5.0
T_MIN, T_MAX = 0.01, 5.0  # the temperature sweep
LOW_T, HIGH_T = 0.3, 2.0  # the two sampled continuations
N_SAMPLE = 16  # tokens per sampled continuation
N_GENERATE = 8  # rounds of the generation loop


def probability_bars(bars: Bars, rest_text: str, bar_length: float = 3.6) -> ProbabilityBars:
    """Bars for the tokens of `bars`, plus a last, dimmer row for all the other tokens together."""
    n = len(bars.values)
    bar_height = min(0.34, BARS_HEIGHT / n - 0.14)
    pb = ProbabilityBars([*map(th.show_spaces, bars.texts), "·"], bars.values, bar_length=bar_length,
                         bar_height=bar_height, font_size=min(th.LABEL_SIZE - 2, 62 * bar_height))
    row = pb.rows[-1]
    rest = label(rest_text, th.SMALL_SIZE, th.DIM)
    fit(rest, 2.2)
    rest.move_to(row[1]).align_to(row[0], RIGHT)
    row.submobjects[0] = pb.label_mobs.submobjects[-1] = rest
    pb.bars[-1].set_fill(th.DIM)
    return pb


def temperature_text(t: float) -> MathTypst:
    """T = 0.3 as a formula."""
    return MathTypst(f"T = {t:g}", color=th.HIGHLIGHT)


def readout_number(t: float) -> GlyphText:
    """The live temperature value beside "T =", e.g. 0.37."""
    return GlyphText(f"{t:.2f}", th.LABEL_SIZE + 8, th.HIGHLIGHT)


class Unembedding(GPTScene):
    """The last vector times the unembedding matrix gives logits; softmax turns the top ones into bars."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("unembed_title"))
        self.show_product()
        self.show_top_logits()
        self.show_softmax()

    def show_product(self) -> None:
        """Unembedding matrix (V rows × d) × final vector (d) = logits (V), one per vocabulary token."""
        model, trace = self.data.model, self.data.trace
        self.final_vector = trace["ln_final.hook_normalized"][-1]  # [d]
        self.logits = trace["logits"][-1]  # [V]
        V = model.config.vocab_size
        self.matrix = MatrixWithEllipses(model.weights.W_U.T, n_rows=7, n_cols=5, decimals=2, cell_width=0.72,
                                         row_name=self.tr("tokens"), col_name=self.tr("dims"))
        self.vector = VectorColumn(self.final_vector, n_shown=6, cell_height=0.3)
        self.logit_column = VectorColumn(self.logits, n_shown=7, cell_height=0.3, show_dimension=False)
        rows = elide(V, 6, up_to=7)
        names = iter(model.token_strings([r for r in rows if r is not None]))
        self.logit_labels = VGroup(*[
            label(th.show_spaces(next(names)), th.SMALL_SIZE, mono=True).next_to(cell, RIGHT, buff=0.3)
            for r, cell in zip(rows, self.logit_column.cells) if r is not None])
        for mob in self.logit_labels:
            fit(mob, 1.6)
        times, equals = label("×", th.TITLE_SIZE), label("=", th.TITLE_SIZE)
        logits = VGroup(self.logit_column, self.logit_labels)
        product = VGroup(self.matrix, times, self.vector, equals, logits).arrange(RIGHT, buff=0.35)
        product.move_to(0.1 * DOWN)
        fit(product, th.CONTENT_WIDTH)
        logits_head = label(self.tr("logits_head", v=f"{V:,}"), th.SMALL_SIZE, th.DIM).next_to(logits, UP, buff=0.25)
        token = th.show_spaces(self.data.tokens[-1])
        self.vector_head = label(self.tr("final_vector", token=token, norm=th.norm_name(model.config.norm)),
                                 th.SMALL_SIZE, th.DIM)
        fit(self.vector_head, 4.5)
        self.vector_head.next_to(product, DOWN, buff=0.3).set_x(self.vector.get_x())
        self.product = VGroup(product, logits_head, self.vector_head)
        self.show_caption(self.tr("product_caption", v=f"{V:,}"))
        self.play(FadeIn(self.matrix), FadeIn(times))
        self.play(FadeIn(self.vector, shift=0.2 * LEFT), FadeIn(self.vector_head))
        self.play(FadeIn(equals), FadeIn(self.logit_column), FadeIn(self.logit_labels), FadeIn(logits_head))
        if model.config.tied_embeddings:
            self.end_step()
            self.show_caption(self.tr("tied_caption"))
        self.end_step()

    def show_top_logits(self) -> None:
        """The highest logits, sorted, each beside its token."""
        model = self.data.model
        k = min(self.data.settings.top_k, MAX_BARS)
        self.top = top_bars(self.logits, 1.0, k, model.token_strings)
        n_rest = model.config.vocab_size - len(self.top.ids)
        self.bars = probability_bars(self.top, self.tr("rest", n=f"{n_rest:,}")).move_to([1.4, -0.75, 0])
        left = self.bars.rows[0][1].get_left()[0] - 2.2 - 0.5  # beside the widest token label
        self.logit_numbers = VGroup(*[number(z, 2, th.SMALL_SIZE).move_to(row[1]).align_to([left, 0, 0], RIGHT)
                                      for z, row in zip(self.top.logits, self.bars.rows)])
        self.logit_header = label(self.tr("logit"), th.SMALL_SIZE, th.DIM).next_to(self.logit_numbers, UP, buff=0.25)
        self.show_caption(self.tr("top_caption", k=len(self.top.ids)))
        self.play(FadeOut(self.product))
        self.play(FadeIn(self.logit_header),
                  LaggedStart(*[FadeIn(VGroup(z, row[0]), shift=0.2 * UP)
                                for z, row in zip(self.logit_numbers, self.bars.rows)], lag_ratio=0.08))
        self.end_step()

    def show_softmax(self) -> None:
        """The formula, then each probability as a bar, with everything else's share last."""
        self.formula = MathTypst(SOFTMAX, color=th.TEXT)
        self.formula.scale_to_fit_height(0.85).move_to([self.bars.get_x(), 2.55, 0])
        header = label(self.tr("probability"), th.SMALL_SIZE, th.DIM)
        header.next_to(self.bars.rows[0][1], UP, buff=0.25).align_to(self.bars.rows[0][1], LEFT)
        self.logit_header.align_to(header, DOWN)
        self.show_caption(self.tr("softmax_caption", v=f"{self.data.model.config.vocab_size:,}"))
        self.play(Write(self.formula))
        self.play(FadeIn(header), FadeIn(self.bars.rows[-1][0]), *[FadeIn(row[1]) for row in self.bars.rows])
        self.play(*[GrowFromEdge(row[2], LEFT) for row in self.bars.rows],
                  *[FadeIn(row[3]) for row in self.bars.rows], run_time=1.5)
        self.end_step(2)
