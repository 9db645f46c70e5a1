"""The base class of every scene: theme, data, titles, captions and named steps."""
from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from manim import DOWN, UL, UP, Animation, Mobject, ReplacementTransform, VMobject, config

from gptmath import GptMathError
from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.data import SceneData, scene_data
from scenes.i18n import catalogue, font_for, japanese_pieces, tr
from scenes.mobjects import fit, label, text_width
from scenes.narration import reading_seconds, split_cues
from scenes.render_speed import FastScene
from scenes.settings import Settings, load_settings
from scenes.voice import PAUSE, Clip, Narrator, default_cache, recordings_of, speech_service


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
        self.captions: list[tuple[float, str]] = []  # (time shown, text) of the on-screen captions
        self.narration: list[tuple[float, str]] = []  # (time said, line) of each step's narration: the subtitles
        self.said_by = 0.0  # when the narration said so far has been read at reading speed
        self.caption_read_by = 0.0  # when the caption on screen has been read
        self.step_ends: list[float] = []  # when each named step ended
        self.voiced: list[float] = []  # how long each line of the narration is spoken (0: silent)
        self.script: list[dict] = []  # each line said: step, file name of its recording, text, clip
        out = self.settings.output
        folder = Path(out.narration_dir) if out.narration_dir else None
        self.narrator = Narrator(speech_service(out.voice, Path(out.voice_cache or default_cache())),
                                 recordings_of(folder, self.settings.lang, type(self).__name__))

    @classmethod
    def catalogues(cls) -> list[str]:
        """The catalogues the scene's words come from: its own, then those of the scenes it extends."""
        return [c.__dict__["catalogue"] for c in cls.__mro__ if c.__dict__.get("catalogue")]

    @classmethod
    def narration_keys(cls, lang: str) -> set[str]:
        """Every say_ key the scene may say (recordings are named after them)."""
        return {k for name in cls.catalogues() for k in catalogue(name)[lang] if k.startswith("say_")}

    def tr(self, key: str, **values) -> str:
        """The scene's words in the settings' language: from scenes/locales/<catalogue>.toml, or, for a scene
        that extends another (Chat extends Generation), from the catalogue of the scene it extends."""
        names = self.catalogues()
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

    def say(self, key: str, /, **values) -> str:
        """The step's narration (`key` of the catalogue, filled with real values): spoken (a recording or the
        --voice), and its sentences become the subtitles; the step lasts until they have been read and the
        voice has finished (plus a short pause), never cutting it off. The words said before are finished first,
        so that the drawing after `say` appears as its words begin."""
        line = self.tr(key, **values)
        self.wait_until(self.said_by)  # what is drawn next goes with these words, not with those still being said
        start = max(self.renderer.time, self.said_by)
        name = f"{self.steps_done + 1:02d}_{key.removeprefix('say_')}"  # the file name of its recording
        clip = self.narrator.clip(name, line, self.settings.lang)
        if clip is not None:
            self.add_sound(str(clip.path), time_offset=start - self.renderer.time)
        self.narration.append((start, line))
        self.voiced.append(clip.seconds if clip else 0.0)
        self.script.append(script_entry(self.steps_done + 1, name, line, clip, start))
        reading = sum(reading_seconds(cue, self.settings.lang) for cue in split_cues(line, self.settings.lang))
        self.said_by = start + max(reading, clip.seconds + PAUSE if clip else 0.0)
        return line

    def show_caption(self, text: str) -> VMobject:
        """Put (or replace) the on-screen caption at the bottom of the frame, in pages of at most two lines.

        The caption it replaces stays until it has been read, then fades out before the new one fades in; a
        text too long for two lines shows page by page, each for as long as it takes to read.
        """
        pages = caption_pages(text, self.settings.lang)
        for page in pages:
            self.wait_until(self.caption_read_by)
            new = label(page, th.CAPTION_SIZE, th.DIM).to_edge(DOWN, buff=th.EDGE)
            self.captions.append((self.renderer.time, page))
            if self.caption_mob is not None:  # last in the scene's list: the renderer redraws only the caption
                self.bring_to_front(self.caption_mob)
                self.play(FadeOut(self.caption_mob), run_time=0.3)
            self.play(FadeIn(new, shift=0.1 * UP) if self.caption_mob is None else FadeIn(new), run_time=0.3)
            self.caption_mob = new
            self.caption_read_by = self.renderer.time + reading_seconds(page, self.settings.lang)
        return self.caption_mob

    def caption_out(self) -> list[Animation]:
        """Once the caption on screen has been read, its fade-out, to play with the drawing it describes leaving;
        [] when there is none. The next caption then fades in on its own."""
        if self.caption_mob is None:
            return []
        self.wait_until(self.caption_read_by)
        caption, self.caption_mob = self.caption_mob, None
        return [FadeOut(caption)]

    def still_to_read(self) -> float:
        """Seconds until the caption on screen and the narration said so far have been read."""
        return max(0.0, max(self.said_by, self.caption_read_by) - self.renderer.time)

    def wait_until(self, t: float) -> None:
        """Hold the frame until time t, to the next whole frame (a video's waits are whole frames, rounded down)."""
        if t > self.renderer.time + 1e-6:
            fps = config.frame_rate
            self.wait(math.ceil((t - self.renderer.time) * fps - 1e-6) / fps + 1e-6)

    def tear_down(self) -> None:
        super().tear_down()
        writer = getattr(self.renderer, "file_writer", None)
        if writer is not None and not self.renderer.skip_animations and (self.settings.output.sound or
                                                                          writer.includes_sound):
            from pydub import AudioSegment

            writer.add_audio_segment(AudioSegment.silent(0), time=self.renderer.time)  # as long as the picture
        if self.settings.output.script:
            self.write_script(Path(self.settings.output.script) / f"{type(self).__name__}.json")
        if self.settings.output.subtitles and (self.narration or self.captions):
            from scenes.subtitles import cues_from_captions, narration_cues, to_srt

            folder = Path(self.settings.output.subtitles)
            folder.mkdir(parents=True, exist_ok=True)
            end = self.renderer.time
            cues = narration_cues(self.narration, end, self.settings.lang, self.step_ends, self.voiced) \
                if self.narration else cues_from_captions(self.captions, end)
            (folder / f"{type(self).__name__}.srt").write_text(to_srt(cues), encoding="utf-8")

    def write_script(self, path: Path) -> None:
        """What the scene said, for out/narration.md and the slides' notes: each line with its step, file name,
        clip and start; when each step ended; the recordings no step used; what synthesis cost."""
        service = self.narrator.service
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "scene": type(self).__name__, "lines": self.script, "seconds": self.renderer.time,
            "step_ends": self.step_ends, "unused": sorted(set(self.narrator.recordings) - self.narrator.used),
            "synthesised": service.synthesised if service else 0,
            "synthesis_seconds": service.seconds if service else 0.0,
        }, ensure_ascii=False, indent=1), encoding="utf-8")

    def end_step(self, pause: float = 1.0) -> None:
        """Close a named step: a pause for the viewer (longer while its words are still being read), a still in
        figure mode, a slide break in slide mode."""
        self.wait_until(max(self.said_by, self.caption_read_by, self.renderer.time + pause))
        self.steps_done += 1
        self.step_ends.append(self.renderer.time)
        if self.settings.output.figures:
            from scenes.export import save_still

            save_still(self, Path(self.settings.output.figures), f"{type(self).__name__}_{self.steps_done:02d}")
        if self.settings.output.slides:
            if not hasattr(self, "next_slide"):
                raise GptMathError("slides need the scene as a manim-slides Slide: render them with --slides")
            self.next_slide()  # the scene class is a manim-slides Slide (scenes.slides.slide_module)


def script_entry(step: int, name: str, text: str, clip: Clip | None, start: float) -> dict:
    """One line of the script as out/narration.md lists it, and when the scene says it."""
    return {"step": step, "name": name, "text": text, "seconds": clip.seconds if clip else None,
            "source": clip.source if clip else None, "start": start}


def caption_pages(text: str, lang: str, width: float = th.CONTENT_WIDTH, size: float = th.CAPTION_SIZE) -> list[str]:
    """A caption as pages of at most two lines that fit `width` at the caption size, never smaller: sentences
    (split_cues) wrapped at spaces (at any character in Japanese), two lines a page."""
    face = font_for(text)
    if text_width(text, size, face) <= width:
        return [text]
    pages = []
    for cue in split_cues(text, lang):
        lines = wrap(cue, lang, lambda line: text_width(line, size, face) <= width)
        pages += ["\n".join(lines[i:i + 2]) for i in range(0, len(lines), 2)]
    return pages


def wrap(text: str, lang: str, fits) -> list[str]:
    """Greedy lines of `text` for which fits(line) holds: words joined by spaces, Japanese by `japanese_pieces`
    (「、」 and the like never begin a line: the character before them moves down with them)."""
    pieces, joiner = (text.split(" "), " ") if lang == "en" else (japanese_pieces(text), "")
    lines = [pieces[0]]
    for piece in pieces[1:]:
        candidate = lines[-1] + joiner + piece
        if fits(candidate):
            lines[-1] = candidate
        else:
            lines.append(piece)
    return lines
