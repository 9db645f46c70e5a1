"""Scene: a chatbot is the same next-token machine, reading a script with a system line and turns."""
from __future__ import annotations

from manim import DOWN, UP, Create, LaggedStart, SurroundingRectangle, VGroup

from gptmath.chat import END, chat_prompt, split_markers

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.mobjects import ChatTranscript, TokenRow, fit, label
from scenes.generation import Generation

T = "chat"  # this module's catalogue: scenes/locales/chat.toml
N_ROUNDS = 4  # rounds shown with their bars; the rest of the answer is written straight after
N_ANSWER = 40  # tokens at most in the answer


class Chat(Generation):
    """The chat template's script, its tokens, then the answer generated token by token as in Generation."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("title"))
        if self.data.model.chat_template is None:
            self.note = fit(label(self.tr("no_template"), th.LABEL_SIZE + 6))
            self.show_caption(self.tr("no_template_hint"))
            self.play(FadeIn(self.note))
            self.end_step(2)
            return
        self.show_script()
        self.show_tokens()
        self.answer()
        self.show_transcript()

    def show_script(self) -> None:
        """The template's text, role markers as chips: what the model actually reads."""
        self.messages = [{"role": "user", "content": self.data.text_for(self.tr("request")).text}]
        self.prompt = chat_prompt(self.data.model.chat_template, self.messages)
        self.script = ChatTranscript(split_markers(self.prompt), max_width=th.CONTENT_WIDTH - 1,
                                     font_size=th.LABEL_SIZE - 2).move_to(0.6 * UP)
        fit(self.script, th.CONTENT_WIDTH)
        self.show_caption(self.tr("script"))
        self.play(FadeIn(self.script.lines[0]))
        self.play(LaggedStart(*[FadeIn(line) for line in self.script.lines[1:]], lag_ratio=0.4))
        self.end_step()

    def show_tokens(self) -> None:
        """The same script as tokens: each role marker is one token with its own id."""
        model = self.data.model
        ids = model.encode(self.prompt)
        self.prompt_tokens = model.token_strings(ids)
        row = TokenRow(self.prompt_tokens, ids, max_lines=4, font_size=th.SMALL_SIZE)
        fit(row, th.CONTENT_WIDTH).next_to(self.script, DOWN, buff=0.5)
        fit(row, height=max(0.5, row.get_top()[1] + th.FRAME_HEIGHT / 2 - th.EDGE - 0.9))
        markers = [i for i, t in enumerate(self.prompt_tokens) if t.startswith("<|") and i in row.shown_indices]
        frames = VGroup(*[SurroundingRectangle(row.cell(i), color=th.HIGHLIGHT, buff=0.04) for i in markers])
        first = self.prompt_tokens[markers[0]] if markers else ""
        self.show_caption(self.tr("tokens", n=len(ids), marker=first, id=ids[markers[0]] if markers else ""))
        self.play(FadeIn(row))
        self.play(LaggedStart(*[Create(f) for f in frames], lag_ratio=0.15))
        self.end_step()
        self.play(FadeOut(row), FadeOut(frames), FadeOut(self.script))

    def answer(self) -> None:
        """The model continues the script after <|assistant|>: a few rounds with bars, then the rest at once."""
        end = self.data.model.tokenizer.token_to_id(END)
        self.prepare_rounds(self.prompt, self.prompt_tokens, N_ANSWER, stop=end)
        self.ended = bool(self.steps) and self.steps[-1].chosen == end  # else it was cut at N_ANSWER tokens
        self.show_loop()
        for i in range(min(N_ROUNDS, len(self.steps))):
            self.run_round(i)
        rest = self.text_mob(len(self.steps))
        self.show_caption(self.tr("continue" if self.ended else "continue_cut", n=len(self.steps)))
        self.play(FadeOut(self.bars), FadeOut(self.text), FadeIn(rest), run_time=1.0)
        self.text = rest
        self.end_step()

    def show_transcript(self) -> None:
        """The script with the answer in it: the assistant's turn is just more text the model wrote."""
        answer = self.data.model.decode([s.chosen for s in self.steps]) + ("" if self.ended else " …")
        transcript = ChatTranscript(split_markers(self.prompt + answer), max_width=th.CONTENT_WIDTH - 1,
                                    font_size=th.LABEL_SIZE - 4).move_to(0.4 * UP)
        fit(transcript, th.CONTENT_WIDTH, height=5.6)
        self.show_caption(self.tr("same_machine"))
        self.play(FadeOut(self.text), FadeOut(self.model_box), FadeOut(self.arrow_in), FadeOut(self.arrow_out),
                  FadeIn(transcript))
        self.transcript = transcript
        self.end_step(2)
