"""Scene: the prompt's residual stream through every block, the change each block adds, and the logit lens."""
from __future__ import annotations

from manim import (
    DOWN, LEFT, RIGHT, UP, Create, GrowFromEdge, Indicate, LaggedStart, Line, Rectangle, RoundedRectangle,
    VGroup, interpolate_color,
)

from gptmath.lens import change_sizes, logit_lens
from gptmath.sampling import softmax_with_temperature, top_k

from scenes import theme as th
from scenes.animations import FadeIn
from scenes.base import GPTScene
from scenes.mobjects import HeatMap, ProbabilityBars, even_labels, fit, label, number

T = "overview"  # this module's catalogue: scenes/locales/overview.toml
ATTN_COLOR, MLP_COLOR, OTHER_COLOR = th.KEY, th.TOKEN_COLORS[4], th.DIM
LABEL_X = (-6.85, -5.45)  # row names
EMBED_X = (-5.35, -4.4)
LAYERS_X = (-4.3, 1.6)
LN_X, UNEMBED_X = (1.75, 2.2), (2.35, 3.6)
BARS_LEFT = 3.75
Y_SNAPSHOT, Y_STREAM, Y_LAYER, Y_BARS, Y_LENS = 2.35, 1.15, 0.6, -1.4, -2.55
BOX_HEIGHT, SNAPSHOT_HEIGHT, MAX_BAR = 0.6, 0.9, 1.3
N_NEXT = 6


BOX_PAD = 0.1  # room left beside a block's name


def _box(x: tuple[float, float], text: str, color, size: float) -> VGroup:
    """A block drawn on the stream between x[0] and x[1], its name in the font size every block shares."""
    rect = RoundedRectangle(corner_radius=0.08, width=x[1] - x[0], height=BOX_HEIGHT, stroke_color=color,
                            stroke_width=2, fill_color=interpolate_color(th.BACKGROUND, color, 0.25),
                            fill_opacity=1).move_to([(x[0] + x[1]) / 2, Y_STREAM, 0])
    return VGroup(rect, label(text, size, th.TEXT).move_to(rect))


def box_font_size(boxes: list[tuple[float, str]]) -> float:
    """One font size for all block names: SMALL_SIZE, or smaller if some (width, name) would not fit."""
    return th.SMALL_SIZE * min(1.0, *[(width - BOX_PAD) / label(text, th.SMALL_SIZE).width for width, text in boxes])


class ForwardPass(GPTScene):
    """Embeddings → every block (attention, MLP) → final norm → unembedding → next-token bars; logit lens."""

    catalogue = T

    def construct(self) -> None:
        self.P = self.data.position
        self.ln_key = f"ln_box_{self.data.model.config.norm}"  # LN or RMS
        slot = self._slot_width()
        self.box_size = box_font_size([(EMBED_X[1] - EMBED_X[0], self.tr("embed_box")),
                                       (slot, self.tr("attn_box")),
                                       (slot, self.tr("mlp_box")), (LN_X[1] - LN_X[0], self.tr(self.ln_key)),
                                       (UNEMBED_X[1] - UNEMBED_X[0], self.tr("unembed_box"))])
        self.show_title(self.tr("title"))
        self.embed()
        self.run_blocks()
        self.show_change_sizes()
        self.predict()
        self.show_logit_lens()

    @property
    def token(self) -> str:
        return th.show_spaces(self.data.tokens[self.P])

    # -- steps ------------------------------------------------------------
    def embed(self) -> None:
        cfg, n = self.data.model.config, len(self.data.tokens)
        names = even_labels([self.tr(key) for key in ("residual", "changes", "lens")], LABEL_X[1] - LABEL_X[0],
                            th.SMALL_SIZE, th.DIM)
        for name, y in zip(names, (Y_SNAPSHOT, Y_BARS + MAX_BAR / 2, Y_LENS)):
            name.move_to([LABEL_X[0], y, 0], aligned_edge=LEFT)
        self.stream = Line([EMBED_X[1], Y_STREAM, 0], [UNEMBED_X[0], Y_STREAM, 0], color=th.DIM, stroke_width=3)
        self.embed_box = _box(EMBED_X, self.tr("embed_box"), OTHER_COLOR, self.box_size)
        self.snapshots = [self._snapshot("blocks.0.hook_resid_pre", sum(EMBED_X) / 2)]
        self.row_names = names
        caption = self.tr("embed", n=n, d=cfg.d_model) if n > 1 else self.tr("embed_one", d=cfg.d_model)
        self.show_caption(caption)
        self.play(FadeIn(names), FadeIn(self.embed_box), Create(self.stream))
        self.play(FadeIn(self.snapshots[0], shift=0.3 * DOWN))
        self.end_step()

    def run_blocks(self) -> None:
        n_layer = self.data.model.config.n_layer
        width = (LAYERS_X[1] - LAYERS_X[0]) / n_layer
        sizes = change_sizes(self.data.trace, self.P)  # [n_layer, 2]
        self.change_values = sizes
        top = float(sizes.max()) or 1.0
        self.blocks, self.change_bars, self.layer_names = VGroup(), VGroup(), VGroup()
        self.show_caption(self.tr("blocks_parallel" if self.data.model.config.parallel else "blocks",
                                  layers=n_layer))
        for L in range(n_layer):
            x0 = LAYERS_X[0] + L * width
            half = (width - 0.12) / 2
            attn = _box((x0 + 0.06, x0 + 0.06 + half - 0.03), self.tr("attn_box"), ATTN_COLOR, self.box_size)
            mlp = _box((x0 + 0.06 + half + 0.03, x0 + width - 0.06), self.tr("mlp_box"), MLP_COLOR, self.box_size)
            name = fit(label(self.tr("layer", layer=L), th.SMALL_SIZE, th.DIM), width - 0.1)
            name.move_to([x0 + width / 2, Y_LAYER, 0])
            bars = VGroup(*[
                Rectangle(width=min(0.35, half * 0.6), height=max(MAX_BAR * s / top, 0.01), stroke_width=0,
                          fill_color=color, fill_opacity=0.9)
                .move_to([box.get_center()[0], Y_BARS, 0], aligned_edge=DOWN)
                for box, s, color in ((attn, sizes[L, 0], ATTN_COLOR), (mlp, sizes[L, 1], MLP_COLOR))])
            self.blocks.add(VGroup(attn, mlp))
            self.change_bars.add(bars)
            self.layer_names.add(name)
            self.play(FadeIn(attn), FadeIn(mlp), FadeIn(name), run_time=0.4)
            self.play(Indicate(attn), GrowFromEdge(bars[0], DOWN), run_time=0.5)
            self.play(Indicate(mlp), GrowFromEdge(bars[1], DOWN), run_time=0.5)
            self.snapshots.append(self._snapshot(f"blocks.{L}.hook_resid_post", x0 + width / 2))
            self.play(FadeIn(self.snapshots[-1], shift=0.3 * RIGHT), run_time=0.5)
        self.end_step()

    def show_change_sizes(self) -> None:
        self.change_numbers = VGroup()
        for bars, values in zip(self.change_bars, self.change_values):
            for bar, v in zip(bars, values):
                num = fit(number(v, 1, th.NUMBER_SIZE, th.TEXT), self._slot_width())
                self.change_numbers.add(num.next_to(bar, UP, buff=0.06))
        self.show_caption(self.tr("sizes", token=self.token))
        self.play(LaggedStart(*[FadeIn(n) for n in self.change_numbers], lag_ratio=0.1))
        self.end_step()

    def predict(self) -> None:
        model = self.data.model
        logits = self.data.trace["logits"][self.P]
        probs = softmax_with_temperature(logits)
        self.next_tokens = top_k(logits, probs, N_NEXT, model.token_strings)
        self.ln_box = _box(LN_X, self.tr(self.ln_key), OTHER_COLOR, self.box_size)
        self.unembed_box = _box(UNEMBED_X, self.tr("unembed_box"), OTHER_COLOR, self.box_size)
        self.bars = ProbabilityBars([c.text for c in self.next_tokens], [c.prob for c in self.next_tokens],
                                    bar_length=1.35, bar_height=0.3, font_size=th.SMALL_SIZE, label_width=0.95)
        fit(self.bars, th.FRAME_WIDTH / 2 - th.EDGE - BARS_LEFT)  # the percentages stay inside the frame
        self.bars.move_to([BARS_LEFT, Y_STREAM - 0.55, 0], aligned_edge=LEFT)
        heading = fit(label(self.tr("next_token", token=self.token), th.SMALL_SIZE, th.DIM),
                             th.FRAME_WIDTH / 2 - th.EDGE - BARS_LEFT)
        heading.next_to(self.bars, UP, buff=0.25).align_to(self.bars, LEFT)
        self.next_heading = heading
        self.show_caption(self.tr("final", v=f"{model.config.vocab_size:,}", norm=th.norm_name(model.config.norm)))
        self.play(FadeIn(self.ln_box), FadeIn(self.unembed_box))
        self.play(FadeIn(heading), FadeIn(self.bars, shift=0.2 * RIGHT))
        self.end_step()

    def show_logit_lens(self) -> None:
        self.lens = logit_lens(self.data.model.weights, self.data.trace, self.data.model.token_strings, self.P)
        centers = [sum(EMBED_X) / 2] + [b.get_center()[0] for b in self.blocks]
        self.lens_cells = VGroup()
        widths = [EMBED_X[1] - EMBED_X[0] + 0.3] + [self._slot_width() * 2] * len(self.blocks)
        for guess, x, width in zip(self.lens, centers, widths):
            text = fit(label(th.show_spaces(guess.text), th.SMALL_SIZE, th.HIGHLIGHT, mono=True), width)
            pct = label(f"{100 * guess.prob:.0f}%", th.NUMBER_SIZE, th.DIM, mono=True)
            cell = VGroup(text, pct).arrange(DOWN, buff=0.1).move_to([x, Y_LENS, 0])
            self.lens_cells.add(cell)
        self.show_caption(self.tr("lens_caption"))
        self.play(LaggedStart(*[FadeIn(c, shift=0.1 * DOWN) for c in self.lens_cells], lag_ratio=0.25))
        self.end_step(2)

    # -- pieces -----------------------------------------------------------
    def _slot_width(self) -> float:
        """The width of one attention or MLP box."""
        return (LAYERS_X[1] - LAYERS_X[0]) / self.data.model.config.n_layer / 2 - 0.09  # as run_blocks draws them

    def _snapshot(self, hook: str, x: float) -> HeatMap:
        """The whole stream at one point as a heat map: one column per token, one row per dimension."""
        values = self.data.trace[hook].T  # [d, p]
        width = min(2 * self._slot_width(), 0.12 * values.shape[1] + 0.2, 0.9)
        snap = HeatMap(values, width=width, height=SNAPSHOT_HEIGHT)
        snap.move_to([x, Y_SNAPSHOT, 0])
        return snap
