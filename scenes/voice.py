"""The voice: each step's narration as audio, from the lecturer's recording or a speech synthesiser.

The shape is manim-voiceover's (its SpeechService and cache): a service turns text into an audio file, cached
under a hash of everything that decides the sound (engine, voice, language, the text as spoken), so a changed
line is the only one synthesised again. GPTScene.say asks a Narrator for each line's clip, puts it into the
movie (Scene.add_sound) and holds the step until the clip has played (see scenes/base.py).

Where a line's voice comes from, first match wins:
  1. a recording `<narration dir>/<lang>/<Scene>/<NN>_<step>.wav|.flac|.mp3` (NN the step's number, step the
     narration key without `say_`, as out/narration.md lists them);
  2. the synthesiser `--voice` names: espeak-ng (offline; Japanese reaches it as kana, read by pykakasi);
  3. none: a silent video, captions and subtitles only.

    narrator = Narrator(Espeak(Path("~/.cache/gpt-manim/voice").expanduser()), recordings={})
    clip = narrator.clip("02_show_ids", "The model gives “␣girl” 62.2 %.", "en")   # Clip(path, seconds, source)

What a synthesiser is given to read is the line as spoken (scenes.spoken): numbers in words, Japanese in kana.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from gptmath import GptMathError

from scenes.spoken import spoken

VOICES = ("espeak", "none")  # --voice
PAUSE = 0.4  # seconds of quiet after a line before the next one, or the next step, begins
MAX_RECORDING = 60.0  # seconds: a longer recording is surely not one step's line
RECORDING_SUFFIXES = (".wav", ".flac", ".mp3")
RECORDING_NAME = re.compile(r"(\d{2})_([a-z0-9_]+)")  # 03_show_ids


@dataclass(frozen=True)
class Clip:
    """One line's audio: the file, how long it plays, and where it came from (a recording or an engine)."""

    path: Path
    seconds: float
    source: str


def audio_seconds(path: Path) -> float:
    """How long an audio file plays, decoding all of it (so an unreadable file fails here, not in the render)."""
    import av

    try:
        with av.open(str(path)) as f:
            stream = f.streams.audio[0]
            samples = sum(frame.samples for frame in f.decode(stream))
            return samples / stream.rate
    except (av.error.FFmpegError, IndexError, OSError, ValueError) as exc:
        raise GptMathError(f"cannot read recording {path}: {exc}; save it as .wav, .flac or .mp3") from None


def default_cache() -> Path:
    """Where synthesised clips are kept across renders (out/ is for results and may be cleaned)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gpt-manim" / "voice"


class SpeechService(ABC):
    """Text in, a cached audio file out (manim-voiceover's SpeechService, reduced to what GPTScene needs)."""

    engine: str
    voices: dict[str, str]  # the voice used for each language

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.synthesised = 0  # clips made (not found in the cache) by this service
        self.seconds = 0.0  # time spent making them

    def clip(self, text: str, lang: str) -> Clip:
        """The line spoken in `lang`, from the cache when the same engine, voice, language and text made it."""
        words = spoken(text, lang)
        key = json.dumps({"engine": self.engine, "voice": self.voices[lang], "lang": lang, "text": words},
                         ensure_ascii=False, sort_keys=True)
        path = self.cache / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.wav"
        if not path.exists():
            began = time.perf_counter()
            self.cache.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.stem}.{os.getpid()}.wav")  # scenes render at once: write, then rename
            self.synthesise(words, lang, partial)
            os.replace(partial, path)
            self.synthesised += 1
            self.seconds += time.perf_counter() - began
        return Clip(path, audio_seconds(path), self.engine)

    @abstractmethod
    def synthesise(self, words: str, lang: str, target: Path) -> None:
        """Write `words` (already as they are to be pronounced) spoken in `lang` to the WAV file `target`."""

    @classmethod
    def check(cls) -> None:
        """A one-line error when the engine cannot run here."""


class Espeak(SpeechService):
    """espeak-ng, offline: a clear scratch voice to time the film by, until the lecturer records."""

    engine = "espeak-ng"
    voices = {"en": "en-us", "ja": "ja"}
    SPEED = {"en": 175, "ja": 175}  # words a minute (espeak-ng's default); Japanese counts kana

    def synthesise(self, words: str, lang: str, target: Path) -> None:
        cmd = ["espeak-ng", "-v", self.voices[lang], "-s", str(self.SPEED[lang]), "-w", str(target), words]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0 or not target.exists():
            raise GptMathError(f"espeak-ng failed on {words[:40]!r}: {result.stderr.strip()[-200:]}")

    @classmethod
    def check(cls) -> None:
        if shutil.which("espeak-ng") is None:
            raise GptMathError("--voice espeak needs espeak-ng: run ./render.sh setup (or apt-get install "
                               "espeak-ng), or render silently with --voice none")


SERVICES: dict[str, type[SpeechService]] = {"espeak": Espeak}


def speech_service(voice: str, cache: Path) -> SpeechService | None:
    """The synthesiser --voice names (None for `none`), checked to run here."""
    if voice == "none":
        return None
    if voice not in SERVICES:
        raise GptMathError(f"voice {voice!r} is not available: choose one of {', '.join(VOICES)}")
    SERVICES[voice].check()
    return SERVICES[voice](cache)


class Narrator:
    """Each line's clip: the lecturer's recording of it if there is one, else the service's (None: silence)."""

    def __init__(self, service: SpeechService | None, recordings: dict[str, Path]) -> None:
        self.service = service
        self.recordings = recordings  # file stem (03_show_ids) -> file
        self.used: set[str] = set()

    def clip(self, name: str, text: str, lang: str) -> Clip | None:
        if name in self.recordings:
            self.used.add(name)
            return Clip(self.recordings[name], audio_seconds(self.recordings[name]), "recording")
        return self.service.clip(text, lang) if self.service is not None else None


def recordings_of(folder: Path | None, lang: str, scene: str) -> dict[str, Path]:
    """The recordings of one scene in one language: {`NN_step`: file}."""
    where = folder / lang / scene if folder is not None else None
    if where is None or not where.is_dir():
        return {}
    return {f.stem: f for f in sorted(where.iterdir()) if f.suffix.lower() in RECORDING_SUFFIXES}


def check_recordings(folder: Path, lang: str, keys: dict[str, set[str]]) -> list[Path]:
    """Every recording in `folder/<lang>/`, checked before anything renders: it belongs to a scene (`keys`:
    each scene's narration keys), is named after one of its steps, and is readable audio of 0 to 60 s."""
    root = folder / lang
    if not root.is_dir():
        return []
    found = []
    for where in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
        if where.name not in keys:
            raise GptMathError(f"{where}: no scene is called {where.name!r}; scene folders are named as in "
                               f"./render.sh --list")
        for f in sorted(p for p in where.iterdir() if not p.name.startswith(".")):
            name = RECORDING_NAME.fullmatch(f.stem)
            if f.suffix.lower() not in RECORDING_SUFFIXES:
                raise GptMathError(f"{f}: a recording must be .wav, .flac or .mp3")
            if name is None or f"say_{name.group(2)}" not in keys[where.name]:
                raise GptMathError(f"{f}: {where.name} has no step {f.stem!r}; name it as out/narration.md "
                                   f"lists (python -m scenes narration --lang {lang})")
            seconds = audio_seconds(f)
            if not 0 < seconds <= MAX_RECORDING:
                raise GptMathError(f"{f} lasts {seconds:.1f} s: a step's recording must last more than 0 and at "
                                   f"most {MAX_RECORDING:.0f} s")
            found.append(f)
    return found


def check_step_names(recordings: list[Path], steps: dict[str, list[str]]) -> None:
    """Each recording is named after a line its scene says (`steps`: each scene's line names, 03_show_ids, as a
    pass of the scene's story with these settings found them), else a one-line error that names the right file."""
    for f in recordings:
        names = steps.get(f.parent.name)
        if names is None or f.stem in names:
            continue
        same = [n for n in names if n[3:] == f.stem[3:]]  # the same step under another number
        hint = f"rename it {same[0]}{f.suffix}" if same else f"{f.parent.name} does not say that line with these " \
                                                               f"settings: remove it"
        raise GptMathError(f"{f}: {f.parent.name} has no step {f.stem!r}: {hint} (python -m scenes narration "
                           f"lists every line's file name)")


# --- the script, for the person who records ---------------------------------------------------------------------

def write_script(parts: list[Path], target: Path, lang: str, recordings: Path) -> Path:
    """out/narration.md from the scenes' script files (GPTScene.tear_down writes them), in story order: each
    line with its real numbers, the file a recording of it should have, and how long the current clip plays."""
    scenes = [json.loads(p.read_text(encoding="utf-8")) for p in parts if p.exists()]
    heard = sum(line["seconds"] or 0.0 for s in scenes for line in s["lines"])
    text = [f"# The script ({lang})\n",
            f"{sum(len(s['lines']) for s in scenes)} lines, {heard:.0f} s of voice in "
            f"{sum(s['seconds'] for s in scenes):.0f} s of video. To record a line, save it as the file named "
            f"under it (.wav, .flac or .mp3) in `{recordings / lang}/<Scene>/` and render again: your recording "
            f"replaces the synthetic voice and the step lasts as long as it.\n"]
    for n, scene in enumerate(scenes, 1):
        text.append(f"## {n}. {scene['scene']} ({scene['seconds']:.1f} s)\n")
        for line in scene["lines"]:
            clip = f"{line['seconds']:.1f} s, {line['source']}" if line["seconds"] is not None else "no voice"
            text.append(f"**Step {line['step']}** · `{scene['scene']}/{line['name']}.wav` · {clip}\n\n"
                        f"> {line['text']}\n")
    partial = target.with_name(f".{target.name}.part")
    partial.write_text("\n".join(text), encoding="utf-8")
    os.replace(partial, target)
    return target


def report_voice(parts: list[Path], script: Path, recordings: Path) -> None:
    """How much was synthesised, and any recording no step used (its number does not match the step's)."""
    scenes = [json.loads(p.read_text(encoding="utf-8")) for p in parts if p.exists()]
    made, seconds = sum(s["synthesised"] for s in scenes), sum(s["synthesis_seconds"] for s in scenes)
    heard = sum(line["seconds"] is not None for s in scenes for line in s["lines"])
    print(f"Script: {script} ({heard} line(s) spoken: {made} synthesised in {seconds:.1f} s, the others from the "
          f"cache or recordings)" if heard else f"Script: {script} (silent)", flush=True)
    for s in scenes:
        for name in s["unused"]:
            print(f"warning: {recordings / s['scene'] / name}.* was not used: no step of {s['scene']} has that "
                  f"number; see {script} for the names", file=sys.stderr)
