"""Scene: a chatbot is the same next-token machine, reading a script with a system line and turns."""
from __future__ import annotations

import sys
from dataclasses import replace

from manim import UP, Create, LaggedStart, SurroundingRectangle, VGroup, VMobject

from gptmath.chat import split_markers
from gptmath.history import chance_loss

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.data import N_ROUNDS
from scenes.generation import Generation, Loop, Rounds
from scenes.mobjects import ChatTranscript, TokenRow, fit, label

T = "chat"  # this module's catalogue: scenes/locales/chat.toml
TOKEN_SIZE = th.LABEL_SIZE  # the script's tokens; their ids, at 0.7 of it, stay above th.MIN_NUMBER_SIZE (~10 px)
TOKEN_LINES = 4  # lines of tokens at most; a longer script shows its start and end around "…"
LEARNED = 0.5  # a model whose loss on the script is at most this share of chance_loss has learned such scripts


def marker_key(tokens: list[str], markers: list[str]) -> str:
    """How the script's role markers come out as tokens: "tokens" (each one a single token), "tokens_split"
    (cut into pieces) or "tokens_plain" (the template uses no markers this scene knows)."""
    if not markers:
        return "tokens_plain"
    return "tokens" if sum(t in markers for t in tokens) == len(markers) else "tokens_split"


class Chat(Generation):
    """The chat template's script, its tokens, then the answer generated token by token in Generation's rounds."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("title"))
        self.say("say_bridge")  # over the title, before the first step
        if self.data.model.chat_template is None:
            self.note = self.no_template()
            return
        self.prompt = self.data.chat_script()
        script = self.show_script(self.prompt)
        prompt_tokens, self.token_row = self.show_tokens(self.prompt, script)
        rounds, loop = self.answer(prompt_tokens)
        self.steps = rounds.steps
        self.transcript = self.show_transcript(self.prompt, rounds, loop)

    def no_template(self) -> VMobject:
        """Say so: a model without a chat template was not trained to chat (the user reads how to get one on
        stderr; the film speaks to its viewer)."""
        print(f"Chat: {self.data.model.name} has no chat template, so the scene only says so; for a chat, render it "
              "with a chat-trained model (--model), such as the English one this project ships", file=sys.stderr)
        note = fit(label(self.tr("no_template"), th.LABEL_SIZE + 6))
        self.show_caption(self.tr("no_template_caption"))
        self.say("say_no_template")
        self.play(FadeIn(note))
        self.end_step(2)
        return note

    def show_script(self, prompt: str) -> ChatTranscript:
        """The template's text, role markers as chips: what the model actually reads."""
        script = ChatTranscript(split_markers(prompt), max_width=th.CONTENT_WIDTH - 1,
                                font_size=th.LABEL_SIZE - 2).move_to(0.6 * UP)
        fit(script, th.CONTENT_WIDTH)
        self.show_caption(self.tr("script"))
        self.say("say_show_script")
        self.play(FadeIn(script.lines[0]))
        self.play(LaggedStart(*[FadeIn(line) for line in script.lines[1:]], lag_ratio=0.4))
        self.end_step()
        return script

    def show_tokens(self, prompt: str, script: ChatTranscript) -> tuple[list[str], TokenRow]:
        """The same script as tokens, in its place: each role marker framed. Returns the tokens and their row."""
        model = self.data.model
        ids = model.encode(prompt)
        tokens = model.token_strings(ids)
        row = TokenRow(tokens, ids, max_lines=TOKEN_LINES, font_size=TOKEN_SIZE).move_to(0.3 * UP)
        markers = [piece for piece, is_marker in split_markers(prompt) if is_marker]
        framed = [i for i, t in enumerate(tokens) if t in markers and i in row.shown_indices]
        frames = VGroup(*[SurroundingRectangle(row.cell(i), color=th.HIGHLIGHT, buff=0.04) for i in framed])
        key = marker_key(tokens, markers)
        first = markers[0] if markers else ""
        values = dict(n=len(ids), marker=first, id=ids[tokens.index(first)] if key == "tokens" else "",
                      k=len(model.encode(first)) if first else 0)
        self.show_caption(self.tr(key, **values))
        self.say(f"say_show_{key}", **values)
        self.play(FadeOut(script), FadeIn(row))
        if len(frames):
            self.play(LaggedStart(*[Create(f) for f in frames], lag_ratio=0.15))
        self.end_step()
        self.play(FadeOut(row), FadeOut(frames))
        return tokens, row

    def answer(self, prompt_tokens: list[str]) -> tuple[Rounds, Loop]:
        """The model continues the script after <|assistant|> (written by the render command: SceneData.chat_answer):
        a few rounds with bars, then the rest at once."""
        rounds = Rounds.of(self.data, prompt_tokens, self.data.chat_answer())
        loop = self.show_loop(rounds)
        for i in range(min(N_ROUNDS, len(rounds.steps))):
            loop = self.run_round(rounds, loop, i)
        rest = self.loop_text(rounds, len(rounds.steps))
        ended = self.ended(rounds)
        n = len(rounds.steps) - 1 if ended else len(rounds.steps)  # the answer's tokens before <|end|>
        self.show_caption(self.tr("continue" if ended else "continue_cut", n=n))
        self.say("say_answer" if ended else "say_answer_cut", n=n)
        self.play(FadeOut(loop.bars), FadeOut(loop.arrow_out), FadeOut(loop.text), FadeIn(rest), run_time=1.0)
        self.end_step()
        return rounds, replace(loop, text=rest)

    def show_transcript(self, prompt: str, rounds: Rounds, loop: Loop) -> ChatTranscript:
        """The script with the answer in it: the assistant's turn is just more text the model wrote."""
        answer = self.data.model.decode([s.chosen for s in rounds.steps]) + ("" if self.ended(rounds) else " …")
        transcript = ChatTranscript(split_markers(prompt + answer), max_width=th.CONTENT_WIDTH - 1,
                                    font_size=th.LABEL_SIZE - 4).move_to(0.4 * UP)
        fit(transcript, th.CONTENT_WIDTH, height=5.6)
        learned = rounds.prompt_loss <= LEARNED * chance_loss(self.data.model.config.vocab_size)
        self.show_caption(self.tr("same_machine" if learned else "same_machine_untrained"))
        self.say("say_show_transcript" if learned else "say_show_transcript_untrained")
        self.play(FadeOut(loop.text), FadeOut(loop.model_box), FadeOut(loop.arrow_in), FadeIn(transcript))
        self.end_step(2)
        return transcript

    # -- pieces -----------------------------------------------------------
    def ended(self, rounds: Rounds) -> bool:
        """Whether the answer ended with the end marker (else it was cut at N_ANSWER tokens)."""
        return bool(rounds.steps) and rounds.steps[-1].chosen == self.data.end_id()
