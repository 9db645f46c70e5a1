"""Scene: copying from earlier in the context (induction). A name comes back: a previous-token head marks what
came before each token, an induction head copies what followed last time; then the clean case, random tokens
told twice."""
from __future__ import annotations

from dataclasses import dataclass

from manim import DOWN, LEFT, UP, Create, LaggedStart, SurroundingRectangle, VGroup

from gptmath import Trace, hooks
from gptmath.copying import ReadTwice
from gptmath.reading import CopyExample, CopyHeads, copy_example

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.data import N_RANDOM
from scenes.mobjects import LossStrip, PatternThumbnail, ProbabilityBars, TokenRow, fit, label, quoted, weighted_link

T = "reading"  # this module's catalogue: scenes/locales/reading.toml
CLEAR_STRIPE = 0.2  # induction score (10x chance for 40 tokens) from which the captions call the stripe a stripe
CLEAR_GAIN = 1.0  # nats per token saved on the repeat from which the captions say the model copies
CLEAR_LINK = 0.3  # attention weight from which a head is said to read the token before / what followed last time
COPY_RATIO = 10.0  # the model copies when the copied token is this many times likelier after the repeat
COPY_MIN = 0.10  # ... and at least this likely (so it was under COPY_MIN / COPY_RATIO the first time)
ALREADY_EXPECTED = 0.5  # probability the first time from which the model already expected the token: no copying


@dataclass(frozen=True)
class Story:
    """What every step draws on: the story's own trace, its row of tokens, the repeat in it (None when no token
    comes back where the row shows it) and the two heads that copy."""

    trace: Trace
    row: TokenRow
    example: CopyExample | None
    heads: CopyHeads
    hidden: bool  # a token repeats, but only where the row elides it

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
            self.say("say_bridge_in_context_copying")
            self.say("say_repeat_hidden" if s.hidden else "say_no_repeat")
            self.show_caption(self.tr("repeat_hidden" if s.hidden else "no_repeat"))
            self.end_step(2)
        else:
            marks = self.mark_the_repeat(s, s.example)
            previous = self.previous_token_head(s, s.example)
            induction = self.induction_head(s, s.example, previous)
            self.bars = self.compare_probabilities(s, s.example, induction, marks)
        self.random_tokens_loss(self.random_tokens(s.heads))

    def lay_out(self) -> Story:
        """The story's tokens in up to two lines, the repeat in it, and the heads that copy it."""
        d = self.data
        trace = d.example_trace("InContextCopying")
        row = TokenRow(trace.token_strings, max_lines=2, font_size=th.SMALL_SIZE + 2, line_buff=1.2)
        fit(row, th.CONTENT_WIDTH).move_to([0, 0.4, 0])
        example = copy_example(trace, row.shown_indices)  # a repeat the row shows (it may elide the middle)
        hidden = example is None and copy_example(trace) is not None
        return Story(trace, row, example, d.copy_heads(), hidden)

    def mark_the_repeat(self, s: Story, ex: CopyExample) -> VGroup:
        """The token's first occurrence, what followed it, and the repeat, framed."""
        marks = VGroup(*[SurroundingRectangle(s.row.cell(i).box, color=color, buff=0.05) for i, color in
                         ((ex.first, th.DIM), (ex.first + 1, th.VALUE), (ex.query, th.QUERY))])
        values = dict(token=quoted(s.tokens[ex.query]), next=quoted(s.tokens[ex.first + 1]))
        self.say("say_bridge_in_context_copying")
        self.say("say_mark_the_repeat", **values)
        self.play(LaggedStart(*[Create(m) for m in marks], lag_ratio=0.3))
        self.show_caption(self.tr("story", **values))
        self.end_step()
        return marks

    def previous_token_head(self, s: Story, ex: CopyExample) -> VGroup:
        """The token after the first occurrence reads the token before it."""
        L, h = s.heads.previous
        w = s.weight(s.heads.previous, ex.first + 1, ex.first)
        arc = weighted_link(s.row, ex.first + 1, ex.first, w)
        values = dict(layer=L, head=h, token=quoted(s.tokens[ex.first + 1]), before=quoted(s.tokens[ex.first]),
                      w=f"{w:.2f}")
        weak = "" if w >= CLEAR_LINK else "_weak"
        self.say("say_previous_token_head" + weak, **values)
        self.play(Create(arc[0]), FadeIn(arc[1]))
        self.show_caption(self.tr("previous" + weak, **values))
        self.end_step()
        return arc

    def induction_head(self, s: Story, ex: CopyExample, previous: VGroup) -> VGroup:
        """The repeated token reads what followed its earlier occurrence."""
        L, h = s.heads.induction
        w = s.weight(s.heads.induction, ex.query, ex.first + 1)
        arc = weighted_link(s.row, ex.query, ex.first + 1, w)
        values = dict(layer=L, head=h, token=quoted(s.tokens[ex.query]), next=quoted(s.tokens[ex.first + 1]),
                      w=f"{w:.2f}")
        weak = "" if w >= CLEAR_LINK else "_weak"
        self.say("say_induction_head" + weak, **values)
        self.play(FadeOut(previous), Create(arc[0]), FadeIn(arc[1]))
        self.show_caption(self.tr("induction" + weak, **values))
        self.end_step()
        return arc

    def compare_probabilities(self, s: Story, ex: CopyExample, induction: VGroup, marks: VGroup) -> ProbabilityBars:
        """The copied token's probability right after the first occurrence and after the repeat."""
        names = [self.tr(key) for key in ("first_time", "now")]  # one word each: the bars show spaces as ␣
        bars = ProbabilityBars(names, [ex.p_first, ex.p_again], bar_length=4.0, font_size=th.SMALL_SIZE + 2,
                               label_width=3.2)
        head = label(self.tr("p_next", next=quoted(s.tokens[ex.first + 1])), th.SMALL_SIZE, th.DIM)
        group = VGroup(head, bars).arrange(DOWN, buff=0.25).move_to([0, -2.3, 0])
        values = dict(next=quoted(s.tokens[ex.first + 1]), first=f"{ex.p_first:.1%}", now=f"{ex.p_again:.1%}")
        claim = copy_claim(ex)
        self.say(f"say_compare_probabilities_{claim}", **values)
        self.play(FadeIn(group))
        self.show_caption(self.tr(f"jump_{claim}", **values))
        self.end_step()
        self.play(*[FadeOut(m) for m in (group, induction, marks, s.row)])
        return bars

    def random_tokens(self, heads: CopyHeads) -> ReadTwice:
        """The clean case: random tokens, then the same again; the induction head's pattern over them."""
        L, h = heads.induction
        read = self.data.read_twice(heads)
        thumb = PatternThumbnail(read.pattern, 3.6).move_to([-3.6, -0.2, 0])
        thumb_head = label(self.tr("pattern_head", layer=L, head=h), th.SMALL_SIZE, th.DIM).next_to(thumb, UP, 0.2)
        stripe = "" if heads.induction_score >= CLEAR_STRIPE else "_faint"
        self.say("say_random_tokens" + stripe, n=N_RANDOM, score=f"{heads.induction_score:.2f}")
        self.play(FadeIn(thumb), FadeIn(thumb_head))
        self.show_caption(self.tr("random" + stripe, n=N_RANDOM, score=f"{heads.induction_score:.2f}"))
        self.end_step(0.6)
        return read

    def random_tokens_loss(self, read: ReadTwice) -> None:
        """The loss per token on both copies: far lower on the repeat if the model copies."""
        strip = LossStrip(read.losses, N_RANDOM).move_to([2.8, 0.4, 0])
        strip_head = label(self.tr("loss_head"), th.SMALL_SIZE, th.DIM).next_to(strip.cells, UP, buff=0.2)
        first, again = read.first_loss, read.repeat_loss
        halves = VGroup(label(self.tr("first_copy", loss=f"{first:.2f}"), th.SMALL_SIZE, th.TEXT),
                        label(self.tr("second_copy", loss=f"{again:.2f}"), th.SMALL_SIZE, th.TEXT))
        halves.arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(strip, DOWN, buff=0.4).align_to(strip, LEFT)
        clear = first - again >= CLEAR_GAIN
        self.say("say_random_tokens_loss" if clear else "say_random_tokens_loss_small", first=f"{first:.2f}",
                 again=f"{again:.2f}", gain=f"{first - again:.2f}")
        self.play(FadeIn(strip), FadeIn(strip_head), FadeIn(halves))
        self.show_caption(self.tr("gain" if clear else "gain_small", gain=f"{first - again:.2f}"))
        self.end_step(2)

def copy_claim(ex: CopyExample) -> str:
    """What the copied token's two probabilities show: "copies" (unlikely the first time, likely after the repeat:
    at least COPY_MIN and COPY_RATIO times as likely), "already" (expected the first time already, from the words
    before it: ALREADY_EXPECTED), else "no_copy"."""
    if ex.p_again >= COPY_MIN and ex.p_again >= COPY_RATIO * ex.p_first:
        return "copies"
    return "already" if ex.p_first >= ALREADY_EXPECTED else "no_copy"
