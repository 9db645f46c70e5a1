"""Scenes: token ids pick columns of the embedding matrix; embeddings as points in space."""
from __future__ import annotations

import math

import numpy as np
from manim import (
    DL, DOWN, DR, LEFT, ORIGIN, RIGHT, UL, UP, UR, Create, Dot, LaggedStart, Line, Rectangle,
    SurroundingRectangle, TransformFromCopy, ValueTracker, VGroup, Write, linear,
)

from gptmath.embedding_space import (
    direction_scores, nearest_neighbours, principal_components, rotate_view, single_token_ids, vocabulary_words,
)
from gptmath import hooks
from gptmath.params import parameter_tally

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut, MoveScale
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import MatrixWithEllipses, VectorColumn, elide, fit, label, line_text, number

T = "embedding"  # this module's catalogue: scenes/locales/embedding.toml

MAX_SLOTS = 9  # vectors side by side; longer prompts show their first and last tokens around "…"
ROW_LABEL_WIDTH = 3.0
SLOTS_LEFT, SLOTS_RIGHT = -3.4, 5.6  # x range of the vector columns (the last one's brace and size go beyond)
TOKEN_Y, POSITION_Y, SUM_Y = 1.15, -1.35, -0.1
NOTES_BOTTOM = -3.15  # lowest the matrix's notes go, above the caption

# The cloud's word groups and the direction's word pairs come from the language's catalogue (words_0.. and
# direction/direction_pairs in scenes/locales/embedding.toml: "|" between words, "/" inside a pair); words the
# tokenizer splits into several tokens are left out, and the scene says how many words it shows.
N_GROUPS = 4


def cloud_groups(lang: str) -> list[list[str]]:
    return [tr(T, f"words_{g}", lang).split("|") for g in range(N_GROUPS)]


def direction_pairs(lang: str) -> list[tuple[str, str]]:
    """The main pair (e.g. " she", " he") first, then the pairs placed along its direction."""
    return [tuple(pair.split("/")) for pair in [tr(T, "direction", lang), *tr(T, "direction_pairs", lang).split("|")]]


CLOUD_CENTRE = np.array([-3.3, -0.3, 0.0])
PANEL_WIDTH = 5.6  # the text beside the cloud
MIN_WORDS = 8  # fewer single-token words than this: use whole-word tokens of the vocabulary instead
N_NEIGHBOURS = 6


def header_notes(names: list[str], n_tokens: int, V: int, lang: str) -> list[str]:
    """What the matrix's shortened headers stand for: special tokens, and the padding rows no token stands for."""
    notes = [tr(T, "short_token", lang, short=th.SHORT_TOKENS[n], full=n)
             for n in dict.fromkeys(names) if n in th.SHORT_TOKENS]
    if V > n_tokens:
        notes.append(tr(T, "unused_note", lang, unused=tr(T, "unused", lang), first=f"{n_tokens:,}", last=f"{V - 1:,}",
                        n=f"{n_tokens:,}"))
    return notes


def token_header(text: str, token_id: int, index: int, max_width: float) -> VGroup:
    """A token as text in its colour with its id beneath, on a line of its own height: a comma sits low, as in text."""
    name, _ = line_text(th.show_spaces(text) or " ", th.SMALL_SIZE + 2, th.token_color(index), keep_strut=True)
    id_mob = label(str(token_id), th.NUMBER_SIZE - 2, th.DIM, mono=True)
    header = VGroup(name, id_mob).arrange(DOWN, buff=0.06)
    fit(header, max_width)
    return header


class Embedding(GPTScene):
    """The embedding matrix, each token's column pulled out, the position vector added (or, for rotary models,
    where position enters instead)."""

    catalogue = T

    def construct(self) -> None:
        self.learned_positions = hooks.POS_EMBED in self.data.trace  # rotary models add no position vector here
        self.show_title(self.tr("title"))
        self.show_matrix()
        self.pull_out_columns()
        if self.learned_positions:
            self.add_positions()
        else:
            self.point_to_rotary()
        self.sum_vectors()

    def show_matrix(self) -> None:
        """W_E drawn as d rows × V columns, one labelled column per vocabulary token."""
        model = self.data.model
        W_E = model.weights.W_E  # [V, d]
        V, d = W_E.shape
        self.matrix_cols = cols = elide(V, 6, up_to=7)
        n_tokens = model.tokenizer.get_vocab_size()  # rows from here on pad the matrix: no token stands for them
        ids = [c for c in cols if c is not None]
        names = [self.tr("unused") if c >= n_tokens else name for c, name in zip(ids, model.token_strings(ids))]
        shown_names = iter(names)
        col_labels = [th.show_spaces(next(shown_names)) if c is not None else "" for c in cols]
        self.matrix = MatrixWithEllipses(W_E.T, n_rows=6, n_cols=7, decimals=2, col_labels=col_labels,
                                         row_name=self.tr("rows"), col_name=self.tr("cols"), cell_width=0.76)
        self.matrix.scale(1.15).move_to(0.3 * UP)
        n = next(g.count for g in parameter_tally(model.config) if g.kind == "token_embedding")
        self.params_mob = label(self.tr("params", d=f"{d:,}", v=f"{V:,}", n=f"{n:,}"), th.LABEL_SIZE, th.HIGHLIGHT)
        self.params_mob.next_to(self.matrix, DOWN, buff=0.45)
        self.short_notes = VGroup(*[label(note, th.SMALL_SIZE, th.DIM)
                                    for note in header_notes(names, n_tokens, V, self.settings.lang)]).arrange(DOWN)
        fit(self.short_notes).next_to(self.params_mob, DOWN, buff=0.25)
        overflow = NOTES_BOTTOM - self.short_notes.get_bottom()[1]  # two notes: lift the picture off the caption
        if overflow > 0:
            VGroup(self.matrix, self.params_mob, self.short_notes).shift(overflow * UP)
        self.show_caption(self.tr("matrix_caption", d=f"{d:,}", v=f"{V:,}"))
        self.play(FadeIn(self.matrix), FadeIn(self.short_notes))
        self.play(Write(self.params_mob))
        self.end_step()

    def pull_out_columns(self) -> None:
        """Each prompt token's column leaves the matrix and stands under the token."""
        trace = self.data.trace
        self.positions = elide(trace.n_positions, MAX_SLOTS // 2, last=MAX_SLOTS - 1 - MAX_SLOTS // 2, up_to=MAX_SLOTS)
        shown = [p for p in self.positions if p is not None]
        tok, resid = trace[hooks.EMBED], trace[hooks.resid(0, "pre")]
        pos = trace[hooks.POS_EMBED] if self.learned_positions else None
        drawn = [tok[shown], resid[shown]] + ([pos[shown]] if pos is not None else [])
        scale = float(np.abs(np.concatenate(drawn)).max()) or 1.0
        slot = min(1.3, (SLOTS_RIGHT - SLOTS_LEFT) / len(self.positions))
        centre = (SLOTS_LEFT + SLOTS_RIGHT) / 2
        xs = [centre + slot * (j - (len(self.positions) - 1) / 2) for j in range(len(self.positions))]
        last = len(self.positions) - 1

        def column(values: np.ndarray, j: int, y: float) -> VectorColumn:
            vec = VectorColumn(values, n_shown=4, scale=scale, cell_width=min(0.8, slot * 0.7), cell_height=0.3,
                               font_size=th.NUMBER_SIZE - 2, show_dimension=j == last)
            return vec.shift([xs[j] - vec.brackets.get_center()[0], y - vec.get_center()[1], 0])

        def dots(y: float, j: int) -> VGroup:
            return VGroup(label("…", th.LABEL_SIZE, th.DIM).move_to([xs[j], y, 0]))

        self.headers, self.token_vectors, self.position_vectors, self.residuals = VGroup(), VGroup(), VGroup(), VGroup()
        self.position_labels = VGroup()
        for j, p in enumerate(self.positions):
            if p is None:
                for group, y in ((self.headers, 2.55), (self.token_vectors, TOKEN_Y), (self.residuals, SUM_Y),
                                 (self.position_labels, POSITION_Y - 1.25)):
                    group.add(dots(y, j))
                if pos is not None:
                    self.position_vectors.add(dots(POSITION_Y, j))
                continue
            self.headers.add(token_header(self.data.tokens[p], self.data.ids[p], p, slot * 0.95).move_to([xs[j], 2.55, 0]))
            self.token_vectors.add(column(tok[p], j, TOKEN_Y))
            if pos is not None:
                self.position_vectors.add(column(pos[p], j, POSITION_Y))
            self.residuals.add(column(resid[p], j, SUM_Y))
            self.position_labels.add(label(str(p), th.NUMBER_SIZE, th.DIM, mono=True).move_to([xs[j], POSITION_Y - 1.25, 0]))

        width = ROW_LABEL_WIDTH + 0.3  # the matrix shrinks to the row labels' column, level with the token vectors
        corner = [-th.FRAME_WIDTH / 2 + th.EDGE + width / 2, TOKEN_Y, 0]
        self.show_caption(self.tr("pull_caption"))
        self.play(FadeOut(self.params_mob), FadeOut(self.short_notes),
                  MoveScale(self.matrix, width / self.matrix.width, corner))
        cols = self.matrix_cols  # the pulled columns lie somewhere under the "⋯" column
        hidden = cols.index(None) if None in cols else len(cols) - 1
        ghost = SurroundingRectangle(VGroup(*self.matrix.grid[hidden::len(cols)]), color=th.HIGHLIGHT, buff=0.02)
        slots = VGroup(*[SurroundingRectangle(v, color=th.HIGHLIGHT, buff=0.04) for v in self.token_vectors])
        self.play(FadeIn(self.headers), FadeIn(ghost))
        self.play(LaggedStart(*[TransformFromCopy(ghost, slot) for slot in slots], lag_ratio=0.15), run_time=2)
        self.play(FadeIn(self.token_vectors), FadeOut(slots), FadeOut(ghost))
        self.end_step()

    def row_label(self, key: str, y: float) -> VGroup:
        mob = label(self.tr(key), th.LABEL_SIZE)
        fit(mob, ROW_LABEL_WIDTH)
        return mob.move_to([-th.FRAME_WIDTH / 2 + th.EDGE + mob.width / 2, y, 0])

    def add_positions(self) -> None:
        """The position embedding of each position, written under its token's vector."""
        self.token_label = self.row_label("token_row", TOKEN_Y)
        self.position_label = self.row_label("position_row", POSITION_Y)
        cfg = self.data.model.config
        self.show_caption(self.tr("position_caption", n_ctx=f"{cfg.n_ctx:,}", d=f"{cfg.d_model:,}"))
        self.play(FadeOut(self.matrix), FadeIn(self.token_label))
        self.play(FadeIn(self.position_label),
                  LaggedStart(*[FadeIn(v, shift=0.3 * UP) for v in self.position_vectors], lag_ratio=0.1),
                  FadeIn(self.position_labels))
        self.end_step()

    def point_to_rotary(self) -> None:
        """A model with rotary positions adds nothing here: a note in the position row says where position enters."""
        self.token_label = self.row_label("token_row", TOKEN_Y)
        self.position_label = self.row_label("no_position_row", POSITION_Y)
        cfg = self.data.model.config
        self.rotary_note = label(self.tr("rotary_note"), th.LABEL_SIZE, th.DIM)
        fit(self.rotary_note, SLOTS_RIGHT - SLOTS_LEFT).move_to([(SLOTS_LEFT + SLOTS_RIGHT) / 2, POSITION_Y, 0])
        key = "rotary_caption" if cfg.rotary_dims == cfg.d_head else "rotary_partial_caption"
        self.show_caption(self.tr(key, r=cfg.rotary_dims, dh=cfg.d_head))
        self.play(FadeOut(self.matrix), FadeIn(self.token_label))
        self.play(FadeIn(self.position_label), FadeIn(self.rotary_note), FadeIn(self.position_labels))
        self.end_step()

    def sum_vectors(self) -> None:
        """Token and position vectors merge into their sum, the first residual vectors (token vectors alone when
        the model has no position embedding)."""
        self.sum_label = self.row_label("sum_row" if self.learned_positions else "same_row", SUM_Y)
        addends = zip(self.token_vectors, self.position_vectors) if self.learned_positions else \
            ((t,) for t in self.token_vectors)
        also = [FadeOut(self.rotary_note)] if not self.learned_positions else []
        self.show_caption(self.tr("sum_caption" if self.learned_positions else "same_caption"))
        self.merge([(a, s) for a, s in zip(addends, self.residuals)],
                   FadeOut(self.token_label), FadeOut(self.position_label), FadeIn(self.sum_label), *also,
                   MoveScale(self.position_labels, 1.0, self.position_labels.get_center() + (SUM_Y - POSITION_Y) * UP))
        self.end_step(2)
