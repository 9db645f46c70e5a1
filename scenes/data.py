"""What scenes draw: the model and the one trace of the configured prompt, loaded once; everything else that
takes forward passes or reads the whole model (the scenes' own examples, InContextCopying's heads and random
tokens, PreTraining's saved steps and gradient step, the tokens Generation, Chat and Temperature write,
EmbeddingSpace's nearest neighbours among the whole vocabulary), computed once and cached on disk: the render
command computes it before any scene process starts (`precompute`), so a scene process reads the model's weights
only where it draws them (they are memory-mapped: gptmath.load)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass

import numpy as np

from gptmath import GptMathError, Model, Trace, hooks, load_model
from gptmath.cache import GradientStep, cached_gradient_step, cached_result, cached_trace
from gptmath.checkpoints import Checkpoint, checkpoints
from gptmath.chat import END, chat_prompt
from gptmath.copying import ReadTwice, read_twice
from gptmath.embedding_space import nearest_neighbours
from gptmath.heads import check_layer_head, check_position, pick_head
from gptmath.history import Prediction, Sample, predictions, samples, spread
from gptmath.load import fingerprint
from gptmath.ops import next_token_losses
from gptmath.reading import CopyHeads, pick_copy_heads
from gptmath.readout import Bars, top_bars
from gptmath.sampling import generate

from scenes.i18n import tr
from scenes.settings import Settings

# Scenes that tell their own example when no --prompt is given: scene -> (catalogue, key) of the example text.
EXAMPLES = {
    "AttentionArcs": ("reading", "arc_example"),
    "Chat": ("chat", "request"),
    "InContextCopying": ("reading", "copy_example"),
    "PreTraining": ("pretraining", "example_text"),
}
STEP_LR = 0.002  # PreTraining's one step of plain gradient descent: w ← w − STEP_LR · gradient
N_RANDOM = 20  # InContextCopying's clean case: random tokens in each of its two copies
N_BARS = 5  # PreTraining: the likeliest next tokens shown for each saved step
N_SAMPLE = 12  # PreTraining: tokens sampled at each of `spread`'s saved steps
MAX_BARS = 12  # Generation and Chat: at most this many token rows fit the frame, whatever top_k asks for
N_GENERATE = 8  # Generation: rounds of the loop, each drawn with its bars
N_ANSWER, N_ROUNDS = 40, 4  # Chat: tokens at most in the answer; its first rounds, drawn with their bars
LOW_T, HIGH_T = 0.3, 2.0  # Temperature: its two sampled continuations' temperatures
N_CONTINUE = 16  # Temperature: tokens per sampled continuation
N_NEIGHBOURS = 6  # EmbeddingSpace: the token's nearest neighbours shown


@dataclass(frozen=True)
class SceneText:
    """The text a scene draws, and why: the user's --prompt, or the scene's own example when none was given."""

    text: str
    is_example: bool  # True: the scene's example (the prompt is the language's default); False: the user's prompt

    @property
    def why(self) -> str:
        return "the scene's own example: no --prompt was given" if self.is_example else "the --prompt given"


@dataclass(frozen=True)
class Round:
    """One round of writing as a scene draws it: the token picked, and for a round drawn with bars, the likeliest
    tokens at the round's temperature (the picked one among them) and the share of all the others."""

    chosen: int
    top: Bars | None = None


@dataclass(frozen=True)
class Written:
    """Tokens written after a prompt (gptmath.sampling.generate), one Round each."""

    rounds: list[Round]
    prompt_loss: float  # nats per token the model lost reading the prompt (its last n_ctx tokens), the first input


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

    def copy_heads(self) -> CopyHeads:
        """InContextCopying's previous-token and induction heads on its example (the induction test runs forward
        passes over random tokens), cached."""
        s, trace = self.settings, self.example_trace("InContextCopying")
        return cached_result("copy_heads", self.model, [trace.tokens.tolist(), s.layer, s.head],
                             lambda: pick_copy_heads(self.model, trace, s.layer, s.head), asdict,
                             lambda d: CopyHeads(tuple(d["previous"]), tuple(d["induction"]), d["previous_score"],
                                                 d["induction_score"]))

    def read_twice(self, heads: CopyHeads) -> ReadTwice:
        """N_RANDOM random tokens told twice, read by the induction head of `heads` (one forward pass), cached."""
        (layer, head), seed = heads.induction, self.settings.seed
        return cached_result("read_twice", self.model, [layer, head, N_RANDOM, seed],
                             lambda: read_twice(self.model, layer, head, N_RANDOM, seed),
                             lambda r: dict(ids=r.ids.tolist(), length=r.length, pattern=r.pattern.tolist(),
                                            losses=r.losses.tolist()),
                             lambda d: ReadTwice(np.array(d["ids"]), d["length"], np.array(d["pattern"], np.float32),
                                                 np.array(d["losses"])))

    def written(self, prompt: str, n_tokens: int, temperature: float, top_k: int | None = None, n_bars: int = 0,
                stop: int | None = None) -> Written:
        """Up to `n_tokens` written after `prompt` with the settings' seed (top-k sampling with `top_k`, ending
        after a `stop` token), the first `n_bars` rounds with their bars (a forward pass per token), cached."""
        model, seed = self.model, self.settings.seed

        def write() -> Written:
            steps = generate(model, prompt, n_tokens, temperature=temperature, seed=seed, top_k_only=top_k, stop=stop)
            k = min(top_k or MAX_BARS, MAX_BARS)
            rounds = [Round(x.chosen, top_bars(x.trace[hooks.LOGITS][-1], temperature, k, model.token_strings,
                                               include=[x.chosen]) if i < n_bars else None)
                      for i, x in enumerate(steps)]
            first = steps[0].trace
            return Written(rounds, float(next_token_losses(first[hooks.LOGITS], first.tokens).mean()))

        return cached_result("written", model, [prompt, n_tokens, temperature, seed, top_k, n_bars, MAX_BARS, stop],
                             write,
                             lambda w: dict(rounds=[dict(chosen=r.chosen, top=r.top and asdict(r.top))
                                                    for r in w.rounds], prompt_loss=w.prompt_loss),
                             lambda d: Written([Round(r["chosen"], r["top"] and Bars(**r["top"])) for r in d["rounds"]],
                                               d["prompt_loss"]))

    def generation(self) -> Written:
        """Generation's N_GENERATE rounds after the prompt: top-k sampling at the settings' temperature and k."""
        s = self.settings
        return self.written(s.prompt, N_GENERATE, s.temperature, s.top_k, n_bars=N_GENERATE)

    def chat_script(self) -> str | None:
        """The chat template's script of Chat's request (`example_text`) as the user's turn (None: no template)."""
        template = self.model.chat_template
        if template is None:
            return None
        return chat_prompt(template, [{"role": "user", "content": self.example_text("Chat").text}])

    def chat_answer(self) -> Written:
        """The answer written after the chat script, up to N_ANSWER tokens or its end marker, as Generation writes
        (the first N_ROUNDS rounds with their bars)."""
        s = self.settings
        return self.written(self.chat_script(), N_ANSWER, s.temperature, s.top_k, n_bars=N_ROUNDS, stop=self.end_id())

    def end_id(self) -> int:
        """The id of the marker that ends a chat turn."""
        return self.model.tokenizer.token_to_id(END)

    def continuations(self) -> dict[float, Written]:
        """Temperature's N_CONTINUE tokens after the prompt at LOW_T and at HIGH_T (plain sampling, no top-k)."""
        return {t: self.written(self.settings.prompt, N_CONTINUE, t) for t in (LOW_T, HIGH_T)}

    def neighbours(self) -> list[tuple[int, float]]:
        """The N_NEIGHBOURS tokens whose embeddings point most nearly the way the position's token's does (cosine
        over the whole vocabulary's embedding), cached: [(id, cosine), ...]."""
        token = self.ids[self.position]
        return cached_result("neighbours", self.model, [token, N_NEIGHBOURS],
                             lambda: nearest_neighbours(self.model.weights.embedding, token, N_NEIGHBOURS),
                             lambda found: [list(n) for n in found], lambda d: [tuple(n) for n in d])

    def history(self) -> list[Checkpoint]:
        """The model's saved training steps ([] for a model without a training history)."""
        try:
            return checkpoints(self.settings.model_source)
        except GptMathError:
            return []

    def predictions(self) -> list[Prediction]:
        """Each saved step's N_BARS likeliest next tokens after the prompt (a forward pass per step), cached."""
        history, prompt = self.history(), self.settings.prompt
        steps = {c.step: c for c in history}
        return cached_result("predictions", self.model, [_steps_key(history), prompt, N_BARS],
                             lambda: predictions(history, prompt, N_BARS),
                             lambda found: [dict(step=p.checkpoint.step, top=asdict(p.top), vocab_size=p.vocab_size)
                                            for p in found],
                             lambda d: [Prediction(steps[p["step"]], Bars(**p["top"]), p["vocab_size"]) for p in d])

    def samples(self) -> list[Sample]:
        """N_SAMPLE tokens sampled after the prompt at `spread`'s saved steps, with the settings' seed, temperature
        and top-k (a forward pass per token), cached."""
        s, picks = self.settings, spread(self.history())
        steps = {c.step: c for c in picks}
        return cached_result("samples", self.model, [_steps_key(picks), s.prompt, N_SAMPLE, s.temperature, s.seed,
                                                     s.top_k],
                             lambda: samples(picks, s.prompt, N_SAMPLE, s.temperature, s.seed, s.top_k),
                             lambda found: [dict(step=x.checkpoint.step, prompt_tokens=x.prompt_tokens,
                                                 sampled_tokens=x.sampled_tokens) for x in found],
                             lambda d: [Sample(steps[x["step"]], x["prompt_tokens"], x["sampled_tokens"]) for x in d])


def _steps_key(history: list[Checkpoint]) -> list:
    """What a cached result over saved steps depends on: each step and its weights' fingerprint."""
    return [[c.step, fingerprint(str(c.path))] for c in history]


def resolve(settings: Settings, model: Model, trace: Trace) -> SceneData:
    """Fill in the default head and check every index against the model and prompt."""
    check_layer_head(model.config, settings.layer, settings.head)
    layer, head = pick_head(trace, settings.layer)
    if settings.head is not None:
        head = settings.head
    position = check_position(trace.n_positions, settings.position)
    return SceneData(settings, model, trace, layer, head, position)


def scene_data(settings: Settings) -> SceneData:
    """Load the model (memory-mapped: milliseconds) and read the trace for the settings from the disk cache
    (computed on a miss)."""
    model = load_model(settings.model_source)
    return resolve(settings, model, cached_trace(model, settings.prompt))


def precompute(data: SceneData, scenes: Collection[str]) -> None:
    """Compute, and cache on disk, what the named scenes read beyond the prompt's trace, so that their
    processes only read it back: the traces of their own examples, InContextCopying's heads and random tokens,
    PreTraining's saved steps' predictions and samples and its gradient step, the tokens Generation, Chat and
    Temperature write, EmbeddingSpace's neighbours (the whole model is read here, and
    torch and transformers load here, in the render command's process; a scene's process would compute them only
    on a cache miss, as when a test builds the scene itself)."""
    if "AttentionArcs" in scenes:
        data.example_trace("AttentionArcs")
    work = {"InContextCopying": [lambda: data.read_twice(data.copy_heads())],
            "PreTraining": [data.predictions, data.samples, data.gradient_step],
            "Generation": [data.generation], "Temperature": [data.continuations],
            "Chat": [lambda: data.chat_script() and data.chat_answer()], "EmbeddingSpace": [data.neighbours]}
    for compute in (c for scene in scenes for c in work.get(scene, [])):
        try:
            compute()
        except GptMathError:  # a one-token example, a head out of range: the scene's own process fails with
            pass  # the same message, as any failing scene does, and the other scenes still render
