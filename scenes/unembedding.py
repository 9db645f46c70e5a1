"""Scene: the last vector times the unembedding matrix gives logits; softmax turns the top ones into bars."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import DOWN, LEFT, UP, GrowFromEdge, LaggedStart, MathTypst, VGroup, VMobject, Write

from gptmath import hooks
from gptmath.readout import Bars, top_bars

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.data import SceneData
from scenes.mobjects import LogitProduct, NextTokenBars, label, quoted
from scenes.mobjects.charts import percent

T = "softmax"  # this module's catalogue: scenes/locales/softmax.toml

SOFTMAX = r"p_i = e^(z_i) / (sum_j e^(z_j))"
MAX_BARS = 12  # at most this many token rows fit the frame, whatever top_k asks for
BARS_AT = [1.4, -0.75, 0]


@dataclass(frozen=True)
class Readout:
    """The last position's final vector and logits, and the tokens that get a bar."""

    final_vector: np.ndarray  # [d]
    logits: np.ndarray  # [V]
    top: Bars

    @classmethod
    def of(cls, data: SceneData) -> Readout:
        logits = data.trace[hooks.LOGITS][-1]
        top = top_bars(logits, 1.0, min(data.settings.top_k, MAX_BARS), data.model.token_strings)
        return cls(data.trace[hooks.hook(hooks.LN_FINAL, "normalized")][-1], logits, top)


class Unembedding(GPTScene):
    """The last vector times the unembedding matrix gives logits; softmax turns the top ones into bars."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("unembed_title"))
        readout = Readout.of(self.data)
        self.product = self.show_product(readout)
        self.vector_head = self.product.vector_head
        self.bars, self.logit_numbers, logit_header = self.show_top_logits(readout, self.product)
        self.show_softmax(self.bars, logit_header)

    def show_product(self, readout: Readout) -> LogitProduct:
        """Unembedding matrix (V rows × d) × final vector (d) = logits (V), one per vocabulary token."""
        model = self.data.model
        V = model.config.vocab_size
        token = th.show_spaces(self.data.tokens[-1])
        product = LogitProduct(model.weights.unembedding.T, readout.final_vector, readout.logits, model.token_strings,
                               self.tr("tokens"), self.tr("dims"), self.tr("logits_head", v=f"{V:,}"),
                               self.tr("final_vector", token=token, norm=th.norm_name(model.config.norm)))
        product.shift(0.1 * DOWN)
        self.say("say_bridge_unembedding")  # over the title, before the first drawing
        self.show_caption(self.tr("product_caption", v=f"{V:,}"))
        self.say("say_show_product", v=f"{V:,}", token=quoted(self.data.tokens[-1]))
        self.play(FadeIn(product.matrix), FadeIn(product.times))
        self.play(FadeIn(product.vector, shift=0.2 * LEFT), FadeIn(product.vector_head))
        self.play(FadeIn(product.equals), FadeIn(product.logit_column), FadeIn(product.logit_labels),
                  FadeIn(product.logits_head))
        if model.config.tied_embeddings:
            self.end_step()
            self.show_caption(self.tr("tied_caption"))
            self.say("say_show_product_tied")
        self.end_step()
        return product

    def show_top_logits(self, readout: Readout, product: VMobject) -> tuple[NextTokenBars, VGroup, VMobject]:
        """The highest logits, sorted, each beside its token; returns the bars (not yet shown), logits and header."""
        n_rest = self.data.model.config.vocab_size - len(readout.top.ids)
        bars = NextTokenBars(readout.top, self.tr("rest", n=f"{n_rest:,}")).move_to(BARS_AT)
        logits = bars.numbers_beside(readout.top.logits)
        header = label(self.tr("logit"), th.SMALL_SIZE, th.DIM).next_to(logits, UP, buff=0.25)
        top = readout.top
        self.show_caption(self.tr("top_caption", k=len(top.ids)))
        self.say("say_show_top_logits", k=len(top.ids), top=quoted(top.texts[0]),
                 z=f"{top.logits[0]:.2f}".replace("-", "−"))
        self.play(FadeOut(product))
        self.play(FadeIn(header), LaggedStart(*[FadeIn(VGroup(z, row[0]), shift=0.2 * UP)
                                                for z, row in zip(logits, bars.rows)], lag_ratio=0.08))
        self.end_step()
        return bars, logits, header

    def show_softmax(self, bars: NextTokenBars, logit_header: VMobject) -> None:
        """The formula, then each probability as a bar, with everything else's share last."""
        formula = MathTypst(SOFTMAX, color=th.TEXT)
        formula.scale_to_fit_height(0.85).move_to([bars.get_x(), 2.55, 0])
        header = label(self.tr("probability"), th.SMALL_SIZE, th.DIM)
        header.next_to(bars.rows[0][1], UP, buff=0.25).align_to(bars.rows[0][1], LEFT)
        logit_header.align_to(header, DOWN)
        v, top = f"{self.data.model.config.vocab_size:,}", bars.top
        self.show_caption(self.tr("softmax_caption", v=v))
        self.say("say_show_softmax", v=v, top=quoted(top.texts[0]), p=percent(top.probs[0]), rest=percent(top.rest))
        self.play(Write(formula))
        self.play(FadeIn(header), FadeIn(bars.rows[-1][0]), *[FadeIn(row[1]) for row in bars.rows])
        self.play(*[GrowFromEdge(row[2], LEFT) for row in bars.rows],
                  *[FadeIn(row[3]) for row in bars.rows], run_time=1.5)
        self.end_step(2)
