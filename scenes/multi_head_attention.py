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


class HeadMap(Group):
    """Every head of a model as one cell of a layers × heads image, coloured by its role ("spread" grey),
    brighter the higher its best detector score (`scores`, a share 0..1).

        HeadMap([["previous", "spread"]], np.array([[0.8, 0.2]]), height=4.0)
    """

    def __init__(self, roles: list[list[str]], scores: np.ndarray, height: float, width: float | None = None,
                 cell_px: int = 12) -> None:
        super().__init__()
        self.roles, self.scores = roles, np.asarray(scores, dtype=float)  # [n_layer][n_head], [n_layer, n_head]
        n_layer, n_head = self.scores.shape
        step = cell_px + 2  # a 2-pixel gap of background between cells
        rgb = np.tile(np.array(th.BACKGROUND.to_rgb()), (n_layer * step, n_head * step, 1))
        for L in range(n_layer):
            for h in range(n_head):
                role = roles[L][h]
                strength = 0.2 + 0.8 * float(np.clip(self.scores[L, h], 0, 1))
                colour = th.ZERO.interpolate(ROLE_COLORS[role], strength).to_rgb()
                rgb[L * step + 1:L * step + 1 + cell_px, h * step + 1:h * step + 1 + cell_px] = colour
        self.image = ImageMobject(np.round(255 * rgb).astype(np.uint8))
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        width = width if width is not None else height * n_head / n_layer
        self.image.stretch_to_fit_width(width).stretch_to_fit_height(height)
        self.add(self.image)

    def cell(self, layer: int, head: int) -> np.ndarray:
        """The centre of one head's cell."""
        n_layer, n_head = self.scores.shape
        left, top = self.image.get_left()[0], self.image.get_top()[1]
        return np.array([left + (head + 0.5) * self.image.width / n_head,
                         top - (layer + 0.5) * self.image.height / n_layer, 0.0])

    def cell_size(self) -> tuple[float, float]:
        n_layer, n_head = self.scores.shape
        return self.image.width / n_head, self.image.height / n_layer


def best_detector_scores(trace) -> np.ndarray:
    """[n_layer, n_head]: each head's highest mean weight on the keys of any role (previous, induction, ...)."""
    patterns = trace_patterns(trace)
    return np.max([mask_scores(patterns, mask) for mask in role_masks(trace.tokens).values()], axis=0)


class MultiHeadAttention(GPTScene):
    """All heads of one layer as real pattern thumbnails, their outputs summed; then every head of the model."""

    catalogue = T

    def construct(self) -> None:
        d = self.data
        self.show_title(self.tr("mh_title", layer=d.layer))
        self.show_heads()
        self.combine_outputs()
        self.show_model_view()

    def show_heads(self) -> None:
        d, n = self.data, self.data.model.config.n_head
        patterns = d.trace[f"blocks.{d.layer}.attn.hook_pattern"]
        self.per_row, size = self.head_rows()
        self.thumbnails = [PatternThumbnail(patterns[h], size, th.HIGHLIGHT if h == d.head else th.FAINT)
                           for h in range(n)]
        names = [label(self.tr("head_name", head=h), th.SMALL_SIZE, th.HIGHLIGHT if h == d.head else th.DIM)
                 for h in range(n)]
        for name, thumb in zip(names, self.thumbnails):
            fit(name, size + 0.2).next_to(thumb, UP, buff=0.1)
        self.heads = Group(*[Group(name, thumb) for name, thumb in zip(names, self.thumbnails)])
        if self.sum_below():
            self.heads.arrange_in_grid(cols=self.per_row, buff=(0.25, 0.25 + self.bracket_room()))
        else:
            self.heads.arrange(RIGHT, buff=0.25)
        self.kv_brackets = self.shared_brackets(names)
        Group(self.kv_brackets, self.heads).next_to([0, TOP, 0], DOWN, buff=0.05)
        shift = LEFT * (self.heads.get_center()[0] + (0 if self.sum_below() else 0.8))  # room for the sum beside
        self.heads.shift(shift)
        self.kv_brackets.shift(shift)
        cfg = d.model.config
        self.show_caption(self.tr("heads", n=n) if cfg.n_kv_head == n else
                          self.tr("shared_caption", h=n, kv=cfg.n_kv_head))
        self.play(LaggedStart(*[FadeIn(h) for h in self.heads], lag_ratio=0.15), FadeIn(self.kv_brackets))
        show_only(self, self.kv_brackets, self.heads)
        self.end_step()

    def sum_below(self) -> bool:
        """Too many heads for their outputs side by side under one row: the sum goes below and leaves some to ⋯."""
        return self.data.model.config.n_head > MAX_ONE_ROW

    def head_rows(self) -> tuple[int, float]:
        """(thumbnails per row, their size): one row with the sum beside it, or the rows giving the biggest ones."""
        n = self.data.model.config.n_head
        if not self.sum_below():
            return n, min(1.6, (th.CONTENT_WIDTH - 4.4) / n - 0.25)
        return max(((self.row_length(rows), self.thumbnail_size(self.row_length(rows))) for rows in range(1, n + 1)),
                   key=lambda option: (option[1], option[0]))  # the biggest thumbnails, then the fewest rows

    def row_length(self, rows: int) -> int:
        """Thumbnails per row for `rows` rows, rounded up so that heads sharing a key/value head share a row."""
        cfg = self.data.model.config
        per_row, group = math.ceil(cfg.n_head / rows), cfg.n_head // cfg.n_kv_head
        return per_row if group > per_row else math.ceil(per_row / group) * group

    def thumbnail_size(self, per_row: int) -> float:
        """The biggest thumbnails that fit in rows of per_row above the sum."""
        rows = math.ceil(self.data.model.config.n_head / per_row)
        return min(1.6, th.CONTENT_WIDTH / per_row - 0.25,
                   (TOP - BOTTOM - SUM_HEIGHT) / rows - HEAD_NAME_ROOM - self.bracket_room())

    def bracket_room(self) -> float:
        """Height of the key/value brackets above a row of head names (none when every head has its own)."""
        cfg = self.data.model.config
        return 0.45 if cfg.n_kv_head < cfg.n_head else 0.0

    def shared_brackets(self, names: list[VMobject]) -> VGroup:
        """Above the head names: per row, one line and label per key/value head over the query heads sharing it."""
        cfg, brackets = self.data.model.config, VGroup()
        if cfg.n_kv_head == cfg.n_head:
            return brackets
        group, per_row = cfg.n_head // cfg.n_kv_head, self.per_row
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

    def summed_heads(self) -> list[int | None]:
        """The heads whose outputs the sum draws: all, or the first ones, the chosen one and the last (None: ⋯)."""
        n, chosen = self.data.model.config.n_head, self.data.head
        return elide(n, FIRST_SUMMED, keep=[chosen]) if self.sum_below() else list(range(n))

    def combine_outputs(self) -> None:
        d, i = self.data, self.data.position
        weights = d.model.weights
        self.head_outputs = head_outputs(d.trace, weights, d.layer, i)  # [h, d]
        self.bias = weights.blocks[d.layer].b_O  # None: the model has no output bias
        self.attn_out = combine_heads(self.head_outputs, self.bias)  # every head's output, drawn or left to ⋯
        scale = float(np.abs(self.head_outputs).max()) or 1.0
        self.summed = [h for h in self.summed_heads() if h is not None]
        terms, links = self.sum_terms(scale)
        self.output_columns = [t for t in terms if isinstance(t, VectorColumn)]
        pluses = VGroup(*[label("+", th.LABEL_SIZE).move_to((a.get_right() + b.get_left()) / 2)
                          for a, b in zip(terms, terms[1:])])
        self.result_column = VectorColumn(self.attn_out, **SUM_COLUMN | dict(show_dimension=True))
        equals = label("=", th.LABEL_SIZE)
        if self.bias is not None:
            self.bias_column = VectorColumn(self.bias, border_color=th.DIM, **SUM_COLUMN)
            bias_plus = label("+", th.LABEL_SIZE)
            plus_b = VGroup(bias_plus, self.bias_column, equals, self.result_column)
        else:
            self.bias_column, bias_plus = None, None
            plus_b = VGroup(equals, self.result_column)
        plus_b.arrange(RIGHT, buff=0.2).next_to(terms, RIGHT, buff=0.2)
        b_name = symbol("b_O", th.DIM, 26).next_to(self.bias_column.brackets, DOWN, buff=0.12) \
            if self.bias_column is not None else VGroup()
        token = label(th.show_spaces(d.tokens[i]), th.SMALL_SIZE, th.token_color(i))
        token.next_to(terms, LEFT, buff=0.3)
        result_name = label(self.tr("combine_result", layer=d.layer), th.SMALL_SIZE)
        self.sum_group = VGroup(terms, links, pluses, plus_b, b_name, token)
        if self.sum_below():
            self.sum_group.next_to(Group(self.heads, self.kv_brackets), DOWN, buff=0.35)
        # fit the whole picture between title and caption
        everything = Group(self.heads, self.kv_brackets, self.sum_group)
        if everything.width > th.CONTENT_WIDTH or everything.get_bottom()[1] < BOTTOM + 0.6:
            factor = min(th.CONTENT_WIDTH / everything.width, (TOP - BOTTOM - 0.6) / everything.height)
            everything.scale(factor).next_to([0, TOP, 0], DOWN, buff=0.05)
        everything.set_x(0)
        result_name.next_to(VGroup(self.result_column, b_name, links), DOWN, buff=0.25)
        result_name.align_to(self.result_column, RIGHT)
        if result_name.get_right()[0] > th.FRAME_WIDTH / 2 - th.EDGE:
            result_name.to_edge(RIGHT, buff=th.EDGE)
        bias = [m for m in (bias_plus, self.bias_column) if m is not None]
        self.show_caption(self.tr("combine" if self.bias is not None else "combine_no_bias",
                                  query=quoted(d.tokens[i])))
        self.play(FadeIn(links), LaggedStart(*[FadeIn(t, shift=0.2 * DOWN) for t in terms], lag_ratio=0.1),
                  FadeIn(token))
        self.play(FadeIn(pluses), *[FadeIn(m) for m in bias], FadeIn(b_name))
        sources = [*terms] + ([self.bias_column] if self.bias_column is not None else [])
        self.merge([(sources, self.result_column)], FadeIn(equals), FadeIn(result_name), copies=True, run_time=1.0)
        show_only(self, self.kv_brackets, self.heads, self.sum_group, result_name)
        self.end_step()

    def sum_terms(self, scale: float) -> tuple[VGroup, VGroup]:
        """The drawn heads' output columns, a ⋯ for each run of heads left out, and what ties them to the heads.

        One row: each column under its head's thumbnail, an arrow between. Rows: the terms in a line, each column
        named above, each ⋯ by the heads it stands for, a brace below saying how many heads the sum adds.
        """
        d, summed = self.data, self.summed_heads()
        terms = VGroup(*[label("⋯", th.LABEL_SIZE, th.DIM) if h is None else
                         VectorColumn(self.head_outputs[h], scale=scale, **SUM_COLUMN,
                                      border_color=th.HIGHLIGHT if h == d.head else WHITE) for h in summed])
        if not self.sum_below():
            for column, thumb in zip(terms, self.thumbnails):
                column.next_to(thumb, DOWN, buff=1.0)
            return terms, VGroup(*[symbol("arrow.b", th.DIM, 28).move_to((c.get_top() + t.get_bottom()) / 2)
                                   for c, t in zip(terms, self.thumbnails)])
        terms.arrange(RIGHT, buff=0.6)  # room for a + between two terms
        top = max(t.get_top()[1] for t in terms)
        names = VGroup()
        for k, (h, term) in enumerate(zip(summed, terms)):
            if h is None:  # under the ⋯, between the + signs
                lines = left_out(summed[k - 1] + 1, summed[k + 1] - 1, self.settings.lang).split("\n")
                name = VGroup(*[label(line, th.SMALL_SIZE, th.DIM) for line in lines]).arrange(DOWN, buff=0.06)
                names.add(fit(name, 1.0).next_to(term, DOWN, buff=0.3))
            else:
                name = label(self.tr("head_name", head=h), th.SMALL_SIZE, th.HIGHLIGHT if h == d.head else th.DIM)
                names.add(fit(name, term.width + 0.3).next_to([term.get_x(), top, 0], UP, buff=0.1))
        every = size_brace(terms, DOWN, self.tr("heads_summed", n=len(self.head_outputs)))
        return terms, VGroup(names, every)

    def show_model_view(self) -> None:
        """Every head of the model: thumbnails of their patterns, or for a big model a head map and a few heads."""
        d, cfg = self.data, self.data.model.config
        self.roles = head_roles(d.trace)
        self.role_labels: dict[tuple[int, int], VMobject] = {}
        self.grid_thumbnails: dict[tuple[int, int], PatternThumbnail] = {}
        size = min(1.1, (TOP - BOTTOM - 0.9) / cfg.n_layer - 0.45, (th.CONTENT_WIDTH - 1.6) / cfg.n_head - 0.15)
        self.head_map: HeadMap | None = None
        if size >= MIN_THUMBNAIL:
            self.show_thumbnail_grid(size)
        else:
            self.show_head_map()

    def show_thumbnail_grid(self, size: float) -> None:
        """One pattern thumbnail per head, layers as rows, each named by its role."""
        d, cfg, roles = self.data, self.data.model.config, self.roles
        rows = Group()
        for L in range(cfg.n_layer):
            cells = Group()
            for h in range(cfg.n_head):
                thumb = PatternThumbnail(d.trace[f"blocks.{L}.attn.hook_pattern"][h], size)
                role = label(self.tr(roles[L][h]), th.SMALL_SIZE * 0.8, th.DIM)
                fit(role, size + 0.1).next_to(thumb, DOWN, buff=0.12)
                self.grid_thumbnails[(L, h)], self.role_labels[(L, h)] = thumb, role
                cells.add(Group(thumb, role))
            cells.arrange(RIGHT, buff=0.15, aligned_edge=UP)  # thumbnails in line whatever their labels' height
            name = label(self.tr("layer_name", layer=L), th.SMALL_SIZE, th.DIM)
            fit(name, 1.2).next_to(cells[0][0], LEFT, buff=0.2)
            rows.add(Group(name, cells))
        rows.arrange(DOWN, buff=0.12, aligned_edge=RIGHT)
        heads = VGroup(*[fit(label(self.tr("head_name", head=h), th.SMALL_SIZE * 0.8, th.DIM), size + 0.1)
                         .next_to(self.grid_thumbnails[(0, h)], UP, buff=0.14)  # clear of the chosen head's frame
                         for h in range(cfg.n_head)])
        self.model_view = Group(heads, rows)
        fit(self.model_view, height=TOP - BOTTOM - 0.1).move_to([0, (TOP + BOTTOM) / 2, 0])
        self.chosen_frame = SurroundingRectangle(self.grid_thumbnails[(d.layer, d.head)], color=th.HIGHLIGHT,
                                                 buff=0.05, stroke_width=4)
        self.show_caption(self.tr("model_view"))
        self.play(*fade_all_but(self))
        self.play(LaggedStart(*[FadeIn(r) for r in rows], lag_ratio=0.2), FadeIn(heads))
        show_only(self, self.model_view)
        self.play(Create(self.chosen_frame))
        self.end_step()
        self.show_caption(self.tr("kinds", share=f"{ROLE_SHARE:.0%}"))
        self.end_step(2)

    def enlarged_heads(self, scores: np.ndarray) -> list[tuple[int, int]]:
        """The chosen head, the best-scoring head of each role found, then the best-scoring heads: N_ENLARGED."""
        d = self.data
        picked = [(d.layer, d.head)]
        by_score = [tuple(int(i) for i in np.unravel_index(k, scores.shape)) for k in np.argsort(-scores, axis=None)]
        for role in ROLE_COLORS:
            best = next((c for c in by_score if self.roles[c[0]][c[1]] == role), None)
            if role != "spread" and best is not None and best not in picked:
                picked.append(best)
        picked += [c for c in by_score if c not in picked]
        return picked[:N_ENLARGED]

    def show_head_map(self) -> None:
        """A big model: every head one cell of a heat map coloured by role, a few heads enlarged beside it."""
        d, cfg = self.data, self.data.model.config
        scores = best_detector_scores(d.trace)
        height = TOP - BOTTOM - 1.6
        width = min(height * cfg.n_head / cfg.n_layer * 2, 6.0)  # cells at most twice as wide as tall
        self.head_map = HeadMap(self.roles, scores, height=height, width=width)
        self.head_map.move_to([-th.FRAME_WIDTH / 2 + th.EDGE + 1.1 + width / 2, (TOP + BOTTOM) / 2 - 0.15, 0])
        cw, ch = self.head_map.cell_size()
        axis = VGroup()
        every = max(1, math.ceil(cfg.n_layer * 0.32 / height))  # layer names at least 0.32 apart
        for L in range(0, cfg.n_layer, every):
            axis.add(label(str(L), th.SMALL_SIZE, th.DIM, mono=True).next_to(self.head_map.cell(L, 0), LEFT,
                                                                             buff=cw / 2 + 0.1))
        every = max(1, math.ceil(cfg.n_head * 0.42 / width))
        for h in range(0, cfg.n_head, every):
            axis.add(label(str(h), th.SMALL_SIZE, th.DIM, mono=True).next_to(self.head_map.cell(0, h), UP,
                                                                             buff=ch / 2 + 0.08))
        layers = label(self.tr("layers_axis"), th.SMALL_SIZE, th.DIM).rotate(math.pi / 2)
        layers.next_to(axis, LEFT, buff=0.15)
        heads = label(self.tr("heads_axis"), th.SMALL_SIZE, th.DIM).next_to(axis, UP, buff=0.1)
        heads.match_x(self.head_map)
        present = [r for r in ROLE_COLORS if any(r in row for row in self.roles)]
        legend = VGroup(*[VGroup(Rectangle(width=0.22, height=0.22, stroke_width=0, fill_opacity=1,
                                           fill_color=ROLE_COLORS[r]), label(self.tr(r), th.SMALL_SIZE, th.DIM))
                          .arrange(RIGHT, buff=0.1) for r in present]).arrange(RIGHT, buff=0.3)
        fit(legend, width + 1.0).next_to(self.head_map, DOWN, buff=0.25).match_x(self.head_map)
        # the enlarged heads, in a column to the right, each named beside it and tied to its cell by a line
        picked = self.enlarged_heads(scores)
        left = self.head_map.get_right()[0] + 1.2
        room = th.FRAME_WIDTH / 2 - th.EDGE - left
        size = min(1.6, (TOP - BOTTOM - 0.2) / len(picked) - 0.15, room / 2)
        enlarged, links, frames = Group(), VGroup(), VGroup()
        for L, h in picked:
            chosen = (L, h) == (d.layer, d.head)
            role = self.roles[L][h]
            colour = th.HIGHLIGHT if chosen else (th.DIM if role == "spread" else ROLE_COLORS[role])
            thumb = PatternThumbnail(d.trace[hooks.attn(L, "pattern")][h], size, colour)
            name = VGroup(*[label(line, th.SMALL_SIZE, colour) for line in
                            self.tr("enlarged", layer=L, head=h, role=self.tr(role)).split("\n")])
            fit(name.arrange(DOWN, buff=0.08, aligned_edge=LEFT), room - size - 0.2)
            self.grid_thumbnails[(L, h)] = thumb
            enlarged.add(Group(thumb, name.next_to(thumb, RIGHT, buff=0.15)))
        enlarged.arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        enlarged.move_to([left, (TOP + BOTTOM) / 2, 0], aligned_edge=LEFT)
        for (L, h), item in zip(picked, enlarged):
            colour = th.HIGHLIGHT if (L, h) == (d.layer, d.head) else th.TEXT
            frame = Rectangle(width=cw, height=ch, stroke_color=colour, stroke_width=2.5).move_to(
                self.head_map.cell(L, h))
            frames.add(frame)
            links.add(Line(frame.get_right(), item[0].get_left(), stroke_color=colour, stroke_width=1.2,
                           stroke_opacity=0.7))
        self.enlarged, self.map_links, self.map_frames = enlarged, links, frames
        self.model_view = Group(self.head_map, axis, layers, heads, legend)
        self.show_caption(self.tr("overview_caption"))
        self.play(*fade_all_but(self))
        self.play(FadeIn(self.model_view))
        self.end_step()
        self.show_caption(self.tr("kinds", share=f"{ROLE_SHARE:.0%}"))
        self.play(Create(frames), Create(links), LaggedStart(*[FadeIn(e) for e in enlarged], lag_ratio=0.2))
        self.chosen_frame = frames[0]
        self.end_step(2)
