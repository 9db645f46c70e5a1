"""Scene: writing text one token at a time; its rounds (Rounds, show_loop, run_round) are Chat's too."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from manim import LEFT, UP, Arrow, Create, ReplacementTransform, SurroundingRectangle, Transform, VMobject

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.data import Round, SceneData, Written
from scenes.mobjects import ModelBox, NextTokenBars, TokenText, continued_text, quoted
from scenes.mobjects.charts import percent
from scenes.subtitles import narration_cues

T = "softmax"  # this module's catalogue: scenes/locales/softmax.toml

TEXT_AT = np.array([-th.FRAME_WIDTH / 2 + th.EDGE, 2.6, 0])  # the text's top left corner
BOX_AT, BARS_AT = [-3.9, -1.4, 0], [3.0, -0.35, 0]  # the pick's frame stays inside the margin


@dataclass(frozen=True)
class Rounds:
    """The rounds to show: the prompt's tokens, each round (its pick, its bars) and the token it picked."""

    prompt_tokens: list[str]
    steps: list[Round]
    chosen: list[str]
    prompt_loss: float  # nats per token the model lost reading the prompt

    @classmethod
    def of(cls, data: SceneData, prompt_tokens: list[str], written: Written) -> Rounds:
        """The rounds the render command wrote (top-k sampling with the settings' temperature, k and seed)."""
        return cls(prompt_tokens, written.rounds, data.model.token_strings([r.chosen for r in written.rounds]),
                   written.prompt_loss)


@dataclass(frozen=True)
class Loop:
    """What the loop has drawn: the model box and its arrows, the text so far, the round's bars."""

    model_box: ModelBox
    arrow_in: Arrow
    arrow_out: Arrow
    text: TokenText
    bars: NextTokenBars  # before the first round: the first round's, not yet shown


class Generation(GPTScene):
    """The loop: text → model → probabilities → weighted random pick among the top k → appended → again.

    The pick is top-k sampling with k = the number of bars (settings.top_k), so every
    picked token is one the viewer sees; the other tokens' share is marked as not drawn.
    """

    catalogue = T

    def construct(self) -> None:
        rounds = Rounds.of(self.data, self.data.tokens, self.data.generation())
        self.say("say_bridge_generation")  # from the first frame, over the title (Chat says its own bridge)
        self.show_title(self.tr("gen_title"))
        loop = self.show_loop(rounds)
        for i in range(len(rounds.steps)):
            loop = self.run_round(rounds, loop, i)
        self.end_step(0.5)  # the rounds after the first: one step, under say_run_more_rounds
        self.steps, self.bars = rounds.steps, loop.bars
        self.result = self.show_result(rounds, loop)

    def show_loop(self, rounds: Rounds) -> Loop:
        """Text, model box, arrow into it, and out of it the first round's probabilities."""
        cfg = self.data.model.config
        text = self.loop_text(rounds, 0)
        box = ModelBox(self.tr("model_box", model=self.data.model.name, layers=cfg.n_layer, heads=cfg.n_head))
        box.move_to(BOX_AT)
        arrow_in = Arrow([BOX_AT[0], 0.3, 0], box.box.get_top(), buff=0.1, color=th.DIM)
        bars = self.round_bars(rounds, 0)
        arrow_out = Arrow(box.box.get_right(), bars.get_left() + 0.3 * LEFT, buff=0.1, color=th.DIM)
        self.say("say_show_loop", layers=cfg.n_layer)
        self.show_caption(self.tr("read_caption"))
        self.play(FadeIn(text))
        self.play(Create(arrow_in), FadeIn(box))
        self.play(Create(arrow_out), FadeIn(bars))
        self.end_step(0.5)
        return Loop(box, arrow_in, arrow_out, text, bars)

    def run_round(self, rounds: Rounds, loop: Loop, i: int) -> Loop:
        """Show round i's probabilities, pick one token, append it to the text. The first round is two steps, its
        pick and its append, each said; the rounds after it run under one line, said as the second begins."""
        if i == 1:
            self.say("say_run_more_rounds")
        bars = self.show_bars(rounds, loop, i)
        at = bars.top.ids.index(rounds.steps[i].chosen)  # the picked token's row
        pick = SurroundingRectangle(bars.rows[at], color=th.HIGHLIGHT, buff=0.1)
        if i == 0:
            self.announce_pick(rounds.chosen[0], bars.top.probs[at])
        self.play(Create(pick), run_time=0.4 if i > 1 else 0.8)
        if i == 0:
            self.end_step(0.5)
            self.say("say_run_round_append", token=quoted(rounds.chosen[0]))
            self.show_caption(self.tr("append_caption"))
        text = self.append(rounds, loop.text, bars.rows[at][0], pick, i)
        if i == 0:
            self.end_step(0.5)
        return replace(loop, text=text, bars=bars)

    def announce_pick(self, token: str, p: float) -> None:
        """Say and caption how the first round picks: top-k sampling at the settings' T and seed, and what won;
        the frame holds until the line's last sentence, the one that names the pick, comes up."""
        s = self.data.settings
        self.say("say_run_round", k=s.top_k, t=f"{s.temperature:g}", seed=s.seed, token=quoted(token),
                        p=percent(p))
        self.show_caption(self.tr("pick_caption", k=s.top_k, t=f"{s.temperature:g}", seed=s.seed))
        last_cue = narration_cues(self.narration[-1:], math.inf, self.settings.lang, voiced=self.voiced[-1:])[-1]
        self.wait_until(last_cue[0])

    def show_bars(self, rounds: Rounds, loop: Loop, i: int) -> NextTokenBars:
        """Round i's bars in place of the last round's (morphing would blend their numbers); the first round's
        came with the loop."""
        if i == 0:
            return loop.bars
        bars = self.round_bars(rounds, i)
        self.play(FadeOut(loop.bars), run_time=0.3 if i > 1 else 0.5)
        self.play(FadeIn(bars), run_time=0.3 if i > 1 else 0.5)
        return bars

    def append(self, rounds: Rounds, text: TokenText, picked: VMobject, pick: VMobject, i: int) -> TokenText:
        """The picked token's label flies into the text as its (i + 1)-th generated token; returns the new text."""
        new_text = self.loop_text(rounds, i + 1)
        glyphs = new_text.token_mobs.get(len(rounds.prompt_tokens) + i)
        flying = picked.copy()
        self.remove(text)
        self.add(new_text)
        if glyphs is not None and len(glyphs):
            glyphs.set_fill(opacity=0)
            self.play(Transform(flying, glyphs.copy().set_fill(opacity=1)), FadeOut(pick),
                      run_time=0.6 if i > 1 else 1)
            glyphs.set_fill(opacity=1)
        else:
            self.play(FadeOut(flying), FadeOut(pick))
        self.remove(flying)
        return new_text

    def show_result(self, rounds: Rounds, loop: Loop) -> TokenText:
        """The generated continuation on its own, large."""
        result = continued_text(rounds.prompt_tokens, rounds.chosen, max_width=th.CONTENT_WIDTH - 1,
                                font_size=th.LABEL_SIZE + 4).move_to(0.2 * UP)
        self.say("say_show_result", n=len(rounds.steps))
        self.show_caption(self.tr("done_caption", n=len(rounds.steps)))
        self.play(FadeOut(loop.bars), FadeOut(loop.model_box), FadeOut(loop.arrow_in), FadeOut(loop.arrow_out),
                  ReplacementTransform(loop.text, result))
        self.end_step(2)
        return result

    # -- pieces -----------------------------------------------------------
    def loop_text(self, rounds: Rounds, n_generated: int) -> TokenText:
        """The prompt plus the first n generated tokens, top left."""
        text = continued_text(rounds.prompt_tokens, rounds.chosen[:n_generated], max_width=5.6)
        return text.move_to(TEXT_AT, aligned_edge=UP + LEFT)

    def round_bars(self, rounds: Rounds, i: int) -> NextTokenBars:
        """Round i's top tokens (and the picked one, if it is not among them) with everything else."""
        top = rounds.steps[i].top
        rest = self.tr("rest_not_drawn", n=f"{self.data.model.config.vocab_size - len(top.ids):,}")
        return NextTokenBars(top, rest, bar_length=3.2).move_to(BARS_AT)
