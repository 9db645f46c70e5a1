"""Scene: what each word reads. A sentence as a row of tokens; for one head, arcs from each token to the earlier
tokens it reads, then every link at once, then a head that reads by content."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import DOWN, RIGHT, UP, Create, LaggedStart, SurroundingRectangle, VGroup, VMobject

from gptmath import Trace
from gptmath.heads import pick_head, previous_token_scores
from gptmath.reading import ContentHead, arcs, pick_content_head

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.mobjects import ArcDiagram, TokenRow, fit, label, quoted

T = "reading"  # this module's catalogue: scenes/locales/reading.toml
MIN_WEIGHT = 0.12  # links weaker than this are not drawn when every query's links are shown
N_QUERIES = 3  # queries stepped through one by one
ROW_Y = -1.6


@dataclass(frozen=True)
class Sentence:
    """What every step draws on: the sentence's own trace, its row of tokens, the head shown and the queries
    stepped through (tokens the row shows, spread from a third of the way in to the last)."""

    trace: Trace
    row: TokenRow
    layer: int
    head: int
    queries: list[int]

    @property
    def tokens(self) -> list[str]:
        return self.trace.token_strings


class AttentionArcs(GPTScene):
    """A sentence as a row of tokens; for one head, arcs from each token to the earlier tokens it reads.

    What it drew stays on the scene for tests: `sentence`, `all_arcs` (the head's every strong link),
    `content_head` and `content` (the content head's links).
    """

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("arcs_title"))
        self.sentence = s = self.lay_out()
        self.show_sentence(s)
        name = self.step_through_queries(s)
        self.all_arcs = self.show_all_links(s)
        self.content_head, self.content = self.switch_to_content_head(s, self.all_arcs, name)

    def lay_out(self) -> Sentence:
        """The sentence's tokens in one row, low in the frame so arcs can rise above it; the head to show."""
        d = self.data
        trace = d.example_trace("AttentionArcs")
        row = TokenRow(trace.token_strings, max_lines=1, font_size=th.LABEL_SIZE).move_to([0, ROW_Y, 0])
        fit(row, th.CONTENT_WIDTH)
        layer, head = pick_head(trace, d.settings.layer)
        shown = row.shown_indices
        queries = list(dict.fromkeys(shown[min(len(shown) - 1, round(f * (len(shown) - 1)))]
                                     for f in np.linspace(0.35, 1.0, N_QUERIES)))
        return Sentence(trace, row, layer, d.settings.head if d.settings.head is not None else head, queries)

    def show_sentence(self, s: Sentence) -> None:
        """The row of tokens, alone."""
        self.show_caption(self.tr("sentence"))
        self.play(FadeIn(s.row))
        self.end_step(0.5)

    def head_label(self, layer: int, head: int) -> VMobject:
        """The head's name ("Layer L, head H") at the top right, below the title's line."""
        text = label(self.tr("head", layer=layer, head=head), th.LABEL_SIZE, th.HIGHLIGHT)
        return text.to_corner(UP + RIGHT, buff=th.EDGE).shift(0.9 * DOWN)

    def step_through_queries(self, s: Sentence) -> VMobject:
        """A few query tokens, each with arcs to what it reads; returns the head's name, left on screen."""
        name = self.head_label(s.layer, s.head)
        self.play(FadeIn(name))
        for i, q in enumerate(s.queries):
            self.show_query(s, q, pause=0.6 if i < N_QUERIES - 1 else 1.0)
        return name

    def show_query(self, s: Sentence, q: int, pause: float) -> None:
        """One query's arcs to what it reads, the two strongest weights written (nothing if none is drawn)."""
        links = [(a.query, a.key, a.weight) for a in arcs(s.trace, s.layer, s.head, 0.05, [q])
                 if a.key in s.row.shown_indices]
        if not links:  # the head spreads this query's weight too thinly for any link to be drawn
            return
        diagram = ArcDiagram(s.row, links)
        focus = SurroundingRectangle(s.row.cell(q).box, color=th.QUERY, buff=0.05)
        top = sorted(links, key=lambda link: -link[2])[:2]
        weights = VGroup(*[diagram.write_weight(q, k, w) for q, k, w in top])
        reads = ", ".join(f"{quoted(s.tokens[k])} {w:.2f}" for _, k, w in top)
        self.show_caption(self.tr("reads", query=quoted(s.tokens[q]), reads=reads))
        self.play(Create(focus), run_time=0.4)
        self.play(LaggedStart(*[Create(a) for a in diagram], lag_ratio=0.1), FadeIn(weights), run_time=1.0)
        self.end_step(pause)
        self.play(FadeOut(diagram), FadeOut(weights), FadeOut(focus), run_time=0.4)

    def draw_all(self, mobs: VGroup) -> None:
        """Draw every arc at once (or just hold the frame when a head's weights are all below the cut)."""
        if len(mobs):
            self.play(*[Create(a) for a in mobs], run_time=1.6)
        else:
            self.wait(1.6)

    def show_all_links(self, s: Sentence) -> ArcDiagram:
        """Every query's links at once: the head's habit shows."""
        links = [(a.query, a.key, a.weight) for a in arcs(s.trace, s.layer, s.head, MIN_WEIGHT)]
        all_arcs = ArcDiagram(s.row, links)
        legend = fit(label(self.tr("arc_legend"), th.SMALL_SIZE, th.DIM), th.CONTENT_WIDTH)
        legend.next_to(s.row, DOWN, buff=0.45).align_to(s.row, RIGHT)
        score = previous_token_scores(s.trace)[s.layer, s.head]
        self.show_caption(self.tr("all_links", w=f"{MIN_WEIGHT:.2f}", score=f"{score:.2f}"))
        self.play(FadeIn(legend), run_time=0.5)
        self.draw_all(all_arcs)
        self.end_step()
        return all_arcs

    def switch_to_content_head(self, s: Sentence, all_arcs: ArcDiagram,
                               name: VMobject) -> tuple[ContentHead, ArcDiagram]:
        """A head that picks tokens out by what they are: its favourite token framed wherever it occurs."""
        c = pick_content_head(s.trace, exclude=(s.layer, s.head))
        links = [(a.query, a.key, a.weight) for a in arcs(s.trace, c.layer, c.head, MIN_WEIGHT)]
        content = ArcDiagram(s.row, links, color=th.KEY)
        marks = VGroup(*[SurroundingRectangle(s.row.cell(i).box, color=th.KEY, buff=0.05)
                         for i in s.row.shown_indices if s.tokens[i] == c.token])
        self.show_caption(self.tr("content", token=quoted(c.token), share=f"{c.share:.0%}", lift=f"{c.lift:.0f}"))
        self.play(FadeOut(all_arcs), FadeOut(name), FadeIn(self.head_label(c.layer, c.head)))
        self.draw_all(VGroup(*content, *marks))
        self.end_step(2)
        return c, content
