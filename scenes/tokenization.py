"""Scene: the prompt cut into its real tokens, each with its id."""
from __future__ import annotations

from dataclasses import dataclass

from manim import DOWN, UP, Create, FadeTransform, LaggedStart, VGroup, VMobject

from gptmath.params import GPT3
from gptmath.tokens import CharSpan, char_spans

from scenes import theme as th
from scenes.animations import FadeIn
from scenes.base import GPTScene
from scenes.mobjects import SpanBracket, TokenRow, fit, label
from scenes.spoken import BYTE

T = "tokens"  # this module's catalogue: scenes/locales/tokens.toml
MAX_PROMPT = 80  # longer prompts are written cut short, with "…"
ROOM_BELOW = 1.6  # kept free under the tokens for the vocabulary line and the caption
MARK_HEIGHT = 0.45  # a character bracket with its label under a line of tokens
ID_SIZE = th.NUMBER_SIZE + 2  # the ids under the tokens: digits about 11 px tall at 480p ...
MIN_ID_HEIGHT = 10 / 60  # ... and never under 10 px (60 px a unit at 480p), even in a shrunk row
MAX_LINES = 4  # lines of tokens at most


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
        self.say("say_bridge")
        self.say("say_show_prompt")
        self.show_caption(self.tr("intro"))
        self.play(FadeIn(prompt))
        self.end_step()
        return prompt

    def cut_into_tokens(self, prompt: VMobject, room_for_marks: bool) -> TokenRow:
        """The prompt's text flies into boxed tokens (wider apart when brackets will hang under them)."""
        self.row = row = self.token_row(prompt.get_bottom()[1] - 0.6, room_for_marks)
        texts = VGroup(*[c.text for c in row.cells if c.index is not None])
        n = len(self.data.tokens)
        kind = "_one" if n == 1 else ("" if any(" " in t for t in self.data.tokens) else "_spaceless")  # ␣ drawn?
        self.say(f"say_cut_into_tokens{kind}", n=n)
        self.show_caption(self.tr(f"cut{kind}", n=n))
        self.play(FadeTransform(prompt.copy(), texts), run_time=1.2)
        boxes = [c.box for c in row.cells if c.index is not None]
        dots = [c for c in row.cells if c.index is None]
        self.play(LaggedStart(*[Create(b) for b in boxes], *[FadeIn(d) for d in dots], lag_ratio=0.05))
        self.end_step()
        return row

    def token_row(self, top: float, room_for_marks: bool) -> TokenRow:
        """The tokens on as many lines (MAX_LINES at most) as fit above the vocabulary line with their ids still
        readable, shrunk if need be; tokens that do not fit give way to "…" in the middle."""
        line_buff = MARK_HEIGHT + 0.1 if room_for_marks else 0.25
        bottom = -th.FRAME_HEIGHT / 2 + th.EDGE + ROOM_BELOW + (MARK_HEIGHT if room_for_marks else 0.0)
        for lines in range(MAX_LINES, 0, -1):
            row = TokenRow(self.data.tokens, self.data.ids, max_lines=lines, line_buff=line_buff, id_size=ID_SIZE)
            scale = min(1.0, (top - bottom) / row.height)
            if scale * min(c.id_mob.height for c in row.cells if c.index is not None) >= MIN_ID_HEIGHT:
                break
        return row.scale(scale).move_to([0, top - scale * row.height / 2, 0])

    def show_ids(self, row: TokenRow) -> None:
        ids = [c.id_mob for c in row.cells if c.index is not None]
        self.say("say_show_ids")
        self.show_caption(self.tr("ids"))
        self.play(LaggedStart(*[FadeIn(i, shift=0.1 * DOWN) for i in ids], lag_ratio=0.04))
        self.end_step()

    def show_split_characters(self, row: TokenRow, spans: list[CharSpan]) -> VGroup:
        """Characters whose UTF-8 bytes straddle tokens get a bracket under all their tokens (one per row)."""
        shown = set(row.shown_indices)
        spans = [s for s in spans if {s.first_token, s.last_token} <= shown]
        self.split_marks = marks = VGroup(*[SpanBracket(row, s.first_token, s.last_token, s.char) for s in spans])
        if len(marks):  # the example byte is one under the first bracket: its character's tokens hold lone bytes
            byte = next(b.group() for t in row.tokens[spans[0].first_token:spans[0].last_token + 1]
                        for b in BYTE.finditer(t))
            self.say("say_show_split_characters", byte=byte)
            self.show_caption(self.tr("bytes", byte=byte))
            self.play(FadeIn(marks))
            self.end_step()
        return marks

    def state_vocabulary(self, above: VMobject) -> None:
        v = self.data.model.config.vocab_size
        self.vocab_mob = label(self.tr("vocab", v=f"{v:,}", last=f"{v - 1:,}"), th.LABEL_SIZE, th.HIGHLIGHT)
        self.vocab_mob.next_to(above, DOWN, buff=0.4)
        self.say("say_state_vocabulary" if v < GPT3.vocab_size else "say_state_vocabulary_large",
                 model=self.data.model.name, v=f"{v:,}", gpt3=f"{GPT3.vocab_size:,}")
        self.show_caption(self.tr("vocab_caption", model=self.data.model.name, v=f"{v:,}"))
        self.play(FadeIn(self.vocab_mob, shift=0.2 * UP))
        self.end_step(2)
