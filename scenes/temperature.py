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


class Temperature(GPTScene):
    """The same logits at temperatures from near 0 to 5, then a cool and a hot continuation, same seed."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("temp_title"))
        self.show_bars()
        self.sweep(T_MIN, "cold_caption")
        self.sweep(T_MAX, "hot_caption")
        self.show_samples()

    @property
    def temperature(self) -> float:
        return math.exp(self.log_t.get_value())

    def show_bars(self) -> None:
        """Bars for the top tokens at T = 1, updated live from the temperature tracker."""
        model = self.data.model
        self.logits = self.data.trace["logits"][-1]
        self.top = top_bars(self.logits, 1.0, min(self.data.settings.top_k, MAX_BARS), model.token_strings)
        self.n_rest = model.config.vocab_size - len(self.top.ids)
        self.bars = probability_bars(self.top, self.tr("rest", n=f"{self.n_rest:,}"), bar_length=3.8)
        self.bars.move_to([2.5, -0.4, 0])
        self.formula = MathTypst(SOFTMAX_T, color=th.TEXT).scale_to_fit_height(0.95)
        self.formula.move_to([-4.1, 1.3, 0])
        self.log_t = ValueTracker(0.0)
        self.readout = VGroup(MathTypst("T =", color=th.HIGHLIGHT).scale_to_fit_height(0.32), readout_number(1.0))
        self.readout.arrange(RIGHT, buff=0.2).next_to(self.formula, DOWN, buff=0.8)
        self.show_caption(self.tr("temp_caption"))
        self.play(Write(self.formula))
        self.play(FadeIn(self.bars), FadeIn(self.readout))
        self.end_step()

    def follow_temperature(self, readout: GlyphText) -> None:
        """Rewrite the "T =" value (cached glyphs: cheap) when its two decimals change."""
        new = readout_number(self.temperature)
        if new.text != readout.text:
            readout.become(new.move_to(readout, aligned_edge=LEFT))
            readout.text = new.text

    def sweep(self, to: float, caption: str) -> None:
        """Slide the temperature (on a log scale) to `to` while the bars follow."""
        self.show_caption(self.tr(caption, n=f"{self.n_rest:,}"))
        self.play(self.log_t.animate.set_value(math.log(to)),
                  UpdateFromFunc(self.bars, lambda m: m.set_probs(bar_values(self.logits, self.temperature, self.top.ids))),
                  UpdateFromFunc(self.readout[1], self.follow_temperature), run_time=4, rate_func=smooth)
        self.end_step()

    def show_samples(self) -> None:
        """Continuations at a low and a high temperature, sampled with the configured seed."""
        settings, model = self.data.settings, self.data.model
        self.samples = {t: generate(model, settings.prompt, N_SAMPLE, temperature=t, seed=settings.seed)
                        for t in (LOW_T, HIGH_T)}
        columns = VGroup()
        for t, steps in self.samples.items():
            tokens = [*self.data.tokens, *model.token_strings([s.chosen for s in steps])]
            colors = [th.DIM] * len(self.data.tokens) + [th.HIGHLIGHT] * len(steps)
            text = TokenText(tokens, max_width=6.0, colors=colors, font_size=th.LABEL_SIZE - 2, max_lines=7)
            head = temperature_text(t).scale_to_fit_height(0.4)
            columns.add(VGroup(head, text).arrange(DOWN, buff=0.4, aligned_edge=LEFT))
        columns.arrange(RIGHT, buff=0.8, aligned_edge=UP).move_to(0.2 * DOWN)
        self.sample_texts = [c[1] for c in columns]
        self.show_caption(self.tr("samples_caption", seed=settings.seed, n=N_SAMPLE))
        self.play(FadeOut(self.bars), FadeOut(self.readout), FadeOut(self.formula))
        self.play(LaggedStart(*[FadeIn(c, shift=0.2 * UP) for c in columns], lag_ratio=0.3))
        self.end_step(2)
