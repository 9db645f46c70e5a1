"""Scene: the loaded model's parameters tallied kind by kind, then GPT-3's 175,181,291,520 (3Blue1Brown)."""
from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, GrowFromEdge, Line, Rectangle, Square, VGroup, VMobject

from gptmath.model import Config
from gptmath.params import GPT3, ParamGroup, n_matrices, parameter_tally, total, weight_matrix_tally

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import fit, label

T = "params"  # this module's catalogue: scenes/locales/params.toml
LEFT_X = -th.FRAME_WIDTH / 2 + th.EDGE
WIDTH = th.CONTENT_WIDTH
HEADER_Y = 2.8
STRIP_Y, STRIP_HEIGHT = 1.55, 0.36  # the blocks, side by side
TOP = 1.0  # y of the table's first row
ROW = 0.31  # row pitch
FORMULA_RIGHT = 0.62  # the formulas' right edge, as a share of the width
MLP = th.TOKEN_COLORS[4]
KIND_COLORS = {  # one colour per kind: block, and the swatch of its row
    "token_embedding": th.TOKEN_COLORS[3], "position_embedding": th.TOKEN_COLORS[5], "query": th.QUERY,
    "key": th.KEY, "value": th.VALUE, "output": th.TOKEN_COLORS[0], "mlp_gate": MLP.darker(0.4), "mlp_up": MLP,
    "mlp_down": MLP.darker(0.2), "biases": th.DIM, "layer_norms": th.FAINT,
    "unembedding": th.TOKEN_COLORS[3].darker(0.3),
}


def _n(x: int) -> str:
    return f"{x:,}"


def kind_name(kind: str, cfg: Config, lang: str) -> str:
    """A parameter kind's name on screen; the norms' named after the model's norm (LayerNorms or RMSNorms)."""
    return tr(T, kind, lang, norm=th.norm_name(cfg.norm)) if kind == "layer_norms" else tr(T, kind, lang)


def _formula(g: ParamGroup) -> str:
    """copies × rows × columns, the copies left out when there is one."""
    factors = ([g.copies] if g.copies != 1 else []) + list(g.shape)
    return " × ".join(_n(f) for f in factors)


def _on_baseline(text: str, size: float = th.SMALL_SIZE, color=th.TEXT) -> VMobject:
    """Text whose box always spans ascender to descender (an invisible trailing bar), so rows share a baseline."""
    mob = label(text + "|", size, color)
    mob[-1].set_opacity(0)
    return mob


def _config(cfg: Config, lang: str) -> VGroup:
    """A model's shape, its two lines spaced like the rows below."""
    heads = tr(T, "heads", lang, heads=cfg.n_head, dh=cfg.d_head) if cfg.n_kv_head == cfg.n_head else \
        tr(T, "heads_shared", lang, heads=cfg.n_head, dh=cfg.d_head, kv=cfg.n_kv_head)
    text = tr(T, "config", lang, layers=cfg.n_layer, heads=heads, d=_n(cfg.d_model), m=_n(cfg.d_mlp),
              v=_n(cfg.vocab_size), ctx=_n(cfg.n_ctx))
    return VGroup(*[label(line, th.SMALL_SIZE, th.DIM) for line in text.split("\n")]).arrange(DOWN, buff=0.14,
                                                                                              aligned_edge=LEFT)


class Row(VGroup):
    """swatch · name | formula | count across `width` from `left` at height y (names left, numbers right-aligned)."""

    def __init__(self, name: str, formula: str, count: str, color, left: float, width: float, y: float,
                 count_color=th.TEXT) -> None:
        super().__init__()
        self.swatch = Square(0.16, stroke_width=0, fill_color=color, fill_opacity=1).move_to([left + 0.08, y, 0])
        self.name_mob = fit(_on_baseline(name), 0.3 * width).move_to([left + 0.3, y, 0], aligned_edge=LEFT)
        self.count_mob = fit(label(count, th.NUMBER_SIZE, count_color, mono=True), 0.3 * width)
        self.count_mob.move_to([left + width, y, 0], aligned_edge=RIGHT)
        right = left + FORMULA_RIGHT * width
        self.formula_mob = fit(label(formula, th.NUMBER_SIZE, th.DIM, mono=True),
                               right - self.name_mob.get_right()[0] - 0.3)
        self.formula_mob.move_to([right, y, 0], aligned_edge=RIGHT)
        self.add(self.swatch, self.name_mob, self.formula_mob, self.count_mob)


class Tally(VGroup):
    """A model's parameter groups as blocks side by side (width ∝ count) over a table of the counts.

    `rows[i]` and `blocks[i]` belong to `groups[i]`, `block_labels[i]` too where the name fits
    inside the block; a group with no parameters of its own (a tied unembedding) gets a row and
    an empty block. The running total is the scene's to draw.

        Tally(parameter_tally(cfg), [kind_name(g.kind, cfg, "en") for g in groups], [_formula(g) for g in groups])
    """

    def __init__(self, groups: list[ParamGroup], names: list[str], formulas: list[str]) -> None:
        super().__init__()
        self.groups = groups
        scale = WIDTH / total(groups)
        self.blocks, self.rows, self.block_labels = VGroup(), VGroup(), {}
        x = LEFT_X
        for i, (g, name, formula) in enumerate(zip(groups, names, formulas)):
            color = KIND_COLORS.get(g.kind, th.DIM)
            block = Rectangle(width=max(g.count * scale, 1e-3), height=STRIP_HEIGHT, fill_color=color,
                              fill_opacity=0.9 if g.count else 0, stroke_color=th.BACKGROUND,
                              stroke_width=1.5 if g.count else 0)
            self.blocks.add(block.move_to([x, STRIP_Y, 0], aligned_edge=LEFT))
            text = _on_baseline(name, th.SMALL_SIZE - 2, th.BACKGROUND)
            if text.width + 0.06 <= block.width:
                self.block_labels[i] = text.move_to(block)
            x += g.count * scale
            self.rows.add(Row(name, formula, _n(g.count), color, LEFT_X, WIDTH, TOP - i * ROW))
        bottom = TOP - (len(groups) - 0.35) * ROW
        self.rule = Line([LEFT_X, bottom, 0], [LEFT_X + WIDTH, bottom, 0], color=th.DIM, stroke_width=1.5)
        self.total_y = bottom - 0.6 * ROW
        self.add(self.blocks, *self.block_labels.values(), self.rows, self.rule)

    def total_label(self, count: int, final: bool) -> VMobject:
        """The running total after some rows, in the total row (highlighted once every row is in)."""
        mob = label(_n(count), th.NUMBER_SIZE, th.HIGHLIGHT if final else th.TEXT, mono=True)
        return mob.move_to([LEFT_X + WIDTH, self.total_y, 0], aligned_edge=RIGHT)


class ParameterCount(GPTScene):
    """The loaded model's parameters kind by kind (= transformers' count), then GPT-3's weight matrices."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("title"))
        self.introduce()
        self.tally_ours()
        self.check_ours()
        self.tally_gpt3()
        self.compare()

    # -- steps ------------------------------------------------------------
    def introduce(self) -> None:
        self.ours_header, self.config_mob = self.heading(self.tr("ours_header", model=self.data.model.name),
                                                         self.data.model.config)
        self.show_caption(self.tr("intro"))
        self.play(FadeIn(self.ours_header), FadeIn(self.config_mob))
        self.end_step()

    def tally_ours(self) -> None:
        cfg = self.data.model.config
        self.tally = parameter_tally(cfg)
        formulas = [self.tr("tied") if g.copies == 0 else _formula(g) for g in self.tally]
        self.ours = Tally(self.tally, [kind_name(g.kind, cfg, self.settings.lang) for g in self.tally], formulas)
        self.count_mobs = {g.kind: row.count_mob for g, row in zip(self.tally, self.ours.rows)}
        self.show_caption(self.tr("blocks_caption"))
        self.ours_total_name, self.total_mob = self.add_up(self.ours)
        self.show_caption(self.tr("ours_caption" if cfg.tied_embeddings else "ours_untied_caption",
                             norm=th.norm_name(cfg.norm)))
        self.end_step()

    def check_ours(self) -> None:
        self.check_mob = fit(label(self.tr("check"), th.SMALL_SIZE, th.DIM), WIDTH)
        self.check_mob.next_to(self.total_mob, DOWN, buff=0.12).align_to(self.total_mob, RIGHT)
        self.play(FadeIn(self.check_mob))
        self.end_step()

    def tally_gpt3(self) -> None:
        ours = [self.ours_header, self.config_mob, self.ours, self.ours_total_name, self.total_mob, self.check_mob]
        self.show_caption(self.tr("gpt3_caption"))
        self.play(*[FadeOut(m) for m in ours])
        self.gpt3_groups = weight_matrix_tally(GPT3)
        self.gpt3_header, self.gpt3_config = self.heading(self.tr("gpt3_header"), GPT3)
        self.play(FadeIn(self.gpt3_header), FadeIn(self.gpt3_config))
        self.gpt3 = Tally(self.gpt3_groups, [kind_name(g.kind, GPT3, self.settings.lang) for g in self.gpt3_groups],
                          [_formula(g) for g in self.gpt3_groups])
        self.gpt3_total_name, self.gpt3_total_mob = self.add_up(self.gpt3)
        self.gpt3_matrices_mob = label(self.tr("matrices", n=_n(n_matrices(self.gpt3_groups))),
                                       th.NUMBER_SIZE, th.DIM,
                                       mono=True)
        self.gpt3_matrices_mob.move_to([LEFT_X + FORMULA_RIGHT * WIDTH, self.gpt3.total_y, 0], aligned_edge=RIGHT)
        self.play(FadeIn(self.gpt3_matrices_mob))
        self.end_step()

    def compare(self) -> None:
        full = total(parameter_tally(GPT3))
        like = weight_matrix_tally(self.data.model.config)
        self.gpt3_full_mob = fit(label(self.tr("gpt3_full", ctx=_n(GPT3.n_ctx), n=_n(full)), th.SMALL_SIZE, th.DIM),
                                 WIDTH)
        key = "ours_like_gpt3_tied" if self.data.model.config.tied_embeddings else "ours_like_gpt3"
        self.like_gpt3_mob = fit(label(self.tr(key, model=self.data.model.name, n=_n(total(like)),
                                          k=_n(n_matrices(like)), all=_n(total(self.tally))), th.SMALL_SIZE, th.DIM),
                                 WIDTH)
        notes = VGroup(self.gpt3_full_mob, self.like_gpt3_mob).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
        notes.next_to(self.gpt3_total_mob, DOWN, buff=0.15).align_to(self.gpt3_header, LEFT)
        ratio = total(self.gpt3_groups) / total(like)  # the same basis: weight matrices, each counted once
        self.show_caption(self.tr("end_caption", ratio=f"{ratio:,.0f}", model=self.data.model.name))
        self.play(FadeIn(self.gpt3_full_mob, shift=0.1 * UP), FadeIn(self.like_gpt3_mob, shift=0.1 * UP))
        self.end_step(2)

    # -- pieces -----------------------------------------------------------
    def heading(self, text: str, cfg: Config) -> tuple[VMobject, VGroup]:
        """A panel's header and the model's shape beneath it, at the top left."""
        header = fit(label(text, th.LABEL_SIZE), WIDTH).move_to([LEFT_X, HEADER_Y, 0], aligned_edge=LEFT)
        config = fit(_config(cfg, self.settings.lang), WIDTH).next_to(header, DOWN, buff=0.14).align_to(header, LEFT)
        return header, config

    def add_up(self, tally: Tally) -> tuple[VMobject, VMobject]:
        """Each kind's block and row in turn, its count gliding into the running total; returns (name, total)."""
        name = _on_baseline(self.tr("total")).move_to([LEFT_X + 0.3, tally.total_y, 0], aligned_edge=LEFT)
        self.play(FadeIn(tally.rule), FadeIn(name))
        shown, running = None, 0
        for i, (g, block, row) in enumerate(zip(tally.groups, tally.blocks, tally.rows)):
            running += g.count
            new = tally.total_label(running, final=i == len(tally.groups) - 1)
            grow = [GrowFromEdge(block, LEFT)] if g.count else []
            grow += [FadeIn(tally.block_labels[i])] if i in tally.block_labels else []
            self.merge([((row.count_mob,), new)], FadeIn(row, shift=0.1 * RIGHT), *grow,
                       *([FadeOut(shown)] if shown is not None else []), copies=True, run_time=0.6)
            shown = new
        return name, shown
