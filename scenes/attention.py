"""Scenes: one attention head step by step, then all heads of a layer and of the model."""
from __future__ import annotations

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, WHITE, Animation, AnimationGroup, Create, FadeIn, FadeOut, Group, LaggedStart, MathTypst,
    Mobject, ReplacementTransform, SurroundingRectangle, TransformFromCopy, VGroup, VMobject,
)

from gptmath.heads import (
    ROLE_SHARE, attention_scale, combine_heads, head_outputs, head_roles, head_step, head_weights, unmasked_scores,
)

from scenes import theme as th
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import AttentionGrid, MatrixWithEllipses, PatternThumbnail, VectorColumn, fit, label, number

T = "attention"  # this module's catalogue: scenes/locales/attention.toml
SLOT = 1.0  # horizontal room for one token's vector column
MAX_SLOTS = 9  # token columns drawn side by side before the middle ones give way to ⋯
TOP = 2.95  # below the title
BOTTOM = -3.1  # above the caption
NUMBER = th.NUMBER_SIZE - 1  # vector entries: as big as a 0.74-wide cell allows, about 9.5 px tall at 480p


def slots(n: int, keep: int, max_n: int = MAX_SLOTS) -> list[int | None]:
    """Positions to draw out of n: the first ones, `keep` and the last; None marks skipped ones (⋯)."""
    if n <= max_n:
        return list(range(n))
    return with_gaps(set(range(max_n - 3)) | {keep, n - 1})


def with_gaps(indices: set[int]) -> list[int | None]:
    """Sorted indices with None wherever some are skipped (drawn as ⋯)."""
    out: list[int | None] = []
    for i in sorted(indices):
        if out and i > out[-1] + 1:
            out.append(None)
        out.append(i)
    return out


def symbol(expr: str, color=WHITE, size: float = 30) -> MathTypst:
    """A mathematical symbol or formula (Typst math)."""
    return MathTypst(expr, font_size=size, color=color)


def quoted(token: str) -> str:
    return f"“{th.show_spaces(token)}”"


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


class Product(VGroup):
    """An equation with real entries: M · vector + bias = result (M drawn as its first and last entries)."""

    def __init__(self, matrix: np.ndarray, vector: np.ndarray, bias: np.ndarray | None, result: np.ndarray,
                 names: tuple[str, ...], colors: tuple, decimals: int = 2) -> None:
        super().__init__()
        self.matrix = MatrixWithEllipses(matrix, n_rows=4, n_cols=4, decimals=decimals, cell_width=0.7,
                                         font_size=NUMBER, row_name=tr(T, "rows"), col_name=tr(T, "columns"))
        col = dict(n_shown=4, cell_width=0.78, cell_height=0.3, font_size=NUMBER)
        self.vector = VectorColumn(vector, border_color=colors[1], **col)
        self.bias = VectorColumn(bias, border_color=colors[2], **col) if bias is not None else None
        self.result = VectorColumn(result, border_color=colors[-1], **col)
        pieces = [self.matrix, self.vector] + ([label("+", th.LABEL_SIZE), self.bias] if bias is not None else [])
        pieces += [label("=", th.LABEL_SIZE), self.result]
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
        self.names = VGroup(*[symbol(n, c, 28).next_to(b, DOWN, buff=0.15) for n, c, b in zip(names, colors, bodies)])
        self.add(self.names)


class QuickFade(Animation):
    """Fade a big group in or out by scaling its opacities in place: no copies, so grids of numbers stay fast."""

    def __init__(self, mobject: VMobject, fade_in: bool = True, **kwargs) -> None:
        super().__init__(mobject, introducer=fade_in, remover=not fade_in, **kwargs)
        self.fade_in = fade_in

    def begin(self) -> None:
        self.alphas = [(m, [rgbas[:, 3].copy() for rgbas in self.colour_arrays(m)])
                       for m in self.mobject.get_family() if isinstance(m, VMobject)]
        super().begin()

    @staticmethod
    def colour_arrays(m: VMobject) -> list[np.ndarray]:
        return [m.fill_rgbas, m.stroke_rgbas, m.background_stroke_rgbas]

    def create_starting_mobject(self) -> Mobject:
        return Mobject()

    def interpolate_mobject(self, alpha: float) -> None:
        t = self.rate_func(alpha)
        t = t if self.fade_in else 1 - t
        for m, alphas in self.alphas:
            for rgbas, a in zip(self.colour_arrays(m), alphas):
                if len(rgbas) == len(a):
                    rgbas[:, 3] = a * t

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        if not self.fade_in:  # leave the mobject as it was, should it come back
            for m, alphas in self.alphas:
                for rgbas, a in zip(self.colour_arrays(m), alphas):
                    if len(rgbas) == len(a):
                        rgbas[:, 3] = a


class MoveScale(Animation):
    """Scale a big group and move its centre to a point, in place (no copies)."""

    def __init__(self, mobject: VMobject, factor: float, to: np.ndarray, **kwargs) -> None:
        super().__init__(mobject, **kwargs)
        self.factor, self.to = factor, np.asarray(to, dtype=float)

    def begin(self) -> None:
        self.start, self.done = self.mobject.get_center(), 1.0
        super().begin()

    def create_starting_mobject(self) -> Mobject:
        return Mobject()

    def interpolate_mobject(self, alpha: float) -> None:
        t = self.rate_func(alpha)
        scale = 1 + (self.factor - 1) * t
        self.mobject.scale(scale / self.done)
        self.done = scale
        self.mobject.move_to(self.start + (self.to - self.start) * t)


def show_only(scene: GPTScene, *mobs) -> None:
    """After animating parts one by one, leave exactly these (plus title and caption) as the scene's mobjects."""
    scene.clear()
    scene.add(*[m for m in (scene.title_mob, *mobs, scene.caption_mob) if m is not None])


def fade_all_but(*keep) -> list[Animation]:
    """Fade-out animations for everything on screen except the title, the caption and `keep`."""
    scene = keep[0]
    kept = {scene.title_mob, scene.caption_mob, *keep[1:]}
    return [QuickFade(m, fade_in=False) if isinstance(m, VMobject) else FadeOut(m)
            for m in scene.mobjects if m not in kept]


class AttentionHead(GPTScene):
    """One head of one layer on the real prompt: queries, keys, scores, mask, softmax, values, output."""

    def construct(self) -> None:
        d = self.data
        self.cfg = d.model.config
        self.hw = head_weights(d.model.weights, d.layer, d.head)
        self.step = head_step(d.trace, d.model.weights, d.layer, d.head, d.position)
        self.hook = f"blocks.{d.layer}.attn"
        self.show_title(tr(T, "title", layer=d.layer, head=d.head))
        self.show_inputs()
        self.show_queries()
        self.show_keys()
        self.show_all_queries_and_keys()
        self.show_scores()
        self.apply_mask()
        self.apply_softmax()
        self.mix_values()
        self.project_output()
        self.add_to_residual()

    # -- inputs, queries and keys -------------------------------------------

    def show_inputs(self) -> None:
        d = self.data
        self.shown = slots(len(d.tokens), d.position)
        x = d.trace[f"blocks.{d.layer}.ln1.hook_normalized"]
        self.x_row = VectorRow(x, self.shown, "x", WHITE)
        self.token_labels = VGroup()
        for j, i in enumerate(self.shown):
            if i is not None:
                text = label(th.show_spaces(d.tokens[i]), th.SMALL_SIZE, th.token_color(i))
                fit(text, SLOT * 0.95)
                self.token_labels.add(text.next_to(self.x_row.columns[i].brackets, UP, buff=0.12))
        self.inputs = VGroup(self.token_labels, self.x_row)
        self.inputs.shift(UP * (TOP - self.inputs.get_top()[1]))
        self.play(QuickFade(self.token_labels), LaggedStart(*[QuickFade(c) for c in self.x_row.slots], lag_ratio=0.1),
                  QuickFade(self.x_row.name))
        show_only(self, self.inputs)
        self.show_caption(tr(T, "inputs", d=self.cfg.d_model))
        self.end_step()

    def show_queries(self) -> None:
        d, i = self.data, self.data.position
        x = d.trace[f"blocks.{d.layer}.ln1.hook_normalized"][i]
        q = d.trace[f"{self.hook}.hook_q"][i, d.head]
        self.query_product = Product(self.hw.W_Q.T, x, self.hw.b_Q, q, ("W_Q", "x", "b_Q", "q"),
                                     (th.QUERY, WHITE, th.QUERY, th.QUERY))
        self.place_below_inputs(self.query_product)
        focus = SurroundingRectangle(self.x_row.columns[i].brackets, color=th.HIGHLIGHT, buff=0.06)
        self.play(Create(focus))
        self.play(QuickFade(self.query_product.matrix), TransformFromCopy(self.x_row.columns[i], self.query_product.vector))
        self.play(QuickFade(self.query_product.bias), QuickFade(self.query_product[2]),
                  QuickFade(self.query_product.names))
        self.play(QuickFade(self.query_product[4]), QuickFade(self.query_product.result))
        self.play(FadeOut(focus))
        show_only(self, self.inputs, self.query_product)
        self.show_caption(tr(T, "query_product", dh=self.cfg.d_head))
        self.end_step()

    def show_keys(self) -> None:
        d, i = self.data, self.data.position
        x = d.trace[f"blocks.{d.layer}.ln1.hook_normalized"][i]
        k = d.trace[f"{self.hook}.hook_k"][i, d.head]
        self.key_product = Product(self.hw.W_K.T, x, self.hw.b_K, k, ("W_K", "x", "b_K", "k"),
                                   (th.KEY, WHITE, th.KEY, th.KEY))
        self.key_product.move_to(self.query_product)
        old, new = self.query_product, self.key_product
        parts = ((old.matrix, new.matrix), (old.bias, new.bias), (old.result, new.result), (old.names, new.names))
        self.play(*[FadeOut(a) for a, _ in parts], run_time=0.5)  # other numbers: no morphing one into the other
        self.play(*[FadeIn(b) for _, b in parts], run_time=0.7)
        show_only(self, self.inputs, self.key_product)
        self.show_caption(tr(T, "key_product"))
        self.end_step()

    def show_all_queries_and_keys(self) -> None:
        d = self.data
        self.q_row = VectorRow(d.trace[f"{self.hook}.hook_q"][:, d.head], self.shown, "q", th.QUERY)
        self.k_row = VectorRow(d.trace[f"{self.hook}.hook_k"][:, d.head], self.shown, "k", th.KEY)
        rows = VGroup(self.q_row, self.k_row).arrange(DOWN, buff=0.3)
        for row in rows:
            row.shift(RIGHT * (self.x_row.slots.get_center()[0] - row.slots.get_center()[0]))
        self.place_below_inputs(rows)
        self.play(QuickFade(self.key_product, fade_in=False))
        self.play(LaggedStart(QuickFade(self.q_row), QuickFade(self.k_row), lag_ratio=0.4))
        show_only(self, self.inputs, self.q_row, self.k_row)
        self.show_caption(tr(T, "all_qk"))
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
        self.play(QuickFade(self.raw_grid.query_labels), QuickFade(self.raw_grid.key_labels))
        self.play(LaggedStart(*[QuickFade(self.raw_grid.column(q)) for q in range(len(raw))],
                              lag_ratio=min(0.15, 1.5 / len(raw))))
        j = max(i - 1, 0)  # the key just before the query: what a previous-token head looks at
        self.example_cell = SurroundingRectangle(self.raw_grid.cells[(i, j)], color=th.HIGHLIGHT, buff=0.02)
        self.side_panel = self.score_panel(i, j, raw[i, j])
        self.play(QuickFade(self.side_panel), Create(self.example_cell))
        show_only(self, self.raw_grid, self.side_panel, self.example_cell)
        scale = attention_scale(self.cfg, d.layer)
        if self.cfg.scale_attn_by_inverse_layer_idx:
            self.show_caption(tr(T, "scores_layer", dh=self.cfg.d_head, div=d.layer + 1, layer=d.layer))
        else:
            self.show_caption(tr(T, "scores", dh=self.cfg.d_head))
        self.score_scale = scale
        self.end_step()

    def grid(self, values: np.ndarray, mode: str, causal: bool = True,
             show_numbers: bool | None = None) -> AttentionGrid:
        grid = AttentionGrid(values, self.data.tokens, mode=mode, causal=causal, max_size=5.4,
                             min_size=th.MIN_NUMBER_SIZE, show_numbers=show_numbers,
                             decimals=1 if mode == "scores" else 2)
        fit(grid, height=TOP - BOTTOM - 0.1)
        return grid.move_to([-th.FRAME_WIDTH / 2 + th.EDGE + grid.width / 2, (TOP + BOTTOM) / 2, 0])

    def score_panel(self, i: int, j: int, score: float) -> VGroup:
        """Right of the grid: the layout, the formula, and one score worked out with the real q and k."""
        d = self.data
        layout = label(tr(T, "layout"), th.SMALL_SIZE, th.DIM)
        div = f" dot {d.layer + 1}" if self.cfg.scale_attn_by_inverse_layer_idx else ""
        formula = symbol(f"s = (q dot k) / (sqrt({self.cfg.d_head}){div})", WHITE, 34)
        example = label(tr(T, "example", query=quoted(d.tokens[i]), other=quoted(d.tokens[j])), th.SMALL_SIZE)
        col = dict(n_shown=5, cell_width=0.78, cell_height=0.3, font_size=NUMBER, show_dimension=False)
        self.example_q = VectorColumn(d.trace[f"{self.hook}.hook_q"][i, d.head], border_color=th.QUERY, **col)
        self.example_k = VectorColumn(d.trace[f"{self.hook}.hook_k"][j, d.head], border_color=th.KEY, **col)
        self.example_score = number(score, 2, th.LABEL_SIZE)
        work = VGroup(self.example_q, symbol("dot", WHITE, 34), self.example_k,
                      symbol(f"\\/ sqrt({self.cfg.d_head}){div} =", WHITE, 30), self.example_score)
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
        self.score_grid = self.grid(d.trace[f"{self.hook}.hook_attn_scores"][d.head], "scores")
        self.play(FadeOut(self.example_cell))
        p = len(d.tokens)
        if p > 1:  # a one-token prompt has nothing to hide
            self.play(LaggedStart(*[AnimationGroup(QuickFade(self.raw_grid.column(q, masked=True), fade_in=False),
                                                   QuickFade(self.score_grid.column(q, masked=True)))
                                    for q in range(p - 1)], lag_ratio=min(0.15, 1.5 / p)), run_time=1.5)
        show_only(self, self.score_grid, self.side_panel)
        self.show_caption(tr(T, "mask"))
        self.end_step()

    def apply_softmax(self) -> None:
        d, p = self.data, len(self.data.tokens)
        self.pattern_grid = self.grid(d.trace[f"{self.hook}.hook_pattern"][d.head], "pattern")
        formula = symbol("w_k = e^(s_k) / (sum_j e^(s_j))", WHITE, 36)
        note = label(tr(T, "column_sum"), th.SMALL_SIZE, th.DIM)
        panel = self.in_side_panel(VGroup(formula, note).arrange(DOWN, buff=0.4))
        self.play(QuickFade(self.side_panel, fade_in=False), QuickFade(panel))
        self.side_panel = panel
        new = self.pattern_grid
        self.play(LaggedStart(*[QuickFade(new.column(q)) for q in range(p)], lag_ratio=min(0.15, 1.5 / p)), run_time=2)
        show_only(self, new, self.side_panel)
        self.column_frame = SurroundingRectangle(self.pattern_grid.column(d.position), color=th.HIGHLIGHT, buff=0.03)
        self.play(Create(self.column_frame))
        show_only(self, new, self.side_panel, self.column_frame)
        self.show_caption(tr(T, "softmax"))
        self.end_step()

    # -- values, output, residual ---------------------------------------------

    def mix_values(self) -> None:
        d, i = self.data, self.data.position
        top = np.argsort(-self.step.weights[: i + 1], kind="stable")[:5]  # the keys this query weighs most
        keys = slots(i + 1, i, max_n=7) if i < 7 else with_gaps({int(k) for k in top} | {i})
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
        terms.arrange(RIGHT, buff=0.22, aligned_edge=DOWN)
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
        self.play(QuickFade(self.side_panel, fade_in=False), QuickFade(self.pattern_grid, fade_in=False))
        factor = 0.62
        to = [-th.FRAME_WIDTH / 2 + th.EDGE + self.heat_grid.width * factor / 2, (TOP + BOTTOM) / 2, 0]
        self.play(MoveScale(VGroup(self.heat_grid, self.column_frame), factor, to))
        left = self.heat_grid.get_right()[0] + 0.4
        width = th.FRAME_WIDTH / 2 - th.EDGE - left
        fit(panel, width=width, height=TOP - BOTTOM).move_to([left + width / 2, (TOP + BOTTOM) / 2, 0])
        self.value_panel = panel
        self.play(QuickFade(formula), LaggedStart(*[QuickFade(t) for t in terms], lag_ratio=0.1))
        show_only(self, self.heat_grid, self.column_frame, formula, terms)
        self.show_caption(tr(T, "values", query=quoted(d.tokens[i])))
        self.end_step()
        self.play(FadeIn(equals), *[FadeOut(c.copy(), target_position=self.z_column, scale=0.6)
                                    for c in self.value_columns.values()], run_time=1.2)
        self.play(FadeIn(self.z_column), FadeIn(z_name))
        show_only(self, self.heat_grid, self.column_frame, formula, terms, equals, z_name, self.z_column)
        shown = sum(k is not None for k in keys)
        self.show_caption(tr(T, "weighted_sum", query=quoted(d.tokens[i])) if shown == i + 1 else
                          tr(T, "weighted_sum_top", query=quoted(d.tokens[i]), n=shown, total=i + 1))
        self.end_step()

    def project_output(self) -> None:
        self.output_product = Product(self.hw.W_O.T, self.step.z, None, self.step.output, ("W_O", "z", "Delta"),
                                      (WHITE, WHITE, th.HIGHLIGHT))
        fit(self.output_product, height=TOP - BOTTOM - 0.4).move_to([0, (TOP + BOTTOM) / 2, 0])
        self.play(*fade_all_but(self, self.z_column), ReplacementTransform(self.z_column, self.output_product.vector))
        self.play(QuickFade(self.output_product.matrix), QuickFade(self.output_product.names))
        self.play(QuickFade(self.output_product[2]), QuickFade(self.output_product.result))
        show_only(self, self.output_product)
        self.show_caption(tr(T, "output", dh=self.cfg.d_head, d=self.cfg.d_model))
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
        self.play(*fade_all_but(self, self.output_product.result), ReplacementTransform(self.output_product.result, delta))
        self.play(FadeIn(token), FadeIn(before), FadeIn(plus), FadeIn(names[:2]))
        self.merge([((before, delta), after)], FadeIn(equals), FadeIn(names[2]), copies=True, run_time=1.0)
        show_only(self, self.residual)
        self.show_caption(tr(T, "residual", query=quoted(d.tokens[i])))
        self.end_step(2)


class MultiHeadAttention(GPTScene):
    """All heads of one layer as real pattern thumbnails, their outputs summed; then every head of the model."""

    def construct(self) -> None:
        d = self.data
        self.show_title(tr(T, "mh_title", layer=d.layer))
        self.show_heads()
        self.combine_outputs()
        self.show_model_view()

    def show_heads(self) -> None:
        d, n = self.data, self.data.model.config.n_head
        patterns = d.trace[f"blocks.{d.layer}.attn.hook_pattern"]
        size = min(1.6, (th.CONTENT_WIDTH - 4.4) / n - 0.25)  # room for the token on the left, the sum on the right
        self.thumbnails = [PatternThumbnail(patterns[h], size, th.HIGHLIGHT if h == d.head else th.FAINT)
                           for h in range(n)]
        names = [label(tr(T, "head_name", head=h), th.SMALL_SIZE, th.HIGHLIGHT if h == d.head else th.DIM)
                 for h in range(n)]
        for name, thumb in zip(names, self.thumbnails):
            fit(name, size + 0.2).next_to(thumb, UP, buff=0.1)
        self.heads = Group(*[Group(name, thumb) for name, thumb in zip(names, self.thumbnails)])
        self.heads.arrange(RIGHT, buff=0.25).next_to([0, TOP, 0], DOWN, buff=0.05)
        self.heads.shift(LEFT * (self.heads.get_center()[0] + 0.8))  # room for the sum on the right
        self.play(LaggedStart(*[FadeIn(h) for h in self.heads], lag_ratio=0.15))
        show_only(self, self.heads)
        self.show_caption(tr(T, "heads", n=n))
        self.end_step()

    def combine_outputs(self) -> None:
        d, i = self.data, self.data.position
        weights = d.model.weights
        self.head_outputs = head_outputs(d.trace, weights, d.layer, i)  # [h, d]
        self.bias = weights.blocks[d.layer].b_O
        self.attn_out = combine_heads(self.head_outputs, self.bias)
        scale = float(np.abs(self.head_outputs).max()) or 1.0
        n = len(self.thumbnails)
        numbers = n <= 8
        col = dict(n_shown=4, cell_width=0.74, cell_height=0.26, font_size=NUMBER, show_numbers=numbers,
                   show_dimension=False)
        self.output_columns = [VectorColumn(o, scale=scale, border_color=th.HIGHLIGHT if h == d.head else WHITE, **col)
                               for h, o in enumerate(self.head_outputs)]
        for column, thumb in zip(self.output_columns, self.thumbnails):
            column.next_to(thumb, DOWN, buff=1.0)
        arrows = VGroup(*[symbol("arrow.b", th.DIM, 28).move_to((c.get_top() + t.get_bottom()) / 2)
                          for c, t in zip(self.output_columns, self.thumbnails)])
        pluses = VGroup(*[label("+", th.LABEL_SIZE).move_to((a.get_right() + b.get_left()) / 2)
                          for a, b in zip(self.output_columns, self.output_columns[1:])])
        self.bias_column = VectorColumn(self.bias, border_color=th.DIM, **col)
        self.result_column = VectorColumn(self.attn_out, n_shown=4, cell_width=0.74, cell_height=0.26, font_size=NUMBER,
                                          show_numbers=numbers)
        plus_b = VGroup(label("+", th.LABEL_SIZE), self.bias_column, label("=", th.LABEL_SIZE), self.result_column)
        plus_b.arrange(RIGHT, buff=0.2).next_to(self.output_columns[-1], RIGHT, buff=0.2)
        b_name = symbol("b_O", th.DIM, 26).next_to(self.bias_column.brackets, DOWN, buff=0.12)
        token = label(th.show_spaces(d.tokens[i]), th.SMALL_SIZE, th.token_color(i))
        token.next_to(VGroup(*self.output_columns), LEFT, buff=0.3)
        result_name = label(tr(T, "combine_result", layer=d.layer), th.SMALL_SIZE)
        self.sum_group = VGroup(*self.output_columns, arrows, pluses, plus_b, b_name, token)
        # fit the whole picture between title and caption
        everything = Group(self.heads, self.sum_group)
        if everything.width > th.CONTENT_WIDTH or everything.get_bottom()[1] < BOTTOM + 0.6:
            factor = min(th.CONTENT_WIDTH / everything.width, (TOP - BOTTOM - 0.6) / everything.height)
            everything.scale(factor).next_to([0, TOP, 0], DOWN, buff=0.05)
        everything.set_x(0)
        result_name.next_to(VGroup(self.result_column, b_name), DOWN, buff=0.25).align_to(self.result_column, RIGHT)
        if result_name.get_right()[0] > th.FRAME_WIDTH / 2 - th.EDGE:
            result_name.to_edge(RIGHT, buff=th.EDGE)
        self.play(FadeIn(arrows), LaggedStart(*[FadeIn(c, shift=0.2 * DOWN) for c in self.output_columns],
                                              lag_ratio=0.1), FadeIn(token))
        self.play(FadeIn(pluses), FadeIn(plus_b[:2]), FadeIn(b_name))
        self.merge([((*self.output_columns, self.bias_column), self.result_column)], FadeIn(plus_b[2]),
                   FadeIn(result_name), copies=True, run_time=1.0)
        show_only(self, self.heads, self.sum_group, result_name)
        self.show_caption(tr(T, "combine", query=quoted(d.tokens[i])))
        self.end_step()

    def show_model_view(self) -> None:
        d, cfg = self.data, self.data.model.config
        self.roles = roles = head_roles(d.trace)
        self.role_labels: dict[tuple[int, int], VMobject] = {}
        size = min(1.1, (TOP - BOTTOM - 0.9) / cfg.n_layer - 0.45, (th.CONTENT_WIDTH - 1.6) / cfg.n_head - 0.15)
        self.grid_thumbnails: dict[tuple[int, int], PatternThumbnail] = {}
        rows = Group()
        for L in range(cfg.n_layer):
            cells = Group()
            for h in range(cfg.n_head):
                thumb = PatternThumbnail(d.trace[f"blocks.{L}.attn.hook_pattern"][h], size)
                role = label(tr(T, roles[L][h]), th.SMALL_SIZE * 0.8, th.DIM)
                fit(role, size + 0.1).next_to(thumb, DOWN, buff=0.12)
                self.grid_thumbnails[(L, h)], self.role_labels[(L, h)] = thumb, role
                cells.add(Group(thumb, role))
            cells.arrange(RIGHT, buff=0.15, aligned_edge=UP)  # thumbnails in line whatever their labels' height
            name = label(tr(T, "layer_name", layer=L), th.SMALL_SIZE, th.DIM)
            fit(name, 1.2).next_to(cells[0][0], LEFT, buff=0.2)
            rows.add(Group(name, cells))
        rows.arrange(DOWN, buff=0.12, aligned_edge=RIGHT)
        heads = VGroup(*[fit(label(tr(T, "head_name", head=h), th.SMALL_SIZE * 0.8, th.DIM), size + 0.1)
                         .next_to(self.grid_thumbnails[(0, h)], UP, buff=0.14)  # clear of the chosen head's frame
                         for h in range(cfg.n_head)])
        self.model_view = Group(heads, rows)
        fit(self.model_view, height=TOP - BOTTOM - 0.1).move_to([0, (TOP + BOTTOM) / 2, 0])
        self.chosen_frame = SurroundingRectangle(self.grid_thumbnails[(d.layer, d.head)], color=th.HIGHLIGHT,
                                                 buff=0.05, stroke_width=4)
        self.play(*fade_all_but(self))
        self.play(LaggedStart(*[FadeIn(r) for r in rows], lag_ratio=0.2), FadeIn(heads))
        show_only(self, self.model_view)
        self.play(Create(self.chosen_frame))
        self.show_caption(tr(T, "model_view"))
        self.end_step()
        self.show_caption(tr(T, "kinds", share=f"{ROLE_SHARE:.0%}"))
        self.end_step(2)
