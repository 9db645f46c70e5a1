"""Scene: the prompt's residual stream through every block, the change each block adds, and the logit lens."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, Create, GrowFromEdge, Indicate, LaggedStart, Line, Rectangle, Square, VGroup, VMobject,
)

from gptmath import hooks
from gptmath.lens import change_sizes, logit_lens, settled_from
from gptmath.sampling import Candidate, softmax_with_temperature, top_k

from scenes import theme as th
from scenes.animations import FadeIn
from scenes.base import GPTScene
from scenes.mobjects import (
    HeatMap, ProbabilityBars, StreamBlock, even_labels, fit, label, number, number_text, quoted,
)
from scenes.mobjects.charts import percent

T = "overview"  # this module's catalogue: scenes/locales/overview.toml
ATTN_COLOR, MLP_COLOR, OTHER_COLOR = th.KEY, th.TOKEN_COLORS[4], th.DIM
LABEL_X = (-6.85, -5.45)  # row names
EMBED_X = (-5.4, -4.28)  # the fixed boxes hold their names at SMALL_SIZE, 埋め込み and 逆埋め込み too
LAYERS_X = (-4.18, 1.45)
LN_X, UNEMBED_X = (1.55, 2.15), (2.25, 3.62)
BARS_LEFT = 3.75
Y_SNAPSHOT, Y_STREAM, Y_LAYER, Y_BARS, Y_LENS = 2.35, 1.15, 0.6, -1.4, -2.55
BOX_HEIGHT, SNAPSHOT_HEIGHT, MAX_BAR = 0.6, 0.9, 1.3
N_NEXT = 6
PAD = 0.1  # space kept between labels side by side
SHAPED = 0.10  # the logit lens shows the guess "taking shape" only when the final guess ends with at least this


@dataclass(frozen=True)
class Layout:
    """What every step needs to know: the position drawn, the model's depth and the blocks' shared font size."""

    position: int
    token: str  # the position's token, spaces shown
    n_layer: int
    ln_key: str  # the final norm's box name: ln_box_layernorm or ln_box_rmsnorm
    box_size: float  # the font size of every block's name
    named_layers: bool  # the layers' attention and MLP boxes carry their names (else a legend names their colours)
    stride: int  # every stride-th layer, counted back from the last, has its name and its logit-lens guess written
    sizes: np.ndarray  # [n_layer, 2]: how much attention and the MLP change the stream at the position
    lens: list[Candidate]  # the logit lens's guess from the embedding and after each layer
    decimals: int  # of the change sizes: the largest shows at least two significant digits
    numbers: str  # how the change sizes are written over their bars: "level", "turned" (a quarter) or "largest" only
    max_bar: float  # the tallest change bar's height, lower where turned numbers need the room above it

    def labelled(self, L: int) -> bool:
        """Whether layer L's name and logit-lens guess are written (the last layer's always are)."""
        return (self.n_layer - 1 - L) % self.stride == 0

    @property
    def layer_width(self) -> float:
        return (LAYERS_X[1] - LAYERS_X[0]) / self.n_layer

    @property
    def slot(self) -> float:
        """The width of one attention or MLP box."""
        return (LAYERS_X[1] - LAYERS_X[0]) / self.n_layer / 2 - 0.09  # as layer() draws them


@dataclass(frozen=True)
class Layers:
    """What run_blocks drew, one entry per layer."""

    blocks: VGroup  # per layer: VGroup(attention box, MLP box)
    change_bars: VGroup  # per layer: the two bars
    snapshots: list[HeatMap]  # the stream after each layer
    sizes: np.ndarray  # [n_layer, 2]: how much attention and the MLP change the stream at the position


@dataclass(frozen=True)
class Prediction:
    """The final norm and unembedding boxes, and the next-token bars they lead to."""

    boxes: tuple[StreamBlock, StreamBlock]
    bars: ProbabilityBars
    next_tokens: list[Candidate]


class ForwardPass(GPTScene):
    """Embeddings → every block (attention, MLP) → final norm → unembedding → next-token bars; logit lens."""

    catalogue = T

    def construct(self) -> None:
        self.layout = layout = self.plan()
        self.show_title(self.tr("title"))
        self.embed_box, first_snapshot = self.show_embeddings(layout)
        self.layers = self.run_blocks(layout)
        self.snapshots = [first_snapshot, *self.layers.snapshots]
        self.change_numbers = self.show_change_sizes(layout, self.layers)
        self.prediction = self.predict(layout)
        self.lens = self.show_logit_lens(layout, self.layers)

    def plan(self) -> Layout:
        """One size for the block names (SMALL_SIZE unless a fixed box is too narrow); the layers' boxes named only
        if their names fit at it; every label at least SMALL_SIZE (numbers NUMBER_SIZE), written for every
        `stride`-th layer when a deep model leaves too little room for each."""
        cfg, d = self.data.model.config, self.data
        ln_key = f"ln_box_{cfg.norm}"  # LN or RMS
        layer_width = (LAYERS_X[1] - LAYERS_X[0]) / cfg.n_layer
        slot = layer_width / 2 - 0.09
        size = StreamBlock.font_size_for([
            (EMBED_X[1] - EMBED_X[0], self.tr("embed_box")), (LN_X[1] - LN_X[0], self.tr(ln_key)),
            (UNEMBED_X[1] - UNEMBED_X[0], self.tr("unembed_box"))])
        named = StreamBlock.font_size_for([(slot, self.tr("attn_box")), (slot, self.tr("mlp_box"))]) >= size
        lens = logit_lens(d.model.weights, d.trace, d.model.token_strings, d.position)
        widest = max([label(self.tr("layer", layer=L), th.SMALL_SIZE).width for L in range(cfg.n_layer)] +
                     [label(th.show_spaces(g.text), th.SMALL_SIZE, mono=True).width for g in lens[1:]])
        sizes = change_sizes(d.trace, d.position)  # [n_layer, 2]
        decimals = change_decimals(float(sizes.max()))
        longest = max(number(v, decimals).width for v in sizes.flat)  # the numbers' height is about a digit's
        mode = "level" if longest + PAD / 2 <= layer_width / 2 else \
            "turned" if number(0, decimals).height + PAD / 2 <= layer_width / 2 else "largest"
        max_bar = MAX_BAR - (longest - number(0, decimals).height if mode == "turned" else 0)
        return Layout(d.position, th.show_spaces(d.tokens[d.position]), cfg.n_layer, ln_key, size, named,
                      math.ceil((widest + PAD) / layer_width), sizes, lens, decimals, mode, max_bar)

    # -- steps ------------------------------------------------------------
    def show_embeddings(self, layout: Layout) -> tuple[StreamBlock, HeatMap]:
        """The row names, the stream, the embedding box and the stream's first snapshot."""
        cfg, n = self.data.model.config, len(self.data.tokens)
        names = even_labels([self.tr(key) for key in ("residual", "changes", "lens")], LABEL_X[1] - LABEL_X[0],
                            th.SMALL_SIZE, th.DIM)
        for name, y in zip(names, (Y_SNAPSHOT, Y_BARS + MAX_BAR / 2, Y_LENS)):
            name.move_to([LABEL_X[0], y, 0], aligned_edge=LEFT)
        if not layout.named_layers:  # boxes too narrow for their names: a legend names their colours
            names.add(self.legend().next_to([LABEL_X[0], Y_STREAM - BOX_HEIGHT / 2, 0], DOWN, buff=0.1,
                                            aligned_edge=LEFT))  # under the row names' column and the embedding
        stream = Line([EMBED_X[1], Y_STREAM, 0], [UNEMBED_X[0], Y_STREAM, 0], color=th.DIM, stroke_width=3)
        box = self.block(EMBED_X, "embed_box", OTHER_COLOR, layout)
        snapshot = self.snapshot(layout, hooks.resid(0, "pre"), sum(EMBED_X) / 2)
        self.say("say_bridge", layers=layout.n_layer)  # over the title, before the first drawing
        self.show_caption(self.tr("embed", n=n, d=cfg.d_model) if n > 1 else self.tr("embed_one", d=cfg.d_model))
        self.say("say_show_embeddings" if n > 1 else "say_show_embeddings_one", n=n, d=cfg.d_model)
        self.play(FadeIn(names), FadeIn(box), Create(stream))
        self.play(FadeIn(snapshot, shift=0.3 * DOWN))
        self.end_step()
        return box, snapshot

    def run_blocks(self, layout: Layout) -> Layers:
        """Each layer in turn: its boxes light up, its change bars grow, the stream after it appears."""
        sizes = layout.sizes
        top = float(sizes.max()) or 1.0
        blocks, change_bars, snapshots = VGroup(), VGroup(), []
        parallel = self.data.model.config.parallel
        self.show_caption(self.tr("blocks_parallel" if parallel else "blocks", layers=layout.n_layer))
        self.say("say_run_blocks_parallel" if parallel else "say_run_blocks", layers=layout.n_layer)
        for L in range(layout.n_layer):
            (attn, mlp), bars, name = self.layer(layout, L, sizes[L], top)
            blocks.add(VGroup(attn, mlp))
            change_bars.add(bars)
            self.play(FadeIn(attn), FadeIn(mlp), FadeIn(name), run_time=0.4)
            self.play(Indicate(attn), GrowFromEdge(bars[0], DOWN), run_time=0.5)
            self.play(Indicate(mlp), GrowFromEdge(bars[1], DOWN), run_time=0.5)
            snapshots.append(self.snapshot(layout, hooks.resid(L, "post"),
                                           LAYERS_X[0] + L * layout.layer_width + layout.layer_width / 2))
            self.play(FadeIn(snapshots[-1], shift=0.3 * RIGHT), run_time=0.5)
        self.end_step()
        return Layers(blocks, change_bars, snapshots, sizes)

    def show_change_sizes(self, layout: Layout, layers: Layers) -> VGroup:
        """Each change bar's length, written above it: level where the numbers fit side by side, turned a quarter
        where only their height fits, else only the largest."""
        L, part = np.unravel_index(int(np.argmax(layers.sizes)), layers.sizes.shape)  # the largest change
        bars = [bar for pair in layers.change_bars for bar in pair]
        numbers = [number(v, layout.decimals, th.NUMBER_SIZE, th.TEXT) for v in layers.sizes.flat]
        if layout.numbers == "turned":
            numbers = [n.rotate(math.pi / 2) for n in numbers]
        elif layout.numbers == "largest":
            largest = 2 * int(L) + int(part)
            bars, numbers = [bars[largest]], [numbers[largest]]
        shown = VGroup(*[n.next_to(bar, UP, buff=0.06) for n, bar in zip(numbers, bars)])
        self.show_caption(self.tr("sizes", token=layout.token))
        self.say(f"say_show_change_sizes_{('attn', 'mlp')[part]}", token=quoted(self.data.tokens[layout.position]),
                 layer=int(L), size=number_text(layers.sizes[L, part], layout.decimals))
        self.play(LaggedStart(*[FadeIn(n) for n in shown], lag_ratio=0.1))
        self.end_step()
        return shown

    def predict(self, layout: Layout) -> Prediction:
        """The final norm and the unembedding, then the next token's likeliest candidates as bars."""
        model = self.data.model
        logits = self.data.trace[hooks.LOGITS][layout.position]
        next_tokens = top_k(logits, softmax_with_temperature(logits), N_NEXT, model.token_strings)
        boxes = (self.block(LN_X, layout.ln_key, OTHER_COLOR, layout),
                 self.block(UNEMBED_X, "unembed_box", OTHER_COLOR, layout))
        bars = ProbabilityBars([c.text for c in next_tokens], [c.prob for c in next_tokens], bar_length=1.35,
                               bar_height=0.3, font_size=th.SMALL_SIZE, label_width=0.95)
        fit(bars, th.FRAME_WIDTH / 2 - th.EDGE - BARS_LEFT)  # the percentages stay inside the frame
        bars.move_to([BARS_LEFT, Y_STREAM - 0.55, 0], aligned_edge=LEFT)
        heading = fit(label(self.tr("next_token", token=layout.token), th.SMALL_SIZE, th.DIM),
                      th.FRAME_WIDTH / 2 - th.EDGE - BARS_LEFT)
        heading.next_to(bars, UP, buff=0.25).align_to(bars, LEFT)
        v, norm = f"{model.config.vocab_size:,}", th.norm_name(model.config.norm)
        self.show_caption(self.tr("final", v=v, norm=norm))
        self.say("say_predict", norm=norm, v=v, token=quoted(self.data.tokens[layout.position]),
                 top=quoted(next_tokens[0].text), p=percent(next_tokens[0].prob))
        self.play(FadeIn(boxes[0]), FadeIn(boxes[1]))
        self.play(FadeIn(heading), FadeIn(bars, shift=0.2 * RIGHT))
        self.end_step()
        return Prediction(boxes, bars, next_tokens)

    def show_logit_lens(self, layout: Layout, layers: Layers) -> list[Candidate]:
        """Under the embedding and each labelled block, the token the stream would predict if the model stopped
        there, and how sure."""
        lens = layout.lens
        columns = [(sum(EMBED_X) / 2, EMBED_X[1] - EMBED_X[0] + 0.3)] + [
            (block.get_center()[0], layout.stride * layout.layer_width - PAD)
            for L, block in enumerate(layers.blocks) if layout.labelled(L)]
        guesses = [lens[0]] + [g for L, g in enumerate(lens[1:]) if layout.labelled(L)]
        cells = VGroup()
        for guess, (x, width) in zip(guesses, columns):
            text = fit(label(th.show_spaces(guess.text), th.SMALL_SIZE, th.HIGHLIGHT, mono=True), width)
            pct = label(f"{100 * guess.prob:.0f}%", th.NUMBER_SIZE, th.DIM, mono=True)
            cells.add(VGroup(text, pct).arrange(DOWN, buff=0.1).move_to([x, Y_LENS, 0]))
        settled = settled_from(lens)  # 0: the embedding alone guesses the final token; L + 1: from layer L on
        same = lens[0].token_id == lens[-1].token_id
        caption = "lens_caption_same" if same else "lens_caption" if lens[-1].prob >= SHAPED else "lens_caption_unsure"
        self.show_caption(self.tr(caption, last=quoted(lens[-1].text), p=percent(lens[-1].prob)))
        self.say("say_show_logit_lens_same" if same else "say_show_logit_lens", first=quoted(lens[0].text),
                 last=quoted(lens[-1].text), p=percent(lens[-1].prob), settled=settled - 1)
        self.play(LaggedStart(*[FadeIn(c, shift=0.1 * DOWN) for c in cells], lag_ratio=0.25))
        self.end_step(2)
        return lens

    # -- pieces -----------------------------------------------------------
    def layer(self, layout: Layout, L: int, sizes: np.ndarray, top: float) -> tuple[VGroup, VGroup, VMobject]:
        """Layer L's attention and MLP boxes, its two change bars (top = the tallest, layout.max_bar high) and its
        name (if it is labelled)."""
        width = layout.layer_width
        x0 = LAYERS_X[0] + L * width
        half = (width - 0.12) / 2
        named = layout.named_layers
        attn = self.block((x0 + 0.06, x0 + 0.06 + half - 0.03), "attn_box" if named else "", ATTN_COLOR, layout)
        mlp = self.block((x0 + 0.06 + half + 0.03, x0 + width - 0.06), "mlp_box" if named else "", MLP_COLOR, layout)
        name = label(self.tr("layer", layer=L), th.SMALL_SIZE, th.DIM) if layout.labelled(L) else VGroup()
        name.move_to([x0 + width / 2, Y_LAYER, 0])
        bars = VGroup(*[
            Rectangle(width=min(0.35, half * 0.6), height=max(layout.max_bar * s / top, 0.01), stroke_width=0,
                      fill_color=color, fill_opacity=0.9).move_to([box.get_center()[0], Y_BARS, 0], aligned_edge=DOWN)
            for box, s, color in ((attn, sizes[0], ATTN_COLOR), (mlp, sizes[1], MLP_COLOR))])
        return VGroup(attn, mlp), bars, name

    def block(self, x: tuple[float, float], key: str, color, layout: Layout) -> StreamBlock:
        """A block on the stream between x[0] and x[1], named by the catalogue's `key` (unnamed if key is "")."""
        return StreamBlock(x, self.tr(key) if key else "", color, layout.box_size, y=Y_STREAM, height=BOX_HEIGHT)

    def legend(self) -> VGroup:
        """The layers' two colours and what they stand for, one under the other."""
        rows = [VGroup(Square(0.18, stroke_width=0, fill_color=color, fill_opacity=0.9),
                       label(self.tr(key), th.SMALL_SIZE, th.DIM)).arrange(RIGHT, buff=0.12)
                for key, color in (("attn_box", ATTN_COLOR), ("mlp_box", MLP_COLOR))]
        return VGroup(*rows).arrange(DOWN, buff=0.12, aligned_edge=LEFT)

    def snapshot(self, layout: Layout, hook: str, x: float) -> HeatMap:
        """The whole stream at one point as a heat map: one column per token, one row per dimension."""
        values = self.data.trace[hook].T  # [d, p]
        width = min(2 * layout.slot, 0.12 * values.shape[1] + 0.2, 0.9)
        return HeatMap(values, width=width, height=SNAPSHOT_HEIGHT).move_to([x, Y_SNAPSHOT, 0])


def change_decimals(largest: float) -> int:
    """Decimals for change sizes: one, or as many as the largest needs to show two significant digits."""
    return max(1, 1 - math.floor(math.log10(largest))) if largest > 0 else 1
