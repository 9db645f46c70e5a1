"""Scene: the same logits at temperatures from near 0 to 5, then a cool and a hot continuation, same seed."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, LaggedStart, MathTypst, UpdateFromFunc, VGroup, VMobject, Write, smooth

from gptmath import hooks
from gptmath.readout import Bars, bar_values, top_bars

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.data import HIGH_T, LOW_T, MAX_BARS, N_CONTINUE, Round, SceneData
from scenes.mobjects import NextTokenBars, TemperatureReadout, TokenText, continued_text, quoted, temperature_text
from scenes.mobjects.charts import percent
from scenes.spoken import BYTE

T = "softmax"  # this module's catalogue: scenes/locales/softmax.toml

SOFTMAX_T = r"p_i = e^(z_i \/ T) / (sum_j e^(z_j \/ T))"
T_MIN, T_MAX = 0.01, 5.0  # the temperature sweep
NEARLY_ALL = 0.99  # the top token's probability at T_MIN from which the largest logit "takes nearly everything"
PEAKED = 0.10  # the top token's probability from which bars count as peaked (below: already flat)


@dataclass(frozen=True)
class Readout:
    """The last position's logits, the tokens that get a bar, and how many tokens share the last row."""

    logits: np.ndarray  # [V]
    top: Bars
    n_rest: int

    @classmethod
    def of(cls, data: SceneData) -> Readout:
        logits = data.trace[hooks.LOGITS][-1]
        top = top_bars(logits, 1.0, min(data.settings.top_k, MAX_BARS), data.model.token_strings)
        return cls(logits, top, data.model.config.vocab_size - len(top.ids))

    def at(self, t: float) -> list[float]:
        """The bars' values at temperature t: the top tokens' probabilities, then the rest's."""
        return bar_values(self.logits, t, self.top.ids)


def first_byte(tokens: list[str]) -> str | None:
    """The first token among `tokens` that is one lone byte (<xx>), if any: what the caption can call "a token of one
    byte" (a token holding a byte beside other characters is not)."""
    return next((t for t in tokens if BYTE.fullmatch(t)), None)


def cold_key(p_cold: float) -> str:
    """What the cold end shows: "cold" when the top token takes nearly everything at T_MIN, else "cold_close"
    (its logit is too close to the next ones for even T_MIN to leave it alone)."""
    return "cold" if p_cold >= NEARLY_ALL else "cold_close"


def hot_key(p_one: float, p_hot: float) -> str:
    """What the hot end shows: "hot" when peaked bars flatten (top ≥ PEAKED at T = 1, < PEAKED at T_MAX),
    "hot_still" when they stay peaked even at T_MAX, "hot_flat" when they were flat already at T = 1."""
    return "hot_flat" if p_one < PEAKED else "hot" if p_hot < PEAKED else "hot_still"


class Temperature(GPTScene):
    """The same logits at temperatures from near 0 to 5, then a cool and a hot continuation, same seed."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("temp_title"))
        readout = Readout.of(self.data)
        self.bars, self.readout, formula = self.show_bars(readout)
        self.sweep_cold(readout, self.bars, self.readout)
        self.sweep_hot(readout, self.bars, self.readout)
        self.samples, self.sample_texts = self.show_samples(self.bars, self.readout, formula)

    def show_bars(self, readout: Readout) -> tuple[NextTokenBars, TemperatureReadout, VMobject]:
        """Bars for the top tokens at T = 1, beside the formula and the temperature's live value."""
        bars = NextTokenBars(readout.top, self.tr("rest", n=f"{readout.n_rest:,}"), bar_length=3.8)
        bars.move_to([2.5, -0.4, 0])
        formula = MathTypst(SOFTMAX_T, color=th.TEXT).scale_to_fit_height(0.95)
        formula.move_to([-4.1, 1.3, 0])
        value = TemperatureReadout(1.0).next_to(formula, DOWN, buff=0.8)
        self.say("say_bridge_temperature")  # over the title, before the first drawing
        self.show_caption(self.tr("temp_caption"))
        self.say("say_show_bars")
        self.play(Write(formula))
        self.play(FadeIn(bars), FadeIn(value))
        self.end_step()
        return bars, value, formula

    def sweep_cold(self, readout: Readout, bars: NextTokenBars, value: TemperatureReadout) -> None:
        """Down to T_MIN while the gaps between the logits grow; at the bottom, what the top token has then."""
        key, p = cold_key(readout.at(T_MIN)[0]), percent(readout.at(T_MIN)[0])
        self.show_caption(self.tr("cooling_caption"))
        self.say(f"say_sweep_{key}", top=quoted(readout.top.texts[0]), p=p)
        self.slide(readout, bars, value, T_MIN)
        self.show_caption(self.tr(f"{key}_caption", t=f"{T_MIN:g}", top=quoted(readout.top.texts[0]), p=p))
        self.end_step()

    def sweep_hot(self, readout: Readout, bars: NextTokenBars, value: TemperatureReadout) -> None:
        """Up to T_MAX while the gaps shrink; at the top, how flat the bars are and what the others hold."""
        hot = readout.at(T_MAX)
        key, p = hot_key(readout.top.probs[0], hot[0]), percent(hot[0])
        self.show_caption(self.tr("warming_caption"))
        self.say(f"say_sweep_{key}", n=f"{readout.n_rest:,}", top=quoted(readout.top.texts[0]), p=p)
        self.slide(readout, bars, value, T_MAX)
        self.show_caption(self.tr(f"{key}_caption", t=f"{T_MAX:g}", n=f"{readout.n_rest:,}", p=p,
                                  rest=percent(hot[-1])))
        self.end_step()

    def slide(self, readout: Readout, bars: NextTokenBars, value: TemperatureReadout, to: float) -> None:
        """Slide the temperature (on a log scale) to `to` while the bars and the value follow."""
        self.play(value.tracker.animate.set_value(math.log(to)),
                  UpdateFromFunc(bars, lambda m: m.set_probs(readout.at(value.temperature))),
                  UpdateFromFunc(value[1], value.follow), run_time=4, rate_func=smooth)

    def show_samples(self, *shown: VMobject) -> tuple[dict[float, list[Round]], list[TokenText]]:
        """Continuations at a low and a high temperature, sampled with the configured seed (by the render command:
        SceneData.continuations), in place of `shown`."""
        settings, model = self.data.settings, self.data.model
        samples = {t: written.rounds for t, written in self.data.continuations().items()}
        columns = VGroup()
        for t, steps in samples.items():
            text = continued_text(self.data.tokens, model.token_strings([s.chosen for s in steps]), max_width=6.0,
                                  max_lines=7, prompt_color=th.DIM)
            head = temperature_text(t).scale_to_fit_height(0.4)
            columns.add(VGroup(head, text).arrange(DOWN, buff=0.4, aligned_edge=LEFT))
        columns.arrange(RIGHT, buff=0.8, aligned_edge=UP).move_to(0.2 * DOWN)
        self.show_caption(self.tr("samples_caption", seed=settings.seed, n=N_CONTINUE))
        self.say("say_show_samples", seed=settings.seed, low=f"{LOW_T:g}", high=f"{HIGH_T:g}")
        self.play(*[FadeOut(m) for m in shown])
        self.play(LaggedStart(*[FadeIn(c, shift=0.2 * UP) for c in columns], lag_ratio=0.3))
        byte = first_byte(model.token_strings([s.chosen for steps in samples.values() for s in steps]))
        if byte:  # a lone byte on screen says what it is, once the samples have been talked about
            self.wait_until(self.said_by)
            self.say("say_samples_bytes", byte=byte)
            self.show_caption(self.tr("bytes_caption", byte=byte))
        self.end_step(2)
        return samples, [c[1] for c in columns]
