"""MultiHeadAttention: every head of one layer, their outputs summed; then every head of the model."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN, LEFT, RIGHT, UP, WHITE, Create, Group, LaggedStart, Line, Rectangle, SurroundingRectangle, VGroup, VMobject,
)

from gptmath import Trace, hooks
from gptmath.heads import (
    HEAD_ROLES, ROLE_SHARE, combine_heads, head_outputs, head_roles, mask_scores, role_masks, trace_patterns,
)
from gptmath.model import Config

from scenes import theme as th
from scenes.animations import FadeIn
from scenes.attention_head import BOTTOM, TOP, T
from scenes.base import GPTScene
from scenes.mobjects import (
    ROLE_COLORS, SMALL_NUMBER, HeadMap, PatternThumbnail, RoleLegend, VectorColumn, elide, fit, label, quoted,
    size_brace, symbol,
)
from scenes.mobjects.heads import NAME_GAP, HeadGrid
from scenes.staging import fade_all_but, show_only

MIN_THUMBNAIL = 0.45  # smallest pattern thumbnail in the model view (about 27 px at 480p); smaller: a head map
NAME_ROOM = 0.5  # under each row of the model view's thumbnails: a name at the words' size and the gap to the next row
N_ENLARGED = 4  # heads drawn large beside the head map
MAX_ONE_ROW = 6  # heads in one row with their outputs under them; more: rows of heads, the sum below with a ⋯
HEAD_NAME_ROOM = 0.6  # a head's name above its thumbnail and the gap to the next row
FIRST_SUMMED = 3  # with more heads, the sum draws the first heads' outputs, the chosen head's and the last's
SUM_HEIGHT = 3.15  # below rows of thumbnails: the sum with its names, brace and result name
SUM_COLUMN = dict(n_shown=4, cell_width=0.74, cell_height=0.26, font_size=SMALL_NUMBER, show_dimension=False)


def best_detector_scores(trace: Trace) -> np.ndarray:
    """[n_layer, n_head]: each head's highest mean weight on the keys of any role (previous, induction, ...)."""
    patterns = trace_patterns(trace)
    return np.max([mask_scores(patterns, mask) for mask in role_masks(trace.tokens).values()], axis=0)


def bracket_room(cfg: Config) -> float:
    """Height of the key/value brackets above a row of head names (none when every head has its own)."""
    return 0.45 if cfg.n_kv_head < cfg.n_head else 0.0


def row_length(cfg: Config, rows: int) -> int:
    """Thumbnails per row for `rows` rows, rounded up so that heads sharing a key/value head share a row."""
    per_row, group = math.ceil(cfg.n_head / rows), cfg.n_head // cfg.n_kv_head
    return per_row if group > per_row else math.ceil(per_row / group) * group


def thumbnail_size(cfg: Config, per_row: int) -> float:
    """The biggest thumbnails that fit in rows of per_row above the sum."""
    rows = math.ceil(cfg.n_head / per_row)
    return min(1.6, th.CONTENT_WIDTH / per_row - 0.25,
               (TOP - BOTTOM - SUM_HEIGHT) / rows - HEAD_NAME_ROOM - bracket_room(cfg))


@dataclass(frozen=True)
class HeadsLayout:
    """Where the scene puts the layer's heads and the model's, decided once from the model's shape."""

    sum_below: bool  # too many heads for their outputs side by side under one row: rows, the sum below, some ⋯
    per_row: int  # thumbnails per row
    size: float  # their size
    summed: tuple[int | None, ...]  # the heads whose outputs the sum draws (None: ⋯)
    model_size: float  # a thumbnail's size in the model view; below MIN_THUMBNAIL, a head map instead

    @classmethod
    def of(cls, cfg: Config, head: int, name_width: float = 0.0) -> HeadsLayout:
        """`name_width`: the widest name written under or over a thumbnail of the model view (role, head)."""
        n, below = cfg.n_head, cfg.n_head > MAX_ONE_ROW
        if below:  # the biggest thumbnails, then the fewest rows
            per_row, size = max(((row_length(cfg, rows), thumbnail_size(cfg, row_length(cfg, rows)))
                                 for rows in range(1, n + 1)), key=lambda option: (option[1], option[0]))
        else:  # one row, the sum beside it
            per_row, size = n, min(1.6, (th.CONTENT_WIDTH - 4.4) / n - 0.25)
        model_size = min(1.1, (TOP - BOTTOM - 0.5) / cfg.n_layer - NAME_ROOM, (th.CONTENT_WIDTH - 1.6) / n - 0.15)
        if n * (max(model_size, name_width) + NAME_GAP) > th.CONTENT_WIDTH - 1.6:  # names too wide side by side
            model_size = 0.0
        summed = elide(n, FIRST_SUMMED, keep=[head]) if below else range(n)
        return cls(sum_below=below, per_row=per_row, size=size, summed=tuple(summed), model_size=model_size)


@dataclass(frozen=True)
class LayerSum:
    """What the sum of the layer's heads drew."""

    heads: list[int]  # the heads whose output columns are drawn
    columns: list[VectorColumn]  # their output columns
    bias: VectorColumn | None  # the output bias (None: the model has none)
    result: VectorColumn  # the layer's attention output
    attn_out: np.ndarray  # what result shows: every head's output, those left to ⋯ included, plus the bias


@dataclass(frozen=True)
class ModelView:
    """What the view of every head of the model drew."""

    roles: list[list[str]]  # [layer][head]: each head's role
    thumbnails: dict[tuple[int, int], PatternThumbnail]  # (layer, head): every head's, or the few beside a head map
    role_labels: dict[tuple[int, int], VMobject]  # each thumbnail's role name (none beside a head map)
    head_map: HeadMap | None  # a big model's heads as one map; None when every head has a thumbnail
    chosen_frame: VMobject  # round the chosen head's thumbnail or cell


class MultiHeadAttention(GPTScene):
    """All heads of one layer as real pattern thumbnails, their outputs summed; then every head of the model.

    `construct` keeps on the scene what the steps drew that tests check (`thumbnails`, `layer_sum`, ...).
    """

    catalogue = T

    def construct(self) -> None:
        d = self.data
        names = [self.tr(role) for role in HEAD_ROLES] + [self.tr("head_name", head=d.model.config.n_head - 1)]
        layout = HeadsLayout.of(d.model.config, d.head, max(label(n, th.SMALL_SIZE).width for n in names))
        self.show_title(self.tr("mh_title_one" if d.model.config.n_head == 1 else "mh_title", layer=d.layer))
        self.thumbnails, heads, self.kv_brackets = self.show_heads(layout)
        self.layer_sum = self.combine_outputs(layout, self.thumbnails, heads, self.kv_brackets)
        self.model_view = self.show_model_view(layout)
        self.grid_thumbnails, self.head_map = self.model_view.thumbnails, self.model_view.head_map

    # -- the heads of one layer and the sum of their outputs -----------------------

    def show_heads(self, layout: HeadsLayout) -> tuple[list[PatternThumbnail], Group, VGroup]:
        """Each head's pattern as a named thumbnail; returns the thumbnails, the named thumbnails and the brackets
        over heads that share a key/value head."""
        d, cfg, n = self.data, self.data.model.config, self.data.model.config.n_head
        patterns = d.trace[hooks.attn(d.layer, "pattern")]
        thumbnails = [PatternThumbnail(patterns[h], layout.size, th.HIGHLIGHT if h == d.head else th.FAINT)
                      for h in range(n)]
        names = [label(self.tr("head_name", head=h), th.SMALL_SIZE, th.HIGHLIGHT if h == d.head else th.DIM)
                 for h in range(n)]
        for name, thumb in zip(names, thumbnails):
            fit(name, layout.size + 0.2).next_to(thumb, UP, buff=0.1)
        heads = Group(*[Group(name, thumb) for name, thumb in zip(names, thumbnails)])
        if layout.sum_below:
            heads.arrange_in_grid(cols=layout.per_row, buff=(0.25, 0.25 + bracket_room(cfg)))
        else:
            heads.arrange(RIGHT, buff=0.25)
        brackets = self.shared_brackets(names, layout.per_row)
        Group(brackets, heads).next_to([0, TOP, 0], DOWN, buff=0.05)
        shift = LEFT * (heads.get_center()[0] + (0 if layout.sum_below else 0.8))  # room for the sum beside
        heads.shift(shift)
        brackets.shift(shift)
        one = "_one" if n == 1 else ""  # a model with one head a layer: no "several heads", no "all 1 heads"
        self.show_caption(self.tr(f"heads{one}", n=n) if cfg.n_kv_head == n else
                          self.tr("shared_caption", h=n, kv=cfg.n_kv_head))
        self.say(f"say_bridge_multi_head_attention{one}")
        self.say(f"say_show_heads{one}" if cfg.n_kv_head == n else "say_show_heads_shared", layer=d.layer, n=n, h=n,
                 kv=cfg.n_kv_head)
        self.play(LaggedStart(*[FadeIn(h) for h in heads], lag_ratio=0.15), FadeIn(brackets))
        show_only(self, brackets, heads)
        self.end_step()
        return thumbnails, heads, brackets

    def shared_brackets(self, names: list[VMobject], per_row: int) -> VGroup:
        """Above the head names: per row, one line and label per key/value head over the query heads sharing it."""
        cfg, brackets = self.data.model.config, VGroup()
        if cfg.n_kv_head == cfg.n_head:
            return brackets
        group = cfg.n_head // cfg.n_kv_head
        for g in range(cfg.n_kv_head):
            sharing = range(g * group, (g + 1) * group)
            for row in sorted({h // per_row for h in sharing}):
                part = [h for h in sharing if h // per_row == row]
                top = max(name.get_top()[1] for name in names[row * per_row:(row + 1) * per_row]) + 0.12
                left, right = names[part[0]].get_left()[0], names[part[-1]].get_right()[0]
                line = Line([left, top, 0], [right, top, 0], color=th.KEY, stroke_width=2)
                text = fit(label(self.tr("shared_kv", kv=g), th.SMALL_SIZE, th.KEY), right - left)
                brackets.add(VGroup(line, text.next_to(line, UP, buff=0.08)))
        return brackets

    def combine_outputs(self, layout: HeadsLayout, thumbnails: list[PatternThumbnail], heads: Group,
                        brackets: VGroup) -> LayerSum:
        """Each head's output at the query position, added up with the output bias: the layer's attention output."""
        d, i = self.data, self.data.position
        outputs = head_outputs(d.trace, d.model.weights, d.layer, i)  # [h, d]
        bias = d.model.weights.blocks[d.layer].b_O  # None: the model has no output bias
        attn_out = combine_heads(outputs, bias)  # every head's output, drawn or left to ⋯
        terms, links = self.sum_terms(layout, outputs, thumbnails)
        pluses = VGroup(*[label("+", th.LABEL_SIZE).move_to((a.get_right() + b.get_left()) / 2)
                          for a, b in zip(terms, terms[1:])])
        result = VectorColumn(attn_out, **SUM_COLUMN | dict(show_dimension=True))
        equals = label("=", th.LABEL_SIZE)
        bias_column = VectorColumn(bias, border_color=th.DIM, **SUM_COLUMN) if bias is not None else None
        added = [label("+", th.LABEL_SIZE), bias_column] if bias_column is not None else []
        plus_b = VGroup(*added, equals, result).arrange(RIGHT, buff=0.2).next_to(terms, RIGHT, buff=0.2)
        b_name = symbol("b_O", th.DIM, 26).next_to(bias_column.brackets, DOWN, buff=0.12) \
            if bias_column is not None else VGroup()
        token = label(th.show_spaces(d.tokens[i]), th.SMALL_SIZE, th.token_color(i)).next_to(terms, LEFT, buff=0.3)
        total = VGroup(terms, links, pluses, plus_b, b_name, token)
        self.fit_layer(layout, heads, brackets, total)
        result_name = self.result_name(result, VGroup(result, b_name, links))
        key = ("combine" if bias is not None else "combine_no_bias") + ("_one" if len(outputs) == 1 else "")
        self.show_caption(self.tr(key, query=quoted(d.tokens[i])))
        self.say(f"say_{key.replace('combine', 'combine_outputs')}", query=quoted(d.tokens[i]), n=len(outputs),
                 layer=d.layer)
        self.play(FadeIn(links), LaggedStart(*[FadeIn(t, shift=0.2 * DOWN) for t in terms], lag_ratio=0.1),
                  FadeIn(token))
        self.play(FadeIn(pluses), *[FadeIn(m) for m in added], FadeIn(b_name))
        sources = [*terms] + ([bias_column] if bias_column is not None else [])
        self.merge([(sources, result)], FadeIn(equals), FadeIn(result_name), copies=True, run_time=1.0)
        show_only(self, brackets, heads, total, result_name)
        self.end_step()
        columns = [t for t in terms if isinstance(t, VectorColumn)]
        return LayerSum([h for h in layout.summed if h is not None], columns, bias_column, result, attn_out)

    def sum_terms(self, layout: HeadsLayout, outputs: np.ndarray,
                  thumbnails: list[PatternThumbnail]) -> tuple[VGroup, VGroup]:
        """The drawn heads' output columns, a ⋯ for each run of heads left out, and what ties them to the heads.

        One row: each column under its head's thumbnail, an arrow between. Rows: the terms in a line, each column
        named above, each ⋯ by the heads it stands for, a brace below saying how many heads the sum adds.
        """
        d, summed, scale = self.data, layout.summed, float(np.abs(outputs).max()) or 1.0
        terms = VGroup(*[label("⋯", th.LABEL_SIZE, th.DIM) if h is None else
                         VectorColumn(outputs[h], scale=scale, **SUM_COLUMN,
                                      border_color=th.HIGHLIGHT if h == d.head else WHITE) for h in summed])
        if not layout.sum_below:
            for column, thumb in zip(terms, thumbnails):
                column.next_to(thumb, DOWN, buff=1.0)
            return terms, VGroup(*[symbol("arrow.b", th.DIM, 28).move_to((c.get_top() + t.get_bottom()) / 2)
                                   for c, t in zip(terms, thumbnails)])
        terms.arrange(RIGHT, buff=0.6)  # room for a + between two terms
        top = max(t.get_top()[1] for t in terms)
        names = VGroup()
        for k, (h, term) in enumerate(zip(summed, terms)):
            if h is None:  # under the ⋯, between the + signs
                first, last = summed[k - 1] + 1, summed[k + 1] - 1
                left_out = self.tr("head_name", head=first) if first == last else \
                    self.tr("heads_left_out", first=first, last=last)
                name = VGroup(*[label(line, th.SMALL_SIZE, th.DIM) for line in left_out.split("\n")])
                names.add(fit(name.arrange(DOWN, buff=0.06), 1.0).next_to(term, DOWN, buff=0.3))
            else:
                name = label(self.tr("head_name", head=h), th.SMALL_SIZE, th.HIGHLIGHT if h == d.head else th.DIM)
                names.add(fit(name, term.width + 0.3).next_to([term.get_x(), top, 0], UP, buff=0.1))
        every = size_brace(terms, DOWN, self.tr("heads_summed_one" if len(outputs) == 1 else "heads_summed",
                                                n=len(outputs)))
        return terms, VGroup(names, every)

    def fit_layer(self, layout: HeadsLayout, heads: Group, brackets: VGroup, total: VGroup) -> None:
        """The sum below the heads (when it goes there), and the whole picture fitted between title and caption."""
        if layout.sum_below:
            total.next_to(Group(heads, brackets), DOWN, buff=0.35)
        everything = Group(heads, brackets, total)
        if everything.width > th.CONTENT_WIDTH or everything.get_bottom()[1] < BOTTOM + 0.6:
            factor = min(th.CONTENT_WIDTH / everything.width, (TOP - BOTTOM - 0.6) / everything.height)
            everything.scale(factor).next_to([0, TOP, 0], DOWN, buff=0.05)
        everything.set_x(0)

    def result_name(self, result: VectorColumn, above: VMobject) -> VMobject:
        """What the sum is, under it (below `above`), right-aligned with the result and kept inside the frame."""
        name = label(self.tr("combine_result", layer=self.data.layer), th.SMALL_SIZE)
        name.next_to(above, DOWN, buff=0.25).align_to(result, RIGHT)
        if name.get_right()[0] > th.FRAME_WIDTH / 2 - th.EDGE:
            name.to_edge(RIGHT, buff=th.EDGE)
        return name

    # -- every head of the model ----------------------------------------------------

    def show_model_view(self, layout: HeadsLayout) -> ModelView:
        """Every head of the model: thumbnails of their patterns, or for a big model a head map and a few heads."""
        roles = head_roles(self.data.trace)
        if layout.model_size >= MIN_THUMBNAIL:
            return self.show_thumbnail_grid(layout.model_size, roles)
        return self.show_head_map(roles)

    def fade_to_model_view(self) -> None:
        """The layer's picture fades; the title now names every layer (the heads of all of them come next)."""
        self.play(*fade_all_but(self))
        if self.data.model.config.n_layer > 1:
            self.show_title(self.tr("mh_title_all", layers=self.data.model.config.n_layer))

    def show_thumbnail_grid(self, size: float, roles: list[list[str]]) -> ModelView:
        """One pattern thumbnail per head, layers as rows, each named by its role."""
        d, cfg = self.data, self.data.model.config
        view = HeadGrid([d.trace[hooks.attn(L, "pattern")] for L in range(cfg.n_layer)],
                        [[self.tr(role) for role in row] for row in roles],
                        [self.tr("layer_name", layer=L) for L in range(cfg.n_layer)],
                        [self.tr("head_name", head=h) for h in range(cfg.n_head)], size)
        fit(view, height=TOP - BOTTOM - 0.1).move_to([0, (TOP + BOTTOM) / 2, 0])
        frame = SurroundingRectangle(view.thumbnails[(d.layer, d.head)], color=th.HIGHLIGHT, buff=0.05,
                                     stroke_width=4)
        self.show_caption(self.tr("model_view"))
        self.say("say_show_model_view", layers=cfg.n_layer, heads=cfg.n_head)
        self.fade_to_model_view()
        self.play(LaggedStart(*[FadeIn(r) for r in view.rows], lag_ratio=0.2), FadeIn(view.head_names))
        show_only(self, view)
        self.play(Create(frame))
        self.end_step()
        self.show_caption(self.tr("kinds", share=f"{ROLE_SHARE:.0%}"))
        self.say_kinds(roles)
        self.end_step(2)
        return ModelView(roles, view.thumbnails, view.names, None, frame)

    def show_head_map(self, roles: list[list[str]]) -> ModelView:
        """A big model: every head one cell of a heat map coloured by role, a few heads enlarged beside it."""
        scores = best_detector_scores(self.data.trace)
        head_map, view = self.head_map_view(roles, scores)
        picked = self.enlarged_heads(scores, roles)
        thumbnails, enlarged = self.enlarged_column(picked, roles, head_map)
        frames, links = self.links_to_map(picked, enlarged, head_map)
        cfg = self.data.model.config
        self.show_caption(self.tr("overview_caption"))
        self.say("say_show_model_view_map", layers=cfg.n_layer, heads=cfg.n_head)
        self.fade_to_model_view()
        self.play(FadeIn(view))
        self.end_step()
        self.show_caption(self.tr("kinds", share=f"{ROLE_SHARE:.0%}"))
        self.say_kinds(roles)
        self.say("say_show_model_view_kinds_enlarged")
        self.play(Create(frames), Create(links), LaggedStart(*[FadeIn(e) for e in enlarged], lag_ratio=0.2))
        self.end_step(2)
        return ModelView(roles, thumbnails, {}, head_map, frames[0])

    def say_kinds(self, roles: list[list[str]]) -> None:
        """How many heads each role names on this prompt (or that none is named), said."""
        found = [role for row in roles for role in row]
        parts = [self.tr(f"count_{role}", n=found.count(role)) for role in HEAD_ROLES if role in found]
        text = parts[0]
        for k, part in enumerate(parts[1:], 2):
            text = self.tr("counts_last" if k == len(parts) else "counts_join", rest=text, last=part)
        none = all(role == "spread" for role in found)
        self.say("say_show_model_view_kinds_none" if none else "say_show_model_view_kinds", share=f"{ROLE_SHARE:.0%}",
                 total=len(found), counts=text)

    def head_map_view(self, roles: list[list[str]], scores: np.ndarray) -> tuple[HeadMap, Group]:
        """The head map at the left with its layer and head numbers, axis names and a legend of the roles."""
        cfg = self.data.model.config
        height = TOP - BOTTOM - 1.6
        width = min(height * cfg.n_head / cfg.n_layer * 2, 6.0)  # cells at most twice as wide as tall
        head_map = HeadMap(roles, scores, height=height, width=width)
        head_map.move_to([-th.FRAME_WIDTH / 2 + th.EDGE + 1.1 + width / 2, (TOP + BOTTOM) / 2 - 0.15, 0])
        axis = head_map.axis_numbers()
        layers = label(self.tr("layers_axis"), th.SMALL_SIZE, th.DIM).rotate(math.pi / 2)
        layers.next_to(axis, LEFT, buff=0.15)
        heads = label(self.tr("heads_axis"), th.SMALL_SIZE, th.DIM).next_to(axis, UP, buff=0.1).match_x(head_map)
        legend = RoleLegend({r: self.tr(r) for r in ROLE_COLORS if any(r in row for row in roles)})
        fit(legend, width + 1.0).next_to(head_map, DOWN, buff=0.25).match_x(head_map)
        return head_map, Group(head_map, axis, layers, heads, legend)

    def enlarged_heads(self, scores: np.ndarray, roles: list[list[str]]) -> list[tuple[int, int]]:
        """The chosen head, the best-scoring head of each role found, then the best-scoring heads: N_ENLARGED."""
        d = self.data
        picked = [(d.layer, d.head)]
        by_score = [tuple(int(i) for i in np.unravel_index(k, scores.shape)) for k in np.argsort(-scores, axis=None)]
        for role in ROLE_COLORS:
            best = next((c for c in by_score if roles[c[0]][c[1]] == role), None)
            if role != "spread" and best is not None and best not in picked:
                picked.append(best)
        picked += [c for c in by_score if c not in picked]
        return picked[:N_ENLARGED]

    def enlarged_column(self, picked: list[tuple[int, int]], roles: list[list[str]],
                        head_map: HeadMap) -> tuple[dict[tuple[int, int], PatternThumbnail], Group]:
        """The picked heads' thumbnails in a column right of the map, each named beside it."""
        d = self.data
        left = head_map.get_right()[0] + 1.2
        room = th.FRAME_WIDTH / 2 - th.EDGE - left
        size = min(1.6, (TOP - BOTTOM - 0.2) / len(picked) - 0.15, room / 2)
        thumbnails, enlarged = {}, Group()
        for L, h in picked:
            role = roles[L][h]
            chosen = (L, h) == (d.layer, d.head)
            colour = th.HIGHLIGHT if chosen else (th.DIM if role == "spread" else ROLE_COLORS[role])
            thumb = PatternThumbnail(d.trace[hooks.attn(L, "pattern")][h], size, colour)
            name = VGroup(*[label(line, th.SMALL_SIZE, colour) for line in
                            self.tr("enlarged", layer=L, head=h, role=self.tr(role)).split("\n")])
            fit(name.arrange(DOWN, buff=0.08, aligned_edge=LEFT), room - size - 0.2)
            thumbnails[(L, h)] = thumb
            enlarged.add(Group(thumb, name.next_to(thumb, RIGHT, buff=0.15)))
        enlarged.arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        enlarged.move_to([left, (TOP + BOTTOM) / 2, 0], aligned_edge=LEFT)
        return thumbnails, enlarged

    def links_to_map(self, picked: list[tuple[int, int]], enlarged: Group,
                     head_map: HeadMap) -> tuple[VGroup, VGroup]:
        """A frame round each picked head's cell and a line from it to the head's thumbnail."""
        d, (cw, ch) = self.data, head_map.cell_size()
        frames, links = VGroup(), VGroup()
        for (L, h), item in zip(picked, enlarged):
            colour = th.HIGHLIGHT if (L, h) == (d.layer, d.head) else th.TEXT
            frame = Rectangle(width=cw, height=ch, stroke_color=colour, stroke_width=2.5).move_to(head_map.cell(L, h))
            frames.add(frame)
            links.add(Line(frame.get_right(), item[0].get_left(), stroke_color=colour, stroke_width=1.2,
                           stroke_opacity=0.7))
        return frames, links
