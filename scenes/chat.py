"""Scene: a chatbot is the same next-token machine, reading a script with a system line and turns."""
from __future__ import annotations

from dataclasses import replace

from manim import DOWN, UP, Create, LaggedStart, SurroundingRectangle, VGroup, VMobject

from gptmath.chat import END, chat_prompt, split_markers

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.generation import Generation, Loop, Rounds
from scenes.mobjects import ChatTranscript, TokenRow, fit, label

T = "chat"  # this module's catalogue: scenes/locales/chat.toml
N_ROUNDS = 4  # rounds shown with their bars; the rest of the answer is written straight after
N_ANSWER = 40  # tokens at most in the answer


class Chat(Generation):
    """The chat template's script, its tokens, then the answer generated token by token in Generation's rounds."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("title"))
        if self.data.model.chat_template is None:
            self.note = self.no_template()
            return
        request = self.data.text_for(self.tr("request")).text
        self.prompt = chat_prompt(self.data.model.chat_template, [{"role": "user", "content": request}])
        script = self.show_script(self.prompt)
        prompt_tokens = self.show_tokens(self.prompt, script)
        rounds, loop = self.answer(self.prompt, prompt_tokens)
        self.steps = rounds.steps
        self.transcript = self.show_transcript(self.prompt, rounds, loop)

    def no_template(self) -> VMobject:
        """Say so: a model without a chat template was not trained to chat."""
        note = fit(label(self.tr("no_template"), th.LABEL_SIZE + 6))
        self.show_caption(self.tr("no_template_hint"))
        self.play(FadeIn(note))
        self.end_step(2)
        return note

    def show_script(self, prompt: str) -> ChatTranscript:
        """The template's text, role markers as chips: what the model actually reads."""
        script = ChatTranscript(split_markers(prompt), max_width=th.CONTENT_WIDTH - 1,
                                font_size=th.LABEL_SIZE - 2).move_to(0.6 * UP)
        fit(script, th.CONTENT_WIDTH)
        self.show_caption(self.tr("script"))
        self.play(FadeIn(script.lines[0]))
        self.play(LaggedStart(*[FadeIn(line) for line in script.lines[1:]], lag_ratio=0.4))
        self.end_step()
        return script

    def show_tokens(self, prompt: str, script: ChatTranscript) -> list[str]:
        """The same script as tokens: each role marker is one token with its own id. Returns the tokens."""
        model = self.data.model
        ids = model.encode(prompt)
        tokens = model.token_strings(ids)
        row = TokenRow(tokens, ids, max_lines=4, font_size=th.SMALL_SIZE)
        fit(row, th.CONTENT_WIDTH).next_to(script, DOWN, buff=0.5)
        fit(row, height=max(0.5, row.get_top()[1] + th.FRAME_HEIGHT / 2 - th.EDGE - 0.9))
        markers = [i for i, t in enumerate(tokens) if t.startswith("<|") and i in row.shown_indices]
        frames = VGroup(*[SurroundingRectangle(row.cell(i), color=th.HIGHLIGHT, buff=0.04) for i in markers])
        first = tokens[markers[0]] if markers else ""
        self.show_caption(self.tr("tokens", n=len(ids), marker=first, id=ids[markers[0]] if markers else ""))
        self.play(FadeIn(row))
        self.play(LaggedStart(*[Create(f) for f in frames], lag_ratio=0.15))
        self.end_step()
        self.play(FadeOut(row), FadeOut(frames), FadeOut(script))
        return tokens

    def answer(self, prompt: str, prompt_tokens: list[str]) -> tuple[Rounds, Loop]:
        """The model continues the script after <|assistant|>: a few rounds with bars, then the rest at once."""
        rounds = Rounds.sample(self.data, prompt, prompt_tokens, N_ANSWER, stop=self.end_id())
        loop = self.show_loop(rounds)
        for i in range(min(N_ROUNDS, len(rounds.steps))):
            loop = self.run_round(rounds, loop, i)
        rest = self.loop_text(rounds, len(rounds.steps))
        self.show_caption(self.tr("continue" if self.ended(rounds) else "continue_cut", n=len(rounds.steps)))
        self.play(FadeOut(loop.bars), FadeOut(loop.text), FadeIn(rest), run_time=1.0)
        self.end_step()
        return rounds, replace(loop, text=rest)

    def show_transcript(self, prompt: str, rounds: Rounds, loop: Loop) -> ChatTranscript:
        """The script with the answer in it: the assistant's turn is just more text the model wrote."""
        answer = self.data.model.decode([s.chosen for s in rounds.steps]) + ("" if self.ended(rounds) else " …")
        transcript = ChatTranscript(split_markers(prompt + answer), max_width=th.CONTENT_WIDTH - 1,
                                    font_size=th.LABEL_SIZE - 4).move_to(0.4 * UP)
        fit(transcript, th.CONTENT_WIDTH, height=5.6)
        self.show_caption(self.tr("same_machine"))
        self.play(FadeOut(loop.text), FadeOut(loop.model_box), FadeOut(loop.arrow_in), FadeOut(loop.arrow_out),
                  FadeIn(transcript))
        self.end_step(2)
        return transcript

    # -- pieces -----------------------------------------------------------
    def end_id(self) -> int:
        """The id of the marker that ends a turn."""
        return self.data.model.tokenizer.token_to_id(END)

    def ended(self, rounds: Rounds) -> bool:
        """Whether the answer ended with the end marker (else it was cut at N_ANSWER tokens)."""
        return bool(rounds.steps) and rounds.steps[-1].chosen == self.end_id()
