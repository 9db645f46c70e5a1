"""AttentionHead: one head of one layer on the real prompt, from its inputs to what it adds to the residual stream."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, WHITE, Create, LaggedStart, ReplacementTransform, Succession, SurroundingRectangle,
    TransformFromCopy, VGroup, VMobject,
)

from gptmath import hooks
from gptmath.heads import HeadStep, HeadWeights, head_qk, head_roles, head_step, head_weights, kv_head, unmasked_scores
from gptmath.model import Config
from gptmath.ops import rotary_angles
from gptmath.query import QueryFocus, TurnedPair, focus_kind, query_focus, turned_pairs

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut, MoveScale
from scenes.base import GPTScene
from scenes.data import SceneData
from scenes.mobjects import (
    AttentionGrid, Product, RotationDial, ScaledDot, TokenVectorRow, VectorColumn, VectorRow, WeightedSum, elide, fit,
    label, number_text, pair_text, quoted, symbol,
)
from scenes.mobjects.heads import DialRow, readable_grid
from scenes.mobjects.products import ResidualSum
from scenes.staging import below, fade_all_but, right_of, show_only

T = "attention"  # this module's catalogue: scenes/locales/attention.toml
MAX_SLOTS = 9  # token columns drawn side by side before the middle ones give way to ⋯
TOP = 2.95  # below the title
BOTTOM = -3.1  # above the caption
SOFTMAX_EVEN_LIFT = 1.5  # a query whose largest weight is at most this times an even share 1/n "spreads evenly"
MIN_LABEL_PX = 9.5  # about 10 px: grid labels whose capitals (or kana) are less tall at 480p are left out


def score_divisor(cfg: Config, layer: int) -> str:
    """What q·k is divided by, in Typst math ("" when scores are not scaled, as in GPT-Neo)."""
    parts = ([f"sqrt({cfg.d_head})"] if cfg.scale_attn_weights else [])
    parts += [str(layer + 1)] if cfg.scale_attn_by_inverse_layer_idx else []
    return " dot ".join(parts)


def shared_heads(cfg: Config, head: int) -> str:
    """The query heads that read the same key/value head as `head`, e.g. "0–2"."""
    group = cfg.n_head // cfg.n_kv_head
    first = kv_head(cfg, head) * group
    return f"{first}–{first + group - 1}"


@dataclass(frozen=True)
class HeadLayout:
    """The chosen head's numbers and which of them the scene draws, decided once."""

    weights: HeadWeights  # the head's W_Q, W_K, W_V, W_O and biases
    step: HeadStep  # at the query position: attention weights, values, z, output, residual before and after
    shown: tuple[int | None, ...]  # token columns drawn (None: ⋯), the query's among them
    example_key: int  # the key whose score is worked out beside the grid: the one before the query
    summed_keys: tuple[int | None, ...]  # value columns of the weighted sum: every key, or the query's top five
    angles: np.ndarray | None  # [p, pairs] rotary angles; None for a model without rotary
    focus: QueryFocus  # the query's heaviest key and how far it stands out
    kind: str  # what the query's weights do (gptmath.query.focus_kind): alone, even, previous(_here) or other

    @classmethod
    def of(cls, d: SceneData) -> HeadLayout:
        cfg, i = d.model.config, d.position
        step = head_step(d.trace, d.model.weights, d.layer, d.head, i)
        top = np.argsort(-step.weights[: i + 1], kind="stable")[:5]  # the keys this query weighs most
        angles = rotary_angles(len(d.tokens), cfg.rotary_dims, cfg.rotary_base) if cfg.positions == "rotary" else None
        focus = query_focus(d.trace, cfg, d.layer, d.head, i)
        previous_head = head_roles(d.trace)[d.layer][d.head] == "previous"
        return cls(head_weights(d.model.weights, d.layer, d.head), step,
                   tuple(elide(len(d.tokens), MAX_SLOTS - 3, keep=[i], up_to=MAX_SLOTS)), max(i - 1, 0),
                   tuple(range(i + 1) if i < 7 else elide(i + 1, 0, keep=[int(k) for k in top])), angles,
                   focus, focus_kind(focus, i, previous_head, SOFTMAX_EVEN_LIFT))


class AttentionHead(GPTScene):
    """One head of one layer on the real prompt: queries, keys, scores, mask, softmax, values, output.

    `construct` keeps on the scene what the steps drew that tests check (`query_product`, `score_grid`, ...).
    """

    catalogue = T

    @property
    def kv(self) -> int:
        """The key/value head the chosen query head reads."""
        return kv_head(self.data.model.config, self.data.head)

    def construct(self) -> None:
        d = self.data
        head = HeadLayout.of(d)
        self.show_title(self.tr("title", layer=d.layer, head=d.head))
        self.inputs = self.show_inputs(head)
        self.query_product = self.show_product(head, self.inputs, "q")
        self.key_product = self.show_product(head, self.inputs, "k", replacing=self.query_product)
        self.q_row, self.k_row = self.show_all_queries_and_keys(head, self.inputs, self.key_product)
        if head.angles is not None:
            self.dials, dial_row = self.turn_pairs(head, self.inputs, self.q_row, self.k_row)
            self.turned_rows = self.show_turned_numbers(head, self.inputs.names, dial_row, self.dials)
        self.raw_grid, panel, cell, worked = self.show_scores(head)
        self.example_q, self.example_k = worked.q, worked.k
        self.score_grid = self.apply_mask(self.raw_grid, panel, cell)
        self.pattern_grid, panel, frame = self.apply_softmax(head, self.score_grid, panel)
        heat_grid, formula, self.weighted_sum = self.weigh_values(head, self.pattern_grid, frame, panel)
        self.sum_values(head, self.weighted_sum, heat_grid, frame, formula)
        self.output_product = self.project_output(head, self.weighted_sum.z)
        self.residual_columns = self.add_to_residual(head, self.output_product)

    def show_inputs(self, head: HeadLayout) -> TokenVectorRow:
        """Each token's normalised vector x, what the head reads: the first tokens, the query, the last."""
        d, cfg = self.data, self.data.model.config
        inputs = TokenVectorRow(d.tokens, d.trace[hooks.norm(d.layer, 1, "normalized")], head.shown, "x", WHITE)
        inputs.shift(UP * (TOP - inputs.get_top()[1]))
        self.show_caption(self.tr("inputs", d=cfg.d_model, norm=th.norm_name(cfg.norm)))
        self.say("say_bridge_attention_head", layer=d.layer, head=d.head)
        self.say("say_show_inputs" if cfg.norm == "layernorm" else "say_show_inputs_rmsnorm",
                 norm=th.norm_name(cfg.norm), d=cfg.d_model)
        self.play(FadeIn(inputs.names), LaggedStart(*[FadeIn(c) for c in inputs.row.slots], lag_ratio=0.1),
                  FadeIn(inputs.row.name))
        show_only(self, inputs)
        self.end_step()
        return inputs

    def show_product(self, head: HeadLayout, inputs: TokenVectorRow, which: str,
                     replacing: Product | None = None) -> Product:
        """The query position's query (`which` "q") or key ("k") as W x + b with the real numbers; the key's
        product takes the place of the query's (`replacing`)."""
        d, cfg, i = self.data, self.data.model.config, self.data.position
        matrix, bias = (head.weights.W_Q, head.weights.b_Q) if which == "q" else (head.weights.W_K, head.weights.b_K)
        colour, big = (th.QUERY, "Q") if which == "q" else (th.KEY, "K")
        x = d.trace[hooks.norm(d.layer, 1, "normalized")][i]
        result = d.trace[hooks.attn(d.layer, which)][i, d.head if which == "q" else self.kv]
        product = Product(matrix.T, x, bias, result, (f"W_{big}", "x", f"b_{big}", which),
                          (colour, WHITE, colour, colour), (self.tr("rows"), self.tr("columns")))
        if replacing is None:  # the query: x taken from its column into the product
            below(product, inputs, BOTTOM)
            focus = SurroundingRectangle(inputs.row.columns[i].brackets, color=th.HIGHLIGHT, buff=0.06)
            self.show_caption(self.tr("query_product", dh=cfg.d_head))
            self.say("say_show_product_query", query=quoted(d.tokens[i]), dh=cfg.d_head)
            self.play(Create(focus))
            self.play(FadeIn(product.matrix), TransformFromCopy(inputs.row.columns[i], product.vector))
            self.play(*[FadeIn(m) for m in (product.bias, product.plus) if m is not None], FadeIn(product.names))
            self.play(FadeIn(product.equals), FadeIn(product.result))
            self.play(FadeOut(focus))
        else:  # the key: the query's matrix, bias and result swapped for the key's, never morphing numbers
            product.move_to(replacing)
            parts = [(replacing.matrix, product.matrix), (replacing.bias, product.bias),
                     (replacing.result, product.result), (replacing.names, product.names)]
            shared, heads = cfg.n_kv_head < cfg.n_head, shared_heads(cfg, d.head)
            self.show_caption(self.tr("key_product_shared" if shared else "key_product", kv=self.kv, heads=heads,
                                      n=cfg.n_kv_head))
            self.say("say_show_product_key_shared" if shared else "say_show_product_key", kv=self.kv, heads=heads)
            self.play(*[FadeOut(a) for a, _ in parts if a is not None], run_time=0.5)
            self.play(*[FadeIn(b) for _, b in parts if b is not None], run_time=0.7)
        show_only(self, inputs, product)
        self.end_step()
        return product

    def show_all_queries_and_keys(self, head: HeadLayout, inputs: TokenVectorRow,
                                  key_product: Product) -> tuple[VectorRow, VectorRow]:
        """Every drawn token's query and key, under its x."""
        d = self.data
        q_row = VectorRow(d.trace[hooks.attn(d.layer, "q")][:, d.head], head.shown, "q", th.QUERY)
        k_row = VectorRow(d.trace[hooks.attn(d.layer, "k")][:, self.kv], head.shown, "k", th.KEY)
        rows = VGroup(q_row, k_row).arrange(DOWN, buff=0.3)
        for row in rows:
            row.shift(RIGHT * (inputs.row.slots.get_center()[0] - row.slots.get_center()[0]))
        below(rows, inputs, BOTTOM)
        self.show_caption(self.tr("all_qk"))
        self.say("say_show_all_queries_and_keys")
        self.play(FadeOut(key_product))
        self.play(LaggedStart(FadeIn(q_row), FadeIn(k_row), lag_ratio=0.4))
        show_only(self, inputs, q_row, k_row)
        self.end_step()
        return q_row, k_row

    def turn_pairs(self, head: HeadLayout, inputs: TokenVectorRow, q_row: VectorRow,
                   k_row: VectorRow) -> tuple[dict[int, RotationDial], DialRow]:
        """Each token's first query pair as a dial, turned by position × the pair's speed (q to rotated q)."""
        d, cfg, x_row = self.data, self.data.model.config, inputs.row
        half = cfg.rotary_dims // 2
        q, rot_q = d.trace[hooks.attn(d.layer, "q")][:, d.head], d.trace[hooks.attn(d.layer, "rot_q")][:, d.head]
        slots = [(i, (x_row.slots[j] if i is None else x_row.columns[i].brackets).get_x())
                 for j, i in enumerate(head.shown)]
        dial_row = DialRow(q[:, [0, half]], rot_q[:, [0, half]], head.angles[:, 0], slots, "q")
        dial_row.name.match_x(x_row.name)
        dial_row.shift(UP * (inputs.names.get_bottom()[1] - 0.35 - dial_row.get_top()[1]))  # under each token
        degrees = math.degrees(float(head.angles[1, 0])) if len(head.angles) > 1 else 0.0
        deg = f"{math.degrees(1.0):.0f}" if degrees == 0 else f"{degrees:.0f}"
        self.show_caption(self.tr("rotary", deg=deg))
        self.say("say_turn_pairs", deg=deg)
        self.play(FadeOut(x_row), FadeOut(q_row), FadeOut(k_row))
        self.play(FadeIn(dial_row.name), LaggedStart(*[Create(dial) for dial in dial_row.dials.values()],
                                                     lag_ratio=0.1))
        show_only(self, inputs.names, dial_row)
        self.end_step()
        return dial_row.dials, dial_row

    def show_turned_numbers(self, head: HeadLayout, names: VGroup, dial_row: VGroup,
                            dials: dict[int, RotationDial]) -> list[TurnedPair]:
        """At the query position: the fastest and slowest pair of q, and the fastest of k, before and after."""
        d, cfg, i = self.data, self.data.model.config, self.data.position
        rows = turned_pairs(d.trace, cfg, d.layer, d.head, i)
        turned = self.turned_table(rows, dial_row)
        heading, table = turned
        frame = SurroundingRectangle(dials[i], color=th.HIGHLIGHT, buff=0.06)
        key = "rotary_numbers" if cfg.rotary_dims == cfg.d_head else "rotary_numbers_partial"
        self.show_caption(self.tr(key, r=cfg.rotary_dims, dh=cfg.d_head))
        self.say("say_show_turned_numbers")
        self.play(Create(frame), FadeIn(heading))
        self.play(LaggedStart(*[FadeIn(r, shift=0.1 * DOWN) for r in table], lag_ratio=0.3))
        show_only(self, names, dial_row, frame, turned)
        self.end_step()
        return rows

    def turned_table(self, rows: list[TurnedPair], dial_row: VGroup) -> VGroup:
        """A heading and a table of one line per turned pair, below the dials."""
        d, i, half = self.data, self.data.position, self.data.model.config.rotary_dims // 2
        table = VGroup()
        for name, pair, before, after, angle in rows:
            text = self.tr("pair_row", name=name, pair=pair + 1, a=pair, b=pair + half, before=pair_text(before),
                           deg=f"{math.degrees(angle):,.1f}", after=pair_text(after))
            table.add(label(text, th.SMALL_SIZE + 2, th.QUERY if name == "q" else th.KEY))
        table.arrange(DOWN, buff=0.3, aligned_edge=LEFT)
        heading = label(self.tr("pair_heading", token=quoted(d.tokens[i]), position=i), th.LABEL_SIZE)
        turned = VGroup(heading, table).arrange(DOWN, buff=0.35, aligned_edge=LEFT)
        fit(turned, th.CONTENT_WIDTH, height=dial_row.get_bottom()[1] - 0.3 - BOTTOM)
        return turned.move_to([0, (dial_row.get_bottom()[1] - 0.2 + BOTTOM) / 2, 0])

    def show_scores(self, head: HeadLayout) -> tuple[AttentionGrid, VMobject, VMobject, ScaledDot]:
        """Every query's score for every key, before the mask; one worked out beside the grid.
        Returns the grid, the side panel, the frame round the worked-out cell, and the working."""
        d, cfg, i, j = self.data, self.data.model.config, self.data.position, head.example_key
        raw = unmasked_scores(d.trace, cfg, d.layer, d.head)
        grid = self.grid(raw, "scores", causal=False)
        scaled = "_layer" if cfg.scale_attn_by_inverse_layer_idx else "" if cfg.scale_attn_weights else "_unscaled"
        self.show_caption(self.tr(f"scores{scaled}", dh=cfg.d_head, div=d.layer + 1, layer=d.layer))
        self.say(f"say_show_scores{scaled}", dh=cfg.d_head, div=d.layer + 1, query=quoted(d.tokens[i]),
                 other=quoted(d.tokens[j]), s=number_text(raw[i, j], 2))
        self.play(*fade_all_but(self))
        self.play(FadeIn(grid.query_labels), FadeIn(grid.key_labels))
        self.play(LaggedStart(*[FadeIn(grid.column(q)) for q in range(len(raw))], lag_ratio=min(0.15, 1.5 / len(raw))))
        cell = SurroundingRectangle(grid.cells[(i, j)], color=th.HIGHLIGHT, buff=0.02)
        q, k = head_qk(d.trace, cfg, d.layer, d.head)  # turned by rotary, if the model has it
        worked = ScaledDot(q[i], k[j], raw[i, j], score_divisor(cfg, d.layer))
        panel = self.score_panel(worked, j, grid)
        self.play(FadeIn(panel), Create(cell))
        show_only(self, grid, panel, cell)
        self.end_step()
        return grid, panel, cell, worked

    def grid(self, values: np.ndarray, mode: str, causal: bool = True,
             show_numbers: bool | None = None) -> AttentionGrid:
        """An attention grid of the chosen head at the left of the frame, greying what its mask hides. Token labels
        too small to read (under MIN_LABEL_PX) are left out, and a note above the grid says what it holds."""
        d = self.data
        hidden = np.isneginf(d.trace[hooks.attn(d.layer, "attn_scores")][d.head])
        note = self.tr("grid_unnamed", n=len(d.tokens), first=quoted(d.tokens[0]), last=quoted(d.tokens[-1]))
        grid = readable_grid(values, d.tokens, note, TOP - BOTTOM - 0.1, MIN_LABEL_PX, mode=mode, causal=causal,
                             masked=hidden if causal else None, max_size=5.4, min_size=th.MIN_NUMBER_SIZE,
                             show_numbers=show_numbers, decimals=1 if mode == "scores" else 2)
        return grid.move_to([-th.FRAME_WIDTH / 2 + th.EDGE + grid.width / 2, (TOP + BOTTOM) / 2, 0])

    def score_panel(self, worked: ScaledDot, key: int, grid: AttentionGrid) -> VMobject:
        """Right of the grid: the layout, the formula, and one score worked out with the real q and k."""
        d = self.data
        div = score_divisor(d.model.config, d.layer)
        layout = label(self.tr("layout"), th.SMALL_SIZE, th.DIM)
        formula = symbol(f"s = (q dot k) / ({div})" if div else "s = q dot k", WHITE, 34)
        example = label(self.tr("example", query=quoted(d.tokens[d.position]), other=quoted(d.tokens[key])),
                        th.SMALL_SIZE)
        return self.in_side_panel(VGroup(layout, formula, example, worked).arrange(DOWN, buff=0.35), grid)

    def in_side_panel(self, panel: VMobject, grid: AttentionGrid) -> VMobject:
        """The panel right of the grid, as tall as the room between title and caption allows."""
        return right_of(panel, grid, height=TOP - BOTTOM - 0.2, y=(TOP + BOTTOM) / 2)

    def apply_mask(self, raw_grid: AttentionGrid, panel: VMobject, cell: VMobject) -> AttentionGrid:
        """Keys after the query (and, in a local layer, beyond its window) greyed out: −∞."""
        d = self.data
        grid = self.grid(d.trace[hooks.attn(d.layer, "attn_scores")][d.head], "scores")
        window = d.model.config.windows[d.layer]
        self.show_caption(self.tr("mask") if window is None else self.tr("mask_window", w=window))
        self.say("say_apply_mask" if window is None else "say_apply_mask_window", w=window)
        self.play(FadeOut(cell))
        hidden = {q: VGroup(*[raw_grid.cells[(q, int(k))] for k in np.flatnonzero(grid.masked[q])])
                  for q in range(len(d.tokens)) if grid.masked[q].any()}  # none in a one-token prompt
        if hidden:  # each hidden score fades out before its −∞ fades in: never two numbers in one cell
            self.play(LaggedStart(*[Succession(FadeOut(cells), FadeIn(grid.column(q, masked=True)))
                                    for q, cells in hidden.items()], lag_ratio=min(0.15, 1.5 / len(hidden))),
                      run_time=1.5)
        show_only(self, grid, panel)
        self.end_step()
        return grid

    def apply_softmax(self, head: HeadLayout, score_grid: AttentionGrid,
                      panel: VMobject) -> tuple[AttentionGrid, VMobject, VMobject]:
        """Each query's scores (on `score_grid`) made weights that add up to 1, column by column; returns the grid,
        its side panel and the frame round the query's column."""
        d, p = self.data, len(self.data.tokens)
        grid = self.grid(d.trace[hooks.attn(d.layer, "pattern")][d.head], "pattern")
        formula = symbol("w_k = e^(s_k) / (sum_j e^(s_j))", WHITE, 36)
        note = label(self.tr("column_sum"), th.SMALL_SIZE, th.DIM)
        new_panel = self.in_side_panel(VGroup(formula, note).arrange(DOWN, buff=0.4), score_grid)
        self.show_caption(self.tr("softmax"))
        self.say("say_apply_softmax" + ("" if head.kind == "other" else f"_{head.kind}"),
                 query=quoted(d.tokens[d.position]), top=quoted(d.tokens[head.focus.top]), w=f"{head.focus.weight:.2f}",
                 n=head.focus.visible)
        self.play(FadeOut(panel), FadeIn(new_panel))
        self.play(LaggedStart(*[Succession(FadeOut(score_grid.column(q)), FadeIn(grid.column(q))) for q in range(p)],
                              lag_ratio=min(0.15, 1.5 / p)), run_time=2)
        show_only(self, grid, new_panel)
        frame = SurroundingRectangle(grid.column(d.position), color=th.HIGHLIGHT, buff=0.03)
        self.play(Create(frame))
        show_only(self, grid, new_panel, frame)
        self.end_step()
        return grid, new_panel, frame

    def weigh_values(self, head: HeadLayout, pattern_grid: AttentionGrid, frame: VMobject,
                     panel: VMobject) -> tuple[AttentionGrid, VMobject, WeightedSum]:
        """Each key's value column under its weight, the grid moved aside (z not summed yet)."""
        d, i, step = self.data, self.data.position, head.step
        weighted = WeightedSum(d.tokens, step.weights[: i + 1], step.values[: i + 1], head.summed_keys, step.z)
        formula = symbol("v = W_V x + b_V", th.VALUE, 32)
        values = VGroup(formula, weighted).arrange(DOWN, buff=0.45)
        # the grid shrinks to the left to make room, its numbers and token names (too small to read there) faded
        # first: the same squares bare lie beneath, and the chosen column's weights are written above the values
        heat_grid = self.grid(pattern_grid.values, "pattern", show_numbers=False)
        heat_grid.remove(heat_grid.query_labels, heat_grid.key_labels)
        self.add(heat_grid)
        self.bring_to_front(pattern_grid, frame)
        self.show_caption(self.tr("values", query=quoted(d.tokens[i])))
        self.say("say_weigh_values", query=quoted(d.tokens[i]))
        self.play(FadeOut(panel), FadeOut(pattern_grid))
        factor = 0.62
        to = [-th.FRAME_WIDTH / 2 + th.EDGE + heat_grid.width * factor / 2, (TOP + BOTTOM) / 2, 0]
        self.play(MoveScale(VGroup(heat_grid, frame), factor, to))
        right_of(values, heat_grid, height=TOP - BOTTOM, y=(TOP + BOTTOM) / 2)
        self.play(FadeIn(formula), LaggedStart(*[FadeIn(t) for t in weighted.terms], lag_ratio=0.1))
        show_only(self, heat_grid, frame, formula, weighted.terms)
        self.end_step()
        return heat_grid, formula, weighted

    def sum_values(self, head: HeadLayout, weighted: WeightedSum, heat_grid: AttentionGrid, frame: VMobject,
                   formula: VMobject) -> None:
        """The weighted value columns added up into z."""
        d, i = self.data, self.data.position
        shown = sum(k is not None for k in head.summed_keys)
        self.show_caption(self.tr("weighted_sum", query=quoted(d.tokens[i])) if shown == i + 1 else
                          self.tr("weighted_sum_top", query=quoted(d.tokens[i]), n=shown, total=i + 1))
        variant = "_alone" if head.kind == "alone" else "_top" if shown < i + 1 else \
            "_even" if head.kind == "even" else ""  # say_sum_values: one value, some left out, weights even or not
        self.say(f"say_sum_values{variant}", query=quoted(d.tokens[i]), n=head.focus.visible if shown == i + 1 else
                 shown, total=i + 1)
        self.play(FadeIn(weighted.equals), *[FadeOut(c.copy(), target_position=weighted.z, scale=0.6)
                                             for c in weighted.value_columns.values()], run_time=1.2)
        self.play(FadeIn(weighted.z), FadeIn(weighted.z_name))
        show_only(self, heat_grid, frame, formula, weighted.terms, weighted.equals, weighted.z_name, weighted.z)
        self.end_step()

    def project_output(self, head: HeadLayout, z: VectorColumn) -> Product:
        """z times W_O: the head's output, as long as the residual stream."""
        cfg = self.data.model.config
        product = Product(head.weights.W_O.T, head.step.z, None, head.step.output, ("W_O", "z", "Delta"),
                          (WHITE, WHITE, th.HIGHLIGHT), (self.tr("rows"), self.tr("columns")))
        fit(product, height=TOP - BOTTOM - 0.4).move_to([0, (TOP + BOTTOM) / 2, 0])
        self.show_caption(self.tr("output", dh=cfg.d_head, d=cfg.d_model))
        self.say("say_project_output", dh=cfg.d_head, d=cfg.d_model)
        self.play(*fade_all_but(self, z), ReplacementTransform(z, product.vector))
        self.play(FadeIn(product.matrix), FadeIn(product.names))
        self.play(FadeIn(product.equals), FadeIn(product.result))
        show_only(self, product)
        self.end_step()
        return product

    def add_to_residual(self, head: HeadLayout, product: Product) -> tuple[VectorColumn, VectorColumn, VectorColumn]:
        """The head's output added to the query token's residual vector; returns before, output and after."""
        d, i, step = self.data, self.data.position, head.step
        residual = ResidualSum(d.tokens[i], th.token_color(i), step.resid_before, step.output, step.resid_after)
        fit(residual, height=TOP - BOTTOM).move_to([0, (TOP + BOTTOM) / 2, 0])
        self.remove(product)
        self.add(*product.submobjects)
        single = "_single" if d.model.config.n_head == 1 else ""
        self.show_caption(self.tr(f"residual{single}", query=quoted(d.tokens[i])))
        self.say(f"say_add_to_residual{single}", query=quoted(d.tokens[i]), n=d.model.config.n_head)
        self.merge([((product.result,), residual.delta)], *fade_all_but(self, product.result))
        self.play(*[FadeIn(m) for m in (residual.token, residual.before, residual.plus, residual.names[:2])])
        self.merge([((residual.before, residual.delta), residual.after)], FadeIn(residual.equals),
                   FadeIn(residual.names[2]), copies=True, run_time=1.0)
        show_only(self, residual)
        self.end_step(2)
        return residual.before, residual.delta, residual.after
