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


class Generation(GPTScene):
    """The loop: text → model → probabilities → weighted random pick among the top k → appended → again.

    The pick is top-k sampling with k = the number of bars (settings.top_k), so every
    picked token is one the viewer sees; the other tokens' share is marked as not drawn.
    """

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("gen_title"))
        self.prepare_rounds(self.data.settings.prompt, self.data.tokens, N_GENERATE)
        self.show_loop()
        for i in range(len(self.steps)):
            self.run_round(i)
        self.show_result()

    def prepare_rounds(self, prompt: str, prompt_tokens: list[str], n_tokens: int, stop: int | None = None) -> None:
        """The rounds to show: top-k sampling with the settings' temperature, k and seed."""
        s = self.data.settings
        self.prompt_tokens = prompt_tokens
        self.steps = generate(self.data.model, prompt, n_tokens, temperature=s.temperature, seed=s.seed,
                              top_k_only=s.top_k, stop=stop)
        self.chosen_tokens = self.data.model.token_strings([step.chosen for step in self.steps])

    def text_mob(self, n_generated: int) -> TokenText:
        """The prompt plus the first n generated tokens, top left."""
        tokens = [*self.prompt_tokens, *self.chosen_tokens[:n_generated]]
        colors = [th.TEXT] * len(self.prompt_tokens) + [th.HIGHLIGHT] * n_generated
        text = TokenText(tokens, max_width=5.6, colors=colors, font_size=th.LABEL_SIZE - 2, max_lines=4)
        return text.move_to(self.text_anchor, aligned_edge=UP + LEFT)

    def round_bars(self, i: int) -> ProbabilityBars:
        """Step i's top tokens (and the picked one, if it is not among them) with everything else."""
        model, step = self.data.model, self.steps[i]
        k = min(self.data.settings.top_k, MAX_BARS)
        top = top_bars(step.trace["logits"][-1], self.data.settings.temperature, k, model.token_strings,
                       include=[step.chosen])
        rest = self.tr("rest_not_drawn", n=f"{model.config.vocab_size - len(top.ids):,}")
        bars = probability_bars(top, rest, bar_length=3.2).move_to([3.2, -0.35, 0])
        bars.top = top
        return bars

    def show_loop(self) -> None:
        """Text, model box, arrow to the bars."""
        cfg = self.data.model.config
        self.text_anchor = np.array([-th.FRAME_WIDTH / 2 + th.EDGE, 2.6, 0])
        self.text = self.text_mob(0)
        box_text = label(self.tr("model_box", model=self.data.model.name, layers=cfg.n_layer, heads=cfg.n_head),
                         th.SMALL_SIZE)
        fit(box_text, 4.6)
        box = RoundedRectangle(corner_radius=0.15, width=box_text.width + 0.5, height=0.9, stroke_color=th.KEY,
                               fill_color=th.KEY, fill_opacity=0.15)
        self.model_box = VGroup(box, box_text).move_to([-3.9, -1.4, 0])
        self.arrow_in = Arrow([-3.9, 0.3, 0], box.get_top(), buff=0.1, color=th.DIM)
        self.bars = self.round_bars(0)
        self.arrow_out = Arrow(box.get_right(), self.bars.get_left() + 0.3 * LEFT, buff=0.1, color=th.DIM)
        self.show_caption(self.tr("read_caption"))
        self.play(FadeIn(self.text))
        self.play(Create(self.arrow_in), FadeIn(self.model_box))
        self.end_step(0.5)

    def run_round(self, i: int) -> None:
        """Show the probabilities, pick one token, append it to the text."""
        new_bars = self.round_bars(i)
        fast = i > 1
        if i == 0:
            self.play(Create(self.arrow_out), FadeIn(new_bars))
        else:  # a new set of tokens: the old bars go, then the new ones come (morphing would blend their numbers)
            self.play(FadeOut(self.bars), run_time=0.3 if fast else 0.5)
            self.play(FadeIn(new_bars), run_time=0.3 if fast else 0.5)
        self.bars = new_bars
        row = self.bars.rows[self.bars.top.ids.index(self.steps[i].chosen)]
        self.pick = SurroundingRectangle(row, color=th.HIGHLIGHT, buff=0.06)
        if i == 0:
            self.show_caption(self.tr("pick_caption", k=self.data.settings.top_k,
                                      t=f"{self.data.settings.temperature:g}", seed=self.data.settings.seed))
        self.play(Create(self.pick), run_time=0.4 if fast else 0.8)
        if i == 0:
            self.end_step(0.5)
            self.show_caption(self.tr("append_caption"))
        new_text = self.text_mob(i + 1)
        glyphs = new_text.token_mobs.get(len(self.prompt_tokens) + i)
        flying = row[0].copy()
        self.remove(self.text)
        self.add(new_text)
        if glyphs is not None and len(glyphs):
            glyphs.set_fill(opacity=0)
            self.play(Transform(flying, glyphs.copy().set_fill(opacity=1)), FadeOut(self.pick),
                      run_time=0.6 if fast else 1)
            glyphs.set_fill(opacity=1)
        else:
            self.play(FadeOut(flying), FadeOut(self.pick))
        self.remove(flying)
        self.text = new_text
        if i == 0:
            self.end_step(0.5)

    def show_result(self) -> None:
        """The generated continuation on its own, large."""
        tokens = [*self.prompt_tokens, *self.chosen_tokens]
        colors = [th.TEXT] * len(self.prompt_tokens) + [th.HIGHLIGHT] * len(self.chosen_tokens)
        self.result = TokenText(tokens, max_width=th.CONTENT_WIDTH - 1, colors=colors, font_size=th.LABEL_SIZE + 4,
                                max_lines=4).move_to(0.2 * UP)
        self.show_caption(self.tr("done_caption", n=len(self.steps)))
        self.play(FadeOut(self.bars), FadeOut(self.model_box), FadeOut(self.arrow_in), FadeOut(self.arrow_out),
                  ReplacementTransform(self.text, self.result))
        self.end_step(2)
