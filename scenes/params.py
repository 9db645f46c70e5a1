"""Scene: the loaded model's parameters tallied by kind, beside GPT-3's 175,181,291,520."""
from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, LaggedStart, Line, VGroup, VMobject

from gptmath.model import Config
from gptmath.params import GPT3, ParamGroup, n_matrices, parameter_tally, total, weight_matrix_tally

from scenes import theme as th
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import fit, label

T = "params"  # this module's catalogue: scenes/locales/params.toml
ROW = 0.31  # row pitch
HEADER_Y = 2.8
TOP = 1.7  # y of the tables' first row
HALF = th.CONTENT_WIDTH / 2 - 0.2  # width of one table


def _n(x: int) -> str:
    return f"{x:,}"


def _formula(g: ParamGroup) -> str:
    """copies × rows × columns, the copies left out when there is one."""
    factors = ([g.copies] if g.copies != 1 else []) + list(g.shape)
    return " × ".join(_n(f) for f in factors)


def _on_baseline(text: str, width: float) -> VMobject:
    """A name whose box always spans ascender to descender (an invisible trailing bar), so rows share a baseline."""
    mob = label(text + "|", th.SMALL_SIZE)
    mob[-1].set_opacity(0)
    return fit(mob, width)


def _config(cfg: Config) -> VMobject:
    """A model's shape in two lines."""
    return label(tr(T, "config", layers=cfg.n_layer, heads=cfg.n_head, dh=cfg.d_head, d=_n(cfg.d_model),
                    m=_n(cfg.d_mlp), v=_n(cfg.vocab_size), ctx=_n(cfg.n_ctx)), th.SMALL_SIZE, th.DIM)


class Table(VGroup):
    """Rows of name | formula | count, names left-aligned, numbers right-aligned, within `width`."""

    def __init__(self, rows: list[tuple[str, str, str]], left: float, width: float, top: float,
                 count_color=th.TEXT) -> None:
        super().__init__()
        self.rows = VGroup()
        for i, (name, formula, count) in enumerate(rows):
            y = top - i * ROW
            name_mob = _on_baseline(name, 0.38 * width).move_to([left, y, 0], aligned_edge=LEFT)
            count_mob = label(count, th.NUMBER_SIZE, count_color, mono=True)
            fit(count_mob, 0.3 * width).move_to([left + width, y, 0], aligned_edge=RIGHT)
            right = min(left + 0.71 * width - 0.1, count_mob.get_left()[0] - 0.2)
            formula_mob = fit(label(formula, th.NUMBER_SIZE, th.DIM, mono=True), right - name_mob.get_right()[0] - 0.2)
            formula_mob.move_to([right, y, 0], aligned_edge=RIGHT)
            row = VGroup(name_mob, formula_mob, count_mob)
            row.name_mob, row.formula_mob, row.count_mob = name_mob, formula_mob, count_mob
            self.rows.add(row)
        self.add(self.rows)


class ParameterCount(GPTScene):
    """The loaded model's parameters by kind (= transformers' count) and GPT-3's weight matrices (3Blue1Brown)."""

    def construct(self) -> None:
        self.show_title(tr(T, "title"))
        self.introduce()
        self.tally_ours()
        self.total_ours()
        self.tally_gpt3()
        self.compare()

    # -- steps ------------------------------------------------------------
    def introduce(self) -> None:
        self.left = -th.FRAME_WIDTH / 2 + th.EDGE
        self.ours_header = fit(label(tr(T, "ours_header", model=self.data.model.name), th.LABEL_SIZE), HALF)
        self.ours_header.move_to([self.left, HEADER_Y, 0], aligned_edge=LEFT)
        self.config_mob = fit(_config(self.data.model.config), HALF)
        self.config_mob.next_to(self.ours_header, DOWN, buff=0.12).align_to(self.ours_header, LEFT)
        self.play(FadeIn(self.ours_header), FadeIn(self.config_mob))
        self.show_caption(tr(T, "intro"))
        self.end_step()

    def tally_ours(self) -> None:
        cfg = self.data.model.config
        self.tally = parameter_tally(cfg)
        rows = [(tr(T, g.kind), tr(T, "tied") if g.copies == 0 else _formula(g), _n(g.count)) for g in self.tally]
        self.ours = Table(rows, self.left, HALF, TOP)
        self.count_mobs = {g.kind: row.count_mob for g, row in zip(self.tally, self.ours.rows)}
        self.play(LaggedStart(*[FadeIn(r, shift=0.1 * RIGHT) for r in self.ours.rows], lag_ratio=0.15))
        self.show_caption(tr(T, "ours_caption" if cfg.tied_embeddings else "ours_untied_caption"))
        self.end_step()

    def total_ours(self) -> None:
        left = self.left
        y = TOP - (len(self.ours.rows) - 0.25) * ROW
        self.ours_rule = Line([left, y, 0], [left + HALF, y, 0], color=th.DIM, stroke_width=1.5)
        self.ours_total = Table([(tr(T, "total"), "", _n(total(self.tally)))], left, HALF, y - ROW * 0.6,
                                count_color=th.HIGHLIGHT)
        self.total_mob = self.ours_total.rows[0].count_mob
        self.check_mob = fit(label(tr(T, "check"), th.SMALL_SIZE, th.DIM), HALF)
        self.check_mob.next_to(self.ours_total, DOWN, buff=0.1).align_to(self.ours_total.rows[0].count_mob, RIGHT)
        like = weight_matrix_tally(self.data.model.config)
        self.like_gpt3_mob = fit(label(tr(T, "ours_like_gpt3", n=_n(total(like)), k=_n(n_matrices(like))),
                                        th.SMALL_SIZE, th.DIM), HALF)
        self.like_gpt3_mob.next_to(self.check_mob, DOWN, buff=0.15).align_to(self.ours_header, LEFT)
        self.play(FadeIn(self.ours_rule), FadeIn(self.ours_total))
        self.play(FadeIn(self.check_mob))
        self.end_step()

    def tally_gpt3(self) -> None:
        self.gpt3_groups = weight_matrix_tally(GPT3)
        left = th.FRAME_WIDTH / 2 - th.EDGE - HALF
        self.gpt3_header = fit(label(tr(T, "gpt3_header"), th.LABEL_SIZE), HALF)
        self.gpt3_header.move_to([left, HEADER_Y, 0], aligned_edge=LEFT)
        self.gpt3_config = fit(_config(GPT3), HALF).next_to(self.gpt3_header, DOWN, buff=0.12)
        self.gpt3_config.align_to(self.gpt3_header, LEFT)
        rows = [(tr(T, g.kind), _formula(g), _n(g.count)) for g in self.gpt3_groups]
        self.gpt3 = Table(rows, left, HALF, TOP)
        y = TOP - (len(self.gpt3.rows) - 0.25) * ROW
        rule = Line([left, y, 0], [left + HALF, y, 0], color=th.DIM, stroke_width=1.5)
        self.gpt3_total = Table([(tr(T, "total"), tr(T, "matrices", n=_n(n_matrices(self.gpt3_groups))),
                                  _n(total(self.gpt3_groups)))], left, HALF, y - ROW * 0.6, count_color=th.HIGHLIGHT)
        self.gpt3_total_mob = self.gpt3_total.rows[0].count_mob
        self.gpt3_matrices_mob = self.gpt3_total.rows[0].formula_mob
        self.play(FadeIn(self.gpt3_header), FadeIn(self.gpt3_config))
        self.play(LaggedStart(*[FadeIn(r, shift=0.1 * LEFT) for r in self.gpt3.rows], lag_ratio=0.15))
        self.play(FadeIn(rule), FadeIn(self.gpt3_total))
        self.show_caption(tr(T, "gpt3_caption"))
        self.end_step()

    def compare(self) -> None:
        full = total(parameter_tally(GPT3))
        self.gpt3_full_mob = fit(label(tr(T, "gpt3_full", ctx=_n(GPT3.n_ctx), n=_n(full)), th.SMALL_SIZE, th.DIM),
                                  HALF)
        self.gpt3_full_mob.next_to(self.gpt3_total, DOWN, buff=0.2).align_to(self.gpt3_header, LEFT)
        self.play(FadeIn(self.gpt3_full_mob, shift=0.1 * UP), FadeIn(self.like_gpt3_mob))  # both sides alike
        ratio = total(self.gpt3_groups) / total(self.tally)
        self.show_caption(tr(T, "end_caption", ratio=f"{ratio:,.0f}", model=self.data.model.name))
        self.end_step(2)
