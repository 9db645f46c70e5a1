"""Scene: one token's trip through one block's MLP, with the real numbers of the trace."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, UR, Create, LaggedStart, Mobject, ReplacementTransform, VGroup, VMobject

from gptmath import hooks
from gptmath.lens import quiet_share, strongest_neurons
from gptmath.model import activation

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut, MoveScale
from scenes.base import GPTScene
from scenes.mobjects import (
    ActivationPlot, Equation, HeatMap, MatrixWithEllipses, RowCallouts, TokenRow, VectorColumn, fit, label, labelled,
    number, token_slots,
)

T = "mlp"  # this module's catalogue: scenes/locales/mlp.toml
N_STRONGEST = 5  # neurons called out on the strip of activations
NEAR_ZERO = 0.1  # an activation within ±this of 0 counts as quiet ...
MOSTLY_QUIET = 0.5  # ... and "most neurons stay near zero" when more than this share of them is quiet
STRONG = 1.0  # "a few light up strongly" when the strongest activation reaches this
COLUMN = dict(n_shown=6, cell_width=0.8)  # how every vector of the scene is drawn


@dataclass(frozen=True)
class MLPLayout:
    """What the scene follows: one block's MLP at one position."""

    layer: int
    position: int
    gated: bool  # act(gate) × up, neuron by neuron (Llama, Qwen2), rather than act(up)
    strongest: list[int]  # the neurons called out, strongest first
    quiet: float  # the share of neurons whose activation is near zero (NEAR_ZERO)


class MLPBlock(GPTScene):
    """Normalised vector → up-projection → activation → strongest neurons → down-projection → added to the residual.

    A gated MLP (Llama, Qwen2) first projects to the gate, bends the gate with its activation, then multiplies
    it by a second up-projection, neuron by neuron.

    Steps keep what the tests check as attributes (x_col, pre_col, ...); no step reads another's.
    """

    catalogue = T

    def construct(self) -> None:
        look = self.layout()
        self.L, self.P, self.gated = look.layer, look.position, look.gated  # the tests check these
        self.show_title(self.tr("title", layer=look.layer))
        x = self.show_input(look)
        up = self.project_up(look, x)
        plot = self.apply_activation(look, up)
        bent = [up.result, plot]  # the pre-activations and the curve that bends them
        if look.gated:
            self.multiply_by_up(look, bent)
        strip = self.light_up_neurons(look, None if look.gated else plot)
        down = self.project_down(look, ([] if look.gated else bent) + strip)
        residual = self.add_to_residual(look, down)
        self.run_in_parallel(look, residual)

    def layout(self) -> MLPLayout:
        """The configured layer and position, the MLP's kind, and its strongest neurons there."""
        d = self.data
        return MLPLayout(d.layer, d.position, d.model.config.mlp == "gated",
                         strongest_neurons(d.trace, d.layer, d.position, N_STRONGEST),
                         quiet_share(d.trace, d.layer, d.position, NEAR_ZERO))

    def at(self, name: str) -> np.ndarray:
        """The trace's value `name` (a gptmath.hooks name) at the scene's position."""
        return self.data.trace[name][self.data.position]

    def matrix(self, values: np.ndarray, name_key: str) -> VGroup:
        """A weight matrix, named beneath."""
        mat = MatrixWithEllipses(values, n_rows=6, n_cols=5, decimals=2, cell_width=0.64, cell_height=0.32,
                                 row_name=self.tr("rows"), col_name=self.tr("columns"))
        return labelled(mat, self.tr(name_key), DOWN)

    def product(self, matrix: VMobject, vector: VMobject, bias: VectorColumn | None, result: VectorColumn,
                result_key: str) -> Equation:
        """matrix · vector (+ bias) = result, fitted to the frame."""
        added = ["+", labelled(bias, self.tr("bias_label"))] if bias is not None else []
        eq = Equation([matrix, vector, *added, "=", labelled(result, self.tr(result_key), color=th.HIGHLIGHT)])
        return fit(eq).move_to(0.2 * DOWN)

    # -- steps ------------------------------------------------------------
    def show_input(self, look: MLPLayout) -> VGroup:
        """The normalised vector the MLP reads."""
        cfg, token = self.data.model.config, th.show_spaces(self.data.tokens[look.position])
        where = label(self.tr("where", position=look.position, token=token), th.LABEL_SIZE, th.HIGHLIGHT)
        fit(where, th.CONTENT_WIDTH / 2).to_corner(UR, buff=th.EDGE)
        self.x_col = x_col = VectorColumn(self.at(hooks.norm(look.layer, 2, "normalized")), **COLUMN)
        x = labelled(x_col, self.tr("input_label"))
        norm = th.norm_name(cfg.norm)
        parallel = "_parallel" if cfg.parallel else ""
        self.say("say_bridge")
        self.say(f"say_show_input{parallel}", layer=look.layer, token=th.show_spaces(self.data.tokens[look.position]),
                 norm=norm, d=f"{cfg.d_model:,}")
        self.show_caption(self.tr(f"input{parallel}", d=cfg.d_model, norm=norm))
        self.play(FadeIn(where), FadeIn(x, shift=0.2 * RIGHT))
        self.end_step()
        return x

    def project_up(self, look: MLPLayout, x: VGroup) -> Equation:
        """The up-projection (a gated MLP's gate projection) times the vector, plus its bias if it has one."""
        cfg, blk = self.data.model.config, self.data.model.weights.blocks[look.layer]
        W, b = (blk.W_gate, None) if look.gated else (blk.W_in, blk.b_in)
        self.W_in_mob = matrix = self.matrix(W.T, "gate_label" if look.gated else "up_label")
        self.b_in_col = VectorColumn(b, **COLUMN) if b is not None else None
        self.pre_col = VectorColumn(self.at(hooks.mlp(look.layer, "pre")), **COLUMN)
        x_target = x.copy()
        eq = self.product(matrix, x_target, self.b_in_col, self.pre_col,
                          "gate_pre_label" if look.gated else "pre_label")
        key = "gate" if look.gated else ("up" if b is not None else "up_no_bias")
        said = "_gated" if look.gated else ("" if b is not None else "_no_bias")
        self.say(f"say_project_up{said}", m=f"{cfg.d_mlp:,}", d=f"{cfg.d_model:,}")
        self.show_caption(self.tr(key, m=f"{cfg.d_mlp:,}", d=f"{cfg.d_model:,}"))
        self.play(ReplacementTransform(x, x_target), FadeIn(matrix))
        self.play(LaggedStart(*[FadeIn(part) for part in eq[2:]], lag_ratio=0.3))
        self.end_step()
        return eq

    def apply_activation(self, look: MLPLayout, up: Equation) -> ActivationPlot:
        """The activation curve, one dot per neuron at (its pre-activation, what the activation makes of it)."""
        cfg = self.data.model.config
        pre = self.at(hooks.mlp(look.layer, "pre"))
        bent = activation(pre, cfg.activation) if look.gated else self.at(hooks.mlp(look.layer, "post"))
        values = up.result
        left = [-th.FRAME_WIDTH / 2 + th.EDGE + values.width / 2, values.get_y() - 0.2, 0]
        act = self.tr(f"act_{cfg.activation}")
        self.say("say_apply_activation", act=act, m=f"{cfg.d_mlp:,}")
        self.show_caption(self.tr("gate_act" if look.gated else "gelu", act=act, m=f"{cfg.d_mlp:,}"))
        self.play(FadeOut(up.rest), MoveScale(values, 1.0, left))
        self.plot = plot = ActivationPlot(pre, bent, lambda v: activation(v, cfg.activation), act, look.strongest)
        plot.shift(values.get_right() + 0.9 * RIGHT - plot.axes.get_left()).shift(0.1 * DOWN)
        self.play(Create(plot.axes), FadeIn(plot.ticks), Create(plot.curve), FadeIn(plot.heading))
        self.play(FadeIn(plot.dots, lag_ratio=0.01), run_time=1.5)
        self.end_step()
        return plot

    def multiply_by_up(self, look: MLPLayout, gone: list[Mobject]) -> None:
        """Gated MLPs: the bent gate times a second up-projection, neuron by neuron, gives the activations."""
        cfg = self.data.model.config
        self.bent_col = bent = VectorColumn(activation(self.at(hooks.mlp(look.layer, "pre")), cfg.activation),
                                            **COLUMN)
        self.up_col = up = VectorColumn(self.at(hooks.mlp(look.layer, "pre_linear")), **COLUMN)
        self.gated_post_col = post = VectorColumn(self.at(hooks.mlp(look.layer, "post")), **COLUMN)
        act = self.tr(f"act_{cfg.activation}")
        eq = Equation([labelled(bent, self.tr("bent_label", act=act)), "×",
                       labelled(up, self.tr("up_values_label")), "=",
                       labelled(post, self.tr("post_label"), color=th.HIGHLIGHT)], buff=0.4)
        fit(eq).move_to(0.2 * DOWN)
        self.say("say_multiply_by_up", m=f"{cfg.d_mlp:,}")
        self.show_caption(self.tr("gate_times_up", m=f"{cfg.d_mlp:,}"))
        self.play(*[FadeOut(m) for m in gone])
        self.play(FadeIn(eq[0]), FadeIn(eq[1]), FadeIn(eq[2]))
        self.merge([((bent, up), eq[4])], FadeIn(eq[3]), copies=True)
        self.end_step()
        self.play(FadeOut(eq))

    def light_up_neurons(self, look: MLPLayout, plot: ActivationPlot | None) -> list[Mobject]:
        """Every neuron's activation as a strip, the strongest called out; beside the plot if it is still there."""
        post = self.at(hooks.mlp(look.layer, "post"))
        self.post_strip = strip = HeatMap(post[:, None], width=0.45, height=5.0)
        if plot is None:  # the plot has gone: the strip takes the middle of the frame
            strip.move_to(0.1 * DOWN + LEFT)
        else:
            strip.next_to(plot, RIGHT, buff=0.5).shift(0.1 * DOWN)
        strip_label = label(self.tr("post_label"), th.SMALL_SIZE, th.DIM).next_to(strip, UP, buff=0.15)
        size = label(f"{len(post):,}", th.SMALL_SIZE, th.DIM, mono=True).next_to(strip, DOWN, buff=0.1)
        texts = [VGroup(label(self.tr("neuron", i=i), th.SMALL_SIZE, th.HIGHLIGHT),
                        number(post[i], 2, th.NUMBER_SIZE + 2, th.HIGHLIGHT)).arrange(RIGHT, buff=0.15)
                 for i in look.strongest]
        callouts = RowCallouts(strip, look.strongest, texts)
        self.top_labels = callouts.labels
        top = look.strongest[0]
        self.say("say_light_up_neurons_gated" if look.gated else "say_light_up_neurons", quiet=f"{100 * look.quiet:.1f}%",
                 m=f"{len(post):,}", neuron=top, a=f"{post[top]:.2f}".replace("-", "−"))
        self.show_caption(self.tr(post_key(look.quiet, float(post[top]))))
        self.play(FadeIn(strip), FadeIn(strip_label), FadeIn(size))
        self.play(Create(callouts.marks), LaggedStart(*[FadeIn(t, shift=0.1 * RIGHT) for t in callouts.labels]))
        self.end_step()
        return [VGroup(strip_label, size, callouts.marks, callouts.labels), strip]

    def project_down(self, look: MLPLayout, gone: list[Mobject]) -> Equation:
        """The down-projection times the activations, plus its bias if it has one, in place of `gone`."""
        cfg, blk = self.data.model.config, self.data.model.weights.blocks[look.layer]
        post = labelled(VectorColumn(self.at(hooks.mlp(look.layer, "post")), **COLUMN), self.tr("post_label"))
        self.W_out_mob = matrix = self.matrix(blk.W_out.T, "down_label")
        self.b_out_col = VectorColumn(blk.b_out, **COLUMN) if blk.b_out is not None else None
        self.out_col = VectorColumn(self.at(hooks.out(look.layer, "mlp")), **COLUMN)
        eq = self.product(matrix, post, self.b_out_col, self.out_col, "out_label")
        key = "down" if blk.b_out is not None else "down_no_bias"
        self.say("say_project_down", m=f"{cfg.d_mlp:,}", d=f"{cfg.d_model:,}")
        self.show_caption(self.tr(key, m=f"{cfg.d_mlp:,}", d=f"{cfg.d_model:,}"))
        self.play(*[FadeOut(m) for m in gone], FadeIn(post))
        self.play(FadeIn(matrix), LaggedStart(*[FadeIn(part) for part in eq[2:]], lag_ratio=0.3))
        self.end_step()
        return eq

    def add_to_residual(self, look: MLPLayout, down: Equation) -> Equation:
        """residual before + MLP output = residual after; in a parallel block the attention output joins the sum."""
        L = look.layer
        parallel = self.data.model.config.parallel  # attention and MLP both read the block's input: no halfway residual
        if parallel:
            self.resid_mid_col = None
            self.resid_pre_col = start = VectorColumn(self.at(hooks.resid(L, "pre")), **COLUMN)
            self.attn_out_col = attn = VectorColumn(self.at(hooks.out(L, "attn")), **COLUMN)
            before = [labelled(start, self.tr("resid_block_input")), "+",
                      labelled(attn, self.tr("attn_out_label")), "+"]
        else:
            self.resid_mid_col = mid = VectorColumn(self.at(hooks.resid(L, "mid")), **COLUMN)
            before = [labelled(mid, self.tr("resid_before")), "+"]
        self.mlp_out_col = out = VectorColumn(self.at(hooks.out(L, "mlp")), **COLUMN)
        self.resid_post_col = after = VectorColumn(self.at(hooks.resid(L, "post")), **COLUMN)
        eq = Equation([*before, labelled(out, self.tr("out_label")), "=",
                       labelled(after, self.tr("resid_after"), color=th.HIGHLIGHT)], buff=0.4)
        fit(eq).shift(0.2 * DOWN)
        n = len(before)
        self.say("say_add_to_residual_parallel" if parallel else "say_add_to_residual",
                 token=th.show_spaces(self.data.tokens[look.position]))
        self.show_caption(self.tr("residual_parallel" if parallel else "residual"))
        self.play(FadeOut(down.rest), ReplacementTransform(down.result, eq[n]))
        self.play(*[FadeIn(m) for m in eq[:n]])
        self.play(FadeIn(eq[-2]), FadeIn(eq[-1], shift=0.2 * LEFT))
        self.end_step()
        return eq

    def run_in_parallel(self, look: MLPLayout, residual: Equation) -> None:
        """The same MLP runs at every position at once: a box above each token, this position's highlighted."""
        n = len(self.data.tokens)
        one = "" if n > 1 else "_one"
        self.say(f"say_run_in_parallel{one}", n=n)
        self.show_caption(self.tr(f"parallel{one}", n=n))
        self.play(MoveScale(residual, 0.9, residual.get_center() + 1.0 * UP))
        row = TokenRow(self.data.tokens, max_lines=1, max_width=th.CONTENT_WIDTH - 1.2)
        row.to_edge(DOWN, buff=1.0).shift(0.6 * RIGHT)
        boxes = token_slots(row, look.position)
        tag = label(self.tr("mlp_box"), th.SMALL_SIZE, th.DIM).next_to(boxes, LEFT, buff=0.2)
        self.play(FadeIn(row), LaggedStart(*[FadeIn(b, shift=0.1 * UP) for b in boxes], lag_ratio=0.05), FadeIn(tag))
        self.end_step(2)


def post_key(quiet: float, strongest: float) -> str:
    """The activations' caption, by the numbers: most neurons quiet (MOSTLY_QUIET) or not, and a strong one
    (STRONG) among them or not."""
    if quiet <= MOSTLY_QUIET:
        return "post_busy"
    return "post" if strongest >= STRONG else "post_faint"
