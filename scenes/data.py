"""What scenes draw: the model and the one trace of the configured prompt, loaded once; the scenes' own
examples and PreTraining's gradient step, computed once and cached on disk (the render command computes them
before any scene process starts: `precompute`)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from gptmath import GptMathError, Model, Trace, load_model
from gptmath.cache import GradientStep, cached_gradient_step, cached_trace
from gptmath.heads import check_layer_head, check_position, pick_head

from scenes.i18n import tr
from scenes.settings import Settings

# Scenes that tell their own example when no --prompt is given: scene -> (catalogue, key) of the example text.
EXAMPLES = {
    "AttentionArcs": ("reading", "arc_example"),
    "InContextCopying": ("reading", "copy_example"),
    "PreTraining": ("pretraining", "example_text"),
}
STEP_LR = 0.002  # PreTraining's one step of plain gradient descent: w ← w − STEP_LR · gradient


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

    def example_text(self, scene: str) -> SceneText:
        """`text_for` the scene's own example (EXAMPLES), in the settings' language."""
        name, key = EXAMPLES[scene]
        return self.text_for(tr(name, key, self.settings.lang))

    def example_trace(self, scene: str) -> Trace:
        """The trace of `example_text(scene)`: a forward pass of its own, cached on disk like the prompt's."""
        return cached_trace(self.model, self.example_text(scene).text)

    def gradient_step(self) -> GradientStep:
        """PreTraining's one real gradient step on its example, read from the cache (torch runs only on a miss)."""
        return cached_gradient_step(self.model, self.settings.model_source, self.example_text("PreTraining").text,
                                    STEP_LR)


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


def precompute(data: SceneData, scenes: Collection[str]) -> None:
    """Compute, and cache on disk, what the named scenes read beyond the prompt's trace, so that their
    processes only read it back: the traces of their own examples and PreTraining's gradient step (torch and
    transformers load here, in the render command's process; a scene's process would load them only on a cache
    miss, as when a test builds the scene itself)."""
    for scene in ("AttentionArcs", "InContextCopying"):
        if scene in scenes:
            data.example_trace(scene)
    if "PreTraining" in scenes:
        try:
            data.gradient_step()
        except GptMathError:  # a one-token example, say: PreTraining's own process fails with the same
            pass  # message, as any failing scene does, and the other scenes still render
