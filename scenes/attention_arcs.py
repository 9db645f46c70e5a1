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


class AttentionArcs(GPTScene):
    """A sentence as a row of tokens; for one head, arcs from each token to the earlier tokens it reads."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("arcs_title"))
        self.show_sentence()
        self.step_through_queries()
        self.show_all_links()
        self.switch_to_content_head()

    def show_sentence(self) -> None:
        """The sentence's tokens in one row, low in the frame so arcs can rise above it."""
        d = self.data
        self.trace = cached_trace(d.model, d.text_for(self.tr("arc_example")).text)
        self.tokens = self.trace.token_strings
        self.row = TokenRow(self.tokens, max_lines=1, font_size=th.LABEL_SIZE).move_to([0, ROW_Y, 0])
        fit(self.row, th.CONTENT_WIDTH)
        self.layer, self.head = pick_head(self.trace, d.settings.layer)
        if d.settings.head is not None:
            self.head = d.settings.head
        self.show_caption(self.tr("sentence"))
        self.play(FadeIn(self.row))
        self.end_step(0.5)

    def head_label(self, layer: int, head: int) -> VGroup:
        text = label(self.tr("head", layer=layer, head=head), th.LABEL_SIZE, th.HIGHLIGHT)
        return text.to_corner(UP + RIGHT, buff=th.EDGE).shift(0.9 * DOWN)

    def query_links(self, layer: int, head: int, query: int) -> list[tuple[int, int, float]]:
        return [(a.query, a.key, a.weight) for a in arcs(self.trace, layer, head, 0.05, [query])]

    def step_through_queries(self) -> None:
        """A few query tokens, each with arcs to what it reads and the two strongest weights written."""
        self.name = self.head_label(self.layer, self.head)
        self.play(FadeIn(self.name))
        shown = self.row.shown_indices
        for i, q in enumerate(dict.fromkeys(shown[min(len(shown) - 1, round(f * (len(shown) - 1)))]
                                            for f in np.linspace(0.35, 1.0, N_QUERIES))):
            links = [link for link in self.query_links(self.layer, self.head, q) if link[1] in shown]
            if not links:  # the head spreads this query's weight too thinly for any link to be drawn
                continue
            diagram = ArcDiagram(self.row, links)
            focus = SurroundingRectangle(self.row.cell(q).box, color=th.QUERY, buff=0.05)
            top = sorted(links, key=lambda link: -link[2])[:2]
            weights = VGroup(*[self.weight_label(diagram, q, k, w) for q, k, w in top])
            reads = ", ".join(f"{quoted(self.tokens[k])} {w:.2f}" for _, k, w in top)
            self.show_caption(self.tr("reads", query=quoted(self.tokens[q]), reads=reads))
            self.play(Create(focus), run_time=0.4)
            self.play(LaggedStart(*[Create(a) for a in diagram], lag_ratio=0.1), FadeIn(weights), run_time=1.0)
            self.end_step(0.6 if i < N_QUERIES - 1 else 1.0)
            self.play(FadeOut(diagram), FadeOut(weights), FadeOut(focus), run_time=0.4)

    def draw_all(self, arcs: VGroup) -> None:
        """Draw every arc at once (or just hold the frame when a head's weights are all below the cut)."""
        if len(arcs):
            self.play(*[Create(a) for a in arcs], run_time=1.6)
        else:
            self.wait(1.6)

    def weight_label(self, diagram: ArcDiagram, query: int, key: int, weight: float) -> VGroup:
        """The weight written at the top of its arc (beside the ring for a token reading itself)."""
        return diagram.place_label(query, key, label(f"{weight:.2f}", th.SMALL_SIZE - 2, th.QUERY, mono=True))

    def show_all_links(self) -> None:
        """Every query's links at once: the head's habit shows."""
        links = [(a.query, a.key, a.weight) for a in arcs(self.trace, self.layer, self.head, MIN_WEIGHT)]
        self.all_arcs = ArcDiagram(self.row, links)
        legend = fit(label(self.tr("arc_legend"), th.SMALL_SIZE, th.DIM), th.CONTENT_WIDTH)
        legend.next_to(self.row, DOWN, buff=0.45).align_to(self.row, RIGHT)
        score = previous_token_scores(self.trace)[self.layer, self.head]
        self.show_caption(self.tr("all_links", w=f"{MIN_WEIGHT:.2f}", score=f"{score:.2f}"))
        self.play(FadeIn(legend), run_time=0.5)
        self.draw_all(self.all_arcs)
        self.end_step()

    def switch_to_content_head(self) -> None:
        """A head that picks tokens out by what they are: its favourite token framed wherever it occurs."""
        c = pick_content_head(self.trace, exclude=(self.layer, self.head))
        links = [(a.query, a.key, a.weight) for a in arcs(self.trace, c.layer, c.head, MIN_WEIGHT)]
        content = self.content = ArcDiagram(self.row, links, color=th.KEY)
        self.content_head = (c.layer, c.head)
        name = self.head_label(c.layer, c.head)
        marks = VGroup(*[SurroundingRectangle(self.row.cell(i).box, color=th.KEY, buff=0.05)
                         for i in self.row.shown_indices if self.tokens[i] == c.token])
        self.show_caption(self.tr("content", token=quoted(c.token), share=f"{c.share:.0%}", lift=f"{c.lift:.0f}"))
        self.play(FadeOut(self.all_arcs), FadeOut(self.name), FadeIn(name))
        self.draw_all(VGroup(*content, *marks))
        self.name = name
        self.end_step(2)
