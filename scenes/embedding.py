"""Scene: token ids pick columns of the embedding matrix, and the position vector is added to each."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from manim import DOWN, UP, Create, LaggedStart, Line, SurroundingRectangle, TransformFromCopy, VGroup, VMobject, Write

from gptmath import hooks
from gptmath.params import parameter_tally

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut, MoveScale
from scenes.base import GPTScene, wrap
from scenes.i18n import font_for, tr
from scenes.mobjects import MatrixWithEllipses, VectorColumn, elide, fit, label, text_width, token_header

T = "embedding"  # this module's catalogue: scenes/locales/embedding.toml

MAX_SLOTS = 9  # vectors side by side; longer prompts show their first and last tokens around "…"
ROW_LABEL_WIDTH = 3.2
ROW_LABEL_SIZE = th.SMALL_SIZE + 2  # the same for every row
SLOTS_LEFT, SLOTS_RIGHT = -3.4, 5.6  # x range of the vector columns (the last one's brace and size go beyond)
# The addition as written by hand: token vectors, position vectors under them, a rule, their sums under it.
HEADER_Y, TOKEN_Y, POSITION_Y, SUM_Y = 2.6, 1.45, -0.45, -2.1
INDEX_Y = 0.5  # the positions' numbers, over the position vectors
RULE_Y = (POSITION_Y + SUM_Y) / 2  # the line under the addends
HEADER_SIZE = th.SMALL_SIZE + 2  # the tokens' text over their vectors (scenes.mobjects.token_header)
VECTOR_ENTRIES = 3  # entries drawn per vector: the first two, ⋮, the last
NOTES_BOTTOM = -3.0  # lowest the matrix's notes go, above the caption
MATRIX_COLS = 7  # columns of W_E drawn, "⋯" included
MATRIX_CELL = 0.8  # the width of a column of W_E, before the matrix is scaled up


def header_notes(names: list[str], n_tokens: int, V: int, lang: str, cut: Sequence[str] = ()) -> list[str]:
    """What the matrix's shortened headers stand for: special tokens, tokens cut short (`cut`) and the padding
    rows no token stands for."""
    notes = [tr(T, "short_token", lang, short=th.SHORT_TOKENS[n], full=n)
             for n in dict.fromkeys(names) if n in th.SHORT_TOKENS]
    if cut:
        notes.append(tr(T, "cut_note", lang, tokens=", ".join(dict.fromkeys(cut))))
    if V > n_tokens:
        notes.append(tr(T, "unused_note", lang, unused=tr(T, "unused", lang), first=f"{n_tokens:,}", last=f"{V - 1:,}",
                        n=f"{n_tokens:,}"))
    return notes


def column_label(name: str, width: float) -> str:
    """A token as a column's header: whole when it fits `width` at the small size, else cut short with "…" (a
    little shorter, so that cut headers do not touch)."""
    text = th.show_spaces(name)
    if text_width(text, th.SMALL_SIZE, font_for(text)) <= width:
        return text
    while len(text) > 2 and text_width(text, th.SMALL_SIZE, font_for(text)) > 0.85 * width:
        text = text[:-2] + "…"
    return text


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
        if look.learned_positions:
            self.add_positions(matrix, columns)
        else:
            self.point_to_rotary(matrix, columns)
        self.sum_vectors(look.learned_positions, columns)

    def layout(self) -> EmbeddingLayout:
        """Which columns and positions are drawn, where, and the one colour scale of every vector."""
        trace = self.data.trace
        learned = hooks.POS_EMBED in trace
        positions = elide(trace.n_positions, MAX_SLOTS // 2, last=MAX_SLOTS - 1 - MAX_SLOTS // 2, up_to=MAX_SLOTS)
        shown = [p for p in positions if p is not None]
        drawn = [trace[hooks.EMBED][shown], trace[hooks.resid(0, "pre")][shown]] + \
            ([trace[hooks.POS_EMBED][shown]] if learned else [])
        names = [label(th.show_spaces(self.data.tokens[p]) or " ", HEADER_SIZE).width for p in shown]  # wide slots
        slot = min(max(1.3, max(names) / 0.95), (SLOTS_RIGHT - SLOTS_LEFT) / len(positions))  # for long tokens
        centre = (SLOTS_LEFT + SLOTS_RIGHT) / 2
        xs = [centre + slot * (j - (len(positions) - 1) / 2) for j in range(len(positions))]
        V = self.data.model.weights.embedding.shape[0]
        scale = float(np.abs(np.concatenate(drawn)).max()) or 1.0
        return EmbeddingLayout(elide(V, MATRIX_COLS - 1, up_to=MATRIX_COLS), positions, xs, slot, scale, learned)

    def show_matrix(self, cols: list[int | None]) -> tuple[MatrixWithEllipses, list[VMobject]]:
        """W_E drawn as d rows × V columns, one labelled column per vocabulary token; returns it and its notes."""
        model = self.data.model
        V, d = model.weights.embedding.shape
        n_tokens = model.tokenizer.get_vocab_size()  # rows from here on pad the matrix: no token stands for them
        ids = [c for c in cols if c is not None]
        names = [self.tr("unused") if c >= n_tokens else name for c, name in zip(ids, model.token_strings(ids))]
        labels = [column_label(n, MATRIX_CELL * 1.05) for n in names]  # as MatrixWithEllipses fits them
        cut = [th.show_spaces(n) for n, text in zip(names, labels) if text != th.show_spaces(n)]
        shown_labels = iter(labels)
        col_labels = [next(shown_labels) if c is not None else "" for c in cols]
        matrix = MatrixWithEllipses(model.weights.embedding.T, n_rows=6, n_cols=MATRIX_COLS, decimals=2,
                                    col_labels=col_labels, row_name=self.tr("rows"), col_name=self.tr("cols"),
                                    cell_width=MATRIX_CELL)
        matrix.scale(1.15).move_to(0.3 * UP)
        n = next(g.count for g in parameter_tally(model.config) if g.kind == "token_embedding")
        params = label(self.tr("params", d=f"{d:,}", v=f"{V:,}", n=f"{n:,}"), th.LABEL_SIZE, th.HIGHLIGHT)
        params.next_to(matrix, DOWN, buff=0.45)
        notes = VGroup(*[label(note, th.SMALL_SIZE, th.DIM)
                         for note in header_notes(names, n_tokens, V, self.settings.lang, cut)]).arrange(DOWN)
        fit(notes).next_to(params, DOWN, buff=0.25)
        overflow = NOTES_BOTTOM - notes.get_bottom()[1]  # two notes: lift the picture off the caption
        if overflow > 0:
            VGroup(matrix, params, notes).shift(overflow * UP)
        self.say("say_bridge_embedding")
        self.say("say_show_matrix", d=f"{d:,}", v=f"{V:,}", n=f"{n:,}")
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
            vec = VectorColumn(values, n_shown=VECTOR_ENTRIES, scale=look.scale, cell_width=min(0.8, look.slot * 0.7),
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
        """The matrix shrinks to the left, its coloured boxes only, and each prompt token's column leaves it to stand
        under the token."""
        width = ROW_LABEL_WIDTH + 0.1  # the matrix shrinks to the row labels' column, level with the token vectors
        corner = [-th.FRAME_WIDTH / 2 + th.EDGE + width / 2, TOKEN_Y, 0]
        last = self.data.trace.n_positions - 1
        self.say("say_pull_out_columns", token=th.show_spaces(self.data.tokens[last]), id=self.data.ids[last])
        self.show_caption(self.tr("pull_caption"))
        text = matrix.take_out_text()
        self.add(text)  # the same pieces, in place, until they fade: too small to read once the matrix shrinks
        self.play(*[FadeOut(m) for m in notes], FadeOut(text))
        self.play(MoveScale(matrix, width / matrix.width, corner))
        hidden = cols.index(None) if None in cols else len(cols) - 1  # the pulled columns lie somewhere under "⋯"
        ghost = SurroundingRectangle(VGroup(*matrix.grid[hidden::len(cols)]), color=th.HIGHLIGHT, buff=0.02)
        slots = VGroup(*[SurroundingRectangle(v, color=th.HIGHLIGHT, buff=0.04) for v in columns.token_vectors])
        self.play(FadeIn(columns.headers), FadeIn(ghost))
        self.play(LaggedStart(*[TransformFromCopy(ghost, slot) for slot in slots], lag_ratio=0.15), run_time=2)
        self.play(FadeIn(columns.token_vectors), FadeOut(slots), FadeOut(ghost))
        self.end_step()

    def row_label(self, key: str, y: float) -> VMobject:
        mob = label(self.tr(key), ROW_LABEL_SIZE)
        fit(mob, ROW_LABEL_WIDTH)
        return mob.move_to([-th.FRAME_WIDTH / 2 + th.EDGE + mob.width / 2, y, 0])

    def add_positions(self, matrix: MatrixWithEllipses, columns: Columns) -> None:
        """The position embedding of each position, written under its token's vector, in place of the matrix."""
        token_row, position_row = self.row_label("token_row", TOKEN_Y), self.row_label("position_row", POSITION_Y)
        cfg = self.data.model.config
        self.say("say_add_positions", n_ctx=f"{cfg.n_ctx:,}")
        self.show_caption(self.tr("position_caption", n_ctx=f"{cfg.n_ctx:,}", d=f"{cfg.d_model:,}"))
        self.play(FadeOut(matrix))  # then the row's name in its place: texts never cross-fade on one spot
        self.play(FadeIn(token_row), FadeIn(position_row), FadeIn(columns.indices),
                  LaggedStart(*[FadeIn(v, shift=0.3 * UP) for v in columns.position_vectors], lag_ratio=0.1))
        self.end_step()

    def point_to_rotary(self, matrix: MatrixWithEllipses, columns: Columns) -> None:
        """A model with rotary positions adds nothing here: a note in the position row says where position enters."""
        cfg = self.data.model.config
        text, width = self.tr("rotary_note"), SLOTS_RIGHT - SLOTS_LEFT
        lines = wrap(text, self.settings.lang, lambda line: text_width(line, th.SMALL_SIZE, font_for(text)) <= width)
        note = label("\n".join(lines), th.SMALL_SIZE, th.DIM, face=font_for(text))
        note.move_to([(SLOTS_LEFT + SLOTS_RIGHT) / 2, POSITION_Y, 0])
        token_row, position_row = self.row_label("token_row", TOKEN_Y), self.row_label("no_position_row", POSITION_Y)
        key = "rotary_caption" if cfg.rotary_dims == cfg.d_head else "rotary_partial_caption"
        self.say("say_point_to_rotary")
        self.show_caption(self.tr(key, r=cfg.rotary_dims, dh=cfg.d_head))
        self.play(FadeOut(matrix))
        self.play(FadeIn(token_row), FadeIn(position_row), FadeIn(note), FadeIn(columns.indices))
        self.end_step()

    def sum_vectors(self, learned_positions: bool, columns: Columns) -> None:
        """Under a rule, each token vector plus its position vector: copies of both glide into their sum, the first
        residual vector, and stay where they are (without a position embedding, the token vector alone)."""
        cfg = self.data.model.config
        sum_label = self.row_label("sum_row" if learned_positions else "same_row", SUM_Y)
        ends = columns.token_vectors[0].get_left()[0], columns.token_vectors[-1].brackets.get_right()[0]
        rule = Line([ends[0], RULE_Y, 0], [ends[1], RULE_Y, 0], color=th.DIM, stroke_width=2)
        addends = zip(columns.token_vectors, columns.position_vectors) if learned_positions else \
            ((t,) for t in columns.token_vectors)
        rotary = "" if learned_positions else "_rotary"
        self.say(f"say_sum_vectors{rotary}", d=f"{cfg.d_model:,}", layers=cfg.n_layer)
        self.show_caption(self.tr("sum_caption" if learned_positions else "same_caption"))
        self.play(Create(rule), FadeIn(sum_label))
        self.merge([(a, s) for a, s in zip(addends, columns.residuals)], copies=True)
        self.end_step(2)
