"""The base class of every scene: theme, data, titles, captions and named steps."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from manim import DOWN, UL, UP, Camera, FadeIn, FadeOut, ReplacementTransform, Scene, VMobject, config
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
    """Manim's Cairo camera, but an image (a heat map, a pattern thumbnail) is blended into the frame only where it is.

    Manim pads every image to the whole frame and blends all of it, on every frame:
    at 1080p that made 24 pattern thumbnails most of MultiHeadAttention's render time.
    Blending just the image's bounding box gives the same pixels about 3x faster.
    """

    def overlay_PIL_image(self, pixel_array: np.ndarray, image: Image.Image) -> None:
        box = image.getbbox()  # where the padded, frame-sized image has any pixel
        if box is None:
            return
        x0, y0, x1, y1 = box
        region = pixel_array[y0:y1, x0:x1]
        region[:] = np.asarray(Image.alpha_composite(Image.fromarray(region), image.crop(box)))


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

    def show_title(self, text: str) -> VMobject:
        """Put (or replace) the title at the top left."""
        new = label(text, th.TITLE_SIZE).to_corner(UL, buff=th.EDGE)
        fit(new, th.CONTENT_WIDTH)
        self.play(FadeIn(new, shift=0.2 * DOWN) if self.title_mob is None else ReplacementTransform(self.title_mob, new))
        self.title_mob = new
        return new

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
