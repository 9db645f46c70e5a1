"""Scene: where the weights come from. The shipped model's own training history, and one real gradient step."""
from __future__ import annotations

from dataclasses import dataclass

from manim import DOWN, LEFT, RIGHT, UP, Arrow, Create, Indicate, LaggedStart, Square, VGroup, VMobject

from gptmath.cache import GradientStep
from gptmath.checkpoints import Checkpoint
from gptmath.history import Prediction, Sample, chance_loss
from gptmath.params import parameter_tally, total

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.data import N_BARS
from scenes.mobjects import AreaComparison, LossCurve, NextTokenBars, TokenText, before_after, fit, label, quoted

T = "pretraining"  # this module's catalogue: scenes/locales/pretraining.toml
MIN_SIDE = 0.06  # the smallest square drawn: a smaller one would vanish at 480p
GPT3_TOKENS = 300e9  # tokens GPT-3 was trained on (Brown et al. 2020, "Language Models are Few-Shot Learners")
EVEN_LIFT = 4.0  # the likeliest token at most this many times an even share (1 / vocabulary): "about equally likely"


@dataclass(frozen=True)
class Training:
    """What the steps draw: the model's saved steps (none for a model without a training history), what each
    predicted after the prompt, continuations sampled at three of them, and one real gradient step (all computed
    before the scene starts and read from the cache: scenes.data.precompute)."""

    history: list[Checkpoint]
    predictions: list[Prediction]
    samples: list[Sample]
    step: GradientStep
    n_params: int  # the model's parameters, counted as ParameterCount counts them

    @property
    def tokens_seen(self) -> int:
        return self.history[-1].tokens_seen if self.history else 0


@dataclass(frozen=True)
class CheckpointBars:
    """One checkpoint's bars on screen: the bars, "at step N" and the square marking its dot on the curve."""

    bars: NextTokenBars
    name: VMobject
    marker: Square


class PreTraining(GPTScene):
    """The held-out loss falling, the next-token bars at each saved step, a gradient step, and the scale of it all.

    What it drew stays on the scene for tests: `training` and, for a model with a history, `curve`.
    """

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("title"))
        self.training = t = self.lay_out()
        if t.history:
            self.curve = self.show_curve(t.history, t.n_params)
            self.bars_through_training(t.predictions, self.curve)
            self.samples_through_training(t.samples)
        else:
            self.no_history(t.n_params)
        example = self.one_step(t.step)
        self.one_step_update(t.step, example)
        self.show_scale(t.tokens_seen)

    def lay_out(self) -> Training:
        """Everything the steps draw, read before the first is drawn: the history, each saved step's bars after the
        prompt, samples at a third, two thirds and the end of training, and the gradient step (cached)."""
        d = self.data
        return Training(d.history(), d.predictions(), d.samples(), d.gradient_step(),
                        total(parameter_tally(d.model.config)))

    def no_history(self, n_params: int) -> None:
        """A model without a training history: only the step below can be shown."""
        self.say("say_bridge", total=f"{n_params:,}")
        self.say("say_no_history")
        self.show_caption(self.tr("no_history"))
        self.end_step()

    def show_curve(self, history: list[Checkpoint], n_params: int) -> LossCurve:
        """The held-out loss at each saved step, on a log scale of steps."""
        c = LossCurve([c.step for c in history], [c.nats_per_token for c in history], width=5.4, height=3.6,
                      x_label=self.tr("steps"), y_label=self.tr("loss")).move_to([-3.4, 0.1, 0])
        last, v = history[-1], self.data.model.config.vocab_size
        values = dict(steps=f"{last.step:,}", tokens=token_count(last.tokens_seen, self.settings.lang), loss=f"{last.nats_per_token:.2f}")
        self.say("say_bridge", total=f"{n_params:,}")
        self.say("say_show_curve", **values, v=f"{v:,}", chance=f"{chance_loss(v):.2f}")
        fell = len(history) > 1 and last.nats_per_token < history[0].nats_per_token
        self.play(Create(c.axes), FadeIn(VGroup(c.ticks, c.axis_break, c.x_name, c.y_name)))
        self.play(Create(c.line), LaggedStart(*[FadeIn(d) for d in c.dots], lag_ratio=0.2), run_time=1.5)
        self.show_caption(self.tr("curve" if fell else "curve_at", **values))
        self.end_step()
        return c

    def bars_through_training(self, found: list[Prediction], curve: LossCurve) -> None:
        """The next-token bars for the prompt at every saved step, the curve's dot for that step marked."""
        prompt = self.data.settings.prompt
        last = found[-1]
        self.say(bars_narration(found), n=f"{last.vocab_size:,}", step=f"{last.checkpoint.step:,}",
                 token=quoted(last.top.texts[0]), p=f"{last.top.probs[0]:.0%}")
        head = label(f"“…{' '.join(prompt.split()[-3:])}”", th.SMALL_SIZE, th.DIM).move_to([3.3, 2.6, 0])
        self.play(FadeIn(head))
        shown = None
        for i, p in enumerate(found):
            middle = 0 < i < len(found) - 1
            new = self.readout(p, curve)
            key = bars_caption(i, found)
            if key is not None:  # its caption replaces one that must be read first: the bars wait with it
                self.wait_until(self.caption_read_by)
            if shown is not None:
                self.play(FadeOut(shown.bars), FadeOut(shown.name), FadeOut(shown.marker),
                          run_time=0.3 if middle else 0.5)
            self.play(FadeIn(new.bars), FadeIn(new.name), Create(new.marker), run_time=0.3 if middle else 0.5)
            if key is not None:
                self.show_caption(self.tr(key, n=f"{p.vocab_size:,}", step=f"{p.checkpoint.step:,}",
                                          token=quoted(p.top.texts[0]), p=f"{p.top.probs[0]:.0%}"))
            self.wait(0.5 if middle else 1.0)
            shown = new
        self.end_step()
        self.play(FadeOut(shown.bars), FadeOut(shown.name), FadeOut(shown.marker), FadeOut(head), FadeOut(curve),
                  *self.caption_out())

    def readout(self, p: Prediction, curve: LossCurve) -> CheckpointBars:
        """One saved step's bars at the right, named, and a square on its dot of the curve."""
        bars = NextTokenBars(p.top, self.tr("rest", n=f"{p.vocab_size - N_BARS:,}"), bar_length=2.6)
        bars.move_to([3.5, 0.0, 0])
        name = label(self.tr("at_step", step=f"{p.checkpoint.step:,}"), th.SMALL_SIZE, th.HIGHLIGHT)
        marker = Square(0.22, color=th.HIGHLIGHT, stroke_width=3).move_to(curve.point(p.checkpoint.step))
        return CheckpointBars(bars, name.next_to(bars, UP, 0.3), marker)

    def samples_through_training(self, found: list[Sample]) -> None:
        """A sampled continuation (same seed) at up to three saved steps."""
        s = self.data.settings
        first, last = (f"{x.checkpoint.step:,}" for x in (found[0], found[-1]))
        if len(found) > 1:
            self.say("say_samples_through_training", first=first, last=last, k=s.top_k)
        else:
            self.say("say_samples_through_training_one", last=last, seed=s.seed, k=s.top_k)
        rows = VGroup()
        for sample in found:
            colors = [th.DIM] * len(sample.prompt_tokens) + [th.HIGHLIGHT] * len(sample.sampled_tokens)
            text = TokenText([*sample.prompt_tokens, *sample.sampled_tokens], max_width=9.6, colors=colors,
                             font_size=th.SMALL_SIZE + 2, max_lines=2)
            name = label(self.tr("at_step", step=f"{sample.checkpoint.step:,}"), th.SMALL_SIZE, th.DIM)
            rows.add(VGroup(name, text).arrange(RIGHT, buff=0.4, aligned_edge=UP))
        rows.arrange(DOWN, buff=0.5, aligned_edge=LEFT).move_to(0.2 * DOWN)
        fit(rows, th.CONTENT_WIDTH)
        self.play(LaggedStart(*[FadeIn(r, shift=0.2 * UP) for r in rows], lag_ratio=0.4))
        self.show_caption(self.tr("samples" if len(found) > 1 else "samples_one", n=len(found), step=last, seed=s.seed,
                                  k=s.top_k))
        self.end_step()
        self.play(FadeOut(rows), *self.caption_out())

    def one_step(self, step: GradientStep) -> TokenText:
        """One training example: the words the model reads and the token it should predict."""
        strings = self.data.model.token_strings(step.ids)
        example = TokenText(strings, max_width=th.CONTENT_WIDTH - 1,
                            colors=[th.TEXT] * (len(strings) - 1) + [th.HIGHLIGHT], font_size=th.LABEL_SIZE + 2,
                            max_lines=2).move_to(1.8 * UP)
        target = quoted(strings[-1])
        self.say("say_one_step", token=target)
        self.play(FadeIn(example))
        self.show_caption(self.tr("example", token=target))
        self.end_step(0.5)
        return example

    def one_step_update(self, step: GradientStep, example: TokenText) -> None:
        """One real step of gradient descent on the example: loss and probability before and after, and how many
        of the model's numbers it changed (every one only if each had a gradient big enough to show)."""
        target = quoted(self.data.model.token_strings(step.ids)[-1])
        rows = VGroup(before_after(self.tr("loss_row", n=len(step.ids) - 1), f"{step.loss_before:.3f}",
                                   f"{step.loss_after:.3f}"),
                      before_after(self.tr("p_row", token=target), f"{step.p_before:.1%}", f"{step.p_after:.1%}"))
        rows.arrange(DOWN, buff=0.35, aligned_edge=LEFT).next_to(example, DOWN, buff=0.7)
        values = dict(n=f"{step.n_changed:,}", total=f"{step.n_params:,}", lr=f"{step.lr:g}")
        changed = label(self.tr("changed", **values), th.LABEL_SIZE - 2).next_to(rows, DOWN, buff=0.5)
        fit(changed, th.CONTENT_WIDTH)
        every = "_all" if step.n_changed == step.n_params else ""
        self.say("say_one_step_update", lr=values["lr"])
        self.show_caption(self.tr("step" + every, **values))
        self.say("say_one_step_result", token=target, loss_before=f"{step.loss_before:.3f}",
                 loss_after=f"{step.loss_after:.3f}", p_before=f"{step.p_before:.1%}", p_after=f"{step.p_after:.1%}")
        self.play(LaggedStart(*[FadeIn(r) for r in rows], lag_ratio=0.5))
        self.play(Indicate(rows[1][3], color=th.HIGHLIGHT))
        self.say("say_one_step_changed" + every, n=values["n"], total=values["total"])
        self.play(FadeIn(changed))
        self.end_step()
        self.play(FadeOut(example), FadeOut(rows), FadeOut(changed), *self.caption_out())

    def show_scale(self, seen: int) -> None:
        """This model's tokens against GPT-3's, as areas."""
        areas = AreaComparison(GPT3_TOKENS, seen, side=4.2, min_side=MIN_SIDE).shift([4.2, -0.2, 0])
        ours = self.tr("ours", n=f"{seen:,}") + (self.tr("enlarged") if areas.enlarged else "")
        names = VGroup(label(self.tr("gpt3", n=f"{GPT3_TOKENS:,.0f}"), th.LABEL_SIZE),
                       label(ours, th.LABEL_SIZE, th.HIGHLIGHT))
        names.arrange(DOWN, buff=0.4, aligned_edge=LEFT)
        fit(names, areas.big.get_left()[0] + th.FRAME_WIDTH / 2 - th.EDGE - 0.6).next_to(areas.big, LEFT, buff=0.6)
        pointer = Arrow(names[1].get_right(), areas.small.get_left(), buff=0.03, color=th.HIGHLIGHT,
                        stroke_width=3)  # its tip on the small square, not on the big one's edge
        ratio = GPT3_TOKENS / seen if seen else float("inf")
        if seen:
            self.say("say_show_scale", ratio=f"{ratio:,.0f}")
        else:
            self.say("say_show_scale_unknown")
        self.play(FadeIn(areas.big), FadeIn(names[0]))
        self.play(FadeIn(areas.small), FadeIn(names[1]), Create(pointer))
        self.show_caption(self.tr("scale", ratio=f"{ratio:,.0f}") if seen else self.tr("scale_unknown"))
        self.end_step(2)


def token_count(tokens: int, lang: str) -> str:
    """Tokens as the captions write them before "tokens": English in millions ("18 million"; decimals for a small
    run), Japanese in 万, as Japanese counts ("1,843 万"; the exact count under 10,000)."""
    if lang == "ja":
        return f"{tokens:,}" if tokens < 1e4 else f"{tokens / 1e4:,.{0 if tokens >= 1e5 else 1}f} 万"
    return f"{tokens / 1e6:,.{0 if tokens >= 1e7 else 1 if tokens >= 1e5 else 3}f} million"


def flat(p: Prediction) -> bool:
    """Whether every token is about equally likely: the likeliest gets at most EVEN_LIFT times an even share."""
    return p.top_lift <= EVEN_LIFT


def bars_narration(found: list[Prediction]) -> str:
    """The bars step's narration: from random weights only when the first saved step is step 0 and its bars are
    flat, a single saved step said as such."""
    if len(found) == 1:
        return "say_bars_through_training_one"
    first = found[0]
    return "say_bars_through_training_from_random" if first.checkpoint.step == 0 and flat(first) else \
        "say_bars_through_training"


def bars_caption(i: int, found: list[Prediction]) -> str | None:
    """The caption over the i-th saved step's bars (None: the one before stays, true of these bars too).

    The first: "untrained" (random weights, every token about equally likely) only at a flat step 0, else
    "first_step"; the last: "trained" when its bars have taken shape (not flat, the likeliest token likelier
    than at the first), else "still_flat"; the second: "shaping" when they take shape and the loss fell, else
    "middle"; a single saved step: "only_step".
    """
    p, first, last = found[i], found[0], found[-1]
    if len(found) == 1:
        return "only_step"
    if i == 0:
        return "untrained" if p.checkpoint.step == 0 and flat(p) else "first_step"
    shaped = not flat(last) and last.top.probs[0] > first.top.probs[0]
    if i == len(found) - 1:
        return "trained" if shaped else "still_flat"
    if i == 1:
        return "shaping" if shaped and last.checkpoint.nats_per_token < first.checkpoint.nats_per_token else "middle"
    return None
