"""The one configuration every scene reads: prompt, model, layer, head, language, theme, outputs.

A scene gets its Settings as an argument (`Tokenization(settings=...)`). Only
where manim itself makes the scene (`manim -ql scenes/<file>.py <Scene>`, or a
scene process of `python -m scenes`) does GPTScene read them, once, from the
GPTMANIM_SETTINGS environment variable (these fields as JSON; unset: the defaults).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from gptmath import GptMathError
from gptmath.sampling import check_temperature

ENV = "GPTMANIM_SETTINGS"
DEFAULT_PROMPTS = {"en": "Once upon a time, there was a little", "ja": "むかしむかし、あるところに、"}
DEFAULT_PROMPT = DEFAULT_PROMPTS["en"]
MODELS = Path(__file__).resolve().parent.parent / "assets" / "models"
DEFAULT_MODELS = {"en": MODELS / "tinytales-gpt2", "ja": MODELS / "tinytales-ja"}  # the models this project ships


@dataclass(frozen=True)
class Output:
    """What a scene writes besides its video (the command line sets these for each scene it renders)."""

    figures: str | None = None  # folder for a PNG, SVG and PDF still of every step's end
    subtitles: str | None = None  # folder for <Scene>.srt made of the captions
    slides: bool = False  # each named step ends a manim-slides slide (the scene class must be a Slide)
    voice: str = "none"  # who speaks the narration: none (silent), espeak (see scenes/voice.py)
    sound: bool = False  # the video has a sound track even where nothing is said (so that joined videos do)
    narration_dir: str | None = None  # folder of the lecturer's recordings, <lang>/<Scene>/<NN>_<step>.wav
    voice_cache: str | None = None  # folder of synthesised clips (None: scenes.voice.default_cache())
    script: str | None = None  # folder for <Scene>.json: each line said, its step, file name and clip length


@dataclass(frozen=True)
class Settings:
    """What to show. None for layer/head means: pick the clearest head (see gptmath.heads).

    Without a prompt or model, the language's own are used: `lang="ja"` reads
    「むかしむかし、あるところに、」 with the Japanese model (while it is not shipped, the English one).
    """

    prompt: str | None = None  # None = the language's default prompt (filled in on creation)
    model: str | None = None  # hub id or folder; None = the language's model shipped in assets/
    layer: int | None = None
    head: int | None = None
    position: int = -1  # token position for per-token scenes; -1 = the last
    temperature: float = 1.0
    seed: int = 0
    top_k: int = 5  # bars shown, and the tokens Generation and Chat draw from
    lang: str = "en"
    theme: str = "dark"  # dark (video) or light (white paper: figures, handouts)
    output: Output = field(default_factory=Output)

    def __post_init__(self) -> None:
        if self.prompt is None and self.lang in DEFAULT_PROMPTS:
            object.__setattr__(self, "prompt", DEFAULT_PROMPTS[self.lang])

    @property
    def model_source(self) -> str:
        """The model to load: --model if given, else the language's shipped model (the English one if missing)."""
        if self.model is not None:
            return self.model
        shipped = DEFAULT_MODELS.get(self.lang, DEFAULT_MODELS["en"])
        return str(shipped if shipped.is_dir() else DEFAULT_MODELS["en"])

    @property
    def default_prompt(self) -> bool:
        """Whether the prompt is the language's default (scenes with their own example text then use it)."""
        return self.prompt == DEFAULT_PROMPTS.get(self.lang)

    def check(self) -> "Settings":
        """One clear error for values that can never work (range checks need the model)."""
        from scenes.i18n import check_language
        from scenes.theme import check_theme

        check_language(self.lang)
        check_theme(self.theme)
        if not self.prompt:
            raise GptMathError("the prompt is empty: give some text, e.g. --prompt 'Once upon a time'")
        check_temperature(self.temperature)
        if self.top_k < 1:
            raise GptMathError(f"top-k must be at least 1 (got {self.top_k})")
        return self

    def to_env(self) -> dict[str, str]:
        return {ENV: json.dumps(asdict(self))}


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from GPTMANIM_SETTINGS in `environ`, else the defaults."""
    raw = environ.get(ENV)
    if not raw:
        return Settings()
    data = json.loads(raw)
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in data.items() if k in known}
    outputs = {f.name for f in fields(Output)}
    values["output"] = Output(**{k: v for k, v in (data.get("output") or {}).items() if k in outputs})
    return Settings(**values).check()
