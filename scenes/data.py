"""What scenes draw: the model and the one trace of the configured prompt, loaded once."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gptmath import Model, Trace, load_model
from gptmath.cache import cached_trace
from gptmath.heads import check_layer_head, check_position, pick_head

from scenes.settings import Settings


@dataclass(frozen=True)
class SceneText:
    """The text a scene draws, and why: the user's --prompt, or the scene's own example when none was given."""

    text: str
    is_example: bool  # True: the scene's example (the prompt is the language's default); False: the user's prompt

    @property
    def why(self) -> str:
        return "the scene's own example: no --prompt was given" if self.is_example else "the --prompt given"


@dataclass
class SceneData:
    """Settings with every choice resolved: layer, head and position are real indices."""

    settings: Settings
    model: Model
    trace: Trace
    layer: int
    head: int
    position: int

    @property
    def tokens(self) -> list[str]:
        return self.trace.token_strings

    @property
    def ids(self) -> list[int]:
        return [int(i) for i in self.trace.tokens]

    def text_for(self, example: str) -> SceneText:
        """The text of a scene that tells its own example (a repeated name, a sentence with a pronoun):
        the user's --prompt when one was given, else the example."""
        if self.settings.default_prompt:
            return SceneText(example, is_example=True)
        return SceneText(self.settings.prompt, is_example=False)


def resolve(settings: Settings, model: Model, trace: Trace) -> SceneData:
    """Fill in the default head and check every index against the model and prompt."""
    check_layer_head(model.config, settings.layer, settings.head)
    layer, head = pick_head(trace, settings.layer)
    if settings.head is not None:
        head = settings.head
    position = check_position(trace.n_positions, settings.position)
    return SceneData(settings, model, trace, layer, head, position)


@lru_cache(maxsize=4)
def scene_data(settings: Settings) -> SceneData:
    """Load the model and trace for the settings, once per process for the same settings."""
    model = load_model(settings.model_source)
    return resolve(settings, model, cached_trace(model, settings.prompt))
