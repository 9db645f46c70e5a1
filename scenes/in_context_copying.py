"""Scene: copying from earlier in the context (induction). A name comes back: a previous-token head marks what
came before each token, an induction head copies what followed last time; then the clean case, random tokens
told twice."""
from __future__ import annotations

from dataclasses import dataclass

from manim import DOWN, LEFT, UP, Create, LaggedStart, SurroundingRectangle, VGroup

from gptmath import Trace, hooks
from gptmath.copying import read_twice
from gptmath.reading import CopyExample, CopyHeads, copy_example, pick_copy_heads

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.mobjects import LossStrip, PatternThumbnail, ProbabilityBars, TokenRow, fit, label, quoted, weighted_link

T = "reading"  # this module's catalogue: scenes/locales/reading.toml
N_RANDOM = 20  # random tokens in each copy of the clean case
CLEAR_STRIPE = 0.2  # induction score (10x chance for 40 tokens) from which the captions call the stripe a stripe
CLEAR_GAIN = 1.0  # nats per token saved on the repeat from which the captions say the model copies


@dataclass(frozen=True)
class Story:
    """What every step draws on: the story's own trace, its row of tokens, the repeat in it (None when no token
    comes back where the row shows it) and the two heads that copy."""

    trace: Trace
    row: TokenRow
    example: CopyExample | None
    heads: CopyHeads

    @property
    def tokens(self) -> list[str]:
        return self.trace.token_strings

    def weight(self, head: tuple[int, int], query: int, key: int) -> float:
        layer, h = head
        return float(self.trace[hooks.attn(layer, "pattern")][h, query, key])


class InContextCopying(GPTScene):
    """A name comes back: a previous-token head marks what came before each token, an induction head copies.

    What it drew stays on the scene for tests: `story` and `bars` (the copied token's probability both times).
    """

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("copy_title"))
        self.story = s = self.lay_out()
        self.play(FadeIn(s.row))
        if s.example is None:
            self.show_caption(self.tr("no_repeat"))
            self.end_step(2)
        else:
            marks = self.mark_the_repeat(s, s.example)
            previous = self.previous_token_head(s, s.example)
            induction = self.induction_head(s, s.example, previous)
            self.bars = self.compare_probabilities(s, s.example, induction, marks)
        self.random_tokens(s.heads)

    def lay_out(self) -> Story:
        """The story's tokens in up to two lines, the repeat in it, and the heads that copy it."""
        d = self.data
        trace = d.example_trace("InContextCopying")
        row = TokenRow(trace.token_strings, max_lines=2, font_size=th.SMALL_SIZE + 2, line_buff=1.2)
        fit(row, th.CONTENT_WIDTH).move_to([0, 0.4, 0])
        example = copy_example(trace)
        if example is not None and not {example.first, example.first + 1, example.query} <= set(row.shown_indices):
            example = None  # the row elides part of the repeat: nothing to point at
        return Story(trace, row, example, pick_copy_heads(d.model, trace, d.settings.layer, d.settings.head))

    def mark_the_repeat(self, s: Story, ex: CopyExample) -> VGroup:
        """The token's first occurrence, what followed it, and the repeat, framed."""
        marks = VGroup(*[SurroundingRectangle(s.row.cell(i).box, color=color, buff=0.05) for i, color in
                         ((ex.first, th.DIM), (ex.first + 1, th.VALUE), (ex.query, th.QUERY))])
        self.show_caption(self.tr("story", token=quoted(s.tokens[ex.query]), next=quoted(s.tokens[ex.first + 1])))
        self.play(LaggedStart(*[Create(m) for m in marks], lag_ratio=0.3))
        self.end_step()
        return marks

    def previous_token_head(self, s: Story, ex: CopyExample) -> VGroup:
        """The token after the first occurrence reads the token before it."""
        L, h = s.heads.previous
        w = s.weight(s.heads.previous, ex.first + 1, ex.first)
        arc = weighted_link(s.row, ex.first + 1, ex.first, w)
        self.show_caption(self.tr("previous", layer=L, head=h, token=quoted(s.tokens[ex.first + 1]),
                                  before=quoted(s.tokens[ex.first]), w=f"{w:.2f}"))
        self.play(Create(arc[0]), FadeIn(arc[1]))
        self.end_step()
        return arc

    def induction_head(self, s: Story, ex: CopyExample, previous: VGroup) -> VGroup:
        """The repeated token reads what followed its earlier occurrence."""
        L, h = s.heads.induction
        w = s.weight(s.heads.induction, ex.query, ex.first + 1)
        arc = weighted_link(s.row, ex.query, ex.first + 1, w)
        self.show_caption(self.tr("induction", layer=L, head=h, token=quoted(s.tokens[ex.query]),
                                  next=quoted(s.tokens[ex.first + 1]), w=f"{w:.2f}"))
        self.play(FadeOut(previous), Create(arc[0]), FadeIn(arc[1]))
        self.end_step()
        return arc

    def compare_probabilities(self, s: Story, ex: CopyExample, induction: VGroup, marks: VGroup) -> ProbabilityBars:
        """The copied token's probability right after the first occurrence and after the repeat."""
        names = [self.tr(key) for key in ("first_time", "now")]  # one word each: the bars show spaces as ␣
        bars = ProbabilityBars(names, [ex.p_first, ex.p_again], bar_length=4.0, font_size=th.SMALL_SIZE + 2,
                               label_width=3.2)
        head = label(self.tr("p_next", next=quoted(s.tokens[ex.first + 1])), th.SMALL_SIZE, th.DIM)
        group = VGroup(head, bars).arrange(DOWN, buff=0.25).move_to([0, -2.3, 0])
        self.show_caption(self.tr("jump", first=f"{ex.p_first:.1%}", now=f"{ex.p_again:.1%}"))
        self.play(FadeIn(group))
        self.end_step()
        self.play(*[FadeOut(m) for m in (group, induction, marks, s.row)])
        return bars

    def random_tokens(self, heads: CopyHeads) -> None:
        """The clean case: random tokens, then the same again; the induction head's pattern and the loss per token."""
        L, h = heads.induction
        read = read_twice(self.data.model, L, h, N_RANDOM, self.data.settings.seed)
        thumb = PatternThumbnail(read.pattern, 3.6).move_to([-3.6, -0.2, 0])
        thumb_head = label(self.tr("pattern_head", layer=L, head=h), th.SMALL_SIZE, th.DIM).next_to(thumb, UP, 0.2)
        strip = LossStrip(read.losses, N_RANDOM).move_to([2.8, 0.4, 0])
        strip_head = label(self.tr("loss_head"), th.SMALL_SIZE, th.DIM).next_to(strip.cells, UP, buff=0.2)
        first, again = read.first_loss, read.repeat_loss
        halves = VGroup(label(self.tr("first_copy", loss=f"{first:.2f}"), th.SMALL_SIZE, th.TEXT),
                        label(self.tr("second_copy", loss=f"{again:.2f}"), th.SMALL_SIZE, th.TEXT))
        halves.arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(strip, DOWN, buff=0.4).align_to(strip, LEFT)
        stripe = heads.induction_score >= CLEAR_STRIPE
        self.show_caption(self.tr("random" if stripe else "random_faint", n=N_RANDOM,
                                  score=f"{heads.induction_score:.2f}"))
        self.play(FadeIn(thumb), FadeIn(thumb_head))
        self.end_step(0.6)
        self.show_caption(self.tr("gain" if first - again >= CLEAR_GAIN else "gain_small", gain=f"{first - again:.2f}"))
        self.play(FadeIn(strip), FadeIn(strip_head), FadeIn(halves))
        self.end_step(2)
