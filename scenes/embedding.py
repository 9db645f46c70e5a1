"""Scene: token ids pick columns of the embedding matrix, and the position vector is added."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import DOWN, UP, LaggedStart, SurroundingRectangle, TransformFromCopy, VGroup, VMobject, Write

from gptmath import hooks
from gptmath.params import parameter_tally

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut, MoveScale
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import MatrixWithEllipses, VectorColumn, elide, fit, label, token_header

T = "embedding"  # this module's catalogue: scenes/locales/embedding.toml

MAX_SLOTS = 9  # vectors side by side; longer prompts show their first and last tokens around "…"
ROW_LABEL_WIDTH = 3.0
SLOTS_LEFT, SLOTS_RIGHT = -3.4, 5.6  # x range of the vector columns (the last one's brace and size go beyond)
HEADER_Y, TOKEN_Y, POSITION_Y, SUM_Y = 2.55, 1.15, -1.35, -0.1
INDEX_Y = POSITION_Y - 1.25  # the positions' numbers
NOTES_BOTTOM = -3.15  # lowest the matrix's notes go, above the caption
MATRIX_COLS = 7  # columns of W_E drawn, "⋯" included


def header_notes(names: list[str], n_tokens: int, V: int, lang: str) -> list[str]:
    """What the matrix's shortened headers stand for: special tokens, and the padding rows no token stands for."""
    notes = [tr(T, "short_token", lang, short=th.SHORT_TOKENS[n], full=n)
             for n in dict.fromkeys(names) if n in th.SHORT_TOKENS]
    if V > n_tokens:
        notes.append(tr(T, "unused_note", lang, unused=tr(T, "unused", lang), first=f"{n_tokens:,}", last=f"{V - 1:,}",
                        n=f"{n_tokens:,}"))
    return notes


@dataclass(frozen=True)
class EmbeddingLayout:
    """Which columns of the matrix and which positions of the prompt are drawn, and where."""

    matrix_cols: list[int | None]  # the matrix's columns drawn (None: the "⋯" column)
    positions: list[int | None]  # the prompt's positions drawn side by side (None: the "…" between)
    xs: list[float]  # the x of each drawn position
    slot: float  # the width of one position's slot
    scale: float  # the magnitude drawn brightest, shared by every vector so that colours compare
    learned_positions: bool  # False for rotary models: no position vector is added here


@dataclass(frozen=True)
class Columns:
    """Per drawn position, one entry in each group (a "…" where positions are skipped)."""

    headers: VGroup  # the token and its id
    token_vectors: VGroup
    position_vectors: VGroup  # empty without learned positions
    residuals: VGroup  # their sum, the first residual vectors
    indices: VGroup  # the position's number


@dataclass(frozen=True)
class RowLabels:
    """The labels left of the rows of vectors."""

    token: VMobject
    position: VMobject
    note: VMobject | None = None  # rotary models: where position enters instead


class Embedding(GPTScene):
    """The embedding matrix, each token's column pulled out, the position vector added (or, for rotary models,
    where position enters instead).

    Steps keep what the tests check as attributes (matrix, token_vectors, ...); no step reads another's.
    """

    catalogue = T

    def construct(self) -> None:
        look = self.layout()
        self.positions, self.matrix_cols = look.positions, look.matrix_cols  # the tests check these
        self.learned_positions = look.learned_positions
        self.show_title(self.tr("title"))
        matrix, notes = self.show_matrix(look.matrix_cols)
        columns = self.vector_columns(look)
        self.pull_out_columns(look.matrix_cols, matrix, notes, columns)
        rows = self.add_positions(matrix, columns) if look.learned_positions else self.point_to_rotary(matrix, columns)
        self.sum_vectors(look.learned_positions, columns, rows)

    def layout(self) -> EmbeddingLayout:
        """Which columns and positions are drawn, where, and the one colour scale of every vector."""
        trace = self.data.trace
        learned = hooks.POS_EMBED in trace
        positions = elide(trace.n_positions, MAX_SLOTS // 2, last=MAX_SLOTS - 1 - MAX_SLOTS // 2, up_to=MAX_SLOTS)
        shown = [p for p in positions if p is not None]
        drawn = [trace[hooks.EMBED][shown], trace[hooks.resid(0, "pre")][shown]] + \
            ([trace[hooks.POS_EMBED][shown]] if learned else [])
        slot = min(1.3, (SLOTS_RIGHT - SLOTS_LEFT) / len(positions))
        centre = (SLOTS_LEFT + SLOTS_RIGHT) / 2
        xs = [centre + slot * (j - (len(positions) - 1) / 2) for j in range(len(positions))]
        V = self.data.model.weights.W_E.shape[0]
        scale = float(np.abs(np.concatenate(drawn)).max()) or 1.0
        return EmbeddingLayout(elide(V, MATRIX_COLS - 1, up_to=MATRIX_COLS), positions, xs, slot, scale, learned)

    def show_matrix(self, cols: list[int | None]) -> tuple[MatrixWithEllipses, list[VMobject]]:
        """W_E drawn as d rows × V columns, one labelled column per vocabulary token; returns it and its notes."""
        model = self.data.model
        V, d = model.weights.W_E.shape
        n_tokens = model.tokenizer.get_vocab_size()  # rows from here on pad the matrix: no token stands for them
        ids = [c for c in cols if c is not None]
        names = [self.tr("unused") if c >= n_tokens else name for c, name in zip(ids, model.token_strings(ids))]
        shown_names = iter(names)
        col_labels = [th.show_spaces(next(shown_names)) if c is not None else "" for c in cols]
        matrix = MatrixWithEllipses(model.weights.W_E.T, n_rows=6, n_cols=MATRIX_COLS, decimals=2,
                                    col_labels=col_labels, row_name=self.tr("rows"), col_name=self.tr("cols"),
                                    cell_width=0.76)
        matrix.scale(1.15).move_to(0.3 * UP)
        n = next(g.count for g in parameter_tally(model.config) if g.kind == "token_embedding")
        params = label(self.tr("params", d=f"{d:,}", v=f"{V:,}", n=f"{n:,}"), th.LABEL_SIZE, th.HIGHLIGHT)
        params.next_to(matrix, DOWN, buff=0.45)
        notes = VGroup(*[label(note, th.SMALL_SIZE, th.DIM)
                         for note in header_notes(names, n_tokens, V, self.settings.lang)]).arrange(DOWN)
        fit(notes).next_to(params, DOWN, buff=0.25)
        overflow = NOTES_BOTTOM - notes.get_bottom()[1]  # two notes: lift the picture off the caption
        if overflow > 0:
            VGroup(matrix, params, notes).shift(overflow * UP)
        self.show_caption(self.tr("matrix_caption", d=f"{d:,}", v=f"{V:,}"))
        self.play(FadeIn(matrix), FadeIn(notes))
        self.play(Write(params))
        self.end_step()
        self.matrix, self.params_mob, self.short_notes = matrix, params, notes
        return matrix, [params, notes]

    def vector_columns(self, look: EmbeddingLayout) -> Columns:
        """Each drawn position's header, token vector, position vector (if learned), their sum and number."""
        trace = self.data.trace
        tok, resid = trace[hooks.EMBED], trace[hooks.resid(0, "pre")]
        pos = trace[hooks.POS_EMBED] if look.learned_positions else None

        def column(values: np.ndarray, j: int, y: float) -> VectorColumn:
            vec = VectorColumn(values, n_shown=4, scale=look.scale, cell_width=min(0.8, look.slot * 0.7),
                               cell_height=0.3, font_size=th.NUMBER_SIZE - 2, show_dimension=j == len(look.xs) - 1)
            return vec.shift([look.xs[j] - vec.brackets.get_center()[0], y - vec.get_center()[1], 0])

        c = Columns(VGroup(), VGroup(), VGroup(), VGroup(), VGroup())
        for j, p in enumerate(look.positions):
            if p is None:
                rows = [(c.headers, HEADER_Y), (c.token_vectors, TOKEN_Y), (c.residuals, SUM_Y), (c.indices, INDEX_Y)]
                for group, y in rows + ([(c.position_vectors, POSITION_Y)] if pos is not None else []):
                    group.add(VGroup(label("…", th.LABEL_SIZE, th.DIM).move_to([look.xs[j], y, 0])))
                continue
            header = token_header(self.data.tokens[p], self.data.ids[p], p, look.slot * 0.95)
            c.headers.add(header.move_to([look.xs[j], HEADER_Y, 0]))
            c.token_vectors.add(column(tok[p], j, TOKEN_Y))
            if pos is not None:
                c.position_vectors.add(column(pos[p], j, POSITION_Y))
            c.residuals.add(column(resid[p], j, SUM_Y))
            c.indices.add(label(str(p), th.NUMBER_SIZE, th.DIM, mono=True).move_to([look.xs[j], INDEX_Y, 0]))
        self.headers, self.token_vectors, self.position_vectors, self.residuals = \
            c.headers, c.token_vectors, c.position_vectors, c.residuals
        return c

    def pull_out_columns(self, cols: list[int | None], matrix: MatrixWithEllipses, notes: list[VMobject],
                         columns: Columns) -> None:
        """The matrix shrinks to the left and each prompt token's column leaves it to stand under the token."""
        width = ROW_LABEL_WIDTH + 0.3  # the matrix shrinks to the row labels' column, level with the token vectors
        corner = [-th.FRAME_WIDTH / 2 + th.EDGE + width / 2, TOKEN_Y, 0]
        self.show_caption(self.tr("pull_caption"))
        self.play(*[FadeOut(m) for m in notes], MoveScale(matrix, width / matrix.width, corner))
        hidden = cols.index(None) if None in cols else len(cols) - 1  # the pulled columns lie somewhere under "⋯"
        ghost = SurroundingRectangle(VGroup(*matrix.grid[hidden::len(cols)]), color=th.HIGHLIGHT, buff=0.02)
        slots = VGroup(*[SurroundingRectangle(v, color=th.HIGHLIGHT, buff=0.04) for v in columns.token_vectors])
        self.play(FadeIn(columns.headers), FadeIn(ghost))
        self.play(LaggedStart(*[TransformFromCopy(ghost, slot) for slot in slots], lag_ratio=0.15), run_time=2)
        self.play(FadeIn(columns.token_vectors), FadeOut(slots), FadeOut(ghost))
        self.end_step()

    def row_label(self, key: str, y: float) -> VMobject:
        mob = label(self.tr(key), th.LABEL_SIZE)
        fit(mob, ROW_LABEL_WIDTH)
        return mob.move_to([-th.FRAME_WIDTH / 2 + th.EDGE + mob.width / 2, y, 0])

    def add_positions(self, matrix: MatrixWithEllipses, columns: Columns) -> RowLabels:
        """The position embedding of each position, written under its token's vector, in place of the matrix."""
        rows = RowLabels(self.row_label("token_row", TOKEN_Y), self.row_label("position_row", POSITION_Y))
        cfg = self.data.model.config
        self.show_caption(self.tr("position_caption", n_ctx=f"{cfg.n_ctx:,}", d=f"{cfg.d_model:,}"))
        self.play(FadeOut(matrix), FadeIn(rows.token))
        self.play(FadeIn(rows.position),
                  LaggedStart(*[FadeIn(v, shift=0.3 * UP) for v in columns.position_vectors], lag_ratio=0.1),
                  FadeIn(columns.indices))
        self.end_step()
        return rows

    def point_to_rotary(self, matrix: MatrixWithEllipses, columns: Columns) -> RowLabels:
        """A model with rotary positions adds nothing here: a note in the position row says where position enters."""
        cfg = self.data.model.config
        note = label(self.tr("rotary_note"), th.LABEL_SIZE, th.DIM)
        fit(note, SLOTS_RIGHT - SLOTS_LEFT).move_to([(SLOTS_LEFT + SLOTS_RIGHT) / 2, POSITION_Y, 0])
        rows = RowLabels(self.row_label("token_row", TOKEN_Y), self.row_label("no_position_row", POSITION_Y), note)
        key = "rotary_caption" if cfg.rotary_dims == cfg.d_head else "rotary_partial_caption"
        self.show_caption(self.tr(key, r=cfg.rotary_dims, dh=cfg.d_head))
        self.play(FadeOut(matrix), FadeIn(rows.token))
        self.play(FadeIn(rows.position), FadeIn(note), FadeIn(columns.indices))
        self.end_step()
        return rows

    def sum_vectors(self, learned_positions: bool, columns: Columns, rows: RowLabels) -> None:
        """Token and position vectors merge into their sum, the first residual vectors (token vectors alone when
        the model has no position embedding)."""
        sum_label = self.row_label("sum_row" if learned_positions else "same_row", SUM_Y)
        addends = zip(columns.token_vectors, columns.position_vectors) if learned_positions else \
            ((t,) for t in columns.token_vectors)
        also = [FadeOut(rows.note)] if rows.note is not None else []
        self.show_caption(self.tr("sum_caption" if learned_positions else "same_caption"))
        self.merge([(a, s) for a, s in zip(addends, columns.residuals)],
                   FadeOut(rows.token), FadeOut(rows.position), FadeIn(sum_label), *also,
                   MoveScale(columns.indices, 1.0, columns.indices.get_center() + (SUM_Y - POSITION_Y) * UP))
        self.end_step(2)
