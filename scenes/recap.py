"""Scene: the whole path at once, with this prompt's real numbers, back to the opening question and its answer."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, Arrow, Create, GrowFromEdge, LaggedStart, Line, RoundedRectangle, SurroundingRectangle,
    VGroup, VMobject,
)

from gptmath import hooks
from gptmath.sampling import next_token

from scenes import theme as th
from scenes.animations import FadeIn
from scenes.base import GPTScene
from scenes.introduction import S, Answer, answer_bars, counted, percent, the_answer
from scenes.mobjects import ProbabilityBars, TokenRow, TokenText, VectorColumn, fit, label, number, number_text, quoted

HEAD_Y = 2.8  # the first row's headers
ROW_Y = 1.55  # the first row's centre: tokens → embedding vector → layers → last vector
ROW_GAP = 0.75  # between the first row's parts (the arrows go here)
TURN_Y = 0.25  # the path turns from the first row to the second here
TABLE_TOP = -0.3  # the second row's headers: logits and probabilities, then the answer
TOKENS_WIDTH = 2.7  # the tokens wrap at this width onto at most TOKEN_LINES lines (the middle elided)
TOKEN_LINES = 4
TOKEN_SIZE = th.SMALL_SIZE + 2
VECTOR_ENTRIES = 5  # entries drawn of each vector: the first four, ⋮, the last
CELL_WIDTH, CELL_HEIGHT = 0.8, 0.3
LAYERS_WIDTH = 3.2
BAR_LENGTH, BAR_HEIGHT = 2.6, 0.28
ANSWER_WIDTH = 3.6  # the prompt and the picked token wrap at this width
ANSWER_LINES = 3
LOGIT_GAP = 0.45  # between the logits and the token labels
FINAL_HOLD = 2.0  # seconds the film's last picture stays after its last words are read


@dataclass(frozen=True)
class PathNumbers:
    """Every number the recap draws, all from the prompt's forward pass (and one seeded pick)."""

    tokens: list[str]
    embedding: np.ndarray  # [d] the last token's vector entering the first layer (token embedding + position's)
    last: np.ndarray  # [d] the last position's vector after the last layer
    answer: Answer  # its likeliest next tokens
    picked: int  # the token id a top-k pick among them draws (gptmath.sampling.next_token, the settings' seed)

    @property
    def picked_text(self) -> str:
        return self.answer.bars.texts[self.answer.bars.ids.index(self.picked)]

    @property
    def picked_prob(self) -> float:
        return self.answer.bars.probs[self.answer.bars.ids.index(self.picked)]

    @property
    def picked_likeliest(self) -> bool:
        """Whether the pick is the likeliest token (else a less likely one came up: the pick is random)."""
        return self.picked == self.answer.bars.ids[0]


def path_numbers(scene: GPTScene) -> PathNumbers:
    """Read the path from the trace; the pick is the first token Generation would write (same T, seed, and top-k
    among the answer's bars), drawn from the trace's own logits: no forward pass of its own."""
    data, s = scene.data, scene.data.settings
    trace = data.trace
    answer = the_answer(scene)
    _, picked = next_token(trace[hooks.LOGITS][-1], s.temperature, np.random.default_rng(s.seed), len(answer.bars.ids))
    last = trace[hooks.resid(trace.n_layers - 1, "post")][-1]
    return PathNumbers(trace.token_strings, trace[hooks.resid(0, "pre")][-1], last, answer, picked)


@dataclass(frozen=True)
class PathPicture:
    """The recap's final picture, built at once so every part has its place; the steps reveal it part by part."""

    tokens: VGroup  # header, TokenRow
    last_token: SurroundingRectangle  # around the last token's cell
    embedding: VGroup  # header, VectorColumn
    layers: VGroup  # header, box with its contents
    last: VGroup  # header, VectorColumn
    arrows: list[Arrow]  # tokens → embedding → layers → last
    turn: VGroup  # the path from the last vector down to the logits
    logits: VGroup  # header, one number per bar
    bars: VGroup  # header, ProbabilityBars
    pick: SurroundingRectangle  # around the picked row
    answer: VGroup  # arrow, header, TokenText


def header(text: str) -> VMobject:
    return label(text, th.SMALL_SIZE, th.DIM)


def headed(head: VMobject, body: VMobject) -> VGroup:
    """A part of the path: its header at HEAD_Y above its body, both centred on the body."""
    body.set_y(ROW_Y)
    head.move_to([body.get_x(), HEAD_Y, 0])
    return VGroup(head, body)


def layers_box(text: list[str]) -> VGroup:
    """The model's layers as one box: its size on top, then attention and MLP, the two parts every layer has."""
    lines = VGroup(label(text[0], th.LABEL_SIZE), *[label(t, th.SMALL_SIZE, th.TEXT) for t in text[1:]])
    parts = VGroup()
    for line, color in zip(lines[1:], (th.QUERY, th.TOKEN_COLORS[4])):
        fit(line, LAYERS_WIDTH - 0.5)
        pill = RoundedRectangle(corner_radius=0.12, width=LAYERS_WIDTH - 0.3, height=0.42, stroke_color=color,
                                stroke_width=2, fill_color=color, fill_opacity=0.2)
        parts.add(VGroup(pill, line.move_to(pill)))
    inside = VGroup(fit(lines[0], LAYERS_WIDTH - 0.3), *parts).arrange(DOWN, buff=0.15)
    frame = RoundedRectangle(corner_radius=0.15, width=LAYERS_WIDTH, height=inside.height + 0.4, stroke_color=th.KEY,
                             fill_color=th.KEY, fill_opacity=0.12)
    return VGroup(frame, inside.move_to(frame))


class Recap(GPTScene):
    """The film in one picture: tokens, a vector, the layers, the last vector, logits, probabilities, the pick."""

    catalogue = S

    def construct(self) -> None:
        self.show_title(self.tr("recap_title"))
        numbers = path_numbers(self)
        picture = self.draw_path(numbers)
        self.recall_the_tokens(numbers, picture)
        self.look_up_the_vector(numbers, picture)
        self.pass_through_the_layers(picture)
        self.read_the_last_vector(picture)
        self.score_every_token(numbers, picture)
        self.make_probabilities(numbers, picture)
        self.pick_the_answer(numbers, picture)
        self.numbers, self.picture = numbers, picture  # what was drawn, for tests

    # --- the picture ------------------------------------------------------------------------------------------

    def draw_path(self, numbers: PathNumbers) -> PathPicture:
        """Every part in its place: the first row left to right, the path turning down, the second row."""
        tokens, embedding, layers, last, arrows = self.first_row(numbers)
        logits, bars, pick, answer = self.second_row(numbers)
        start = last[1].get_bottom() + 0.05 * DOWN
        corner_1, corner_2 = [start[0], TURN_Y, 0], [logits[1].get_x(), TURN_Y, 0]
        turn = VGroup(Line(start, corner_1), Line(corner_1, corner_2),
                      Arrow(corner_2, logits[0].get_top() + 0.05 * UP, buff=0, stroke_width=3,
                            max_tip_length_to_length_ratio=0.5))
        turn.set_color(th.DIM).set_stroke(width=3)
        last_token = SurroundingRectangle(tokens[1].cell(len(numbers.tokens) - 1), color=th.HIGHLIGHT, buff=0.04,
                                          stroke_width=3)
        return PathPicture(tokens, last_token, embedding, layers, last, arrows, turn, logits, bars, pick, answer)

    def first_row(self, numbers: PathNumbers) -> tuple[VGroup, VGroup, VGroup, VGroup, list[Arrow]]:
        """Tokens → the last token's embedding → the layers → the last vector, under headers, with arrows."""
        cfg = self.data.model.config
        n = len(numbers.tokens)
        row = TokenRow(numbers.tokens, max_width=TOKENS_WIDTH, font_size=TOKEN_SIZE, max_lines=TOKEN_LINES,
                       line_buff=0.12)
        parts = VGroup(
            headed(header(counted(self, "n_tokens", n)), row),
            headed(header(self.tr("input_head" if self.learned_positions() else "embedding_head")),
                   self.vector(numbers.embedding)),
            headed(header(self.tr("layers_head")),
                   layers_box([counted(self, "layers_box", cfg.n_layer), counted(self, "attention_part", cfg.n_head),
                               self.tr("mlp_part")])),
            headed(header(self.tr("last_head")), self.vector(numbers.last)))
        for left, right in zip(parts, parts[1:]):
            right.shift((left[1].get_right()[0] + ROW_GAP - right[1].get_left()[0]) * RIGHT)
        parts.set_x(0)
        arrows = [Arrow(a[1].get_right(), [b[1].get_left()[0], a[1].get_y(), 0], buff=0.1, color=th.DIM,
                        stroke_width=3, max_tip_length_to_length_ratio=0.3) for a, b in zip(parts, parts[1:])]
        return *parts, arrows

    def second_row(self, numbers: PathNumbers) -> tuple[VGroup, VGroup, SurroundingRectangle, VGroup]:
        """The top logits beside their probability bars, the pick framed, and the prompt with the picked token."""
        top, n = numbers.answer.bars, len(numbers.tokens)
        bars = answer_bars(numbers.answer, self.tr("rest", n=f"{numbers.answer.n_rest:,}"), BAR_LENGTH, BAR_HEIGHT)
        labels_left = min(r[0].get_left()[0] for r in bars.rows[:-1])
        logit_numbers = VGroup(*[number(z, 2, th.SMALL_SIZE).move_to(r[1]).align_to([labels_left - LOGIT_GAP, 0, 0],
                                                                                     RIGHT)
                                 for z, r in zip(top.logits, bars.rows)])  # right-aligned, left of the labels
        text = TokenText([*numbers.tokens, numbers.picked_text], max_width=ANSWER_WIDTH,
                         colors=[th.TEXT] * n + [th.HIGHLIGHT], font_size=th.LABEL_SIZE - 2, max_lines=ANSWER_LINES)
        table = VGroup(logit_numbers, bars)
        VGroup(table, text).arrange(RIGHT, buff=1.1).set_x(0)
        table.shift((TABLE_TOP - 0.3 - bars.get_top()[1]) * UP)
        text.set_y(bars.get_y())
        logits_head = header(self.tr("logit_head")).move_to([0, TABLE_TOP, 0]).align_to(logit_numbers, RIGHT)
        bars_head = header(self.tr("probability_head")).move_to([0, TABLE_TOP, 0]).align_to(bars.rows[0][1], LEFT)
        arrow = Arrow(bars.get_right(), text.get_left(), buff=0.15, color=th.DIM, stroke_width=3,
                      max_tip_length_to_length_ratio=0.3).set_y(bars.get_y())
        picked = top.ids.index(numbers.picked)
        pick = SurroundingRectangle(VGroup(bars.rows[picked], logit_numbers[picked]), color=th.HIGHLIGHT, buff=0.06)
        return (VGroup(logits_head, logit_numbers), VGroup(bars_head, bars), pick,
                VGroup(arrow, header(self.tr("answer_head")).next_to(text, UP, buff=0.3), text))

    @staticmethod
    def vector(values: np.ndarray) -> VectorColumn:
        return VectorColumn(values, n_shown=VECTOR_ENTRIES, cell_width=CELL_WIDTH, cell_height=CELL_HEIGHT)

    # --- the steps --------------------------------------------------------------------------------------------

    def recall_the_tokens(self, numbers: PathNumbers, picture: PathPicture) -> None:
        """The question again, and the first stop: the prompt as tokens."""
        n = len(numbers.tokens)
        self.show_caption(counted(self, "tokens_caption", n))
        self.say("say_bridge")
        self.say("say_recall_the_tokens", n=n)
        cells = picture.tokens[1].cells
        self.play(FadeIn(picture.tokens[0]), LaggedStart(*[FadeIn(c, shift=0.1 * DOWN) for c in cells], lag_ratio=0.05))
        self.end_step(1.5)

    def look_up_the_vector(self, numbers: PathNumbers, picture: PathPicture) -> None:
        """The last token's vector as the layers receive it (its embedding, plus its position's where the model adds
        one): its first entries and its real dimension."""
        d = len(numbers.embedding)
        self.show_caption(self.tr("vector_caption", d=d))
        key = "say_look_up_the_vector_position" if self.learned_positions() else "say_look_up_the_vector"
        self.say(key, token=quoted(numbers.tokens[-1]), d=f"{d:,}", first=number_text(numbers.embedding[0]))
        self.play(Create(picture.last_token), GrowFromEdge(picture.arrows[0], LEFT))
        self.play(FadeIn(picture.embedding, shift=0.2 * RIGHT))
        self.end_step(2.0)

    def learned_positions(self) -> bool:
        """Whether the model adds a position vector to each token's (else position enters inside attention)."""
        return self.data.model.config.positions == "learned"

    def pass_through_the_layers(self, picture: PathPicture) -> None:
        """Attention and MLP, layer after layer, update every vector."""
        cfg = self.data.model.config
        self.show_caption(counted(self, "layers_caption", cfg.n_layer))
        self.say("say_pass_through_the_layers", layers=cfg.n_layer)
        self.play(GrowFromEdge(picture.arrows[1], LEFT))
        self.play(FadeIn(picture.layers, shift=0.2 * RIGHT))
        self.end_step(2.0)

    def read_the_last_vector(self, picture: PathPicture) -> None:
        """What comes out at the last position: the vector the next token is read from."""
        self.show_caption(self.tr("last_caption"))
        self.say("say_read_the_last_vector", d=f"{len(picture.last[1].values):,}")
        self.play(GrowFromEdge(picture.arrows[2], LEFT))
        self.play(FadeIn(picture.last, shift=0.2 * RIGHT))
        self.end_step(2.0)

    def score_every_token(self, numbers: PathNumbers, picture: PathPicture) -> None:
        """The final norm and the unembedding: one logit per vocabulary token, the highest written."""
        cfg = self.data.model.config
        bars = picture.bars[1]
        best = numbers.answer.bars
        self.show_caption(self.tr("logits_caption", v=f"{cfg.vocab_size:,}", norm=th.norm_name(cfg.norm)))
        self.say("say_score_every_token", v=f"{cfg.vocab_size:,}", token=quoted(best.texts[0]),
                 logit=number_text(best.logits[0]))
        self.play(Create(picture.turn), run_time=1.2)
        self.play(FadeIn(picture.logits[0]),
                  LaggedStart(*[FadeIn(VGroup(z, row[0]), shift=0.1 * UP)
                                for z, row in zip(picture.logits[1], bars.rows)], lag_ratio=0.1))
        self.end_step(2.0)

    def make_probabilities(self, numbers: PathNumbers, picture: PathPicture) -> None:
        """Softmax: the logits become a probability distribution, everything else's share last."""
        best = numbers.answer.bars
        bars: ProbabilityBars = picture.bars[1]
        self.show_caption(self.tr("probabilities_caption"))
        self.say("say_make_probabilities", token=quoted(best.texts[0]), p=percent(best.probs[0]),
                 n=f"{numbers.answer.n_rest:,}", rest=percent(best.rest))
        self.play(FadeIn(picture.bars[0]), FadeIn(bars.rows[-1][0]), *[FadeIn(row[1]) for row in bars.rows])
        self.play(*[GrowFromEdge(row[2], LEFT) for row in bars.rows], *[FadeIn(row[3]) for row in bars.rows],
                  run_time=1.5)
        self.end_step(2.0)

    def pick_the_answer(self, numbers: PathNumbers, picture: PathPicture) -> None:
        """A seeded pick among the likeliest tokens, appended to the prompt: the answer to the opening question."""
        self.show_caption(self.tr("pick_caption", token=th.show_spaces(numbers.picked_text)))
        self.say("say_pick_the_answer" if numbers.picked_likeliest else "say_pick_the_answer_other",
                 k=len(numbers.answer.bars.ids), seed=self.data.settings.seed, token=quoted(numbers.picked_text),
                 p=percent(numbers.picked_prob))
        self.play(Create(picture.pick))
        self.play(GrowFromEdge(picture.answer[0], LEFT), FadeIn(picture.answer[1]), FadeIn(picture.answer[2]))
        self.end_step(self.still_to_read() + FINAL_HOLD)  # the film's last picture stays after its last words
