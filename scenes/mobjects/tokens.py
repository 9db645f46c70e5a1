"""Tokens: the prompt as boxed tokens with ids, and tokens as running coloured text."""
from __future__ import annotations

from collections.abc import Sequence

from manim import DOWN, LEFT, RIGHT, UP, Line, RoundedRectangle, VGroup, VMobject

from scenes import theme as th
from scenes.i18n import NO_LINE_START, font_for
from scenes.mobjects.text import fit, label, line_text, text_width


class TokenRow(VGroup):
    """The prompt's tokens as coloured boxes, whitespace made visible, ids beneath.

    Wraps onto several lines to fit `max_width`; beyond `max_lines` the middle
    tokens are replaced by one "…" box, and `shown_indices` says which stayed.

    Parameters
    ----------
    tokens : sequence of str
        The token strings, in order.
    ids : sequence of int, optional
        Their ids, written beneath each box.
    max_width : float
        Width of a line before the row wraps.
    font_size : float
        Size of the token text.
    max_lines : int
        Lines at most; longer rows elide their middle.
    line_buff : float
        Gap between lines.
    id_size : float, optional
        Size of the ids (default: 0.7 of `font_size`).

    Examples
    --------
    >>> row = TokenRow(["Once", " upon", " a", " time"], ids=[7454, 2402, 257, 640])
    """

    def __init__(self, tokens: Sequence[str], ids: Sequence[int] | None = None, max_width: float = th.CONTENT_WIDTH,
                 font_size: float = th.LABEL_SIZE, max_lines: int = 3, line_buff: float = 0.25,
                 id_size: float | None = None) -> None:
        super().__init__()
        self.tokens, self.ids = list(tokens), list(ids) if ids is not None else None
        self.id_size = id_size if id_size is not None else font_size * 0.7
        cells = [self._cell(i, font_size) for i in range(len(self.tokens))]
        lines = self._wrap(cells, max_width)
        if len(lines) > max_lines:
            cells, lines = self._elided(cells, max_width, max_lines, font_size)
        self.cells = VGroup(*[c for c in cells])
        self.lines = VGroup(*[VGroup(*line).arrange(RIGHT, buff=0.06, aligned_edge=UP) for line in lines])
        self.lines.arrange(DOWN, buff=line_buff, aligned_edge=LEFT)
        self.add(self.lines)

    def _cell(self, i: int, font_size: float) -> VGroup:
        shown = th.show_spaces(self.tokens[i]) or " "
        text, ink_up = line_text(shown, font_size)
        id_mob = label(str(self.ids[i]), self.id_size, th.DIM, mono=True) if self.ids is not None else None
        width = max(text.width, id_mob.width if id_mob else 0) + 0.16
        box = RoundedRectangle(corner_radius=0.06, width=width, height=font_size / 48 * 0.75 + 0.1,
                               stroke_color=th.token_color(i), stroke_width=2, fill_color=th.token_color(i),
                               fill_opacity=0.25)
        text.move_to(box).shift(UP * ink_up)  # centre the line, not the ink: baselines line up
        cell = VGroup(box, text)
        cell.index, cell.box, cell.text = i, box, text
        if id_mob is not None:
            cell.id_mob = id_mob.next_to(box, DOWN, buff=0.08)
            cell.add(cell.id_mob)
        return cell

    @staticmethod
    def _wrap(cells: list[VGroup], max_width: float) -> list[list[VGroup]]:
        lines, width = [[]], 0.0
        for cell in cells:
            if lines[-1] and width + cell.width + 0.06 > max_width:
                lines.append([])
                width = 0.0
            lines[-1].append(cell)
            width += cell.width + 0.06
        return lines

    def _elided(self, cells, max_width, max_lines, font_size):
        """Keep tokens from both ends so that, with a … box between, max_lines lines suffice."""
        dots = VGroup(label("…", font_size, th.DIM))
        dots.index = None
        keep = len(cells)
        while keep > 2:
            keep -= 1
            head, tail = cells[:(keep + 1) // 2], cells[len(cells) - keep // 2:]
            lines = self._wrap([*head, dots, *tail], max_width)
            if len(lines) <= max_lines:
                return [*head, dots, *tail], lines
        return [cells[0], dots, cells[-1]], self._wrap([cells[0], dots, cells[-1]], max_width)

    @property
    def shown_indices(self) -> list[int]:
        return [c.index for c in self.cells if c.index is not None]

    def cell(self, index: int) -> VGroup:
        """The drawn cell of token `index` (must be shown)."""
        return next(c for c in self.cells if c.index == index)

    def runs(self, first: int, last: int) -> list[list[VGroup]]:
        """The shown cells of tokens first..last, split where the row wraps onto a new line."""
        return [[c for c in line if c.index is not None and first <= c.index <= last] for line in self.lines
                if any(c.index is not None and first <= c.index <= last for c in line)]


class TokenText(VGroup):
    """Tokens as running text wrapped to `max_width`, each token in its own colour (e.g. prompt vs generated).

    Newlines show as ↵. Beyond `max_lines` only the last lines stay, the first starting with "…".
    `token_mobs[i]` is the drawn glyphs of token i (for shown tokens), `shown_indices` says which.

    Parameters
    ----------
    tokens : sequence of str
        The token strings, in order.
    max_width : float
        Width of a line.
    colors : sequence of ManimColor, optional
        One colour per token (default: all in the text colour).
    font_size : float
        Size of the text.
    max_lines : int, optional
        Keep only the last lines.
    line_buff : float
        Gap between lines.

    Examples
    --------
    >>> text = TokenText(["Once", " upon", " a", " time", ","], max_width=6, colors=[th.TEXT] * 3 + [th.QUERY] * 2)
    """

    def __init__(self, tokens: Sequence[str], max_width: float, colors: Sequence | None = None,
                 font_size: float = th.LABEL_SIZE, max_lines: int | None = None, line_buff: float = 0.18) -> None:
        super().__init__()
        self.tokens = list(tokens)
        shown = [th.show_spaces(t).replace("␣", " ") for t in self.tokens]
        colors = list(colors) if colors is not None else [th.TEXT] * len(shown)
        face = font_for("".join(shown))  # one font for every line, so the widths measured are the widths drawn
        lines = wrapped_tokens(shown, max_width, font_size, face)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[-max_lines:]
        self.shown_indices = [i for line in lines for i in line]
        self.token_mobs: dict[int, VGroup] = {}
        self.lines = VGroup(*[self._line(line, n == 0 and self.shown_indices[0] > 0, shown, colors, font_size, face)
                              for n, line in enumerate(lines)])
        self.lines.arrange(DOWN, buff=line_buff, aligned_edge=LEFT)
        self.add(self.lines)

    def _line(self, line: list[int], cut: bool, shown: list[str], colors: list, font_size: float, face: str) -> VMobject:
        """One line of the text (opening with a dim "…" where earlier lines were `cut`), each token's glyphs in its
        colour and kept in `token_mobs`."""
        prefix = "…" if cut else ""
        texts = [shown[i].lstrip(" ") if k == 0 else shown[i] for k, i in enumerate(line)]
        mob = label(prefix + "".join(texts), font_size, face=face, disable_ligatures=True)
        if prefix:
            mob[0].set_color(th.DIM)
        at = len(prefix)
        for i, text in zip(line, texts):
            self.token_mobs[i] = VGroup(*mob[at:at + len(text)]).set_color(colors[i])
            at += len(text)
        return mob


def wrapped_tokens(shown: list[str], max_width: float, font_size: float, face: str) -> list[list[int]]:
    """The tokens' indices line by line, wrapped to `max_width` by estimated widths (one long Text would itself be
    wrapped by Pango at the frame's pixel width). Lines break before a token that starts with a space, so words
    split into several tokens stay whole."""
    space = text_width("x x", font_size, face) - text_width("xx", font_size, face)
    words = [t.lstrip(" ") for t in shown]
    advance = [text_width("x" + w, font_size, face) - text_width("x", font_size, face) if w else 0.0 for w in words]
    lead = [space * (len(t) - len(w)) for t, w in zip(shown, words)]
    lines: list[list[int]] = [[]]
    for i in range(len(shown)):
        line = lines[-1]
        if line and words[i] and sum(lead[j] + advance[j] for j in line[1:]) + advance[line[0]] \
                + lead[i] + advance[i] > max_width:
            starts = [k for k, j in enumerate(line) if k > 0 and lead[j] > 0]
            if starts and not lead[i]:
                cut = starts[-1]  # mid-word: carry the word's start over
            elif words[i][0] in NO_LINE_START and len(line) > 1:
                cut = len(line) - 1  # 「、」 never begins a line: the token before it moves down with it
                while cut > 1 and words[line[cut]][:1] in NO_LINE_START:
                    cut -= 1
            else:
                cut = len(line)
            lines[-1:] = [line[:cut], line[cut:]]
        lines[-1].append(i)
    return lines


def token_header(text: str, token_id: int, index: int, max_width: float) -> VGroup:
    """A token as text in its colour with its id beneath, on a line of its own height: a comma sits low, as in text.
    The text shrinks to `max_width` if it must; the id keeps its size.

    Examples
    --------
    >>> header = token_header(" cat", 3797, index=1, max_width=1.2)
    """
    name, _ = line_text(th.show_spaces(text) or " ", th.SMALL_SIZE + 2, th.token_color(index), keep_strut=True)
    id_mob = label(str(token_id), th.NUMBER_SIZE, th.DIM, mono=True)  # never shrunk: digits stay readable
    fit(name, max_width)
    return VGroup(name, id_mob).arrange(DOWN, buff=0.06)


def token_slots(row: TokenRow, chosen: int, height: float = 0.4) -> VGroup:
    """A box above each shown token of a row, the chosen token's highlighted: one copy of a block per position.

    Examples
    --------
    >>> boxes = token_slots(TokenRow(["The", " cat", " sat"], max_lines=1), chosen=2)
    """
    boxes = VGroup()
    for cell in row.cells:
        if cell.index is None:
            continue
        mine = cell.index == chosen
        boxes.add(RoundedRectangle(corner_radius=0.06, width=cell.width, height=height,
                                   stroke_color=th.HIGHLIGHT if mine else th.DIM, stroke_width=3 if mine else 1.5,
                                   fill_color=th.HIGHLIGHT, fill_opacity=0.3 if mine else 0.08)
                  .next_to(cell, UP, buff=0.15))
    return boxes


class SpanBracket(VGroup):
    """A line under tokens first..last of a TokenRow, one segment per line of the row, and a text beneath the first:
    e.g. the character whose UTF-8 bytes those tokens share.

    Parameters
    ----------
    row : TokenRow
        The row, placed where it is drawn; tokens `first` and `last` must be shown.
    first, last : int
        The first and last token bracketed.
    text : str
        Written under the bracket.
    color : ManimColor
        Colour of the line and the text.

    Examples
    --------
    >>> row = TokenRow(["A", " caf", "<c3>", "<a9>"], max_lines=1)
    >>> bracket = SpanBracket(row, 2, 3, "é")
    """

    def __init__(self, row: TokenRow, first: int, last: int, text: str, color=th.HIGHLIGHT) -> None:
        super().__init__()
        self.segments = VGroup()
        for run in row.runs(first, last):
            y = min(c.get_bottom()[1] for c in run) - 0.08
            self.segments.add(Line([run[0].get_left()[0] + 0.03, y, 0], [run[-1].get_right()[0] - 0.03, y, 0],
                                   color=color, stroke_width=3))
        self.text = label(text, th.SMALL_SIZE, color).next_to(self.segments[0], DOWN, buff=0.05)
        self.add(self.segments, self.text)
