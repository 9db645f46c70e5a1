"""Scene: the prompt cut into its real tokens, each with its id."""
from __future__ import annotations

from dataclasses import dataclass

from manim import DOWN, UP, Create, FadeTransform, LaggedStart, VGroup, VMobject

from gptmath.tokens import CharSpan, char_spans

from scenes import theme as th
from scenes.animations import FadeIn
from scenes.base import GPTScene
from scenes.mobjects import SpanBracket, TokenRow, fit, label

T = "tokens"  # this module's catalogue: scenes/locales/tokens.toml
MAX_PROMPT = 80  # longer prompts are written cut short, with "…"
ROOM_BELOW = 1.6  # kept free under the tokens for the vocabulary line and the caption
MARK_HEIGHT = 0.45  # a character bracket with its label under a line of tokens


def worth_bracketing(span: CharSpan, tokens: list[str]) -> bool:
    """A character whose UTF-8 bytes are spread over tokens, or share a token with other characters' bytes."""
    if len(span.char.encode("utf-8")) == 1:
        return False
    return span.first_token != span.last_token or "<" in tokens[span.first_token]


@dataclass(frozen=True)
class TokenLayout:
    """What the scene writes: the prompt, and the characters it brackets under their tokens."""

    prompt: str
    spans: list[CharSpan]


class Tokenization(GPTScene):
    """Text → tokens → ids, with characters split into byte pieces bracketed honestly.

    Steps keep what the tests check as attributes (row, split_marks, vocab_mob); no step reads another's.
    """

    catalogue = T

    def construct(self) -> None:
        look = self.layout()
        self.show_title(self.tr("title"))
        prompt = self.show_prompt(look.prompt)
        row = self.cut_into_tokens(prompt, room_for_marks=bool(look.spans))
        self.show_ids(row)
        marks = self.show_split_characters(row, look.spans)
        self.state_vocabulary(VGroup(row, marks))

    def layout(self) -> TokenLayout:
        """The prompt as written (cut short when long) and the characters to bracket."""
        prompt, model, tokens = self.data.settings.prompt, self.data.model, self.data.tokens
        spans = char_spans([model.token_bytes(i) for i in self.data.ids])
        return TokenLayout(prompt if len(prompt) < MAX_PROMPT else prompt[:MAX_PROMPT - 3] + "…",
                           [s for s in spans if worth_bracketing(s, tokens)])

    def show_prompt(self, text: str) -> VMobject:
        prompt = fit(label(text, th.LABEL_SIZE + 4), th.CONTENT_WIDTH).move_to(2.3 * UP)
        self.show_caption(self.tr("intro"))
        self.play(FadeIn(prompt))
        self.end_step()
        return prompt

    def cut_into_tokens(self, prompt: VMobject, room_for_marks: bool) -> TokenRow:
        """The prompt's text flies into boxed tokens (wider apart when brackets will hang under them)."""
        line_buff = 0.7 if room_for_marks else 0.25
        self.row = row = TokenRow(self.data.tokens, self.data.ids, max_lines=4, line_buff=line_buff)
        row.next_to(prompt, DOWN, buff=0.6)
        marks_below = MARK_HEIGHT if room_for_marks else 0.0  # brackets hang under the last line
        room = row.get_top()[1] - (-th.FRAME_HEIGHT / 2 + th.EDGE + ROOM_BELOW + marks_below)
        if row.height > room:
            row.scale(room / row.height, about_edge=UP)
        texts = VGroup(*[c.text for c in row.cells if c.index is not None])
        n = len(self.data.tokens)
        self.show_caption(self.tr("cut", n=n) if n != 1 else self.tr("cut_one"))
        self.play(FadeTransform(prompt.copy(), texts), run_time=1.2)
        boxes = [c.box for c in row.cells if c.index is not None]
        dots = [c for c in row.cells if c.index is None]
        self.play(LaggedStart(*[Create(b) for b in boxes], *[FadeIn(d) for d in dots], lag_ratio=0.05))
        self.end_step()
        return row

    def show_ids(self, row: TokenRow) -> None:
        ids = [c.id_mob for c in row.cells if c.index is not None]
        self.show_caption(self.tr("ids"))
        self.play(LaggedStart(*[FadeIn(i, shift=0.1 * DOWN) for i in ids], lag_ratio=0.04))
        self.end_step()

    def show_split_characters(self, row: TokenRow, spans: list[CharSpan]) -> VGroup:
        """Characters whose UTF-8 bytes straddle tokens get a bracket under all their tokens (one per row)."""
        shown = set(row.shown_indices)
        self.split_marks = marks = VGroup(*[SpanBracket(row, s.first_token, s.last_token, s.char) for s in spans
                                            if {s.first_token, s.last_token} <= shown])
        if len(marks):
            self.show_caption(self.tr("bytes"))
            self.play(FadeIn(marks))
            self.end_step()
        return marks

    def state_vocabulary(self, above: VMobject) -> None:
        v = self.data.model.config.vocab_size
        self.vocab_mob = label(self.tr("vocab", v=f"{v:,}", last=f"{v - 1:,}"), th.LABEL_SIZE, th.HIGHLIGHT)
        self.vocab_mob.next_to(above, DOWN, buff=0.4)
        self.show_caption(self.tr("vocab_caption", model=self.data.model.name, v=f"{v:,}"))
        self.play(FadeIn(self.vocab_mob, shift=0.2 * UP))
        self.end_step(2)
