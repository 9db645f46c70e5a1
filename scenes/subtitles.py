"""Subtitles: each scene's narration (or, without one, its captions) as timed SRT cues, and the cues of a whole
video joined."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

Cue = tuple[float, float, str]  # start s, end s, text


def _stamp(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def cues_from_captions(captions: list[tuple[float, str]], end: float) -> list[Cue]:
    """Each caption lasts until the next one starts (the last until the scene ends)."""
    starts = [t for t, _ in captions] + [end]
    return [(t, starts[i + 1], text) for i, (t, text) in enumerate(captions) if starts[i + 1] > t]


def narration_cues(narration: list[tuple[float, str]], end: float, lang: str,
                   step_ends: Sequence[float] = (), voiced: Sequence[float] = ()) -> list[Cue]:
    """Each line's sentences one after another at reading speed, or, where the line is spoken for longer
    (`voiced`: each line's clip in seconds), stretched over its voice; a line's last sentence stays until the end
    of the step that said it (or the next line, or the scene's end), never over the next step's picture."""
    from scenes.narration import reading_seconds, split_cues

    starts, texts, last_of_line, lengths = [], [], [], []
    for n, (start, line) in enumerate(narration):
        t = start
        cues = split_cues(line, lang)
        reading = [reading_seconds(cue, lang) for cue in cues]
        stretch = max(1.0, (voiced[n] if n < len(voiced) else 0.0) / sum(reading))
        for i, cue in enumerate(cues):
            starts.append(t)
            texts.append(cue)
            last_of_line.append(i == len(cues) - 1)
            lengths.append(reading[i] * stretch)
            t += reading[i] * stretch
    ends = [*starts[1:], end]
    for i, (start, last) in enumerate(zip(starts, last_of_line)):
        step_end = next((e for e in step_ends if e >= start + lengths[i] - 1e-6), None)
        if last and step_end is not None:
            ends[i] = min(ends[i], step_end)
    return [(a, max(b, a), text) for a, b, text in zip(starts, ends, texts)]


def to_srt(cues: list[Cue]) -> str:
    return "".join(f"{i}\n{_stamp(a)} --> {_stamp(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1))


def read_srt(path: Path) -> list[Cue]:
    """Parse an SRT file written by to_srt."""
    def seconds(stamp: str) -> float:
        h, m, rest = stamp.split(":")
        s, ms = rest.split(",")
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    cues = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        if len(lines) >= 3:
            a, b = lines[1].split(" --> ")
            cues.append((seconds(a), seconds(b), "\n".join(lines[2:])))
    return cues


def join_srt(parts: list[tuple[Path, float]], target: Path) -> Path:
    """One SRT for a joined video: each part's cues shifted by the start of its video."""
    cues = [(a + offset, b + offset, text) for path, offset in parts if path.exists() for a, b, text in read_srt(path)]
    target.write_text(to_srt(cues), encoding="utf-8")
    return target
