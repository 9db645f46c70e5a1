"""Render scenes inside the test process and compare key frames with stored references.

A scene is rendered like `manim -s` (animations skipped, last frame kept) at
a very low resolution. Golden frames (480p) live in tests/golden/<Scene>[-variant].png;
regenerate them with:

    ./render.sh test --update-golden -k golden
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from manim import Text, tempconfig
from manim.renderer.cairo_renderer import CairoRenderer
from PIL import Image

from scenes.attention_head import MIN_LABEL_PX
from scenes.mobjects.heads import glyph_px
from scenes.settings import Settings

GOLDEN = Path(__file__).parent / "golden"
# The prompts every scene's layout is checked with, besides the default one.
LONG = ("Once upon a time, in a small village by the sea, there lived a kind old fisherman who told the "
        "children stories about the stars, the moon and the big blue whale every night")  # about 40 tokens
ONE_TOKEN = "The"  # one token for the shipped model and for the toy models alike
WIDTH, HEIGHT = 854, 480  # manim wraps Text at the pixel width: test at a real render size (480p)


def shown(value: float, decimals: int = 2) -> str:
    """A number as the scenes print it (true minus sign, none on what rounds to zero)."""
    text = f"{value:.{decimals}f}"
    return (text[1:] if text.startswith("-") and float(text) == 0 else text).replace("-", "−")


def render(scene_cls, settings: Settings, tmp_path: Path, width: int = WIDTH, height: int = HEIGHT,
           animate: bool = False, frame_rate: int = 5):
    """Run a scene's construct with the given settings; return (scene, last frame as RGB array).

    Like `manim -s` (animations skipped) unless `animate`: then every frame is drawn, though none is written.
    """
    with tempconfig({"pixel_width": width, "pixel_height": height, "frame_rate": frame_rate,
                     "media_dir": str(tmp_path / "media"), "save_last_frame": not animate, "write_to_movie": False,
                     "disable_caching": True, "verbosity": "WARNING", "progress_bar": "none"}):
        scene = scene_cls(settings=settings)
        scene.render()
        frame = np.asarray(scene.renderer.camera.get_image().convert("RGB"))
    return scene, frame


@contextmanager
def after_each_frame(callback: Callable[[CairoRenderer, object], None]):
    """Call callback(renderer, scene) right after every animation frame is drawn (inside a render(animate=True))."""
    original = CairoRenderer.render

    def render_and_call(renderer, scene, time, moving_mobjects=None) -> None:
        original(renderer, scene, time, moving_mobjects)
        callback(renderer, scene)

    CairoRenderer.render = render_and_call
    try:
        yield
    finally:
        CairoRenderer.render = original


def frames_at(scene_cls, settings: Settings, tmp_path: Path, times: dict[str, float], frame_rate: int = 5):
    """Render with animations; return (scene, {name: the first frame drawn at or after that many seconds})."""
    frames: dict[str, np.ndarray] = {}

    def grab(renderer, scene) -> None:
        for name, t in times.items():
            if name not in frames and renderer.time >= t:
                frames[name] = np.asarray(renderer.camera.get_image().convert("RGB"))

    with after_each_frame(grab):
        scene, _ = render(scene_cls, settings, tmp_path, animate=True, frame_rate=frame_rate)
    missing = set(times) - set(frames)
    assert not missing, f"{scene_cls.__name__} ended before {sorted(missing)}: the scene got shorter"
    return scene, frames


BLOCK = 12  # pixels: a digit at 480p is about 6 × 9


def frame_difference(want: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    """(share of pixels off by more than 60, worst share of such pixels in any BLOCK × BLOCK tile)."""
    off = np.abs(want.astype(int) - got.astype(int)).max(axis=-1) > 60
    h, w = (off.shape[0] // BLOCK) * BLOCK, (off.shape[1] // BLOCK) * BLOCK
    tiles = off[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).mean(axis=(1, 3))
    return float(off.mean()), float(tiles.max())


def compare_golden(frame: np.ndarray, name: str, update: bool) -> None:
    """Assert the frame looks like tests/golden/<name>.png: under 0.3% of pixels off, and no tile more than 15% off.

    The tile check is what catches a single missing or changed number (a few dozen pixels in one place).
    """
    path = GOLDEN / f"{name}.png"
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(frame).save(path)
        if not update:
            raise AssertionError(f"no golden frame {path.name} yet: wrote it, check it and rerun")
        return
    want = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert want.shape == frame.shape, f"{name}: frame size {frame.shape} != golden {want.shape}"
    off, worst = frame_difference(want, frame)
    if off >= 0.003 or worst > 0.15:
        Image.fromarray(frame).save(path.with_name(f"{name}.actual.png"))
        raise AssertionError(f"{name}: frame differs from golden ({off:.2%} pixels off, worst tile {worst:.0%}); "
                             f"see {path.name[:-4]}.actual.png, or regenerate with --update-golden")


def assert_inside_frame(mobject, margin: float = 0.0) -> None:
    """Every submobject with points lies within the visible frame."""
    from manim import config

    w, h = config.frame_width / 2 - margin, config.frame_height / 2 - margin
    for mob in mobject.family_members_with_points():
        pts = mob.points
        assert np.all(np.abs(pts[:, 0]) <= w + 1e-6) and np.all(np.abs(pts[:, 1]) <= h + 1e-6), \
            f"{type(mob).__name__} leaves the frame: x {pts[:, 0].min():.2f}..{pts[:, 0].max():.2f}, " \
            f"y {pts[:, 1].min():.2f}..{pts[:, 1].max():.2f}"


def visible_texts(scene) -> list:
    """Every Text on screen at the end of the scene (digits inside numbers count as one)."""
    from manim import DecimalNumber, Text

    found, stack = [], list(scene.mobjects)
    while stack:
        mob = stack.pop()
        if isinstance(mob, (Text, DecimalNumber)):
            if mob.get_fill_opacity() > 0.05 and mob.width > 0:
                found.append(mob)
            continue
        stack.extend(mob.submobjects)
    return found


def assert_no_text_overlap(scene, tolerance: float = 0.15) -> None:
    """No two texts on screen cover each other by more than `tolerance` of the smaller one's box."""
    boxes = [(t, t.get_corner(np.array([-1, -1, 0])), t.get_corner(np.array([1, 1, 0]))) for t in visible_texts(scene)]
    for i, (a, a0, a1) in enumerate(boxes):
        for b, b0, b1 in boxes[i + 1:]:
            w = min(a1[0], b1[0]) - max(a0[0], b0[0])
            h = min(a1[1], b1[1]) - max(a0[1], b0[1])
            if w <= 0 or h <= 0:
                continue
            smaller = min((a1 - a0)[0] * (a1 - a0)[1], (b1 - b0)[0] * (b1 - b0)[1])
            assert w * h <= tolerance * smaller, f"texts overlap: {getattr(a, 'text', a)!r} and {getattr(b, 'text', b)!r}"


def check_layout(scene) -> None:
    """Everything inside the frame and no overlapping text."""
    for mob in scene.mobjects:
        assert_inside_frame(mob)
    assert_no_text_overlap(scene)


def check_reading(scene) -> None:
    """Every step says its narration with every placeholder filled; every subtitle cue and every caption stays up
    at least as long as a viewer needs to read it (English 17 characters a second, Japanese 6, at least 1 s)."""
    from scenes.narration import reading_seconds
    from scenes.subtitles import cues_from_captions, narration_cues

    lang, end = scene.settings.lang, scene.renderer.time
    starts = [0.0, *scene.step_ends[:-1]]
    for i, (a, b) in enumerate(zip(starts, scene.step_ends)):
        assert any(a - 1e-6 <= t <= b + 1e-6 for t, _ in scene.narration), f"step {i + 1} says nothing"
    for _, line in scene.narration:
        assert "{" not in line and "}" not in line, f"placeholder left in {line!r}"
    cues = narration_cues(scene.narration, end, lang, scene.step_ends) + cues_from_captions(scene.captions, end)
    for start, stop, text in cues:
        need = reading_seconds(text, lang)
        assert stop - start >= need - 1e-3, f"{text!r} is up {stop - start:.2f} s, needs {need:.2f} s"


class WordsChecked:
    """Mixed into a scene: at each step's end, the words on screen drawn too small to read are kept in `small`."""

    def end_step(self, pause: float = 1.0) -> None:
        self.small = getattr(self, "small", []) + [(self.steps_done + 1, text) for text in small_words(self.mobjects)]
        super().end_step(pause)


_SIZES: dict[tuple, float] = {}


def drawn_size(text: Text) -> float:
    """The font size a Text is drawn at, after any scaling or turning: its glyphs against the same text unscaled."""
    key = (text.original_text, text.font, text._font_size)
    if key not in _SIZES:
        ref = Text(text.original_text, font=text.font, font_size=text._font_size)
        _SIZES[key] = sum(g.width + g.height for g in ref.submobjects)
    return text._font_size * sum(g.width + g.height for g in text.submobjects) / _SIZES[key]


def small_words(mobjects) -> list[str]:
    """The visible words (texts with a letter) whose capitals, or kana, stand under MIN_LABEL_PX tall at 480p."""
    return [t.original_text for mob in mobjects for t in mob.get_family()
            if isinstance(t, Text) and t.submobjects and t.get_fill_opacity() > 0.05
            and any(c.isalpha() for c in t.original_text) and drawn_size(t) * glyph_px(t.font) < MIN_LABEL_PX]
