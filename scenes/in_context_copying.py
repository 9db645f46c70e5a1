"""Scenes: what each word reads (attention arcs), and copying from earlier in the context (induction)."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, Line, LaggedStart, SurroundingRectangle, VGroup

from gptmath.cache import cached_trace
from gptmath.heads import ordinary_token_ids, pick_head, previous_token_scores, repeated_random_tokens
from gptmath.ops import next_token_losses
from gptmath.reading import arcs, copy_example, pick_content_head, pick_copy_heads

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.mobjects import ArcDiagram, HeatMap, PatternThumbnail, ProbabilityBars, TokenRow, fit, label, quoted

T = "reading"  # this module's catalogue: scenes/locales/reading.toml
MIN_WEIGHT = 0.12  # links weaker than this are not drawn when every query's links are shown
N_QUERIES = 3  # queries stepped through one by one
N_RANDOM = 20  # random tokens in each copy of the clean case
CLEAR_STRIPE = 0.2  # induction score (10x chance for 40 tokens) from which the captions call the stripe a stripe
CLEAR_GAIN = 1.0  # nats per token saved on the repeat from which the captions say the model copies
ROW_Y = -1.6


class InContextCopying(GPTScene):
    """A name comes back: a previous-token head marks what came before each token, an induction head copies."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("copy_title"))
        self.show_story()
        self.previous_token_head()
        self.induction_head()
        self.compare_probabilities()
        self.random_tokens()

    def show_story(self) -> None:
        d = self.data
        self.trace = cached_trace(d.model, d.text_for(self.tr("copy_example")).text)
        self.tokens = self.trace.token_strings
        self.example = copy_example(self.trace)
        self.heads = pick_copy_heads(d.model, self.trace, d.settings.layer, d.settings.head)
        self.row = TokenRow(self.tokens, max_lines=2, font_size=th.SMALL_SIZE + 2, line_buff=1.2)
        fit(self.row, th.CONTENT_WIDTH).move_to([0, 0.4, 0])
        self.play(FadeIn(self.row))
        if self.example is None or not {self.example.first, self.example.first + 1, self.example.query} <= set(
                self.row.shown_indices):
            self.show_caption(self.tr("no_repeat"))
            self.end_step(2)
            return
        ex = self.example
        self.marks = VGroup(*[SurroundingRectangle(self.row.cell(i).box, color=color, buff=0.05) for i, color in
                              ((ex.first, th.DIM), (ex.first + 1, th.VALUE), (ex.query, th.QUERY))])
        self.show_caption(self.tr("story", token=quoted(self.tokens[ex.query]),
                                  next=quoted(self.tokens[ex.first + 1])))
        self.play(LaggedStart(*[Create(m) for m in self.marks], lag_ratio=0.3))
        self.end_step()

    def link(self, layer: int, head: int, query: int, key: int) -> tuple[VGroup, float]:
        """One arc with its weight written on it."""
        weight = float(self.trace[f"blocks.{layer}.attn.hook_pattern"][head, query, key])
        diagram = ArcDiagram(self.row, [(query, key, max(weight, 0.05))], color=th.QUERY, rise=0.3)
        text = diagram.place_label(query, key, label(f"{weight:.2f}", th.SMALL_SIZE - 2, th.QUERY, mono=True))
        return VGroup(diagram, text), weight

    def previous_token_head(self) -> None:
        """The token after the first occurrence reads the token before it."""
        if self.example is None:
            return
        L, h = self.heads.previous
        ex = self.example
        arc, w = self.link(L, h, ex.first + 1, ex.first)
        self.show_caption(self.tr("previous", layer=L, head=h, token=quoted(self.tokens[ex.first + 1]),
                             before=quoted(self.tokens[ex.first]), w=f"{w:.2f}"))
        self.play(Create(arc[0]), FadeIn(arc[1]))
        self.end_step()
        self.prev_arc = arc

    def induction_head(self) -> None:
        """The repeated token reads what followed its earlier occurrence."""
        if self.example is None:
            return
        L, h = self.heads.induction
        ex = self.example
        arc, w = self.link(L, h, ex.query, ex.first + 1)
        self.show_caption(self.tr("induction", layer=L, head=h, token=quoted(self.tokens[ex.query]),
                             next=quoted(self.tokens[ex.first + 1]), w=f"{w:.2f}"))
        self.play(FadeOut(self.prev_arc), Create(arc[0]), FadeIn(arc[1]))
        self.end_step()
        self.ind_arc = arc

    def compare_probabilities(self) -> None:
        """The copied token's probability right after the first occurrence and after the repeat."""
        if self.example is None:
            return
        ex = self.example
        names = [self.tr(key) for key in ("first_time", "now")]  # one word each: the bars show spaces as ␣
        bars = ProbabilityBars(names, [ex.p_first, ex.p_again], bar_length=4.0, font_size=th.SMALL_SIZE + 2,
                               label_width=3.2)
        head = label(self.tr("p_next", next=quoted(self.tokens[ex.first + 1])), th.SMALL_SIZE, th.DIM)
        group = VGroup(head, bars).arrange(DOWN, buff=0.25).move_to([0, -2.3, 0])
        self.bars = bars
        self.show_caption(self.tr("jump", first=f"{ex.p_first:.1%}", now=f"{ex.p_again:.1%}"))
        self.play(FadeIn(group))
        self.end_step()
        self.play(*[FadeOut(m) for m in (group, self.ind_arc, self.marks, self.row)])

    def random_tokens(self) -> None:
        """The clean case: random tokens, then the same again; the induction head's pattern and the loss per token."""
        model = self.data.model
        ordinary = ordinary_token_ids(model)
        eot = model.tokenizer.token_to_id("<|endoftext|>")
        ids = repeated_random_tokens(int(ordinary.max()) + 1, N_RANDOM, self.data.settings.seed, eot or 0,
                                     tuple(np.setdiff1d(np.arange(ordinary.max() + 1), ordinary)))
        trace = model.trace_ids([int(i) for i in ids])
        L, h = self.heads.induction
        pattern = trace[f"blocks.{L}.attn.hook_pattern"][h]
        thumb = PatternThumbnail(pattern, 3.6).move_to([-3.6, -0.2, 0])
        thumb_head = label(self.tr("pattern_head", layer=L, head=h), th.SMALL_SIZE, th.DIM).next_to(thumb, UP, 0.2)
        losses = next_token_losses(trace["logits"], ids)
        first, again = losses[1:N_RANDOM].mean(), losses[N_RANDOM + 1:].mean()
        strip = HeatMap(-losses[None, :], width=5.6, height=0.45, scale=float(losses.max())).move_to([2.8, 0.4, 0])
        strip_head = label(self.tr("loss_head"), th.SMALL_SIZE, th.DIM).next_to(strip, UP, buff=0.2)
        split = strip.get_left() + RIGHT * strip.width * N_RANDOM / len(losses)  # where the repeat starts
        strip.add(Line(split + UP * 0.35, split + DOWN * 0.35, color=th.TEXT, stroke_width=3))
        halves = VGroup(label(self.tr("first_copy", loss=f"{first:.2f}"), th.SMALL_SIZE, th.TEXT),
                        label(self.tr("second_copy", loss=f"{again:.2f}"), th.SMALL_SIZE, th.TEXT))
        halves.arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(strip, DOWN, buff=0.4).align_to(strip, LEFT)
        stripe = self.heads.induction_score >= CLEAR_STRIPE
        self.show_caption(self.tr("random" if stripe else "random_faint", n=N_RANDOM,
                                  score=f"{self.heads.induction_score:.2f}"))
        self.play(FadeIn(thumb), FadeIn(thumb_head))
        self.end_step(0.6)
        self.show_caption(self.tr("gain" if first - again >= CLEAR_GAIN else "gain_small", gain=f"{first - again:.2f}"))
        self.play(FadeIn(strip), FadeIn(strip_head), FadeIn(halves))
        self.end_step(2)
