"""Write the model card (README.md + loss_curve.png) of a model trained by gpttrain.train.

    python -m gpttrain.card --model assets/models/tinytales-gpt2 --corpus ../shared/corpus --compare OLD_MODEL

Everything in the card is measured: the training log, held-out losses, a
forward pass for the top-5 table, seeded samples, head detectors (on held-out
stories and on repeated random tokens), chat answers, and the checkpoints:
measure_card gathers it into a CardFacts (the measuring in gpttrain.measure, the
words about the run in gpttrain.card_text), and render_card lays that out with
templates/card.md.jinja.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gptmath import hooks
from gptmath.chat import ROLE_TOKENS, chat_prompt
from gptmath.checkpoints import checkpoints
from gptmath.heads import favourite_tokens
from gptmath.load import Model, load_model
from gptmath.params import parameter_tally, total
from gptmath.sampling import generate, softmax_with_temperature, top_k

from .card_text import corpus_facts
from .data import EOT
from .measure import (
    EXPECTED_NEXT, OPENINGS, HeadMeasures, best, bits_per_byte, chat_answers, chat_requests, greedy_text,
    held_out_stories, held_out_text, language, measure_heads, next_token_ranks, repeated_spans, role,
)
from .train import TrainConfig


HEAD_PROMPTS = {
    "en": ("Once upon a time, there was a little girl named Lily. She liked to play in the park with her dog, Max. "
           "One day, Max ran after a big red ball. Lily said, \"Max, come back!\" But Max did not stop. He ran "
           "to the pond and jumped in. Lily laughed and said, \"You silly dog!\" Tom, her friend, came with a "
           "towel. They dried Max and went home. Mom made them warm soup. Lily was happy. She hugged Max and "
           "said, \"I love you, Max.\""),
    "ja": ("むかしむかし、ある村に、太郎という男の子がいました。太郎は犬のシロといっしょに山へ行きました。"
           "山の上で、太郎は大きな桃を見つけました。「シロ、見てごらん。」と太郎は言いました。シロはうれしそうに"
           "しっぽをふりました。太郎とシロは桃を持って家に帰りました。おばあさんは「まあ、大きな桃だこと。」と言って、"
           "桃を切りました。すると、中から小さな女の子が出てきました。"),
}


def head_prompt_ids(model: Model) -> list[int]:
    """The head prompt's tokens in the model's language, as many as the model's context holds."""
    return model.encode(HEAD_PROMPTS[language(model)])[: model.config.n_ctx]


def loss_curve(history: dict, path: Path, size: tuple[int, int] = (900, 420)) -> Path:
    """Training loss (smoothed) and held-out loss against tokens seen, drawn with PIL."""
    w, h = size
    left, right, top, bottom = 70, 20, 20, 50
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 13)  # installed by render.sh (fonts-dejavu-core)
    steps = np.array([s for s, _ in history["train"]], float)
    losses = np.array([l for _, l in history["train"]], float)
    kernel = min(25, len(losses))
    smooth = np.convolve(losses, np.ones(kernel) / kernel, mode="valid")
    smooth_steps = steps[kernel - 1:]
    evals = history["evals"]
    tokens_per_step = history["tokens_seen"] / max(1, steps[-1])
    lo = min(smooth.min(), min(e["nats_per_token"] for e in evals)) - 0.2
    hi = min(smooth.max(), 8.5) + 0.2
    x = lambda s: left + (w - left - right) * s / steps[-1]  # noqa: E731
    y = lambda v: top + (h - top - bottom) * (hi - min(v, hi)) / (hi - lo)  # noqa: E731
    draw.rectangle([left, top, w - right, h - bottom], outline="black")
    for v in np.arange(np.ceil(lo), hi, 1.0):
        draw.line([left, y(v), w - right, y(v)], fill="#dddddd")
        draw.text((left - 30, y(v) - 6), f"{v:.0f}", fill="black", font=font)
    for s in np.linspace(0, steps[-1], 5):
        draw.text((x(s) - 15, h - bottom + 6), f"{s * tokens_per_step / 1e6:.1f}M", fill="black", font=font)
    draw.text((w // 2 - 40, h - 20), "tokens seen", fill="black", font=font)
    draw.text((5, top), "nats/token", fill="black", font=font)
    draw.line([(x(s), y(v)) for s, v in zip(smooth_steps, smooth)], fill="#1f77b4", width=2)
    pts = [(x(e["step"]), y(e["nats_per_token"])) for e in evals]
    draw.line(pts, fill="#d62728", width=2)
    for px, py in pts:
        draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill="#d62728")
    draw.text((w - right - 230, top + 8), "training loss (smoothed)", fill="#1f77b4", font=font)
    draw.text((w - right - 230, top + 24), "held-out loss", fill="#d62728", font=font)
    img.save(path)
    return path


def samples(model: Model) -> str:
    out = []
    for prompt in OPENINGS[language(model)]:
        out.append(f"**{prompt}** …\n")
        for label, kw in (("T = 0 (greedy)", dict(greedy=True)), ("T = 0.7", dict(temperature=0.7)),
                          ("T = 1.5", dict(temperature=1.5))):
            steps = generate(model, prompt, 40, seed=0, **kw)
            text = model.decode([s.chosen for s in steps]).replace("\n", " ")
            out.append(f"- {label}: …{text.strip()}")
        out.append("")
    return "\n".join(out)


def top5_table(model: Model, prompt: str) -> str:
    logits = model.trace(prompt)["logits"][-1]
    rows = top_k(logits, softmax_with_temperature(logits), 5, model.token_strings)
    return "| rank | token | probability | logit |\n|---|---|---|---|\n" + "\n".join(
        f"| {i} | `{c.text.replace(chr(10), '↵')}` | {c.prob:.1%} | {c.logit:.2f} |" for i, c in enumerate(rows, 1))


def reader_table(model: Model, prompt: str, expected: tuple[str, ...]) -> str:
    """What a reader expects after the opening (issue 29): a greedy continuation that does not loop, and one of the
    `expected` words (measure.EXPECTED_NEXT: for Japanese an old tale's おじいさん or おばあさん) among the top five."""
    text = greedy_text(model, prompt)
    repeats = repeated_spans(text)
    rows = ["| what | this model | target |", "|---|---|---|",
            f"| 10-character spans repeated in the greedy continuation's first 80 characters: "
            f"{text.replace(chr(10), '↵')} | {repeats} | 0 ({'met' if repeats == 0 else 'not met'}) |"]
    ranks = next_token_ranks(model, prompt, expected)
    if ranks:
        shown = " / ".join(f"{w} {r if r else '(not one token)'}" for w, r in ranks.items())
        met = any(r and r <= 5 for r in ranks.values())
        rows.append(f"| rank among the next tokens | {shown} | one in the top five ({'met' if met else 'not met'}) |")
    return "\n".join(rows)


def tokenized(model: Model, text: str) -> str:
    """`text` as the model cuts it, pieces between bars."""
    return "|".join(model.decode([i]) for i in model.encode(text))


TARGETS = {"previous": 0.5, "induction": 0.4, "copying_gain": 2.0}  # model v2's targets (issue 12)


def heads_table(model: Model, m: HeadMeasures) -> str:
    """Per head: detector scores, its role, and the token it picks out by content on the head prompt."""
    trace = model.trace_ids(head_prompt_ids(model))
    rows = []
    for L in range(model.config.n_layer):
        for h in range(model.config.n_head):
            fav = favourite_tokens(trace[hooks.attn(L, "pattern")][h], trace.token_strings)[0]
            rows.append(f"| {L} | {h} | {m.previous[L, h]:.2f} | {m.duplicate[L, h]:.2f} | {m.induction[L, h]:.2f} | "
                        f"{role(m, L, h)} | `{fav.token}` ({fav.share:.0%}, ×{fav.lift:.1f}) |")
    return "\n".join(["| layer | head | previous-token | duplicate-token | induction | role | favourite token 2+ back "
                      "(share, lift) |", "|---|---|---|---|---|---|---|", *rows])


def targets_table(m: HeadMeasures) -> str:
    """The issue-12 targets and where this model stands."""
    pL, ph, prev = best(m.previous)
    iL, ih, ind = best(m.induction)
    mark = lambda ok: "met" if ok else "not met"  # noqa: E731
    return "\n".join([
        "| what | this model | target |", "|---|---|---|",
        f"| best previous-token head: mean weight on the token just before ({m.n_stories} held-out stories, first 120 "
        f"tokens) | {prev:.2f} (layer {pL} head {ph}) | ≥ {TARGETS['previous']} ({mark(prev >= TARGETS['previous'])}) |",
        f"| best induction head: mean weight from a repeated random token to the token after its first copy | "
        f"{ind:.2f} (layer {iL} head {ih}) | ≥ {TARGETS['induction']} ({mark(ind >= TARGETS['induction'])}) |",
        f"| copying: loss on the first copy minus loss on the repeat | {m.gain:.2f} nats/token | "
        f"≥ {TARGETS['copying_gain']} ({mark(m.gain >= TARGETS['copying_gain'])}) |"])


def chat_examples(model: Model, n_tokens: int = 60) -> tuple[str, int]:
    """(markdown, how many greedy answers use the requested name) for the requests of the model's language."""
    answers = chat_answers(model, n_tokens)
    if answers is None:
        return "This model has no chat template.", 0
    lines = [f"| {request} | {'yes' if used else 'no'} | {answer} |" for request, used, answer in answers]
    return "\n".join(["| user | name used | greedy answer |", "|---|---|---|", *lines]), sum(used for _, used, _ in answers)


def comparison_table(models: list[Model], cfg: TrainConfig, corpus: Path, n_bytes: int = 20_000) -> str:
    """Bits per byte of each model on the same held-out text of every corpus file (plain documents only)."""
    rows = []
    for path in cfg.corpus:
        f = corpus / Path(path).name
        docs, text_bytes = held_out_text(cfg, f, n_bytes)
        rows.append(f"| {f.name} | {text_bytes:,} | " + " | ".join(f"{bits_per_byte(m, docs):.3f}" for m in models) + " |")
    names = " | ".join(m.name if i == 0 else f"{m.name} (before)" for i, m in enumerate(models))
    return "\n".join([f"| held-out text | bytes | {names} |", "|---|---|" + "---|" * len(models), *rows])


def checkpoints_table(folder: Path, evals: dict[int, dict]) -> str:
    """Each shipped checkpoint: tokens seen, held-out loss, probe loss, and the heads' scores logged at that step."""
    rows = []
    for c in checkpoints(folder):
        e = evals.get(c.step, {})
        heads = f"{e['previous']:.2f} | {e['induction']:.2f} | {e['copying_gain']:.2f}" if "previous" in e else "— | — | —"
        where = "this folder" if c.path == folder.resolve() else f"`checkpoints/{c.path.name}`"
        rows.append(f"| {c.step:,} | {c.tokens_seen:,} | {c.nats_per_token:.3f} | {c.bits_per_byte:.3f} | "
                    f"{c.probe_nats:.3f} | {heads} | {where} |")
    return "\n".join(["| step | tokens seen | held-out nats/token | bits/byte | probe nats/token | previous | induction "
                      "| copying gain | weights |", "|---|---|---|---|---|---|---|---|---|", *rows])


@dataclass
class CardFacts:
    """What a model card says, measured and written out (gpttrain.card.measure_card); render_card lays it out with
    templates/card.md.jinja."""

    name: str  # the model folder's name
    arch: dict  # n_layer, n_head, d_head, d_model, d_mlp, n_ctx, vocab_size, tied_embeddings
    n_params: int
    special_tokens: str  # `<|endoftext|>`, `<|system|>`, ...
    chat_script: str  # the chat template's prompt for a one-line request ("" without a chat template)
    cfg: dict  # the run's TrainConfig, as training.json keeps it
    history: dict  # the run's History, as training.json keeps it
    final: dict  # the last evaluation of the training log
    per_source: list[tuple[str, dict]]  # (held-out source, its evaluation)
    corpus_files: str  # the corpus file names, comma-separated
    corpus_weights: str  # "name weight, ..."
    echo_text: str
    chat_data_text: str
    corpus_table: str
    excluded_text: str
    tinystories_text: str
    train_command: str
    notes: str  # notes.md, written by hand: how the run really went
    comparison_table: str
    opening: str  # the first opening of the model's language
    top5_table: str
    reader_table: str
    tokenized_opening: str  # the first opening as the model cuts it
    samples: str
    chat_table: str  # "" without a chat template
    chat_hits: int
    chat_asked: int
    known_name: str  # the one requested name that the training text has (Max)
    n_stories: int  # held-out stories the previous-token score reads
    targets_table: str
    heads_table: str
    head_prompt_tokens: int
    history_table: str


def measure_card(folder: Path, corpus: Path, compare: Path | None = None) -> CardFacts:
    """Everything the card of the model in `folder` says, measured on the corpus in `corpus` (and `compare`, another
    model, on the same held-out text); draws loss_curve.png into the folder."""
    model = load_model(folder)
    log = json.loads((folder / "training.json").read_text())
    loss_curve(log["history"], folder / "loss_curve.png")
    run = TrainConfig(**(log["config"] | {"corpus": [str(corpus / Path(p).name) for p in log["config"]["corpus"]]}))
    others = [load_model(compare)] if compare else []
    return CardFacts(name=folder.name, **model_facts(model), **run_facts(folder, log),
                     **corpus_facts(log["config"], corpus), **measured_facts(model, run, corpus, others))


def model_facts(model: Model) -> dict:
    """The model's shape, size, special tokens and chat script (fields of CardFacts)."""
    c = model.config
    request = chat_requests(language(model))[0][2]
    return dict(
        arch=dict(n_layer=c.n_layer, n_head=c.n_head, d_head=c.d_head, d_model=c.d_model, d_mlp=c.d_mlp, n_ctx=c.n_ctx,
                  vocab_size=c.vocab_size, tied_embeddings=c.tied_embeddings),
        n_params=total(parameter_tally(c)),
        special_tokens=", ".join(f"`{t}`" for t in (EOT, *ROLE_TOKENS)),
        chat_script=(chat_prompt(model.chat_template, [{"role": "user", "content": request}])
                     if model.chat_template else ""),
    )


def run_facts(folder: Path, log: dict) -> dict:
    """The run's settings, training log, hand-written notes and shipped checkpoints (fields of CardFacts)."""
    cfg, history = log["config"], log["history"]
    sources = log.get("held_out_sources", [Path(p).stem for p in cfg["corpus"]])
    notes_file = folder / "notes.md"
    return dict(
        cfg=cfg, history=history, final=history["evals"][-1],
        per_source=list(zip(sources, history["evals"][-1]["per_source"])),
        notes=notes_file.read_text(encoding="utf-8") if notes_file.exists() else "",
        history_table=(checkpoints_table(folder, {e["step"]: e for e in history["evals"]})
                       if (folder / "checkpoints" / "index.json").exists() else "No checkpoints were shipped."),
    )


def measured_facts(model: Model, run: TrainConfig, corpus: Path, others: list[Model]) -> dict:
    """What the card measures on the model (and on `others` beside it): held-out bits per byte, the top 5, samples,
    chat answers and heads (fields of CardFacts)."""
    lang = language(model)
    measures = measure_heads(model, held_out_stories(run, corpus))
    chats, hits = chat_examples(model)
    requests = chat_requests(lang)
    return dict(
        comparison_table=comparison_table([model, *others], run, corpus),
        opening=OPENINGS[lang][0], top5_table=top5_table(model, OPENINGS[lang][0]), samples=samples(model),
        reader_table=reader_table(model, OPENINGS[lang][0], EXPECTED_NEXT[lang]), tokenized_opening=tokenized(model, OPENINGS[lang][0]),
        chat_table=chats if model.chat_template else "", chat_hits=hits, chat_asked=len(requests),
        known_name=requests[0][1],
        n_stories=measures.n_stories, targets_table=targets_table(measures), heads_table=heads_table(model, measures),
        head_prompt_tokens=len(head_prompt_ids(model)),
    )


def render_card(facts: CardFacts) -> str:
    """The card's markdown: templates/card.md.jinja filled in with `facts`."""
    from dataclasses import asdict

    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), keep_trailing_newline=True,
                      undefined=StrictUndefined, autoescape=False)
    env.filters |= {"thousands": lambda x: f"{x:,}", "percent": lambda x: f"{x:.0%}",
                    "fixed": lambda x, digits: f"{x:.{digits}f}"}
    return env.get_template("card.md.jinja").render(asdict(facts))


def write_card(folder: Path, corpus: Path, compare: Path | None = None) -> Path:
    """Measure the model in `folder` and write its card, README.md (and loss_curve.png), there."""
    path = folder / "README.md"
    path.write_text(render_card(measure_card(folder, corpus, compare)), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    from gptmath.load import DEFAULT_MODEL

    ap = argparse.ArgumentParser(prog="python -m gpttrain.card", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model folder written by gpttrain.train")
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"), help="folder of the corpus and its SOURCES.md")
    ap.add_argument("--compare", type=Path, help="another model folder to measure on the same held-out text")
    args = ap.parse_args(argv)
    print(write_card(args.model, args.corpus, args.compare))


if __name__ == "__main__":
    main()
