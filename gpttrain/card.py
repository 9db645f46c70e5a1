"""Write the model card (README.md + loss_curve.png) of a model trained by gpttrain.train.

    python -m gpttrain.card --model assets/models/tinytales-gpt2 --sources ../shared/corpus/SOURCES.md

Everything in the card is measured: the training log, held-out losses, a
forward pass for the top-5 table, seeded samples, and head patterns.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gptmath.heads import favourite_tokens, head_kinds, pick_head, previous_token_scores
from gptmath.load import Model, load_model
from gptmath.params import parameter_tally, total
from gptmath.sampling import generate, softmax_with_temperature, top_k

OPENINGS = ["Once upon a time, there was a little", "One day, Lily went to the park and", "The old king had three"]
HEAD_PROMPT = ("Once upon a time, there was a little girl named Lily. She liked to play in the park with her dog, Max. "
               "One day, Max ran after a big red ball. Lily said, \"Max, come back!\" But Max did not stop. He ran "
               "to the pond and jumped in. Lily laughed and said, \"You silly dog!\" Tom, her friend, came with a "
               "towel. They dried Max and went home. Mom made them warm soup. Lily was happy. She hugged Max and "
               "said, \"I love you, Max.\"")


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


def corpus_table(sources: Path) -> str:
    """The corpus files and books with their licences, from the corpus' SOURCES.md."""
    text = sources.read_text(encoding="utf-8")
    files = [line for line in text.splitlines() if line.startswith("| tinystories") or line.startswith("| gutenberg")]
    books = re.findall(r"^\| (\d+) \| (.+?) \| (.+?) \| (\d+) \|", text, flags=re.M)
    rows = "\n".join(f"| {n} | {title} | {author} | {pg} |" for n, title, author, pg in books)
    return ("| file | bytes | content | licence |\n|---|---|---|---|\n" + "\n".join(files) +
            "\n\nProject Gutenberg books (public domain in the US):\n\n| # | title | author | PG ebook # |\n"
            "|---|---|---|---|\n" + rows)


def samples(model: Model) -> str:
    out = []
    for prompt in OPENINGS:
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
        f"| {i} | `{c.text}` | {c.prob:.1%} | {c.logit:.2f} |" for i, c in enumerate(rows, 1))


def head_prompt_ids(model: Model) -> list[int]:
    """HEAD_PROMPT's tokens, as many as the model's context holds."""
    return model.encode(HEAD_PROMPT)[: model.config.n_ctx]


def heads_table(model: Model) -> str:
    """Per head: where it looks by position, and which token it picks out by content, on HEAD_PROMPT."""
    trace = model.trace_ids(head_prompt_ids(model))
    kinds, prev = head_kinds(trace), previous_token_scores(trace)
    rows, picky = [], []
    for L in range(model.config.n_layer):
        for h in range(model.config.n_head):
            fav = favourite_tokens(trace[f"blocks.{L}.attn.hook_pattern"][h], trace.token_strings)[0]
            if fav.lift >= 4 and fav.share >= 0.15:
                picky.append(f"layer {L} head {h} (`{fav.token}`, {fav.share:.0%} of its weight, ×{fav.lift:.0f})")
            rows.append(f"| {L} | {h} | {kinds[L][h]} | {prev[L, h]:.2f} | `{fav.token}` | {fav.share:.0%} | "
                        f"{fav.base:.0%} | ×{fav.lift:.1f} |")
    L, h = pick_head(trace)
    if prev[L, h] > 0.5:
        summary = (f"Layer {L} head {h} is a previous-token head: on average {prev[L, h]:.0%} of its weight goes to "
                   "the token just before.")
    else:
        summary = (f"No head is a sharp previous-token head yet: the strongest, layer {L} head {h}, puts "
                   f"{prev[L, h]:.0%} of its weight on the token just before.")
    if picky:
        summary += " Heads that pick tokens out by content: " + ", ".join(picky) + "."
    return "\n".join([
        "| layer | head | by position | previous-token weight | favourite token 2+ back | its share | its frequency | lift |",
        "|---|---|---|---|---|---|---|---|", *rows]) + "\n\n" + summary


def write_card(folder: Path, sources: Path) -> Path:
    model = load_model(folder)
    log = json.loads((folder / "training.json").read_text())
    cfg, history = log["config"], log["history"]
    best = min(history["evals"], key=lambda e: e["nats_per_token"])
    c = model.config
    n_params = total(parameter_tally(c))
    loss_curve(history, folder / "loss_curve.png")
    corpus_names = [Path(p).name for p in cfg["corpus"]]
    notes_file = folder / "notes.md"  # how the run really went (resumes, changed settings), written by hand
    notes = notes_file.read_text(encoding="utf-8") if notes_file.exists() else ""
    per_source = "\n".join(f"| {name} | {s['nats_per_token']:.3f} | {s['bits_per_byte']:.3f} |"
                           for name, s in zip(corpus_names, best["per_source"]))
    command = (f"python -m gpttrain.train --corpus {' '.join(cfg['corpus'])} --mix {' '.join(map(str, cfg['mix']))} "
               f"--out {cfg['out']} --work {cfg['work']} --n-layer {cfg['n_layer']} --n-head {cfg['n_head']} "
               f"--d-model {cfg['d_model']} --n-ctx {cfg['n_ctx']} --vocab-size {cfg['vocab_size']} "
               f"--steps {cfg['steps']} --eval-every {cfg['eval_every']} --warmup {cfg['warmup']} --lr {cfg['lr']} "
               f"--seed {cfg['seed']} --threads {cfg['threads']}")
    card = f"""# tinytales-gpt2

A small GPT-2 trained by this project on children's stories, shipped so that every scene runs offline.
It is a standard `transformers` `GPT2LMHeadModel` saved with `save_pretrained` (safetensors), loadable with
`GPT2LMHeadModel.from_pretrained` and `AutoTokenizer.from_pretrained` on this folder, and by `gptmath.load_model()`.

## Architecture

| | |
|---|---|
| layers | {c.n_layer} |
| heads per layer | {c.n_head} (head size {c.d_head}) |
| model width d | {c.d_model} |
| MLP width | {c.d_mlp} |
| context | {c.n_ctx} tokens |
| vocabulary | {c.vocab_size:,} tokens |
| unembedding | tied to the token embedding: {c.tied_embeddings} |
| parameters | {n_params:,} |

## Tokenizer

Byte-level BPE (the algorithm of GPT-2's tokenizer) trained with the `tokenizers` library on the training
split: {c.vocab_size:,} tokens, `<|endoftext|>` (id {model.tokenizer.token_to_id('<|endoftext|>')})
separates documents. Any UTF-8 text can be encoded: unseen characters fall back to byte tokens.

## Data

The project's corpus (not committed; see its `SOURCES.md`): TinyStories excerpts and public-domain children's
books. Documents (stories; whole books) were split {1 - cfg['held_out']:.0%} / {cfg['held_out']:.0%} into training
and held-out sets with seed {cfg['seed']}; training windows were drawn from the two files with weights
{', '.join(f'{n} {w}' for n, w in zip(corpus_names, cfg['mix']))}.

{corpus_table(sources)}

TinyStories: Ronen Eldan and Yuanzhi Li (2023), *TinyStories: How Small Can Language Models Be and Still Speak
Coherent English?*, dataset licensed CDLA-Sharing-1.0.

## Training

```
{command}
```

{history['tokens_seen']:,} tokens seen in {len(history['train'])} steps of {cfg['batch_size']} × {cfg['n_ctx']} tokens,
{history['seconds'] / 60:.0f} minutes of training on 2 CPU cores (shared with other work), AdamW (β = 0.9, 0.95,
weight decay {cfg['weight_decay']}), linear warm-up then cosine decay; the command above is the last phase's.
{notes}
![loss curve](loss_curve.png)

## Held-out loss (best checkpoint, step {best['step']})

| | nats per token | bits per byte |
|---|---|---|
| all held-out text | {best['nats_per_token']:.3f} | **{best['bits_per_byte']:.3f}** |
{per_source}

## Next token after "{OPENINGS[0]}"

{top5_table(model, OPENINGS[0])}

## Samples (seed 0, 40 tokens)

{samples(model)}

## Attention heads

Measured on a {len(head_prompt_ids(model))}-token story (`gpttrain.card.HEAD_PROMPT`). "By position" is where a head puts
most of its weight on average: the previous token, the first token, itself (each above 50%), or spread. The
last columns look past position, at keys two or more places back: the token that gets most of the head's weight
there, the share it gets, how often that token occurs among those keys, and the ratio of the two (lift; a head
blind to content has lift 1). The attention scenes pick the head with the highest previous-token weight by
default; `--layer`/`--head` choose another.

{heads_table(model)}

## Licence

Weights: trained from scratch by this project; the training data's licences above apply to the text it learned from
(CDLA-Sharing-1.0 for TinyStories).
"""
    path = folder / "README.md"
    path.write_text(card, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    from gptmath.load import DEFAULT_MODEL

    ap = argparse.ArgumentParser(prog="python -m gpttrain.card", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model folder written by gpttrain.train")
    ap.add_argument("--sources", type=Path, default=Path("../shared/corpus/SOURCES.md"), help="the corpus' SOURCES.md")
    args = ap.parse_args(argv)
    print(write_card(args.model, args.sources))


if __name__ == "__main__":
    main()
