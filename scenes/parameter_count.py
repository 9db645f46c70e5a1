"""Scene: the loaded model's parameters tallied kind by kind, then GPT-3's 175,181,291,520 (3Blue1Brown)."""
from __future__ import annotations

from dataclasses import dataclass

from manim import DOWN, LEFT, RIGHT, UP, GrowFromEdge, VGroup, VMobject

from gptmath.model import Config, Weights
from gptmath.params import GPT3, ParamGroup, n_matrices, parameter_tally, stored_count, total, weight_matrix_tally

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.mobjects import ParameterTally, fit, label

T = "params"  # this module's catalogue: scenes/locales/params.toml
LEFT_X = -th.FRAME_WIDTH / 2 + th.EDGE
WIDTH = th.CONTENT_WIDTH
HEADER_Y = 2.8
MOSTLY_MATRICES = 0.95  # the matrices' share of the parameters from which biases and norms count as "tiny"


@dataclass(frozen=True)
class Counts:
    """The tallies the scene draws and compares."""

    ours: list[ParamGroup]  # every parameter of the loaded model, as transformers counts them
    gpt3: list[ParamGroup]  # GPT-3's weight matrices, as 3Blue1Brown counts them
    ours_like_gpt3: list[ParamGroup]  # the loaded model's weight matrices, counted the same way
    gpt3_all: int  # every GPT-3 parameter, biases and norms included
    stored: int  # the numbers the loaded weights hold, array by array

    @classmethod
    def of(cls, weights: Weights) -> Counts:
        cfg = weights.config
        return cls(parameter_tally(cfg), weight_matrix_tally(GPT3), weight_matrix_tally(cfg),
                   total(parameter_tally(GPT3)), stored_count(weights))

    @property
    def every(self) -> bool:
        """Whether the tally counts every number the loaded weights hold, no more and no fewer."""
        return total(self.ours) == self.stored

    @property
    def matrix_share(self) -> float:
        """The share of the loaded model's parameters that sit in matrices (not biases or norms)."""
        return sum(g.count for g in self.ours if len(g.shape) == 2) / total(self.ours)

    @property
    def ratio(self) -> float:
        """GPT-3's weight matrices over the loaded model's, counted the same way."""
        return total(self.gpt3) / total(self.ours_like_gpt3)


def tally_variant(counts: Counts, tied: bool) -> str:
    """The tally's words (the suffix of their keys): "_spread" when biases and norms are not tiny (matrices hold
    less than MOSTLY_MATRICES), else "" (a tied unembedding, reusing the embedding) or "_untied"."""
    return "_spread" if counts.matrix_share < MOSTLY_MATRICES else "" if tied else "_untied"


def times(ratio: float) -> str:
    """How many times as many: a whole number with thousands separators, one decimal under 10."""
    return f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.1f}"


@dataclass(frozen=True)
class Panel:
    """One model's tally as drawn: header, shape, blocks and table, and the total row's name and number."""

    header: VMobject
    config: VGroup
    tally: ParameterTally
    total_name: VMobject
    total: VMobject

    def mobjects(self) -> list[VMobject]:
        return [self.header, self.config, self.tally, self.total_name, self.total]


class ParameterCount(GPTScene):
    """The loaded model's parameters kind by kind (= transformers' count), then GPT-3's weight matrices."""

    catalogue = T

    def construct(self) -> None:
        self.show_title(self.tr("title"))
        counts = Counts.of(self.data.model.weights)
        ours = self.tally_ours(counts, self.introduce(counts))
        self.ours, self.total_mob = ours.tally, ours.total
        check = self.check_ours(counts, ours)
        gpt3, self.gpt3_matrices_mob = self.tally_gpt3(counts, [*ours.mobjects(), check])
        self.gpt3, self.gpt3_total_mob = gpt3.tally, gpt3.total
        self.compare(counts, gpt3)

    # -- steps ------------------------------------------------------------
    def introduce(self, counts: Counts) -> tuple[VMobject, VGroup]:
        """The loaded model's name and shape; returns them."""
        name = self.data.model.name
        header, config = self.heading(self.tr("ours_header" if counts.every else "ours_header_shape", model=name),
                                      self.data.model.config)
        self.say("say_bridge")  # over the title, before the first drawing
        self.show_caption(self.tr("intro"))
        self.say("say_introduce", model=name)
        self.play(FadeIn(header), FadeIn(config))
        self.end_step()
        return header, config

    def tally_ours(self, counts: Counts, heading: tuple[VMobject, VGroup]) -> Panel:
        """Every kind of parameter of the loaded model in turn, adding up to transformers' count."""
        cfg = self.data.model.config
        formulas = [self.tr("tied") if g.copies == 0 else ParameterTally.formula(g) for g in counts.ours]
        tally = ParameterTally(counts.ours, [self.kind_name(g.kind, cfg) for g in counts.ours], formulas)
        variant, share = tally_variant(counts, cfg.tied_embeddings), f"{1 - counts.matrix_share:.1%}"
        self.show_caption(self.tr("blocks_caption"))
        self.say("say_tally_ours")
        name, total_mob = self.add_up(tally)
        self.say(f"say_tally_ours_total{variant}", model=self.data.model.name, total=f"{total(counts.ours):,}",
                 share=share)  # once the total stands
        self.show_caption(self.tr(f"ours{variant}_caption", norm=th.norm_name(cfg.norm), share=share))
        self.end_step()
        return Panel(*heading, tally, name, total_mob)

    def check_ours(self, counts: Counts, ours: Panel) -> VMobject:
        """A note under the total: the loaded weights hold as many numbers (or how many more or fewer)."""
        values = dict(n=f"{counts.stored:,}", diff=f"{abs(counts.stored - total(counts.ours)):,}")
        self.say("say_check_ours" if counts.every else "say_check_ours_differs", **values)
        check = fit(label(self.tr("check" if counts.every else "check_differs", **values), th.SMALL_SIZE, th.DIM),
                    WIDTH)
        check.next_to(ours.total, DOWN, buff=0.12).align_to(ours.total, RIGHT)
        self.play(FadeIn(check))
        self.end_step()
        return check

    def tally_gpt3(self, counts: Counts, ours: list[VMobject]) -> tuple[Panel, VMobject]:
        """GPT-3's weight matrices in place of `ours`, kind by kind; returns the panel and the matrices' count."""
        self.show_caption(self.tr("gpt3_caption"))
        self.say("say_tally_gpt3")
        self.play(*[FadeOut(m) for m in ours])
        header, config = self.heading(self.tr("gpt3_header"), GPT3)
        self.play(FadeIn(header), FadeIn(config))
        tally = ParameterTally(counts.gpt3, [self.kind_name(g.kind, GPT3) for g in counts.gpt3],
                               [ParameterTally.formula(g) for g in counts.gpt3])
        name, total_mob = self.add_up(tally)
        matrices = label(self.tr("matrices", n=f"{n_matrices(counts.gpt3):,}"), th.NUMBER_SIZE, th.DIM, mono=True)
        matrices.move_to([tally.formula_x, tally.total_y, 0], aligned_edge=RIGHT)
        self.play(FadeIn(matrices))
        self.say("say_tally_gpt3_total", n=f"{total(counts.gpt3):,}", k=f"{n_matrices(counts.gpt3):,}")
        self.end_step()
        return Panel(header, config, tally, name, total_mob), matrices

    def compare(self, counts: Counts, gpt3: Panel) -> None:
        """GPT-3 with everything counted, and the loaded model counted GPT-3's way: how many times bigger."""
        model, like = self.data.model, counts.ours_like_gpt3
        full = small_lines(self.tr("gpt3_full", ctx=f"{GPT3.n_ctx:,}", n=f"{counts.gpt3_all:,}"))
        key = "ours_like_gpt3_tied" if model.config.tied_embeddings else "ours_like_gpt3"
        ours = small_lines(self.tr(key, model=model.name, n=f"{total(like):,}", k=f"{n_matrices(like):,}",
                                   all=f"{total(counts.ours):,}"))
        notes = VGroup(full, ours).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
        notes.next_to(gpt3.total, DOWN, buff=0.15).align_to(gpt3.header, LEFT)
        bigger = counts.ratio < 1  # the same basis: weight matrices, each counted once
        ratio = times(1 / counts.ratio if bigger else counts.ratio)
        self.show_caption(self.tr("end_caption_bigger" if bigger else "end_caption", ratio=ratio, model=model.name))
        self.say("say_compare_bigger" if bigger else "say_compare", ratio=ratio, model=model.name)
        self.play(FadeIn(full, shift=0.1 * UP), FadeIn(ours, shift=0.1 * UP))
        self.end_step(2)

    # -- pieces -----------------------------------------------------------
    def kind_name(self, kind: str, cfg: Config) -> str:
        """A parameter kind's name on screen; the norms' named after the model's norm (LayerNorms or RMSNorms)."""
        return self.tr(kind, norm=th.norm_name(cfg.norm)) if kind == "layer_norms" else self.tr(kind)

    def heading(self, text: str, cfg: Config) -> tuple[VMobject, VGroup]:
        """A panel's header and the model's shape beneath it (two lines, spaced like the rows), at the top left."""
        heads = self.tr("heads", heads=cfg.n_head, dh=cfg.d_head) if cfg.n_kv_head == cfg.n_head else \
            self.tr("heads_shared", heads=cfg.n_head, dh=cfg.d_head, kv=cfg.n_kv_head)
        shape = self.tr("config", layers=cfg.n_layer, heads=heads, d=f"{cfg.d_model:,}", m=f"{cfg.d_mlp:,}",
                        v=f"{cfg.vocab_size:,}", ctx=f"{cfg.n_ctx:,}")
        header = fit(label(text, th.LABEL_SIZE), WIDTH).move_to([LEFT_X, HEADER_Y, 0], aligned_edge=LEFT)
        config = small_lines(shape).next_to(header, DOWN, buff=0.14).align_to(header, LEFT)
        return header, config

    def add_up(self, tally: ParameterTally) -> tuple[VMobject, VMobject]:
        """Each kind's block and row in turn, its count gliding into the running total; returns (name, total)."""
        name = tally.total_name(self.tr("total"))
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


def small_lines(text: str) -> VGroup:
    """A note of one or more lines ("\\n") at the small size, each line its own text, spaced like the rows (a
    single multi-line text sets its lines too close), fitted to the panel's width."""
    lines = VGroup(*[label(line, th.SMALL_SIZE, th.DIM) for line in text.split("\n")])
    return fit(lines.arrange(DOWN, buff=0.14, aligned_edge=LEFT), WIDTH)
