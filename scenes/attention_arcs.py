"""Scene: what each word reads. A sentence as a row of tokens; for one head, arcs from each token to the earlier
tokens it reads, then every link at once, then a head that reads by content."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import DOWN, RIGHT, UP, Create, LaggedStart, SurroundingRectangle, VGroup, VMobject

from gptmath import Trace
from gptmath.heads import pick_head, previous_token_scores
from gptmath.reading import MIN_LIFT, ContentHead, arcs, pick_content_head

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.mobjects import ArcDiagram, TokenRow, fit, label, quoted

T = "reading"  # this module's catalogue: scenes/locales/reading.toml
MIN_WEIGHT = 0.12  # links weaker than this are not drawn when every query's links are shown
N_QUERIES = 3  # queries stepped through one by one
PREVIOUS_HEAD = 0.5  # mean weight on the token just before from which the narration calls it the head's habit
# a head reads by content when its favourite far token occurs at least twice among the keys and gets at least
# MIN_LIFT (gptmath.reading) times its share of them: ContentHead.reads_content
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
        c = pick_content_head(s.trace, exclude=(s.layer, s.head))
        if c is not None:  # None: a text too short to have tokens two or more places back
            self.content = self.switch_to_content_head(s, c, self.all_arcs, name)
        self.content_head = c

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
        self.say("say_bridge_attention_arcs")
        self.say("say_show_sentence")
        self.play(FadeIn(s.row))
        self.show_caption(self.tr("sentence"))
        self.end_step(0.5)

    def head_label(self, layer: int, head: int) -> VMobject:
        """The head's name ("Layer L, head H") at the top right, below the title's line."""
        text = label(self.tr("head", layer=layer, head=head), th.LABEL_SIZE, th.HIGHLIGHT)
        return text.to_corner(UP + RIGHT, buff=th.EDGE).shift(0.9 * DOWN)

    def step_through_queries(self, s: Sentence) -> VMobject:
        """A few query tokens, each with arcs to what it reads; returns the head's name, left on screen."""
        name = self.head_label(s.layer, s.head)
        self.play(FadeIn(name))
        shown = 0
        for i, q in enumerate(s.queries):
            shown += self.show_query(s, q, pause=0.6 if i < N_QUERIES - 1 else 1.0, first=not shown)
        return name

    def show_query(self, s: Sentence, q: int, pause: float, first: bool) -> bool:
        """One query's arcs to what it reads, the two strongest weights written; False (nothing drawn) if the head
        spreads its weight too thinly for any link to be drawn. The `first` one shown explains the arcs."""
        links = [(a.query, a.key, a.weight) for a in arcs(s.trace, s.layer, s.head, 0.05, [q])
                 if a.key in s.row.shown_indices]
        if not links:
            return False
        top = sorted(links, key=lambda link: -link[2])[:2]
        _, key, w = top[0]
        variant = ("" if first else "_next") + ("_self" if key == q else "")
        self.say(f"say_step_through_queries{variant}", query=quoted(s.tokens[q]), read=quoted(s.tokens[key]),
                 w=f"{w:.2f}")
        diagram = ArcDiagram(s.row, links)
        focus = SurroundingRectangle(s.row.cell(q).box, color=th.QUERY, buff=0.05)
        weights = diagram.write_weights(top)
        reads = self.tr("and").join(f"{quoted(s.tokens[k])} {w:.2f}" for _, k, w in top)
        self.play(Create(focus), run_time=0.4)
        self.show_caption(self.tr("reads", query=quoted(s.tokens[q]), reads=reads))  # one short line: it leads
        self.play(LaggedStart(*[Create(a) for a in diagram], lag_ratio=0.1), FadeIn(weights), run_time=1.0)
        self.end_step(pause)
        self.play(FadeOut(diagram), FadeOut(weights), FadeOut(focus), *self.caption_out(), run_time=0.4)
        return True

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
        self.say("say_show_all_links_previous" if score >= PREVIOUS_HEAD else "say_show_all_links",
                 w=f"{MIN_WEIGHT:.2f}", score=f"{score:.2f}")
        self.play(FadeIn(legend), run_time=0.5)  # the last query's caption left with its arcs (show_query)
        self.draw_all(all_arcs)
        self.show_caption(self.tr("all_links", w=f"{MIN_WEIGHT:.2f}", score=f"{score:.2f}"))
        self.end_step()
        return all_arcs

    def switch_to_content_head(self, s: Sentence, c: ContentHead, all_arcs: ArcDiagram, name: VMobject) -> ArcDiagram:
        """Another head, the one that singles out a token most: its favourite framed wherever it occurs (after the
        first token), said to read by content only when the numbers show it (content_variant)."""
        links = [(a.query, a.key, a.weight) for a in arcs(s.trace, c.layer, c.head, MIN_WEIGHT)]
        content = ArcDiagram(s.row, links, color=th.KEY)
        marks = VGroup(*[SurroundingRectangle(s.row.cell(i).box, color=th.KEY, buff=0.05)
                         for i in s.row.shown_indices if i > 0 and s.tokens[i] == c.token])
        values = dict(token=quoted(c.token), share=f"{c.share:.0%}", lift=f"{c.lift:.0f}")
        variant = content_variant(c)
        self.say("say_switch_to_content_head" + variant, **values)
        self.play(FadeOut(all_arcs), FadeOut(name), FadeIn(self.head_label(c.layer, c.head)), *self.caption_out())
        self.draw_all(VGroup(*content, *marks))
        self.show_caption(self.tr("content" + variant, **values))  # over this head's arcs, not the last head's
        self.end_step(2)
        return content


def content_variant(c: ContentHead) -> str:
    """Which claim the numbers allow: "" reads by content (its token occurs twice or more among the keys and gets
    at least MIN_LIFT times its share), "_once" the token occurs once (its place and its content cannot be told
    apart), "_weak" no head singles a token out clearly."""
    if c.reads_content(MIN_LIFT):
        return ""
    return "_once" if c.count < 2 else "_weak"
