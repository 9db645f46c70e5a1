"""Scene: the prompt cut into its real tokens, each with its id."""
from __future__ import annotations

from manim import DOWN, UP, Create, FadeIn, FadeTransform, LaggedStart, Line, VGroup

from gptmath.tokens import char_spans

from scenes import theme as th
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import TokenRow, label


T = "tokens"  # this module's catalogue: scenes/locales/tokens.toml


class Tokenization(GPTScene):
    """Text → tokens → ids, with characters split into byte pieces bracketed honestly."""

    def construct(self) -> None:
        self.show_title(tr(T, "title"))
        self.show_prompt()
        self.cut_into_tokens()
        self.show_ids()
        self.show_split_characters()
        self.state_vocabulary()

    def show_prompt(self) -> None:
        prompt = self.data.settings.prompt
        self.prompt_mob = label(prompt if len(prompt) < 80 else prompt[:77] + "…", th.LABEL_SIZE + 4)
        if self.prompt_mob.width > th.CONTENT_WIDTH:
            self.prompt_mob.scale_to_fit_width(th.CONTENT_WIDTH)
        self.prompt_mob.shift(1.6 * UP)
        self.play(FadeIn(self.prompt_mob))
        self.show_caption(tr(T, "intro"))
        self.end_step()

    def cut_into_tokens(self) -> None:
        self.row = TokenRow(self.data.tokens, self.data.ids, max_lines=4).move_to(0.4 * DOWN)
        texts = VGroup(*[c.text for c in self.row.cells if c.index is not None])
        self.play(FadeTransform(self.prompt_mob.copy(), texts), run_time=1.2)
        boxes = [c.box for c in self.row.cells if c.index is not None]
        dots = [c for c in self.row.cells if c.index is None]
        self.play(LaggedStart(*[Create(b) for b in boxes], *[FadeIn(d) for d in dots], lag_ratio=0.05))
        n = len(self.data.tokens)
        self.show_caption(tr(T, "cut", n=n) if n != 1 else tr(T, "cut_one"))
        self.end_step()

    def show_ids(self) -> None:
        ids = [c.id_mob for c in self.row.cells if c.index is not None]
        self.play(LaggedStart(*[FadeIn(i, shift=0.1 * DOWN) for i in ids], lag_ratio=0.04))
        self.show_caption(tr(T, "ids"))
        self.end_step()

    def show_split_characters(self) -> None:
        """Characters whose UTF-8 bytes straddle tokens get a bracket under all their tokens."""
        model = self.data.model
        spans = char_spans([model.token_bytes(i) for i in self.data.ids])
        shown = set(self.row.shown_indices)
        self.split_marks = VGroup()
        for span in spans:
            if len(span.char.encode("utf-8")) == 1 or not {span.first_token, span.last_token} <= shown:
                continue
            if span.first_token == span.last_token and not any(
                    p.startswith("<") for p in [self.data.tokens[span.first_token]]):
                continue
            first, last = self.row.cell(span.first_token), self.row.cell(span.last_token)
            y = min(first.get_bottom()[1], last.get_bottom()[1]) - 0.08
            line = Line([first.get_left()[0], y, 0], [last.get_right()[0], y, 0], color=th.HIGHLIGHT, stroke_width=3)
            char = label(span.char, th.SMALL_SIZE, th.HIGHLIGHT).next_to(line, DOWN, buff=0.05)
            self.split_marks.add(VGroup(line, char))
        if len(self.split_marks):
            self.play(FadeIn(self.split_marks))
            self.show_caption(tr(T, "bytes"))
            self.end_step()

    def state_vocabulary(self) -> None:
        v = self.data.model.config.vocab_size
        self.vocab_mob = label(tr(T, "vocab", v=f"{v:,}", last=f"{v - 1:,}"), th.LABEL_SIZE, th.HIGHLIGHT)
        self.vocab_mob.next_to(self.row, DOWN, buff=0.7)
        self.play(FadeIn(self.vocab_mob, shift=0.2 * UP))
        self.show_caption(tr(T, "vocab_caption", model=self.data.model.name, v=f"{v:,}"))
        self.end_step(2)
