"""The one configuration every scene reads: prompt, model, layer, head, ...

Scenes rendered with plain `manim -ql scenes/<file>.py <Scene>` use the
defaults. `python -m scenes` (and ./render.sh) pass their options on through
the GPTMANIM_SETTINGS environment variable, holding these fields as JSON.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

from gptmath import GptMathError
from gptmath.sampling import check_temperature

ENV = "GPTMANIM_SETTINGS"
DEFAULT_PROMPT = "Once upon a time, there was a little"


@dataclass(frozen=True)
class Settings:
    """What to show. None for layer/head means: pick the clearest head (see gptmath.heads)."""

    prompt: str = DEFAULT_PROMPT
    model: str | None = None  # hub id or folder; None = the model shipped in assets/
    layer: int | None = None
    head: int | None = None
    position: int = -1  # token position for per-token scenes; -1 = the last
    temperature: float = 1.0
    seed: int = 0
    top_k: int = 8
    lang: str = "en"

    def check(self) -> "Settings":
        """One clear error for values that can never work (range checks need the model)."""
        if not self.prompt:
            raise GptMathError("the prompt is empty: give some text, e.g. --prompt 'Once upon a time'")
        check_temperature(self.temperature)
        if self.top_k < 1:
            raise GptMathError(f"top-k must be at least 1 (got {self.top_k})")
        from scenes.i18n import check_language

        check_language(self.lang)
        return self

    def to_env(self) -> dict[str, str]:
        return {ENV: json.dumps(asdict(self))}


def load_settings() -> Settings:
    """Settings from GPTMANIM_SETTINGS, else the defaults."""
    raw = os.environ.get(ENV)
    if not raw:
        return Settings()
    data = json.loads(raw)
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in data.items() if k in known}).check()
