"""Scene: the film's opening question, this model's real answer to it, and the road the film takes to explain it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, Arrow, Brace, Create, DashedVMobject, GrowFromEdge, Indicate, LaggedStart, Line,
    RoundedRectangle, VGroup, VMobject, interpolate_color,
)

from gptmath import hooks
from gptmath.params import GPT3, total, weight_matrix_tally
from gptmath.readout import Bars, top_bars

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.mobjects import ProbabilityBars, TokenText, fit, label, quoted
from scenes.narration import reading_seconds

S = "story"  # this module's catalogue: scenes/locales/story.toml (shared with scenes/recap.py)

MAX_BARS = 5  # the answer shows at most the five likeliest next tokens
SURE = 0.5  # above this, the likeliest token is more likely than all the others together: "the model is sure"
PROMPT_Y = 2.15  # the prompt's centre
PROMPT_WIDTH = 11.0  # the prompt wraps at this width, onto at most PROMPT_LINES lines (the last ones kept)
PROMPT_LINES = 2
PROMPT_SIZE = th.LABEL_SIZE + 4
BOX_CENTER = (-3.7, -0.85, 0)  # the model's box, under the prompt, left of its answer
BOX_WIDTH = 3.2
BARS_CENTER = (2.3, -0.85, 0)  # the answer's bars
BAR_LENGTH = 3.6
BAR_HEIGHT = 0.3
REST_WIDTH = 3.2  # the last row's name ("other 1,019 tokens") may reach left of the token labels
ROAD_TOP, ROAD_BOTTOM = 2.55, -2.85  # the road map's first and last chapter
PILL_X, PILL_WIDTH, PILL_HEIGHT = -3.05, 3.7, 0.46  # the chapters' pills
QUESTION_X = -0.95  # the questions start here, right of the pills
QUESTION_SIZE = th.SMALL_SIZE + 2
QUESTION_WIDTH = th.FRAME_WIDTH / 2 - th.EDGE - QUESTION_X

# The film's chapters in order, each with the question a viewer brings to it (3Blue1Brown's chapter and its Q&A):
# keys chapter_<name> and question_<name> of scenes/locales/story.toml.
CHAPTERS = ("tokens", "vectors", "attention", "mlp", "probabilities", "sampling", "chat", "parameters",
            "pretraining")
REPEATED = ("attention", "mlp")  # the chapters every layer repeats
# The questions come in three steps, a few at a time: how the model reads, how it writes, where its numbers come from.
READING, WRITING, TRAINING = CHAPTERS[:4], CHAPTERS[4:7], CHAPTERS[7:]


@dataclass(frozen=True)
class Answer:
    """The model's real answer to the prompt: its likeliest next tokens and the share of all the others."""

    bars: Bars
    n_rest: int  # how many vocabulary tokens the last row stands for


def the_answer(scene: GPTScene) -> Answer:
    """softmax of the last position's logits at the settings' temperature, its top tokens (gptmath.readout)."""
    model, settings = scene.data.model, scene.data.settings
    k = min(settings.top_k, MAX_BARS)
    bars = top_bars(scene.data.trace[hooks.LOGITS][-1], settings.temperature, k, model.token_strings)
    return Answer(bars, model.config.vocab_size - len(bars.ids))


def answer_bars(answer: Answer, rest_text: str, bar_length: float = BAR_LENGTH,
                bar_height: float = BAR_HEIGHT) -> ProbabilityBars:
    """The answer as bars, most likely first, and a last, dimmer row for all the other tokens together."""
    bars = ProbabilityBars([*answer.bars.texts, "·"], answer.bars.values, bar_length=bar_length,
                           bar_height=bar_height, font_size=th.LABEL_SIZE - 2)
    row = bars.rows[-1]
    rest = fit(label(rest_text, th.SMALL_SIZE, th.DIM), REST_WIDTH)
    rest.move_to(row[1]).align_to(row[0], RIGHT)
    row.submobjects[0] = bars.label_mobs.submobjects[-1] = rest
    bars.bars[-1].set_fill(th.DIM)
    return bars


def answer_key(answer: Answer) -> str:
    """The narration of the answer: the model is sure (its likeliest token above SURE) or it is not."""
    return "say_show_the_answer_sure" if answer.bars.probs[0] > SURE else "say_show_the_answer_unsure"


def percent(p: float) -> str:
    """A probability as its bar writes it: one decimal and a percent sign."""
    return f"{100 * p:.1f}%"


def counted(scene: GPTScene, key: str, n: int, **values) -> str:
    """The scene's words for a count n: the catalogue's `<key>_one` when n is 1 (English: "1 layer"), else `key`."""
    return scene.tr(f"{key}_one" if n == 1 else key, n=n, **values)


def pill(text: str, color, width: float = PILL_WIDTH, height: float = PILL_HEIGHT) -> VGroup:
    """A chapter's name in a rounded box of its colour, opaque (the road runs behind it)."""
    box = RoundedRectangle(corner_radius=height / 2, width=width, height=height, stroke_color=color, stroke_width=2,
                           fill_color=interpolate_color(th.BACKGROUND, color, 0.25), fill_opacity=1)
    name = fit(label(text, th.LABEL_SIZE), width - 0.3)
    return VGroup(box, name.move_to(box))


class Introduction(GPTScene):
    """What does a GPT do with a text? This model's real answer first, then the road that explains it."""

    catalogue = S

    def construct(self) -> None:
        self.show_title(self.tr("intro_title"))
        prompt, gpt = self.ask_the_question()
        answer = self.show_the_answer(prompt, gpt)
        self.wonder_where_it_comes_from(answer)
        road = self.lay_out_the_road(VGroup(prompt, answer))
        questions = VGroup(self.bring_the_questions(road), self.bring_the_writing_questions(road),
                           self.bring_the_training_questions(road))
        self.answer, self.road, self.questions = answer, road, VGroup(*[q for group in questions for q in group])

    def ask_the_question(self) -> tuple[VGroup, VMobject]:
        """The prompt as the model will read it, and an empty slot after it: what comes next? (And what GPT means.)"""
        tokens = self.data.tokens
        text = TokenText(tokens, max_width=PROMPT_WIDTH, font_size=PROMPT_SIZE, max_lines=PROMPT_LINES)
        slot_box = RoundedRectangle(corner_radius=0.08, width=0.7, height=0.5, stroke_color=th.HIGHLIGHT,
                                    stroke_width=2)
        slot = VGroup(DashedVMobject(slot_box, num_dashes=14), label("?", PROMPT_SIZE, th.HIGHLIGHT))
        slot[1].move_to(slot_box)
        slot.next_to(text.lines[-1], RIGHT, buff=0.2)
        prompt = VGroup(text, slot).move_to([0, PROMPT_Y, 0])
        gpt = label(self.tr("gpt_stands_for"), th.SMALL_SIZE, th.DIM).next_to(self.title_mob, DOWN, buff=0.15)
        gpt.align_to(self.title_mob, LEFT)
        self.show_caption(self.tr("question_caption"))
        self.say("say_ask_the_question", prompt=self.data.settings.prompt)
        self.play(FadeIn(gpt), FadeIn(text))
        self.play(Create(slot[0]), FadeIn(slot[1], scale=1.5))
        self.end_step(2.0)
        return prompt, gpt

    def show_the_answer(self, prompt: VGroup, gpt: VMobject) -> VGroup:
        """Before any explanation, the answer: the model's real probabilities for the next token.

        Returns the model's box, the arrows, the header and the bars (last)."""
        answer = the_answer(self)
        model_name = fit(label(self.tr("model_box", model=self.data.model.name), th.SMALL_SIZE), BOX_WIDTH - 0.6)
        box = RoundedRectangle(corner_radius=0.15, width=BOX_WIDTH, height=0.8, stroke_color=th.KEY,
                               fill_color=th.KEY, fill_opacity=0.15)
        model = VGroup(box, model_name.move_to(box)).move_to(BOX_CENTER)
        start = np.clip(box.get_x(), prompt.get_left()[0] + 0.3, prompt.get_right()[0] - 0.3)  # under the prompt
        arrow_in = Arrow([start, prompt.get_bottom()[1], 0], box.get_top(), buff=0.1, color=th.DIM,
                         stroke_width=3, max_tip_length_to_length_ratio=0.25)
        bars = answer_bars(answer, self.tr("rest", n=f"{answer.n_rest:,}"))
        bars.move_to(BARS_CENTER)
        arrow_out = Arrow(box.get_right(), [bars.get_left()[0], box.get_y(), 0], buff=0.15, color=th.DIM,
                          stroke_width=3, max_tip_length_to_length_ratio=0.25)
        header = label(self.tr("next_token"), th.SMALL_SIZE, th.DIM)
        header.next_to(bars.rows[0][1], UP, buff=0.15).align_to(bars.rows[0][1], LEFT)
        self.show_caption(self.tr("answer_caption"))
        self.say(answer_key(answer), token=quoted(answer.bars.texts[0]), p=percent(answer.bars.probs[0]),
                 v=f"{self.data.model.config.vocab_size:,}")
        self.play(FadeOut(gpt), GrowFromEdge(arrow_in, UP), FadeIn(model))
        self.play(GrowFromEdge(arrow_out, LEFT), FadeIn(header), *[FadeIn(VGroup(row[0], row[1])) for row in bars.rows])
        self.play(*[GrowFromEdge(row[2], LEFT) for row in bars.rows], *[FadeIn(row[3]) for row in bars.rows],
                  run_time=1.5)
        self.end_step(2.0)
        return VGroup(model, arrow_in, arrow_out, header, bars)

    def wonder_where_it_comes_from(self, answer: VGroup) -> None:
        """Why these numbers? What happens inside the model's box is what the film opens up."""
        model = answer[0]
        self.show_caption(self.tr("answer_why_caption"))
        self.say("say_wonder_where_it_comes_from", model=self.data.model.name)
        self.play(Indicate(model, color=th.KEY, scale_factor=1.1), run_time=1.5)
        self.end_step(2.5)

    def lay_out_the_road(self, leaving: VGroup) -> VGroup:
        """The film's chapters in order, as a road from the text to the next token and beyond."""
        n_layer = self.data.model.config.n_layer
        ys = np.linspace(ROAD_TOP, ROAD_BOTTOM, len(CHAPTERS))
        pills = VGroup(*[pill(self.tr(f"chapter_{name}"), th.token_color(i)).move_to([PILL_X, y, 0])
                         for i, (name, y) in enumerate(zip(CHAPTERS, ys))])
        road = Line(pills[0].get_center(), pills[-1].get_center(), color=th.FAINT, stroke_width=6)
        repeated = VGroup(*[p for p, name in zip(pills, CHAPTERS) if name in REPEATED])
        brace = Brace(repeated, LEFT, buff=0.1, color=th.DIM)
        times = label(counted(self, "repeat_layers", n_layer), th.SMALL_SIZE, th.DIM).next_to(brace, LEFT, buff=0.1)
        road_map = VGroup(road, pills, brace, times)
        self.play(FadeOut(leaving))  # the answer goes before the road's caption comes
        self.show_caption(self.tr("road_caption"))
        self.say("say_lay_out_the_road", layers=n_layer)
        self.play(Create(road), LaggedStart(*[FadeIn(p, shift=0.2 * RIGHT) for p in pills], lag_ratio=0.15),
                  run_time=2.0)
        self.play(GrowFromEdge(brace, RIGHT), FadeIn(times))
        self.end_step(2.5)
        return road_map

    def bring_the_questions(self, road_map: VGroup) -> VGroup:
        """The questions a viewer brings, each beside the chapter that answers it: first those on how it reads."""
        self.show_caption(self.tr("questions_caption"))
        return self.ask(road_map, READING, "say_bring_the_questions")

    def bring_the_writing_questions(self, road_map: VGroup) -> VGroup:
        """The questions on how it writes: probabilities, temperature, chat."""
        return self.ask(road_map, WRITING, "say_bring_the_writing_questions")

    def bring_the_training_questions(self, road_map: VGroup) -> VGroup:
        """The questions on where its numbers come from: parameters, pre-training."""
        return self.ask(road_map, TRAINING, "say_bring_the_training_questions")

    def ask(self, road_map: VGroup, chapters: tuple[str, ...], key: str) -> VGroup:
        """A step: say `key`, the chapters' questions fade in beside their pills, and the step holds until both the
        line and the questions have been read."""
        pills = road_map[1]
        gpt3 = f"{total(weight_matrix_tally(GPT3)):,}"
        questions = VGroup()
        for name in chapters:
            chapter = pills[CHAPTERS.index(name)]
            question = fit(label(self.tr(f"question_{name}", gpt3=gpt3), QUESTION_SIZE, th.DIM), QUESTION_WIDTH)
            questions.add(question.move_to(chapter).align_to([QUESTION_X, 0, 0], LEFT))
        self.say(key)
        self.play(LaggedStart(*[FadeIn(q, shift=0.2 * LEFT) for q in questions], lag_ratio=0.2),
                  run_time=0.6 * len(questions))
        self.end_step(self.still_to_read() + reading_seconds(" ".join(q.original_text for q in questions),
                                                             self.settings.lang))  # the questions read after it
        return questions
