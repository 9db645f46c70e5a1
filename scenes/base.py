"""The base class of every scene: theme, data, titles, captions and named steps."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from collections.abc import Sequence

from manim import DOWN, UL, UP, Animation, Camera, FadeIn, FadeOut, Mobject, ReplacementTransform, Scene, VMobject, config
from manim.mobject.types.image_mobject import AbstractImageMobject
from PIL import Image

from scenes import theme as th
from scenes.data import SceneData, scene_data
from scenes.mobjects import fit, label

SLIDES = os.environ.get("GPTMANIM_SLIDES") == "1"
FIGURES = os.environ.get("GPTMANIM_FIGURES")  # folder for a still of every step's end, or unset
SUBTITLES = os.environ.get("GPTMANIM_SUBTITLES")  # folder for <Scene>.srt made of the captions, or unset
if SLIDES:  # each named step becomes one slide of a manim-slides presentation
    from manim_slides import Slide as _Base
else:
    _Base = Scene


class GPTCamera(Camera):
    """Manim's Cairo camera, with a faster way to draw upright images (heat maps, pattern thumbnails).

    Manim warps every image with a perspective transform, pads it to the whole
    frame and blends the whole frame, on every frame: at 1080p that made 24 pattern
    thumbnails most of MultiHeadAttention's render time. An upright image only
    needs resizing and blending where it is. Rotated images go the usual way.
    """

    def display_image_mobject(self, image_mobject: AbstractImageMobject, pixel_array: np.ndarray) -> None:
        corners = self.points_to_subpixel_coords(image_mobject, image_mobject.points)  # UL, UR, DL, DR in pixels
        left, top, right, bottom = (int(v) for v in (*corners[0], *corners[3]))
        xs, ys = corners[[0, 3, 0, 3], 0], corners[[0, 0, 3, 3], 1]  # where an upright image's corners would be
        upright = np.allclose(corners[:, 0], xs) and np.allclose(corners[:, 1], ys)
        if not upright or right <= left or bottom <= top:
            super().display_image_mobject(image_mobject, pixel_array)
            return
        image = Image.fromarray(image_mobject.get_pixel_array()).resize(
            (right - left, bottom - top), resample=image_mobject.resampling_algorithm)
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(right, pixel_array.shape[1]), min(bottom, pixel_array.shape[0])
        if x1 <= x0 or y1 <= y0:  # off the frame
            return
        region = pixel_array[y0:y1, x0:x1]
        image = image.crop((x0 - left, y0 - top, x1 - left, y1 - top))
        region[:] = np.asarray(Image.alpha_composite(Image.fromarray(region), image))


class GPTScene(_Base):
    """A scene that draws one stage of the configured model's real forward pass.

    Subclasses write `construct` as a short story of named steps, each ending
    with `self.end_step()`; `self.data` holds the trace and model.
    """

    data: SceneData

    def __init__(self, **kwargs) -> None:
        super().__init__(camera_class=GPTCamera, **kwargs)

    def setup(self) -> None:
        super().setup()
        # Manim's partial-movie cache hashes every mobject on screen before every play and wait: for grids of
        # numbers that was 40% of AttentionHead's render time, more than re-rendering ever costs.
        config.disable_caching = True
        self.camera.background_color = th.BACKGROUND
        self.data = scene_data()
        self.title_mob: VMobject | None = None
        self.caption_mob: VMobject | None = None
        self.steps_done = 0
        self.captions: list[tuple[float, str]] = []  # (time shown, text) for subtitles

    def get_moving_and_static_mobjects(self, animations) -> tuple[list, list]:
        """Manim's split, with the moving mobjects kept as the roots of their groups, so each frame draws them as they are now.

        Manim lists every family member (each submobject separately) when a
        play starts and draws that list on every frame. A group that swaps a
        submobject during the play (new percentages, a rewritten number) then
        has its old submobject drawn too, under the new one. Listing only the
        roots makes every frame read each group's current submobjects: the same
        mobjects in the same order, minus the ones no longer on screen.
        """
        moving, static = super().get_moving_and_static_mobjects(animations)
        inside = {id(sub) for mob in moving for sub in mob.get_family()[1:]}
        return [mob for mob in moving if id(mob) not in inside], static

    def show_title(self, text: str) -> VMobject:
        """Put (or replace) the title at the top left."""
        new = label(text, th.TITLE_SIZE).to_corner(UL, buff=th.EDGE)
        fit(new, th.CONTENT_WIDTH)
        self.play(FadeIn(new, shift=0.2 * DOWN) if self.title_mob is None else ReplacementTransform(self.title_mob, new))
        self.title_mob = new
        return new

    def merge(self, pairs: Sequence[tuple[Sequence[Mobject], Mobject]], *also: Animation, copies: bool = False,
              run_time: float = 1.2) -> None:
        """Each (sources, target): the sources glide into the target's place and vanish, then the targets appear.

        For sums and products: the numbers of the sources never morph into the
        target's numbers, so no frame shows digits that are neither. With
        `copies` the sources stay where they are and copies of them move.
        """
        moves = [FadeOut(src.copy() if copies else src, target_position=target) for sources, target in pairs
                 for src in sources]
        self.play(*moves, *also, run_time=run_time)
        self.play(*[FadeIn(target) for _, target in pairs], run_time=0.5)

    def show_caption(self, text: str) -> VMobject:
        """Put (or replace) a one-line explanation at the bottom of the frame."""
        new = label(text, th.CAPTION_SIZE, th.DIM).to_edge(DOWN, buff=th.EDGE)
        fit(new, th.CONTENT_WIDTH)
        self.captions.append((self.renderer.time, text))
        if self.caption_mob is None:
            self.play(FadeIn(new, shift=0.1 * UP), run_time=0.6)
        else:  # last in the scene's list, so the renderer redraws only the caption, not everything listed after it
            self.bring_to_front(self.caption_mob)
            self.play(FadeOut(self.caption_mob), FadeIn(new), run_time=0.6)
        self.caption_mob = new
        return new

    def tear_down(self) -> None:
        super().tear_down()
        if SUBTITLES and self.captions:
            from scenes.subtitles import cues_from_captions, to_srt

            folder = Path(SUBTITLES)
            folder.mkdir(parents=True, exist_ok=True)
            cues = cues_from_captions(self.captions, self.renderer.time)
            (folder / f"{type(self).__name__}.srt").write_text(to_srt(cues), encoding="utf-8")

    def end_step(self, pause: float = 1.0) -> None:
        """Close a named step: a pause for the viewer, a still in figure mode, a slide break in slide mode."""
        self.wait(pause)
        self.steps_done += 1
        if FIGURES:
            from scenes.export import save_still

            save_still(self, Path(FIGURES), f"{type(self).__name__}_{self.steps_done:02d}")
        if SLIDES:
            self.next_slide()
