"""Chat: a chat script as the model reads it, role markers as chips; the model as a box, and the text it writes."""
from __future__ import annotations

from collections.abc import Sequence

from manim import RoundedRectangle, VGroup, VMobject

from scenes import theme as th
from scenes.i18n import breaks_anywhere, font_for, japanese_pieces
from scenes.mobjects.text import fit, label, line_text, text_width
from scenes.mobjects.tokens import TokenText


class ChatTranscript(VGroup):
    """A chat script as the model reads it: role markers as coloured chips, the turns' text wrapped between them.

    A newline in a text starts a new line. `markers` holds the chips, `texts` the text pieces.

    Parameters
    ----------
    segments : sequence of (text, is_marker)
        In order, e.g. from gptmath.chat.split_markers.
    max_width : float
        Width of a line.
    font_size : float
        Size of the text.
    line_height : float, optional
        Distance between lines (default: from the font size).

    Examples
    --------
    >>> chat = ChatTranscript([("<|user|>", True), ("Tell me a story.", False), ("<|end|>", True)], max_width=8)
    """

    ROLE_COLORS = {"system": th.TEXT, "user": th.KEY, "assistant": th.QUERY, "end": th.DIM}

    def __init__(self, segments: Sequence[tuple[str, bool]], max_width: float = 9.0, font_size: float = th.SMALL_SIZE,
                 line_height: float | None = None) -> None:
        super().__init__()
        self.markers, self.texts, self.lines = VGroup(), VGroup(), VGroup()
        self.font_size, self.max_width = font_size, max_width
        self.line_height = line_height or font_size / 48 * 0.75 + 0.22
        self.x, self.line = 0.0, VGroup()
        for text, is_marker in segments:
            if is_marker:
                self._place(self._chip(text), 0.0, self.markers)
                continue
            for n, paragraph in enumerate(text.split("\n")):
                if n > 0:
                    self._new_line()
                self._flow(paragraph)
        self._new_line()
        self.add(self.lines)
        del self.x, self.line

    def _flow(self, text: str) -> None:
        """Words of `text` (Japanese: `japanese_pieces`) onto the current line, as long runs as fit, then onto new
        lines.

        How many pieces fit is estimated from each piece's width (measured once per piece), then checked on the
        run's own text: one text made per line, not one per piece tried.
        """
        pieces, joiner = (japanese_pieces(text), "") if breaks_anywhere(text) else (text.split(" "), " ")
        while pieces:
            n = self._pieces_that_fit(pieces, joiner)
            made = line_text(joiner.join(pieces[:n]), self.font_size)
            while n > 1 and self.x + made[0].width > self.max_width:  # the estimate was a little generous
                n -= 1
                made = line_text(joiner.join(pieces[:n]), self.font_size)
            if made[0].text.strip():
                self._place(*made, self.texts)
            pieces = pieces[n:]
            if pieces:
                self._new_line()

    def _pieces_that_fit(self, pieces: list[str], joiner: str) -> int:
        """How many of `pieces` (at least one) the rest of the current line holds, by estimated widths."""
        face = font_for(joiner.join(pieces))
        gap = text_width(f"x{joiner}x", self.font_size, face) - text_width("xx", self.font_size, face)
        x = self.x + text_width(pieces[0], self.font_size, face)
        for n, piece in enumerate(pieces[1:], start=1):
            x += gap + (text_width("x" + piece, self.font_size, face) - text_width("x", self.font_size, face))
            if x > self.max_width:
                return n
        return len(pieces)

    def _place(self, mob: VMobject, offset: float, group: VGroup) -> None:
        """Put mob at the cursor, its line middle on the current line's middle."""
        gap = 0.1 if len(self.line) else 0.0
        if len(self.line) and self.x + gap + mob.width > self.max_width:
            self._new_line()
            gap = 0.0
        y = -len(self.lines) * self.line_height
        mob.move_to([self.x + gap + mob.width / 2, y + offset, 0])
        self.x += gap + mob.width
        self.line.add(mob)
        group.add(mob)

    def _new_line(self) -> None:
        if len(self.line):
            self.lines.add(self.line)
        self.x, self.line = 0.0, VGroup()

    def _chip(self, marker: str) -> VGroup:
        role = marker.strip("<|>")
        color = self.ROLE_COLORS.get(role, th.HIGHLIGHT)
        text = label(marker, self.font_size * 0.85, color, mono=True)
        box = RoundedRectangle(corner_radius=0.05, width=text.width + 0.14, height=self.line_height * 0.8,
                               stroke_color=color, stroke_width=1.5, fill_color=color, fill_opacity=0.18)
        chip = VGroup(box, text.move_to(box))
        chip.role = role
        return chip


def continued_text(prompt: Sequence[str], new: Sequence[str], max_width: float,
                   font_size: float = th.LABEL_SIZE - 2, max_lines: int = 4, prompt_color=th.TEXT) -> TokenText:
    """A prompt's tokens followed by the tokens the model wrote, those highlighted.

    Parameters
    ----------
    prompt, new : sequence of str
        The prompt's tokens and the generated ones.
    max_width, font_size, max_lines
        As for TokenText.
    prompt_color : ManimColor
        The prompt's colour.

    Examples
    --------
    >>> text = continued_text(["Once", " upon"], [" a", " time"], max_width=6)
    """
    colors = [prompt_color] * len(prompt) + [th.HIGHLIGHT] * len(new)
    return TokenText([*prompt, *new], max_width=max_width, colors=colors, font_size=font_size, max_lines=max_lines)


class ModelBox(VGroup):
    """The model as one box, named inside: what reads the text and gives the next token's probabilities.

    Parameters
    ----------
    text : str
        The model's name and shape.
    max_width : float
        The name shrinks to fit this width.
    color : ManimColor
        The box's outline and, faintly, its fill.

    Examples
    --------
    >>> box = ModelBox("tinytales · 4 layers · 4 heads")
    """

    def __init__(self, text: str, max_width: float = 4.6, color=th.KEY) -> None:
        super().__init__()
        name = fit(label(text, th.SMALL_SIZE), max_width)
        self.box = RoundedRectangle(corner_radius=0.15, width=name.width + 0.5, height=0.9, stroke_color=color,
                                    fill_color=color, fill_opacity=0.15)
        self.add(self.box, name)
