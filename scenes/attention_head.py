"""Scenes: one attention head step by step, then all heads of a layer and of the model."""
from __future__ import annotations

import math

import numpy as np
from manim import (
    DOWN, LEFT, ORIGIN, RIGHT, UP, WHITE, ImageMobject, Line, Rectangle, Animation, AnimationGroup, Arc, Arrow, Circle, Create,
    Group, LaggedStart, MathTypst, ReplacementTransform, SurroundingRectangle, TransformFromCopy, VGroup, VMobject,
)
from manim.constants import RESAMPLING_ALGORITHMS

from gptmath import hooks
from gptmath.heads import (
    ROLE_SHARE, attention_scale, combine_heads, head_outputs, head_qk, head_roles, head_step, head_weights, kv_head,
    mask_scores, role_masks, trace_patterns, unmasked_scores,
)
from gptmath.model import Config
from gptmath.ops import rotary_angles

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut, MoveScale
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import (
    AttentionGrid, MatrixWithEllipses, PatternThumbnail, VectorColumn, elide, fit, label, number, quoted, size_brace,
)

T = "attention"  # this module's catalogue: scenes/locales/attention.toml
SLOT = 1.0  # horizontal room for one token's vector column
MAX_SLOTS = 9  # token columns drawn side by side before the middle ones give way to ⋯
TOP = 2.95  # below the title
BOTTOM = -3.1  # above the caption
NUMBER = th.NUMBER_SIZE - 1  # vector entries: as big as a 0.74-wide cell allows, about 9.5 px tall at 480p
MIN_THUMBNAIL = 0.45  # smallest pattern thumbnail in the model view (about 27 px at 480p); smaller: a head map
N_ENLARGED = 4  # heads drawn large beside the head map
MAX_ONE_ROW = 6  # heads in one row with their outputs under them; more: rows of heads, the sum below with a ⋯
HEAD_NAME_ROOM = 0.6  # a head's name above its thumbnail and the gap to the next row
FIRST_SUMMED = 3  # with more heads, the sum draws the first heads' outputs, the chosen head's and the last's
SUM_HEIGHT = 3.15  # below rows of thumbnails: the sum with its names, brace and result name
SUM_COLUMN = dict(n_shown=4, cell_width=0.74, cell_height=0.26, font_size=NUMBER, show_dimension=False)
ROLE_COLORS = {"previous": th.TOKEN_COLORS[0], "induction": th.TOKEN_COLORS[4], "duplicate": th.TOKEN_COLORS[1],
               "first": th.TOKEN_COLORS[3], "self": th.TOKEN_COLORS[2], "spread": th.FAINT}


def left_out(first: int, last: int, lang: str) -> str:
    """The name of the heads a ⋯ stands for."""
    return tr(T, "head_name", lang, head=first) if first == last else \
        tr(T, "heads_left_out", lang, first=first, last=last)


def symbol(expr: str, color=WHITE, size: float = 30) -> MathTypst:
    """A mathematical symbol or formula (Typst math)."""
    return MathTypst(expr, font_size=size, color=color)


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


class VectorRow(VGroup):
    """Vectors of several tokens as columns in fixed slots, one symbol on the left, ⋯ for skipped tokens."""

    def __init__(self, vectors: np.ndarray, shown: list[int | None], name: str, color, n_shown: int = 4) -> None:
        super().__init__()
        scale = float(np.abs(vectors).max()) or 1.0
        self.columns: dict[int, VectorColumn] = {}
        self.slots = VGroup()
        for j, i in enumerate(shown):
            if i is None:
                mob = label("⋯", th.LABEL_SIZE, th.DIM)
            else:
                mob = VectorColumn(vectors[i], n_shown=n_shown, scale=scale, cell_width=0.74, cell_height=0.26,
                                   font_size=NUMBER, border_color=color, show_dimension=j == len(shown) - 1)
                self.columns[i] = mob
            self.slots.add(mob.move_to(RIGHT * (j - (len(shown) - 1) / 2) * SLOT))
            if i is not None and j == len(shown) - 1:  # the brace hangs right; keep the brackets in the slot
                mob.shift(RIGHT * (mob.width - mob.brackets.width) / 2)
        self.name = symbol(name, color, 34).next_to(self.slots, LEFT, buff=0.5)
        self.add(self.name, self.slots)


def pair_text(pair: np.ndarray) -> str:
    """Two coordinates as the scenes print numbers: (0.12, −0.50)."""
    return "(" + ", ".join(f"{v:.2f}".replace("-", "−") for v in pair) + ")"


class RotationDial(VGroup):
    """One coordinate pair before (faint) and after (bright) rotary turned it, and the angle it turned by.

    Both arrows have the dial's radius (turning keeps a pair's length); the arc runs from one to the other
    (the angle modulo a full turn), and the full angle is written beneath in degrees.

        RotationDial(np.array([0.3, -0.1]), np.array([0.2, 0.25]), angle=1.0)
    """

    def __init__(self, before: np.ndarray, after: np.ndarray, angle: float, radius: float = 0.4,
                 color=th.QUERY) -> None:
        super().__init__()
        self.before, self.after, self.angle = np.asarray(before, float), np.asarray(after, float), angle
        length = float(np.linalg.norm(self.before)) or 1.0
        start = math.atan2(self.before[1], self.before[0])
        end = math.atan2(self.after[1], self.after[0])

        def arrow(xy: np.ndarray, opacity: float) -> Arrow:
            tip = np.array([*(xy / length * radius), 0.0])
            return Arrow(ORIGIN, tip, buff=0, stroke_width=3, max_tip_length_to_length_ratio=0.3,
                         color=color).set_opacity(opacity)

        self.circle = Circle(radius=radius, stroke_color=th.FAINT, stroke_width=1.5)
        self.before_arrow, self.after_arrow = arrow(self.before, 0.35), arrow(self.after, 1.0)
        self.arc = Arc(radius=radius * 0.55, start_angle=start, angle=(end - start) % (2 * math.pi),
                       stroke_color=th.HIGHLIGHT, stroke_width=2)
        self.degrees = label(f"{math.degrees(angle):,.0f}°", th.NUMBER_SIZE, th.DIM, mono=True)
        self.degrees.next_to(self.circle, DOWN, buff=0.1)
        self.add(self.circle, self.arc, self.before_arrow, self.after_arrow, self.degrees)


class Product(VGroup):
    """An equation with real entries: M · vector + bias = result (M drawn as its first and last entries)."""

    def __init__(self, matrix: np.ndarray, vector: np.ndarray, bias: np.ndarray | None, result: np.ndarray,
                 names: tuple[str, ...], colors: tuple, axes: tuple[str, str], decimals: int = 2) -> None:
        super().__init__()
        self.matrix = MatrixWithEllipses(matrix, n_rows=4, n_cols=4, decimals=decimals, cell_width=0.7,
                                         font_size=NUMBER, row_name=axes[0], col_name=axes[1])
        col = dict(n_shown=4, cell_width=0.78, cell_height=0.3, font_size=NUMBER)
        self.vector = VectorColumn(vector, border_color=colors[1], **col)
        self.bias = VectorColumn(bias, border_color=colors[2], **col) if bias is not None else None
        self.result = VectorColumn(result, border_color=colors[-1], **col)
        self.plus = label("+", th.LABEL_SIZE) if bias is not None else None
        self.equals = label("=", th.LABEL_SIZE)
        pieces = [self.matrix, self.vector] + ([self.plus, self.bias] if bias is not None else [])
        pieces += [self.equals, self.result]
        x = 0.0
        for mob in pieces:
            mob.move_to(RIGHT * (x + mob.width / 2))
            x += mob.width + 0.25
        y = self.matrix.grid.get_center()[1]
        for mob in pieces[1:]:
            mob.shift(UP * (y - (mob.brackets if hasattr(mob, "brackets") else mob).get_center()[1]))
        self.add(*pieces)
        bodies = [self.matrix.brackets, self.vector.brackets] + ([self.bias.brackets] if bias is not None else [])
        bodies.append(self.result.brackets)
        named = list(zip(names, colors))
        if len(named) > len(bodies):  # a bias named but the model has none
            del named[2]
        self.names = VGroup(*[symbol(n, c, 28).next_to(b, DOWN, buff=0.15) for (n, c), b in zip(named, bodies)])
        self.add(self.names)


def show_only(scene: GPTScene, *mobs) -> None:
    """After animating parts one by one, leave exactly these (plus title and caption) as the scene's mobjects."""
    scene.clear()
    scene.add(*[m for m in (scene.title_mob, *mobs, scene.caption_mob) if m is not None])


def fade_all_but(*keep) -> list[Animation]:
    """Fade-out animations for everything on screen except the title, the caption and `keep`."""
    scene = keep[0]
    kept = {scene.title_mob, scene.caption_mob, *keep[1:]}
    return [FadeOut(m) for m in scene.mobjects if m not in kept]


class AttentionHead(GPTScene):
    """One head of one layer on the real prompt: queries, keys, scores, mask, softmax, values, output."""

    catalogue = T

    def construct(self) -> None:
        d = self.data
        self.cfg = d.model.config
        self.hw = head_weights(d.model.weights, d.layer, d.head)
        self.step = head_step(d.trace, d.model.weights, d.layer, d.head, d.position)
        self.kv = kv_head(self.cfg, d.head)  # the key/value head this query head reads
        self.show_title(self.tr("title", layer=d.layer, head=d.head))
        self.show_inputs()
        self.show_queries()
        self.show_keys()
        self.show_all_queries_and_keys()
        if self.cfg.positions == "rotary":
            self.turn_pairs()
            self.show_turned_numbers()
        self.show_scores()
        self.apply_mask()
        self.apply_softmax()
        self.mix_values()
        self.project_output()
        self.add_to_residual()

    # -- inputs, queries and keys -------------------------------------------

    def show_inputs(self) -> None:
        d = self.data
        self.shown = elide(len(d.tokens), MAX_SLOTS - 3, keep=[d.position], up_to=MAX_SLOTS)
        x = d.trace[hooks.norm(d.layer, 1, "normalized")]
        self.x_row = VectorRow(x, self.shown, "x", WHITE)
        self.token_labels = VGroup()
        for j, i in enumerate(self.shown):
            if i is not None:
                text = label(th.show_spaces(d.tokens[i]), th.SMALL_SIZE, th.token_color(i))
                fit(text, SLOT * 0.95)
                self.token_labels.add(text.next_to(self.x_row.columns[i].brackets, UP, buff=0.12))
        self.inputs = VGroup(self.token_labels, self.x_row)
        self.inputs.shift(UP * (TOP - self.inputs.get_top()[1]))
        self.show_caption(self.tr("inputs", d=self.cfg.d_model, norm=th.norm_name(self.cfg.norm)))
        self.play(FadeIn(self.token_labels), LaggedStart(*[FadeIn(c) for c in self.x_row.slots], lag_ratio=0.1),
                  FadeIn(self.x_row.name))
        show_only(self, self.inputs)
        self.end_step()

    def axis_names(self) -> tuple[str, str]:
        """What a weight matrix's rows and columns are called on screen."""
        return self.tr("rows"), self.tr("columns")

    def show_queries(self) -> None:
        d, i = self.data, self.data.position
        x = d.trace[hooks.norm(d.layer, 1, "normalized")][i]
        q = d.trace[hooks.attn(d.layer, "q")][i, d.head]
        self.query_product = Product(self.hw.W_Q.T, x, self.hw.b_Q, q, ("W_Q", "x", "b_Q", "q"),
                                     (th.QUERY, WHITE, th.QUERY, th.QUERY), self.axis_names())
        self.place_below_inputs(self.query_product)
        focus = SurroundingRectangle(self.x_row.columns[i].brackets, color=th.HIGHLIGHT, buff=0.06)
        self.show_caption(self.tr("query_product", dh=self.cfg.d_head))
        self.play(Create(focus))
        self.play(FadeIn(self.query_product.matrix), TransformFromCopy(self.x_row.columns[i], self.query_product.vector))
        added = [FadeIn(m) for m in (self.query_product.bias, self.query_product.plus) if m is not None]
        self.play(*added, FadeIn(self.query_product.names))
        self.play(FadeIn(self.query_product.equals), FadeIn(self.query_product.result))
        self.play(FadeOut(focus))
        show_only(self, self.inputs, self.query_product)
        self.end_step()

    def show_keys(self) -> None:
        d, i = self.data, self.data.position
        x = d.trace[hooks.norm(d.layer, 1, "normalized")][i]
        k = d.trace[hooks.attn(d.layer, "k")][i, self.kv]
        self.key_product = Product(self.hw.W_K.T, x, self.hw.b_K, k, ("W_K", "x", "b_K", "k"),
                                   (th.KEY, WHITE, th.KEY, th.KEY), self.axis_names())
        self.key_product.move_to(self.query_product)
        old, new = self.query_product, self.key_product
        parts = ((old.matrix, new.matrix), (old.bias, new.bias), (old.result, new.result), (old.names, new.names))
        cfg = self.cfg
        self.show_caption(self.tr("key_product") if cfg.n_kv_head == cfg.n_head else
                          self.tr("key_product_shared", kv=self.kv, heads=shared_heads(cfg, d.head),
                                  n=cfg.n_kv_head))
        self.play(*[FadeOut(a) for a, _ in parts if a is not None], run_time=0.5)  # no morphing numbers
        self.play(*[FadeIn(b) for _, b in parts if b is not None], run_time=0.7)
        show_only(self, self.inputs, self.key_product)
        self.end_step()

    def show_all_queries_and_keys(self) -> None:
        d = self.data
        self.q_row = VectorRow(d.trace[hooks.attn(d.layer, "q")][:, d.head], self.shown, "q", th.QUERY)
        self.k_row = VectorRow(d.trace[hooks.attn(d.layer, "k")][:, self.kv], self.shown, "k", th.KEY)
        rows = VGroup(self.q_row, self.k_row).arrange(DOWN, buff=0.3)
        for row in rows:
            row.shift(RIGHT * (self.x_row.slots.get_center()[0] - row.slots.get_center()[0]))
        self.place_below_inputs(rows)
        self.show_caption(self.tr("all_qk"))
        self.play(FadeOut(self.key_product))
        self.play(LaggedStart(FadeIn(self.q_row), FadeIn(self.k_row), lag_ratio=0.4))
        show_only(self, self.inputs, self.q_row, self.k_row)
        self.end_step()

    # -- rotary position embedding (models without learned positions) -------------

    def turn_pairs(self) -> None:
        """Each token's first query pair as a dial, turned by position × the pair's speed (hook_q → hook_rot_q)."""
        d, cfg = self.data, self.cfg
        self.angles = rotary_angles(len(d.tokens), cfg.rotary_dims, cfg.rotary_base)  # [p, pairs]
        half = cfg.rotary_dims // 2
        q, rot_q = d.trace[hooks.attn(d.layer, "q")][:, d.head], d.trace[hooks.attn(d.layer, "rot_q")][:, d.head]
        self.dials: dict[int, RotationDial] = {}
        row = VGroup()
        for j, i in enumerate(self.shown):
            x = self.x_row.slots[j].get_center()[0] if i is None else self.x_row.columns[i].brackets.get_center()[0]
            if i is None:
                row.add(label("⋯", th.LABEL_SIZE, th.DIM).move_to([x, 0, 0]))
                continue
            dial = RotationDial(q[i, [0, half]], rot_q[i, [0, half]], float(self.angles[i, 0]), radius=0.36)
            self.dials[i] = dial
            row.add(dial.move_to([x, 0, 0], coor_mask=[1, 0, 0]))
        name = symbol("q", th.QUERY, 34).next_to(row, LEFT, buff=0.5).match_x(self.x_row.name)
        self.dial_row = VGroup(name, row)
        self.dial_row.next_to(self.token_labels, DOWN, buff=0.35).set_x(self.dial_row.get_x())
        degrees = math.degrees(float(self.angles[1, 0])) if len(self.angles) > 1 else 0.0
        self.show_caption(self.tr("rotary", deg=f"{math.degrees(1.0):.0f}" if degrees == 0 else f"{degrees:.0f}"))
        self.play(FadeOut(self.x_row), FadeOut(self.q_row),
                  FadeOut(self.k_row))
        self.play(FadeIn(name), LaggedStart(*[Create(dial) for dial in self.dials.values()], lag_ratio=0.1))
        show_only(self, self.token_labels, self.dial_row)
        self.end_step()

    def show_turned_numbers(self) -> None:
        """At the query position: the fastest and slowest pair of q, and the fastest of k, before and after."""
        d, cfg, i = self.data, self.cfg, self.data.position
        half = cfg.rotary_dims // 2
        trace = d.trace
        rows = []
        for name, hook, head, pair in (("q", "q", d.head, 0), ("q", "q", d.head, half - 1), ("k", "k", self.kv, 0)):
            before = trace[hooks.attn(d.layer, hook)][i, head, [pair, pair + half]]
            after = trace[hooks.attn(d.layer, f"rot_{hook}")][i, head, [pair, pair + half]]
            rows.append((name, pair, before, after, float(self.angles[i, pair])))
        self.turned_rows = rows
        table = VGroup()
        for name, pair, before, after, angle in rows:
            color = th.QUERY if name == "q" else th.KEY
            text = self.tr("pair_row", name=name, pair=pair + 1, a=pair, b=pair + half,
                      before=pair_text(before), deg=f"{math.degrees(angle):,.1f}", after=pair_text(after))
            table.add(label(text, th.SMALL_SIZE + 2, color))
        table.arrange(DOWN, buff=0.3, aligned_edge=LEFT)
        heading = label(self.tr("pair_heading", token=quoted(d.tokens[i]), position=i), th.LABEL_SIZE)
        self.turned_table = VGroup(heading, table).arrange(DOWN, buff=0.35, aligned_edge=LEFT)
        fit(self.turned_table, th.CONTENT_WIDTH, height=self.dial_row.get_bottom()[1] - 0.3 - BOTTOM)
        self.turned_table.move_to([0, (self.dial_row.get_bottom()[1] - 0.2 + BOTTOM) / 2, 0])
        frame = SurroundingRectangle(self.dials[i], color=th.HIGHLIGHT, buff=0.06)
        key = "rotary_numbers" if cfg.rotary_dims == cfg.d_head else "rotary_numbers_partial"
        self.show_caption(self.tr(key, r=cfg.rotary_dims, dh=cfg.d_head))
        self.play(Create(frame), FadeIn(heading))
        self.play(LaggedStart(*[FadeIn(r, shift=0.1 * DOWN) for r in table], lag_ratio=0.3))
        show_only(self, self.token_labels, self.dial_row, frame, self.turned_table)
        self.end_step()

    def place_below_inputs(self, mob: VMobject) -> None:
        fit(mob, height=self.inputs.get_bottom()[1] - 0.3 - BOTTOM)
        mob.move_to([0, (self.inputs.get_bottom()[1] - 0.3 + BOTTOM) / 2, 0])

    # -- scores, mask, softmax ------------------------------------------------

    def show_scores(self) -> None:
        d, i = self.data, self.data.position
        raw = unmasked_scores(d.trace, self.cfg, d.layer, d.head)
        self.raw_grid = self.grid(raw, "scores", causal=False)
        self.play(*fade_all_but(self))
        self.play(FadeIn(self.raw_grid.query_labels), FadeIn(self.raw_grid.key_labels))
        self.play(LaggedStart(*[FadeIn(self.raw_grid.column(q)) for q in range(len(raw))],
                              lag_ratio=min(0.15, 1.5 / len(raw))))
        j = max(i - 1, 0)  # the key just before the query: what a previous-token head looks at
        self.example_cell = SurroundingRectangle(self.raw_grid.cells[(i, j)], color=th.HIGHLIGHT, buff=0.02)
        self.side_panel = self.score_panel(i, j, raw[i, j])
        self.play(FadeIn(self.side_panel), Create(self.example_cell))
        show_only(self, self.raw_grid, self.side_panel, self.example_cell)
        scale = attention_scale(self.cfg, d.layer)
        if self.cfg.scale_attn_by_inverse_layer_idx:
            self.show_caption(self.tr("scores_layer", dh=self.cfg.d_head, div=d.layer + 1, layer=d.layer))
        elif self.cfg.scale_attn_weights:
            self.show_caption(self.tr("scores", dh=self.cfg.d_head))
        else:
            self.show_caption(self.tr("scores_unscaled"))
        self.score_scale = scale
        self.end_step()

    def grid(self, values: np.ndarray, mode: str, causal: bool = True,
             show_numbers: bool | None = None) -> AttentionGrid:
        hidden = np.isneginf(self.data.trace[hooks.attn(self.data.layer, "attn_scores")][self.data.head])
        grid = AttentionGrid(values, self.data.tokens, mode=mode, causal=causal, masked=hidden if causal else None,
                             max_size=5.4,
                             min_size=th.MIN_NUMBER_SIZE, show_numbers=show_numbers,
                             decimals=1 if mode == "scores" else 2)
        fit(grid, height=TOP - BOTTOM - 0.1)
        return grid.move_to([-th.FRAME_WIDTH / 2 + th.EDGE + grid.width / 2, (TOP + BOTTOM) / 2, 0])

    def score_panel(self, i: int, j: int, score: float) -> VGroup:
        """Right of the grid: the layout, the formula, and one score worked out with the real q and k."""
        d = self.data
        layout = label(self.tr("layout"), th.SMALL_SIZE, th.DIM)
        div = score_divisor(self.cfg, d.layer)
        formula = symbol(f"s = (q dot k) / ({div})" if div else "s = q dot k", WHITE, 34)
        example = label(self.tr("example", query=quoted(d.tokens[i]), other=quoted(d.tokens[j])), th.SMALL_SIZE)
        col = dict(n_shown=5, cell_width=0.78, cell_height=0.3, font_size=NUMBER, show_dimension=False)
        q, k = head_qk(d.trace, self.cfg, d.layer, d.head)  # turned by rotary, if the model has it
        self.example_q = VectorColumn(q[i], border_color=th.QUERY, **col)
        self.example_k = VectorColumn(k[j], border_color=th.KEY, **col)
        self.example_score = number(score, 2, th.LABEL_SIZE)
        work = VGroup(self.example_q, symbol("dot", WHITE, 34), self.example_k,
                      symbol(f"\\/ {div} =" if div else "=", WHITE, 30), self.example_score)
        work.arrange(RIGHT, buff=0.2)
        panel = VGroup(layout, formula, example, work).arrange(DOWN, buff=0.35)
        return self.in_side_panel(panel)

    def in_side_panel(self, panel: VMobject) -> VMobject:
        left = self.raw_grid.get_right()[0] + 0.4
        width = th.FRAME_WIDTH / 2 - th.EDGE - left
        fit(panel, width=width, height=TOP - BOTTOM - 0.2)
        return panel.move_to([left + width / 2, (TOP + BOTTOM) / 2, 0])

    def apply_mask(self) -> None:
        d = self.data
        self.score_grid = self.grid(d.trace[hooks.attn(d.layer, "attn_scores")][d.head], "scores")
        window = self.cfg.windows[d.layer]
        self.show_caption(self.tr("mask") if window is None else self.tr("mask_window", w=window))
        self.play(FadeOut(self.example_cell))
        p = len(d.tokens)
        if p > 1:  # a one-token prompt has nothing to hide
            self.play(LaggedStart(*[AnimationGroup(FadeOut(self.raw_grid.column(q, masked=True)),
                                                   FadeIn(self.score_grid.column(q, masked=True)))
                                    for q in range(p - 1)], lag_ratio=min(0.15, 1.5 / p)), run_time=1.5)
        show_only(self, self.score_grid, self.side_panel)
        self.end_step()

    def apply_softmax(self) -> None:
        d, p = self.data, len(self.data.tokens)
        self.pattern_grid = self.grid(d.trace[hooks.attn(d.layer, "pattern")][d.head], "pattern")
        formula = symbol("w_k = e^(s_k) / (sum_j e^(s_j))", WHITE, 36)
        note = label(self.tr("column_sum"), th.SMALL_SIZE, th.DIM)
        panel = self.in_side_panel(VGroup(formula, note).arrange(DOWN, buff=0.4))
        self.show_caption(self.tr("softmax"))
        self.play(FadeOut(self.side_panel), FadeIn(panel))
        self.side_panel = panel
        new = self.pattern_grid
        self.play(LaggedStart(*[FadeIn(new.column(q)) for q in range(p)], lag_ratio=min(0.15, 1.5 / p)), run_time=2)
        show_only(self, new, self.side_panel)
        self.column_frame = SurroundingRectangle(self.pattern_grid.column(d.position), color=th.HIGHLIGHT, buff=0.03)
        self.play(Create(self.column_frame))
        show_only(self, new, self.side_panel, self.column_frame)
        self.end_step()

    # -- values, output, residual ---------------------------------------------

    def mix_values(self) -> None:
        d, i = self.data, self.data.position
        top = np.argsort(-self.step.weights[: i + 1], kind="stable")[:5]  # the keys this query weighs most
        keys = list(range(i + 1)) if i < 7 else elide(i + 1, 0, keep=[int(k) for k in top])
        v = self.step.values
        scale = float(np.abs(v[: i + 1]).max()) or 1.0
        col = dict(n_shown=4, cell_width=0.74, cell_height=0.27, font_size=NUMBER, scale=scale, show_dimension=False)
        self.value_columns: dict[int, VectorColumn] = {}
        self.weight_labels: dict[int, VMobject] = {}
        terms = VGroup()
        for k in keys:
            if k is None:
                terms.add(label("⋯", th.LABEL_SIZE, th.DIM))
                continue
            name = label(th.show_spaces(d.tokens[k]), th.SMALL_SIZE, th.KEY)
            fit(name, 0.95)
            weight = number(self.step.weights[k], 2, th.NUMBER_SIZE + 2, th.weight_color(1.0))
            column = VectorColumn(v[k], border_color=th.VALUE, **col)
            self.value_columns[k], self.weight_labels[k] = column, weight
            terms.add(VGroup(name, weight, column).arrange(DOWN, buff=0.12))
        terms.arrange(RIGHT, buff=0.14, aligned_edge=DOWN)
        self.z_column = VectorColumn(self.step.z, n_shown=4, cell_width=0.74, cell_height=0.27, font_size=NUMBER,
                                     border_color=WHITE)
        z_name = symbol("z", WHITE, 30).next_to(self.z_column.brackets, UP, buff=0.12)
        equals = symbol("= sum_k w_k v_k =", WHITE, 28)
        sum_row = VGroup(terms, equals, VGroup(z_name, self.z_column)).arrange(RIGHT, buff=0.25)
        equals.match_y(self.z_column.brackets)
        formula = symbol("v = W_V x + b_V", th.VALUE, 32)
        panel = VGroup(formula, sum_row).arrange(DOWN, buff=0.45)
        # the grid shrinks to the left to make room, its numbers (too small to read there) faded first:
        # the same squares without numbers lie beneath, and the chosen column's weights are written above the values
        self.heat_grid = self.grid(self.pattern_grid.values, "pattern", show_numbers=False)
        self.add(self.heat_grid)
        self.bring_to_front(self.pattern_grid, self.column_frame)
        self.show_caption(self.tr("values", query=quoted(d.tokens[i])))
        self.play(FadeOut(self.side_panel), FadeOut(self.pattern_grid))
        factor = 0.62
        to = [-th.FRAME_WIDTH / 2 + th.EDGE + self.heat_grid.width * factor / 2, (TOP + BOTTOM) / 2, 0]
        self.play(MoveScale(VGroup(self.heat_grid, self.column_frame), factor, to))
        left = self.heat_grid.get_right()[0] + 0.4
        width = th.FRAME_WIDTH / 2 - th.EDGE - left
        fit(panel, width=width, height=TOP - BOTTOM).move_to([left + width / 2, (TOP + BOTTOM) / 2, 0])
        self.value_panel = panel
        self.play(FadeIn(formula), LaggedStart(*[FadeIn(t) for t in terms], lag_ratio=0.1))
        show_only(self, self.heat_grid, self.column_frame, formula, terms)
        self.end_step()
        shown = sum(k is not None for k in keys)
        self.show_caption(self.tr("weighted_sum", query=quoted(d.tokens[i])) if shown == i + 1 else
                          self.tr("weighted_sum_top", query=quoted(d.tokens[i]), n=shown, total=i + 1))
        self.play(FadeIn(equals), *[FadeOut(c.copy(), target_position=self.z_column, scale=0.6)
                                    for c in self.value_columns.values()], run_time=1.2)
        self.play(FadeIn(self.z_column), FadeIn(z_name))
        show_only(self, self.heat_grid, self.column_frame, formula, terms, equals, z_name, self.z_column)
        self.end_step()

    def project_output(self) -> None:
        self.output_product = Product(self.hw.W_O.T, self.step.z, None, self.step.output, ("W_O", "z", "Delta"),
                                      (WHITE, WHITE, th.HIGHLIGHT), self.axis_names())
        fit(self.output_product, height=TOP - BOTTOM - 0.4).move_to([0, (TOP + BOTTOM) / 2, 0])
        self.show_caption(self.tr("output", dh=self.cfg.d_head, d=self.cfg.d_model))
        self.play(*fade_all_but(self, self.z_column), ReplacementTransform(self.z_column, self.output_product.vector))
        self.play(FadeIn(self.output_product.matrix), FadeIn(self.output_product.names))
        self.play(FadeIn(self.output_product.equals), FadeIn(self.output_product.result))
        show_only(self, self.output_product)
        self.end_step()

    def add_to_residual(self) -> None:
        d, i = self.data, self.data.position
        col = dict(n_shown=6, cell_width=0.85, cell_height=0.32, font_size=15)
        before = VectorColumn(self.step.resid_before, **col)
        delta = VectorColumn(self.step.output, border_color=th.HIGHLIGHT, **col)
        after = VectorColumn(self.step.resid_after, **col)
        self.residual_columns = (before, delta, after)
        plus, equals = label("+", th.LABEL_SIZE), label("=", th.LABEL_SIZE)
        row = VGroup(before, plus, delta, equals, after).arrange(RIGHT, buff=0.35)
        names = VGroup(*[symbol(n, c, 30).next_to(m.brackets, DOWN, buff=0.15) for n, c, m in
                         (("r", WHITE, before), ("Delta", th.HIGHLIGHT, delta), ("r + Delta", WHITE, after))])
        token = label(th.show_spaces(d.tokens[i]), th.LABEL_SIZE, th.token_color(i))
        token.next_to(before.brackets, UP, buff=0.2)
        self.residual = fit(VGroup(token, row, names), height=TOP - BOTTOM).move_to([0, (TOP + BOTTOM) / 2, 0])
        self.remove(self.output_product)
        self.add(*self.output_product.submobjects)
        self.show_caption(self.tr("residual", query=quoted(d.tokens[i])))
        self.merge([((self.output_product.result,), delta)], *fade_all_but(self, self.output_product.result))
        self.play(FadeIn(token), FadeIn(before), FadeIn(plus), FadeIn(names[:2]))
        self.merge([((before, delta), after)], FadeIn(equals), FadeIn(names[2]), copies=True, run_time=1.0)
        show_only(self, self.residual)
        self.end_step(2)
