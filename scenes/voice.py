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
    spoken("The model gives “␣girl” 62.2 %.", "en")  # 'The model gives “girl” sixty-two point two percent.'
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gptmath import GptMathError

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


# --- the text as it is to be pronounced ---------------------------------------------------------------------

NUMBER = re.compile(r"(?<![0-9A-Za-z.,])([-−]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(\s?[%％])?")
BYTE = re.compile(r"<([0-9a-f]{2})>")
TOKEN_MARKS = {"en": {"␣": "space", "↵": "new line"}, "ja": {"␣": "スペース", "↵": "かいぎょう"}}
SYMBOLS = {  # signs in the narration, as they are read out
    "en": {"=": "equals", "×": "times", "√": "the square root of", "°": "degrees", "−": "minus"},
    "ja": {"=": "イコール", "×": "かける", "√": "ルート", "°": "ど", "−": "ひく", "-": " "},
}


def spoken(text: str, lang: str) -> str:
    """The line as the synthesiser should read it: numbers in words of the language (62.2 % → "sixty-two point
    two percent", 「ろくじゅうにてんにパーセント」), byte tokens as "byte E3", the space mark silent before a word
    (“␣girl” is "girl") and named where it stands alone, signs (=, ×, √) as words, chat markers (<|user|>) and
    names such as W_Q as words; Japanese in kana (espeak-ng reads kanji as "Chinese letter")."""
    number, byte = (number_en, "byte") if lang == "en" else (number_ja, "バイト")
    text = BYTE.sub(lambda m: f" {byte} {' '.join(spelt(c, lang) for c in m.group(1))} ", text)
    text = NUMBER.sub(lambda m: number(m.group(1), m.group(2).replace(",", ""), m.group(3), bool(m.group(4))), text)
    text = re.sub(r"[␣↵](?=\w)", "", text)  # “␣girl”: the word; the mark alone is named below
    text = re.sub(r"<\||\|>|_", " ", text)  # <|im_start|> and W_Q read as words
    for mark, name in (TOKEN_MARKS[lang] | SYMBOLS[lang]).items():
        text = text.replace(mark, f" {name} ")
    text = re.sub(r"[ \t]+", " ", text).strip()
    return kana(text) if lang == "ja" else text


ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"))


def spelt(char: str, lang: str) -> str:
    """A letter or digit of a byte's hex code as it is said: E, 3 (en); イー, さん (ja)."""
    if lang == "en":
        return char.upper()
    return KANA_DIGITS[int(char)] if char.isdigit() else LETTERS_JA[char]


def int_en(n: int) -> str:
    """An integer in English words: 50257 -> 'fifty thousand two hundred fifty-seven'."""
    for size, name in SCALES:
        if n >= size:
            rest = n % size
            return f"{int_en(n // size)} {name}" + (f" {int_en(rest)}" if rest else "")
    if n >= 100:
        return f"{ONES[n // 100]} hundred" + (f" {int_en(n % 100)}" if n % 100 else "")
    if n >= 20:
        return TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else "")
    return ONES[n]


def number_en(sign: str, whole: str, fraction: str | None, percent: bool) -> str:
    words = ("minus " if sign else "") + int_en(int(whole))
    if fraction:
        words += " point " + " ".join(ONES[int(d)] for d in fraction)
    return words + (" percent" if percent else "")


KANA_DIGITS = ("ゼロ", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう")
HUNDREDS = {1: "ひゃく", 3: "さんびゃく", 6: "ろっぴゃく", 8: "はっぴゃく"}
THOUSANDS = {1: "せん", 3: "さんぜん", 8: "はっせん"}
MYRIADS = ((10 ** 12, "ちょう"), (10 ** 8, "おく"), (10 ** 4, "まん"))


def int_ja(n: int) -> str:
    """An integer in kana: 50257 -> 'ごまんにひゃくごじゅうなな', 62 -> 'ろくじゅうに'."""
    if n == 0:
        return KANA_DIGITS[0]
    for size, name in MYRIADS:
        if n >= size:
            rest = n % size
            return int_ja(n // size) + name + (int_ja(rest) if rest else "")
    words = ""
    thousands, hundreds, tens, ones = n // 1000, n // 100 % 10, n // 10 % 10, n % 10
    if thousands:
        words += THOUSANDS.get(thousands, KANA_DIGITS[thousands] + "せん")
    if hundreds:
        words += HUNDREDS.get(hundreds, KANA_DIGITS[hundreds] + "ひゃく")
    if tens:
        words += ("" if tens == 1 else KANA_DIGITS[tens]) + "じゅう"
    return words + (KANA_DIGITS[ones] if ones else "")


def number_ja(sign: str, whole: str, fraction: str | None, percent: bool) -> str:
    words = ("マイナス" if sign else "") + int_ja(int(whole))
    if fraction:
        words += "てん" + "".join(KANA_DIGITS[int(d)] for d in fraction)
    return words + ("パーセント" if percent else "")


LETTERS_JA = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "エー ビー シー ディー イー エフ ジー エイチ アイ ジェー ケー エル エム エヌ オー ピー キュー アール エス ティー "
    "ユー ブイ ダブリュー エックス ワイ ゼット").split()))


@lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


def kana(text: str) -> str:
    """Japanese text in hiragana (katakana kept), with Latin capitals spelt in kana (GPT → ジーピーティー);
    readings from pykakasi's dictionary."""
    text = re.sub(r"(?<![A-Za-z])[A-Z]+(?![a-z])", lambda m: "".join(LETTERS_JA[c] for c in m.group(0).lower()), text)
    return "".join(part["kana"] if re.search(r"[ァ-ヶー]", part["orig"]) else part["hira"]
                   for part in _kakasi().convert(text))


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

