"""Scene: where the weights come from. The shipped model's own training history, and one real gradient step."""
from __future__ import annotations

import math

from manim import DOWN, LEFT, RIGHT, UP, Arrow, Create, Indicate, LaggedStart, Square, VGroup

from gptmath import GptMathError, load_model
from gptmath.checkpoints import checkpoints
from gptmath.readout import top_bars
from gptmath.sampling import generate
from gpttrain.step import gradient_step

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.mobjects import LossCurve, TokenText, fit, label
from scenes.generation import probability_bars

T = "pretraining"  # this module's catalogue: scenes/locales/pretraining.toml
LR = 0.002  # plain gradient descent: w ← w − LR · gradient
N_BARS = 5
N_SAMPLE = 12
MIN_SIDE = 0.06  # the smallest square drawn: a smaller one would vanish at 480p
GPT3_TOKENS = 300e9  # tokens GPT-3 was trained on (Brown et al. 2020, "Language Models are Few-Shot Learners")


class PreTraining(GPTScene):
    """The held-out loss falling, the next-token bars at each saved step, a gradient step, and the scale of it all."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("title"))
        folder = self.data.settings.model_source
        try:
            self.history = checkpoints(folder)
        except GptMathError:
            self.history = []
        if self.history:
            self.show_curve()
            self.bars_through_training()
            self.samples_through_training()
        else:
            self.show_caption(self.tr("no_history"))
            self.end_step()
        self.one_step(str(folder))
        self.show_scale()

    def show_curve(self) -> None:
        h = self.history
        self.curve = LossCurve([c.step for c in h], [c.nats_per_token for c in h], width=5.4, height=3.6,
                               x_label=self.tr("steps"), y_label=self.tr("loss")).move_to([-3.4, 0.1, 0])
        c = self.curve
        last = h[-1]
        self.show_caption(self.tr("curve", steps=f"{last.step:,}", tokens=f"{last.tokens_seen / 1e6:.0f}",
                             loss=f"{last.nats_per_token:.2f}"))
        self.play(Create(c.axes), FadeIn(VGroup(c.ticks, c.axis_break, c.x_name, c.y_name)))
        self.play(Create(self.curve.line), LaggedStart(*[FadeIn(d) for d in self.curve.dots], lag_ratio=0.2),
                  run_time=1.5)
        self.end_step()

    def bars_through_training(self) -> None:
        """The next-token bars for the prompt at every saved step, the curve's dot for that step marked."""
        prompt = self.data.settings.prompt
        head = label(f"“…{' '.join(prompt.split()[-3:])}”", th.SMALL_SIZE, th.DIM).move_to([3.3, 2.6, 0])
        self.play(FadeIn(head))
        bars = marker = step_label = None
        for i, c in enumerate(self.history):
            model = load_model(c.path)
            top = top_bars(model.trace(prompt)["logits"][-1], 1.0, N_BARS, model.token_strings)
            new_bars = probability_bars(top, self.tr("rest", n=f"{model.config.vocab_size - N_BARS:,}"),
                                        bar_length=2.6)
            new_bars.move_to([3.5, 0.0, 0])
            new_label = label(self.tr("at_step", step=f"{c.step:,}"), th.SMALL_SIZE,
                              th.HIGHLIGHT).next_to(new_bars, UP, 0.3)
            new_marker = Square(0.22, color=th.HIGHLIGHT, stroke_width=3).move_to(self.curve.point(c.step))
            fast = 0.3 if 0 < i < len(self.history) - 1 else 0.5
            if i == 0:
                self.show_caption(self.tr("untrained", n=f"{model.config.vocab_size:,}"))
            elif i == len(self.history) - 1:
                self.show_caption(self.tr("trained", step=f"{c.step:,}", token=f"“{th.show_spaces(top.texts[0])}”",
                                          p=f"{top.probs[0]:.0%}"))
            elif i == 1:
                self.show_caption(self.tr("shaping"))
            if bars is not None:
                self.play(FadeOut(bars), FadeOut(step_label), FadeOut(marker), run_time=fast)
            self.play(FadeIn(new_bars), FadeIn(new_label), Create(new_marker), run_time=fast)
            self.wait(0.5 if 0 < i < len(self.history) - 1 else 1.0)
            bars, marker, step_label = new_bars, new_marker, new_label
        self.last_bars = top
        self.end_step()
        self.play(FadeOut(bars), FadeOut(step_label), FadeOut(marker), FadeOut(head), FadeOut(self.curve))

    def samples_through_training(self) -> None:
        """A sampled continuation (same seed) at three saved steps."""
        s = self.data.settings
        picks = sorted({self.history[len(self.history) // 3], self.history[2 * len(self.history) // 3],
                        self.history[-1]}, key=lambda c: c.step)
        rows = VGroup()
        for c in picks:
            model = load_model(c.path)
            steps = generate(model, s.prompt, N_SAMPLE, temperature=s.temperature, seed=s.seed, top_k_only=s.top_k)
            ids = model.encode(s.prompt)
            tokens = [*model.token_strings(ids), *model.token_strings([x.chosen for x in steps])]
            colors = [th.DIM] * len(ids) + [th.HIGHLIGHT] * len(steps)
            text = TokenText(tokens, max_width=9.6, colors=colors, font_size=th.SMALL_SIZE + 2, max_lines=2)
            name = label(self.tr("at_step", step=f"{c.step:,}"), th.SMALL_SIZE, th.DIM)
            rows.add(VGroup(name, text).arrange(RIGHT, buff=0.4, aligned_edge=UP))
        rows.arrange(DOWN, buff=0.5, aligned_edge=LEFT).move_to(0.2 * DOWN)
        fit(rows, th.CONTENT_WIDTH)
        self.show_caption(self.tr("samples", seed=s.seed, k=s.top_k))
        self.play(LaggedStart(*[FadeIn(r, shift=0.2 * UP) for r in rows], lag_ratio=0.4))
        self.end_step()
        self.play(FadeOut(rows))

    def one_step(self, model: str) -> None:
        """One real step of gradient descent on one example: loss and probability before and after."""
        text = self.data.text_for(self.tr("example_text")).text
        self.step = step = gradient_step(model, text, LR)
        strings = self.data.model.token_strings(step.ids)
        example = TokenText(strings, max_width=th.CONTENT_WIDTH - 1,
                            colors=[th.TEXT] * (len(strings) - 1) + [th.HIGHLIGHT], font_size=th.LABEL_SIZE + 2,
                            max_lines=2).move_to(1.8 * UP)
        target = f"“{th.show_spaces(strings[-1])}”"
        rows = VGroup(*[self.before_after(name, a, b) for name, a, b in (
            (self.tr("loss_row", n=len(step.ids) - 1), f"{step.loss_before:.3f}", f"{step.loss_after:.3f}"),
            (self.tr("p_row", token=target), f"{step.p_before:.1%}", f"{step.p_after:.1%}"))])
        rows.arrange(DOWN, buff=0.35, aligned_edge=LEFT).next_to(example, DOWN, buff=0.7)
        changed = label(self.tr("changed", n=f"{step.n_changed:,}", total=f"{step.n_params:,}"), th.LABEL_SIZE - 2)
        changed.next_to(rows, DOWN, buff=0.5)
        fit(changed, th.CONTENT_WIDTH)
        self.show_caption(self.tr("example", token=target))
        self.play(FadeIn(example))
        self.end_step(0.5)
        self.show_caption(self.tr("step", lr=f"{LR:g}"))
        self.play(LaggedStart(*[FadeIn(r) for r in rows], lag_ratio=0.5))
        self.play(FadeIn(changed))
        self.play(Indicate(rows[1][3], color=th.HIGHLIGHT))
        self.end_step()
        self.play(FadeOut(example), FadeOut(rows), FadeOut(changed))

    @staticmethod
    def before_after(name: str, before: str, after: str) -> VGroup:
        row = VGroup(label(name, th.LABEL_SIZE - 2, th.DIM), label(before, th.LABEL_SIZE, mono=True),
                     label("→", th.LABEL_SIZE, th.DIM), label(after, th.LABEL_SIZE, th.HIGHLIGHT, mono=True))
        return row.arrange(RIGHT, buff=0.3)

    def show_scale(self) -> None:
        """This model's tokens against GPT-3's, as areas."""
        seen = self.history[-1].tokens_seen if self.history else 0
        big = Square(4.2, stroke_color=th.DIM, fill_color=th.POSITIVE, fill_opacity=0.25).move_to([4.2, -0.2, 0])
        side = 4.2 * math.sqrt(seen / GPT3_TOKENS) if seen else 0.0
        small = Square(max(side, MIN_SIDE), stroke_width=0, fill_color=th.HIGHLIGHT, fill_opacity=1)
        small.align_to(big, DOWN + LEFT)
        ours = self.tr("ours", n=f"{seen:,}") + (self.tr("enlarged") if side < MIN_SIDE else "")
        names = VGroup(label(self.tr("gpt3", n=f"{GPT3_TOKENS:,.0f}"), th.LABEL_SIZE),
                       label(ours, th.LABEL_SIZE, th.HIGHLIGHT))
        names.arrange(DOWN, buff=0.4, aligned_edge=LEFT)
        fit(names, big.get_left()[0] + th.FRAME_WIDTH / 2 - th.EDGE - 0.6).next_to(big, LEFT, buff=0.6)
        pointer = Arrow(names[1].get_right(), small.get_left(), buff=0.2, color=th.HIGHLIGHT, stroke_width=3)
        ratio = GPT3_TOKENS / seen if seen else float("inf")
        self.show_caption(self.tr("scale", ratio=f"{ratio:,.0f}") if seen else self.tr("scale_unknown"))
        self.play(FadeIn(big), FadeIn(names[0]))
        self.play(FadeIn(small), FadeIn(names[1]), Create(pointer))
        self.end_step(2)
