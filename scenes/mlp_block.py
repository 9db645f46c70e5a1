"""Scene: one token's trip through one block's MLP, with the real numbers of the trace."""
from __future__ import annotations

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, UR, Axes, Create, Dot, LaggedStart, Line, ReplacementTransform,
    RoundedRectangle, VGroup, VMobject,
)

from gptmath import hooks
from gptmath.lens import strongest_neurons
from gptmath.model import activation

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut, MoveScale
from scenes.base import GPTScene
from scenes.mobjects import HeatMap, MatrixWithEllipses, TokenRow, VectorColumn, fit, label, number

T = "mlp"  # this module's catalogue: scenes/locales/mlp.toml
N_STRONGEST = 5


def _symbol(text: str) -> VMobject:
    return label(text, th.TITLE_SIZE, mono=True)


def _labelled(mob: VMobject, text: str, direction: np.ndarray = UP, color=th.DIM) -> VGroup:
    """A mobject with a caption above (or below) its brackets."""
    tag = label(text, th.SMALL_SIZE, color)
    tag.next_to(mob, direction, buff=0.2)
    return VGroup(mob, tag)


class MLPBlock(GPTScene):
    """Normalised vector → up-projection → activation → strongest neurons → down-projection → added to the residual.

    A gated MLP (Llama, Qwen2) first projects to the gate, bends the gate with its activation, then multiplies
    it by a second up-projection, neuron by neuron.
    """

    catalogue = T

    def construct(self) -> None:
        self.L, self.P = self.data.layer, self.data.position
        self.blk = self.data.model.weights.blocks[self.L]
        self.cfg = self.data.model.config
        self.gated = self.cfg.mlp == "gated"
        self.show_title(self.tr("title", layer=self.L))
        self.show_input()
        self.project_up()
        self.apply_activation()
        if self.gated:
            self.multiply_by_up()
        self.light_up_neurons()
        self.project_down()
        self.add_to_residual()
        self.run_in_parallel()

    def hook(self, name: str) -> np.ndarray:
        """This layer's trace value `blocks.{L}.{name}` at the scene's position."""
        return self.data.trace[f"{hooks.block(self.L)}.{name}"][self.P]

    # -- steps ------------------------------------------------------------
    def show_input(self) -> None:
        token = th.show_spaces(self.data.tokens[self.P])
        self.where = label(self.tr("where", position=self.P, token=token), th.LABEL_SIZE, th.HIGHLIGHT)
        fit(self.where, th.CONTENT_WIDTH / 2).to_corner(UR, buff=th.EDGE)
        self.x_col = VectorColumn(self.hook("ln2.hook_normalized"), n_shown=6, cell_width=0.8)
        self.x_group = _labelled(self.x_col, self.tr("input_label"))
        norm = th.norm_name(self.cfg.norm)
        self.show_caption(self.tr("input_parallel" if self.cfg.parallel else "input", d=self.cfg.d_model, norm=norm))
        self.play(FadeIn(self.where), FadeIn(self.x_group, shift=0.2 * RIGHT))
        self.end_step()

    def project_up(self) -> None:
        """The up-projection (a gated MLP's gate projection) times the vector, plus its bias if it has one."""
        d, m = self.cfg.d_model, self.cfg.d_mlp
        W, b = (self.blk.W_gate, None) if self.gated else (self.blk.W_in, self.blk.b_in)
        self.W_in_mob = self._matrix(W.T, "gate_label" if self.gated else "up_label")
        self.b_in_col = VectorColumn(b, n_shown=6, cell_width=0.8) if b is not None else None
        self.pre_col = VectorColumn(self.hook("mlp.hook_pre"), n_shown=6, cell_width=0.8)
        x_target = self.x_group.copy()
        self.up_eq = self._product(self.W_in_mob, x_target, self.b_in_col, self.pre_col,
                                   "gate_pre_label" if self.gated else "pre_label")
        key = "gate" if self.gated else ("up" if b is not None else "up_no_bias")
        self.show_caption(self.tr(key, m=f"{m:,}", d=f"{d:,}"))
        self.play(ReplacementTransform(self.x_group, x_target), FadeIn(self.W_in_mob))
        self.x_group = x_target
        self.play(LaggedStart(*[FadeIn(part) for part in self.up_eq.tail], lag_ratio=0.3))
        self.end_step()

    def apply_activation(self) -> None:
        """The activation curve, one dot per neuron at (its pre-activation, what the activation makes of it)."""
        pre = self.hook("mlp.hook_pre")
        bent = activation(pre, self.cfg.activation) if self.gated else self.hook("mlp.hook_post")
        self.top = strongest_neurons(self.data.trace, self.L, self.P, N_STRONGEST)
        self.pre_group = self.up_eq.result
        left = [-th.FRAME_WIDTH / 2 + th.EDGE + self.pre_group.width / 2, self.pre_group.get_y() - 0.2, 0]
        act = self.tr(f"act_{self.cfg.activation}")
        self.show_caption(self.tr("gate_act" if self.gated else "gelu", act=act, m=f"{self.cfg.d_mlp:,}"))
        self.play(FadeOut(self.up_eq.rest), MoveScale(self.pre_group, 1.0, left))
        self.axes, self.curve, ticks = self._activation_plot(pre)
        self.gelu_dots = self._dots(pre, bent)
        name = label(self.tr(f"act_{self.cfg.activation}"), th.LABEL_SIZE, th.TEXT)
        name.next_to(self.axes, UP, buff=0.15).align_to(self.axes, LEFT)
        self.act_name = name
        self.play(Create(self.axes), FadeIn(ticks), Create(self.curve), FadeIn(name))
        self.play(FadeIn(self.gelu_dots, lag_ratio=0.01), run_time=1.5)
        self.plot = VGroup(self.axes, ticks, self.curve, name, self.gelu_dots)
        self.end_step()

    def multiply_by_up(self) -> None:
        """Gated MLPs: the bent gate times a second up-projection, neuron by neuron, gives the activations."""
        col = dict(n_shown=6, cell_width=0.8)
        self.bent_col = VectorColumn(activation(self.hook("mlp.hook_pre"), self.cfg.activation), **col)
        self.up_col = VectorColumn(self.hook("mlp.hook_pre_linear"), **col)
        self.gated_post_col = VectorColumn(self.hook("mlp.hook_post"), **col)
        act = self.tr(f"act_{self.cfg.activation}")
        self.gate_eq = VGroup(_labelled(self.bent_col, self.tr("bent_label", act=act)), _symbol("×"),
                              _labelled(self.up_col, self.tr("up_values_label")), _symbol("="),
                              _labelled(self.gated_post_col, self.tr("post_label"), color=th.HIGHLIGHT))
        fit(self.gate_eq.arrange(RIGHT, buff=0.4)).move_to(0.2 * DOWN)
        self.show_caption(self.tr("gate_times_up", m=f"{self.cfg.d_mlp:,}"))
        self.play(FadeOut(self.pre_group), FadeOut(self.plot))
        self.play(FadeIn(self.gate_eq[0]), FadeIn(self.gate_eq[1]), FadeIn(self.gate_eq[2]))
        self.merge([((self.bent_col, self.up_col), self.gate_eq[4])], FadeIn(self.gate_eq[3]), copies=True)
        self.end_step()
        self.play(FadeOut(self.gate_eq))

    def light_up_neurons(self) -> None:
        post = self.hook("mlp.hook_post")
        self.post_strip = HeatMap(post[:, None], width=0.45, height=5.0)
        if self.gated:  # the plot has gone: the strip takes the middle of the frame
            self.post_strip.move_to(0.1 * DOWN + LEFT)
        else:
            self.post_strip.next_to(self.plot, RIGHT, buff=0.5).shift(0.1 * DOWN)
        strip_label = label(self.tr("post_label"), th.SMALL_SIZE, th.DIM).next_to(self.post_strip, UP, buff=0.15)
        size = label(f"{len(post):,}", th.SMALL_SIZE, th.DIM, mono=True).next_to(self.post_strip, DOWN, buff=0.1)
        self.top_labels = VGroup()
        marks = VGroup()
        ys = self._spread([self.post_strip.row_point(i)[1] for i in self.top], gap=0.42,
                          low=self.post_strip.get_bottom()[1] + 0.2, high=self.post_strip.get_top()[1] - 0.45)
        x0 = self.post_strip.get_right()[0]
        for i, y in zip(self.top, ys):
            row_y = self.post_strip.row_point(i)[1]
            text = VGroup(label(self.tr("neuron", i=i), th.SMALL_SIZE, th.HIGHLIGHT),
                          number(post[i], 2, th.NUMBER_SIZE + 2, th.HIGHLIGHT)).arrange(RIGHT, buff=0.15)
            text.move_to([x0 + 0.6, y, 0], aligned_edge=LEFT)
            self.top_labels.add(text)
            marks.add(Line([x0 - 0.35, row_y, 0], [x0 + 0.1, row_y, 0], color=th.HIGHLIGHT, stroke_width=2),
                      Line([x0 + 0.1, row_y, 0], [x0 + 0.55, y, 0], color=th.HIGHLIGHT, stroke_width=1.5))
        self.strip_group = VGroup(strip_label, size, marks, self.top_labels)
        self.show_caption(self.tr("post"))
        self.play(FadeIn(self.post_strip), FadeIn(strip_label), FadeIn(size))
        self.play(Create(marks), LaggedStart(*[FadeIn(t, shift=0.1 * RIGHT) for t in self.top_labels]))
        self.end_step()

    def project_down(self) -> None:
        d, m = self.cfg.d_model, self.cfg.d_mlp
        self.post_col = VectorColumn(self.hook("mlp.hook_post"), n_shown=6, cell_width=0.8)
        self.W_out_mob = self._matrix(self.blk.W_out.T, "down_label")
        b = self.blk.b_out
        self.b_out_col = VectorColumn(b, n_shown=6, cell_width=0.8) if b is not None else None
        self.out_col = VectorColumn(self.hook("hook_mlp_out"), n_shown=6, cell_width=0.8)
        post_group = _labelled(self.post_col, self.tr("post_label"))
        eq = self._product(self.W_out_mob, post_group, self.b_out_col, self.out_col, "out_label")
        gone = [] if self.gated else [FadeOut(self.pre_group), FadeOut(self.plot)]  # gated: gone with the product
        self.show_caption(self.tr("down" if b is not None else "down_no_bias", m=f"{m:,}", d=f"{d:,}"))
        self.play(*gone, FadeOut(self.strip_group), FadeOut(self.post_strip), FadeIn(post_group))
        self.play(FadeIn(self.W_out_mob), LaggedStart(*[FadeIn(part) for part in eq.tail], lag_ratio=0.3))
        self.down_eq = eq
        self.end_step()

    def add_to_residual(self) -> None:
        """residual before + MLP output = residual after; in a parallel block the attention output joins the sum."""
        col = dict(n_shown=6, cell_width=0.8)
        if self.cfg.parallel:  # attention and MLP both read the block's input; no halfway residual
            self.resid_mid_col = None
            self.resid_pre_col = VectorColumn(self.hook("hook_resid_pre"), **col)
            self.attn_out_col = VectorColumn(self.hook("hook_attn_out"), **col)
            before = [_labelled(self.resid_pre_col, self.tr("resid_block_input")), _symbol("+"),
                      _labelled(self.attn_out_col, self.tr("attn_out_label")), _symbol("+")]
        else:
            self.resid_mid_col = VectorColumn(self.hook("hook_resid_mid"), **col)
            before = [_labelled(self.resid_mid_col, self.tr("resid_before")), _symbol("+")]
        self.mlp_out_col = VectorColumn(self.hook("hook_mlp_out"), **col)
        self.resid_post_col = VectorColumn(self.hook("hook_resid_post"), **col)
        self.resid_eq = VGroup(*before, _labelled(self.mlp_out_col, self.tr("out_label")), _symbol("="),
                               _labelled(self.resid_post_col, self.tr("resid_after"), color=th.HIGHLIGHT))
        fit(self.resid_eq.arrange(RIGHT, buff=0.4)).shift(0.2 * DOWN)
        mlp_out = self.resid_eq[len(before)]
        self.show_caption(self.tr("residual_parallel" if self.cfg.parallel else "residual"))
        self.play(FadeOut(self.down_eq.rest), ReplacementTransform(self.down_eq.result, mlp_out))
        self.play(*[FadeIn(m) for m in before])
        self.play(FadeIn(self.resid_eq[-2]), FadeIn(self.resid_eq[-1], shift=0.2 * LEFT))
        self.end_step()

    def run_in_parallel(self) -> None:
        n = len(self.data.tokens)
        self.show_caption(self.tr("parallel", n=n) if n > 1 else self.tr("parallel_one"))
        self.play(MoveScale(self.resid_eq, 0.9, self.resid_eq.get_center() + 1.0 * UP))
        self.token_row = TokenRow(self.data.tokens, max_lines=1, max_width=th.CONTENT_WIDTH - 1.2)
        self.token_row.to_edge(DOWN, buff=1.0).shift(0.6 * RIGHT)
        boxes = VGroup()
        for cell in self.token_row.cells:
            if cell.index is None:
                continue
            chosen = cell.index == self.P
            boxes.add(RoundedRectangle(corner_radius=0.06, width=cell.width, height=0.4,
                                       stroke_color=th.HIGHLIGHT if chosen else th.DIM,
                                       stroke_width=3 if chosen else 1.5,
                                       fill_color=th.HIGHLIGHT, fill_opacity=0.3 if chosen else 0.08)
                      .next_to(cell, UP, buff=0.15))
        tag = label(self.tr("mlp_box"), th.SMALL_SIZE, th.DIM).next_to(boxes, LEFT, buff=0.2)
        self.parallel = VGroup(self.token_row, boxes, tag)
        self.play(FadeIn(self.token_row), LaggedStart(*[FadeIn(b, shift=0.1 * UP) for b in boxes], lag_ratio=0.05),
                  FadeIn(tag))
        self.end_step(2)

    # -- pieces -----------------------------------------------------------
    def _matrix(self, values: np.ndarray, name_key: str) -> VGroup:
        mat = MatrixWithEllipses(values, n_rows=6, n_cols=5, decimals=2, cell_width=0.64, cell_height=0.32,
                                 row_name=self.tr("rows"), col_name=self.tr("columns"))
        return _labelled(mat, self.tr(name_key), DOWN)

    def _product(self, matrix: VMobject, vector: VMobject, bias: VectorColumn | None, result: VectorColumn,
                 result_key: str) -> VGroup:
        """matrix · vector (+ bias) = result, laid out left to right and fitted to the frame.

        Accessors: `tail` (what follows the vector), `result` (the labelled result), `rest` (all but the result).
        """
        added = [_symbol("+"), _labelled(bias, self.tr("bias_label"))] if bias is not None else []
        eq = VGroup(matrix, vector, *added, _symbol("="), _labelled(result, self.tr(result_key), color=th.HIGHLIGHT))
        eq.arrange(RIGHT, buff=0.3)
        eq.tail, eq.result, eq.rest = eq[2:], eq[-1], eq[:-1]
        return fit(eq).move_to(0.2 * DOWN)

    def _activation_plot(self, pre: np.ndarray) -> tuple[Axes, VMobject, VGroup]:
        """Axes spanning every pre-activation, the activation curve, and integer tick labels."""
        lo, hi = min(float(pre.min()), -1.0), max(float(pre.max()), 1.0)
        xs = np.linspace(lo, hi, 400)
        ys = activation(xs, self.cfg.activation)
        pad = 0.08 * (ys.max() - ys.min())
        ylo, yhi = min(float(ys.min()), 0.0) - pad, float(ys.max()) + pad
        axes = Axes(x_range=[lo, hi, 1], y_range=[ylo, yhi, 1], x_length=5.6, y_length=4.6, tips=False,
                    axis_config={"color": th.DIM, "include_ticks": False})
        axes.next_to(self.pre_group, RIGHT, buff=0.9).shift(0.1 * DOWN)
        curve = axes.plot_line_graph(xs, ys, add_vertex_dots=False, line_color=th.TEXT, stroke_width=3)
        step = max(1, int(np.ceil((hi - lo) / 6)))
        # x labels go on the side of the axis the curve is not on (below GELU's dip they would sit on the curve)
        ticks = VGroup(*[number(v, 0, th.NUMBER_SIZE, th.DIM).next_to(
                             axes.c2p(v, 0), UP if activation(np.array([v]), self.cfg.activation)[0] < 0 else DOWN, buff=0.1)
                         for v in range(int(np.ceil(lo)), int(np.floor(hi)) + 1, step) if v != 0])
        ticks.add(*[number(v, 0, th.NUMBER_SIZE, th.DIM).next_to(axes.c2p(0, v), LEFT, buff=0.1)
                    for v in range(int(np.ceil(ylo + pad)), int(np.floor(yhi)) + 1, step) if v != 0])
        return axes, curve, ticks

    def _dots(self, pre: np.ndarray, post: np.ndarray) -> VGroup:
        """One dot per neuron at (pre, post): the strongest as yellow dots, the rest as one mobject (fast to copy)."""
        rest = VMobject(fill_color=th.POSITIVE, fill_opacity=0.8, stroke_width=0)
        for i, (a, b) in enumerate(zip(pre, post)):
            if i not in self.top:
                rest.append_points(Dot(self.axes.c2p(a, b), radius=0.03).points)
        strong = VGroup(*[Dot(self.axes.c2p(pre[i], post[i]), radius=0.065, color=th.HIGHLIGHT) for i in self.top])
        dots = VGroup(rest, strong)
        dots.centers = np.array([self.axes.c2p(a, b) for a, b in zip(pre, post)])  # [m, 3], neuron order
        return dots

    @staticmethod
    def _spread(ys: list[float], gap: float, low: float, high: float) -> list[float]:
        """Move label heights apart by at least `gap`, keeping them within [low, high] and in order."""
        order = np.argsort(ys)[::-1]
        placed = {}
        y_prev = None
        for k in order:
            y = min(ys[k], high) if y_prev is None else min(ys[k], y_prev - gap)
            placed[k] = y_prev = y
        shift = max(0.0, low - min(placed.values()))
        return [placed[k] + shift for k in range(len(ys))]
