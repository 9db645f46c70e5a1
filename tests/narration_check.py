"""What a rendered scene said and when: each spoken line matched back to its say_<step> template, and its
subtitles' times."""
from __future__ import annotations

import re
import string

from scenes.i18n import catalogue
from scenes.subtitles import Cue, narration_cues


def _pattern(template: str) -> str:
    """A template as a regular expression: its text literally, each {placeholder} any non-empty text."""
    return "".join(re.escape(text) + ("(.+?)" if field is not None else "")
                   for text, field, _, _ in string.Formatter().parse(template))


def templates(scene) -> dict[str, str]:
    """The say_ templates the scene can use, in its language: its own catalogue's over those of the scenes it
    extends (as GPTScene.tr looks them up)."""
    names = [c.__dict__["catalogue"] for c in type(scene).__mro__ if c.__dict__.get("catalogue")]
    found: dict[str, str] = {}
    for name in reversed(names):
        found.update({k: v for k, v in catalogue(name)[scene.settings.lang].items() if k.startswith("say_")})
    return found


def said_keys(scene) -> list[str]:
    """The key of each line the scene said, in order; every line must match one template, with no placeholder
    left unfilled (of several that match, the one with the most words of its own: a placeholder may stand for
    "3, plus a bias," in the template without the bias)."""
    keys = []
    for _, line in scene.narration:
        assert "{" not in line and "}" not in line, f"placeholder left in {line!r}"
        found = templates(scene)
        matches = [k for k, t in found.items() if re.fullmatch(_pattern(t), line, re.S)]
        literal = {k: len(re.sub(r"\{[^{}]*\}", "", found[k])) for k in matches}
        best = [k for k in matches if literal[k] == max(literal.values())]
        assert len(best) == 1, f"{line!r} matches {matches}"
        keys.append(best[0])
    return keys


def assert_narrated(scene, keys: list[str]) -> None:
    """The scene said exactly these keys (the bridge, then one per step), each step at least one line."""
    assert said_keys(scene) == keys
    times = [t for t, _ in scene.narration]
    assert times == sorted(times)
    assert len(keys) >= scene.steps_done
    starts = [0.0, *scene.step_ends[:-1]]
    for i, (a, b) in enumerate(zip(starts, scene.step_ends)):
        assert any(a - 1e-6 <= t <= b + 1e-6 for t in times), f"step {i + 1} says nothing"


def line(scene, key: str) -> str:
    """The line said for `key` (the first, if several)."""
    keys = said_keys(scene)
    return scene.narration[keys.index(key)][1]


def caption_texts(scene) -> list[str]:
    """The captions the scene showed, each as one line of text (a caption wrapped onto two lines joined again)."""
    joiner = " " if scene.settings.lang == "en" else ""
    return [text.replace("\n", joiner) for _, text in scene.captions]


def said(scene, key: str, **values) -> bool:
    """Whether the scene said the catalogue's line `key` (looked up as the scene does), filled with these values."""
    return scene.tr(key, **values) in [text for _, text in scene.narration]


def subtitles(scene) -> list[Cue]:
    """The scene's subtitle cues (start, end, text), timed as its .srt file has them."""
    return narration_cues(scene.narration, scene.renderer.time, scene.settings.lang, scene.step_ends, scene.voiced)


def unsubtitled(scene, tolerance: float = 1e-3) -> list[tuple[float, float]]:
    """The stretches of the scene, from its first frame to its last, with no subtitle up."""
    gaps, covered = [], 0.0
    for start, end, _ in sorted(subtitles(scene)):
        if start > covered + tolerance:
            gaps.append((covered, start))
        covered = max(covered, end)
    if scene.renderer.time > covered + tolerance:
        gaps.append((covered, scene.renderer.time))
    return gaps


def subtitle_at(scene, t: float) -> str:
    """The subtitle up at time t ("" if none)."""
    return next((text for start, end, text in subtitles(scene) if start - 1e-6 <= t < end), "")
