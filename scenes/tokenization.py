"""Scene: the prompt cut into its real tokens, each with its id."""
from __future__ import annotations

from manim import DOWN, UP, Create, FadeTransform, LaggedStart, Line, VGroup

from gptmath.tokens import char_spans

from scenes import theme as th
from scenes.animations import FadeIn
from scenes.base import GPTScene
from scenes.mobjects import TokenRow, fit, label


T = "tokens"  # this module's catalogue: scenes/locales/tokens.toml
ROOM_BELOW = 1.6  # kept free under the tokens for the vocabulary line and the caption
MARK_HEIGHT = 0.45  # a character bracket with its label under a line of tokens


class Tokenization(GPTScene):
    """Text → tokens → ids, with characters split into byte pieces bracketed honestly."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("title"))
        self.show_prompt()
        self.cut_into_tokens()
        self.show_ids()
        self.show_split_characters()
        self.state_vocabulary()

    def show_prompt(self) -> None:
        prompt = self.data.settings.prompt
        self.prompt_mob = label(prompt if len(prompt) < 80 else prompt[:77] + "…", th.LABEL_SIZE + 4)
        fit(self.prompt_mob, th.CONTENT_WIDTH)
        self.prompt_mob.move_to(2.3 * UP)
        self.show_caption(self.tr("intro"))
        self.play(FadeIn(self.prompt_mob))
        self.end_step()

    def cut_into_tokens(self) -> None:
        model = self.data.model
        self.split_marks = VGroup()
        self.spans = [s for s in char_spans([model.token_bytes(i) for i in self.data.ids]) if self._is_split(s)]
        self.row = TokenRow(self.data.tokens, self.data.ids, max_lines=4, line_buff=0.7 if self.spans else 0.25)
        self.row.next_to(self.prompt_mob, DOWN, buff=0.6)
        marks_below = MARK_HEIGHT if self.spans else 0.0  # brackets hang under the last line
        room = self.row.get_top()[1] - (-th.FRAME_HEIGHT / 2 + th.EDGE + ROOM_BELOW + marks_below)
        if self.row.height > room:
            self.row.scale(room / self.row.height, about_edge=UP)
        texts = VGroup(*[c.text for c in self.row.cells if c.index is not None])
        n = len(self.data.tokens)
        self.show_caption(self.tr("cut", n=n) if n != 1 else self.tr("cut_one"))
        self.play(FadeTransform(self.prompt_mob.copy(), texts), run_time=1.2)
        boxes = [c.box for c in self.row.cells if c.index is not None]
        dots = [c for c in self.row.cells if c.index is None]
        self.play(LaggedStart(*[Create(b) for b in boxes], *[FadeIn(d) for d in dots], lag_ratio=0.05))
        self.end_step()

    def show_ids(self) -> None:
        ids = [c.id_mob for c in self.row.cells if c.index is not None]
        self.show_caption(self.tr("ids"))
        self.play(LaggedStart(*[FadeIn(i, shift=0.1 * DOWN) for i in ids], lag_ratio=0.04))
        self.end_step()

    def _is_split(self, span) -> bool:
        """A character worth bracketing: its bytes are spread over tokens or share a token with others' bytes."""
        if len(span.char.encode("utf-8")) == 1:
            return False
        return span.first_token != span.last_token or "<" in self.data.tokens[span.first_token]

    def show_split_characters(self) -> None:
        """Characters whose UTF-8 bytes straddle tokens get a bracket under all their tokens (one per row)."""
        shown = set(self.row.shown_indices)
        for span in self.spans:
            if not {span.first_token, span.last_token} <= shown:
                continue
            segments = VGroup()
            for run in self.row.runs(span.first_token, span.last_token):
                y = min(c.get_bottom()[1] for c in run) - 0.08
                segments.add(Line([run[0].get_left()[0] + 0.03, y, 0], [run[-1].get_right()[0] - 0.03, y, 0],
                                  color=th.HIGHLIGHT, stroke_width=3))
            char = label(span.char, th.SMALL_SIZE, th.HIGHLIGHT).next_to(segments[0], DOWN, buff=0.05)
            self.split_marks.add(VGroup(segments, char))
        if len(self.split_marks):
            self.show_caption(self.tr("bytes"))
            self.play(FadeIn(self.split_marks))
            self.end_step()

    def state_vocabulary(self) -> None:
        v = self.data.model.config.vocab_size
        self.vocab_mob = label(self.tr("vocab", v=f"{v:,}", last=f"{v - 1:,}"), th.LABEL_SIZE, th.HIGHLIGHT)
        self.vocab_mob.next_to(VGroup(self.row, self.split_marks), DOWN, buff=0.4)
        self.show_caption(self.tr("vocab_caption", model=self.data.model.name, v=f"{v:,}"))
        self.play(FadeIn(self.vocab_mob, shift=0.2 * UP))
        self.end_step(2)
