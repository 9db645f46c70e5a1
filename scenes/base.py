"""The base class of every scene: theme, data, titles, captions and named steps."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from manim import DOWN, UL, UP, Animation, Mobject, ReplacementTransform, VMobject

from gptmath import GptMathError
from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.data import SceneData, scene_data
from scenes.i18n import catalogue, tr
from scenes.mobjects import fit, label
from scenes.render_speed import FastScene
from scenes.settings import Settings, load_settings


class GPTScene(FastScene):
    """A scene that draws one stage of the real forward pass its settings ask for.

    Subclasses write `construct` as a short story of named steps, each ending
    with `self.end_step()`; `self.data` holds the trace and model. Without
    `settings` (manim making the scene itself) they come from the environment.
    `catalogue` names the scene's words (scenes/locales/<catalogue>.toml): `self.tr("key")`.

        scene = Tokenization(settings=Settings(prompt="The cat sat"))
        scene.render()
    """

    data: SceneData
    catalogue: str = ""

    def __init__(self, *args, settings: Settings | None = None, **kwargs) -> None:
        self.settings = (settings if settings is not None else load_settings(os.environ)).check()
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        super().setup()
        self.camera.ink = th.ink(self.settings.theme)
        self.camera.background_color = th.BACKGROUND if self.camera.ink is None else \
            th.ManimColor(self.camera.ink.rgb(np.array(th.BACKGROUND.to_rgb())))
        self.data = scene_data(self.settings)
        self.title_mob: VMobject | None = None
        self.caption_mob: VMobject | None = None
        self.steps_done = 0
        self.captions: list[tuple[float, str]] = []  # (time shown, text) for subtitles

    def tr(self, key: str, **values) -> str:
        """The scene's words in the settings' language: from scenes/locales/<catalogue>.toml, or, for a scene
        that extends another (Chat extends Generation), from the catalogue of the scene it extends."""
        names = [c.__dict__["catalogue"] for c in type(self).__mro__ if "catalogue" in c.__dict__]
        name = next((n for n in names if key in catalogue(n)[self.settings.lang]), names[0])
        return tr(name, key, self.settings.lang, **values)

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
        if self.settings.output.subtitles and self.captions:
            from scenes.subtitles import cues_from_captions, to_srt

            folder = Path(self.settings.output.subtitles)
            folder.mkdir(parents=True, exist_ok=True)
            cues = cues_from_captions(self.captions, self.renderer.time)
            (folder / f"{type(self).__name__}.srt").write_text(to_srt(cues), encoding="utf-8")

    def end_step(self, pause: float = 1.0) -> None:
        """Close a named step: a pause for the viewer, a still in figure mode, a slide break in slide mode."""
        self.wait(pause)
        self.steps_done += 1
        if self.settings.output.figures:
            from scenes.export import save_still

            save_still(self, Path(self.settings.output.figures), f"{type(self).__name__}_{self.steps_done:02d}")
        if self.settings.output.slides:
            if not hasattr(self, "next_slide"):
                raise GptMathError("slides need the scene as a manim-slides Slide: render them with --slides")
            self.next_slide()  # the scene class is a manim-slides Slide (scenes.slides.slide_module)
