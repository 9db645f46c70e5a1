"""Write the model card (README.md + loss_curve.png) of a model trained by gpttrain.train.

    python -m gpttrain.card --model assets/models/tinytales-gpt2 --corpus ../shared/corpus --compare OLD_MODEL

Everything in the card is measured: the training log, held-out losses, a
forward pass for the top-5 table, seeded samples, head detectors (on held-out
stories and on repeated random tokens), chat answers, and the checkpoints:
measure_card gathers it into a CardFacts, and render_card lays that out with
templates/card.md.jinja.
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gptmath import hooks
from gptmath.chat import END, ROLE_TOKENS, chat_prompt
from gptmath.checkpoints import checkpoints
from gptmath.heads import (chance_share, copying_report, favourite_tokens, named_role, previous_token_mask,
                           previous_token_report)
from gptmath.load import Model, load_model
from gptmath.params import parameter_tally, total
from gptmath.sampling import generate, softmax_with_temperature, top_k

from .data import EOT, SYSTEM_PROMPT_JA, UNSEEN_NAMES, UNSEEN_NAMES_JA
from .train import TrainConfig, file_split

OPENINGS = {
    "en": ["Once upon a time, there was a little", "One day, Lily went to the park and", "The old king had three"],
    "ja": ["むかしむかし、あるところに、", "ある日、小さな子どもが", "森の中に"],
}
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


def language(model: Model) -> str:
    """The language of a model's training text, judged by how it cuts a Japanese phrase (ja if into few tokens)."""
    phrase = "むかしむかし、おじいさんとおばあさん"
    return "ja" if len(model.encode(phrase)) <= len(phrase) * 2 // 3 else "en"


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


BOOK_SECTIONS = {  # where SOURCES.md lists each Gutenberg file's books: its section, then the table's heading
    "gutenberg_childrens_lit.txt": ("## Gutenberg origins", None),
    "gutenberg_simple_stories.txt": ("## Simple children's stories", "### Origins"),
}
BOOK_ROW = re.compile(r"^\| (\d+) \| (.+?) \| (.+?) \| (\d+) \|", flags=re.M)


def section(text: str, heading: str, sub: str | None = None) -> str:
    """The part of a markdown text under `heading` (and under `sub` inside it), up to the next heading of its level."""
    part = text[text.index(heading) + len(heading):]
    level = heading.split(" ")[0] + " "
    end = re.search(rf"^{level}", part, flags=re.M)
    part = part[: end.start()] if end else part
    return section(part, sub) if sub else part


def dropped_books(text: str) -> set[str]:
    """The numbers of the books the screening dropped ("- **#19 Peter Pan** ...")."""
    return set(re.findall(r"^- \*\*#(\d+) ", section(text, "## Screening of", "### Book dropped"), flags=re.M))


def corpus_table(sources: Path, files: list[str]) -> str:
    """The corpus files used, with their licences, and the tables of their books or works, from SOURCES.md."""
    text = sources.read_text(encoding="utf-8")
    names = [Path(f).name for f in files]
    rows = [line for line in text.splitlines() if any(line.startswith(f"| {n} |") for n in names)]
    out = "| file | bytes | content | licence |\n|---|---|---|---|\n" + "\n".join(rows)
    for name in (n for n in names if n in BOOK_SECTIONS):
        skip = dropped_books(text) if name == "gutenberg_childrens_lit.txt" else set()
        books = [b for b in BOOK_ROW.findall(section(text, *BOOK_SECTIONS[name])) if b[0] not in skip]
        out += (f"\n\nProject Gutenberg books in {name} (public domain in the US):\n\n"
                "| # | title | author | PG ebook # |\n|---|---|---|---|\n"
                + "\n".join(f"| {n} | {t} | {a} | {pg} |" for n, t, a, pg in books))
    if any(n.startswith("japanese") for n in names):
        table = text[text.index("| author | death year |"):]
        out += ("\n\nAozora Bunko works by author (public domain in Japan; see SOURCES.md for every work):\n\n"
                + table[: table.index("\n\n")])
    return out


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


def head_prompt_ids(model: Model) -> list[int]:
    """The head prompt's tokens in the model's language, as many as the model's context holds."""
    return model.encode(HEAD_PROMPTS[language(model)])[: model.config.n_ctx]


# Max is a TinyStories name; the others never occur in the training text and are never made up for it.
CHAT_REQUESTS = [("dog", "Max"), *zip(("cat", "bird", "girl", "boy", "rabbit", "fox", "bear", "frog", "mouse"),
                                      UNSEEN_NAMES)]
# Japanese: ポチ is a dog's name in the corpus; the others never occur in it and are never made up for training.
CHAT_REQUESTS_JA = [("犬", "ポチ"), *zip(("猫", "鳥", "女の子", "男の子", "うさぎ", "きつね", "たぬき", "ねずみ", "馬"),
                                        UNSEEN_NAMES_JA)]


def chat_requests(lang: str) -> list[tuple[str, str, str]]:
    """(kind, name, the user's request) for each story the card asks a model of language `lang` for."""
    if lang == "ja":
        return [(noun, name, f"{name}という{noun}のお話をしてください。") for noun, name in CHAT_REQUESTS_JA]
    return [(noun, name, f"Tell me a story about a {noun} named {name}.") for noun, name in CHAT_REQUESTS]


TARGETS = {"previous": 0.5, "induction": 0.4, "copying_gain": 2.0}  # model v2's targets (issue 12)


@dataclass
class HeadMeasures:
    """The head detectors' scores per head and the model's copying gain."""

    previous: np.ndarray  # [n_layer, n_head] on the first 120 tokens of held-out stories
    induction: np.ndarray  # [n_layer, n_head] on <|endoftext|> + random tokens + the same again
    duplicate: np.ndarray  # [n_layer, n_head] same sequences
    gain: float  # nats per token
    n_stories: int
    chance: dict[str, float]  # what a head spreading evenly would score on each detector's text


def measure_heads(model: Model, stories: list[str], n_tokens: int = 120) -> HeadMeasures:
    report = copying_report(model)
    ids = [np.array(model.encode(s)[:min(n_tokens, model.config.n_ctx)]) for s in stories]
    chance = report.chance | {"previous": float(np.mean([chance_share(previous_token_mask(i)) for i in ids]))}
    return HeadMeasures(previous_token_report(model, stories, n_tokens), report.induction, report.duplicate,
                        report.gain, len(stories), chance)


def best(scores: np.ndarray) -> tuple[int, int, float]:
    L, h = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(L), int(h), float(scores[L, h])


ROLE_NAMES = {"previous": "previous token", "induction": "induction", "duplicate": "duplicate token", "spread": "—"}


def role(m: HeadMeasures, L: int, h: int) -> str:
    """What a head mostly does, named as gptmath.heads.named_role names it (the scenes' head labels do the same)."""
    scores = {"previous": m.previous[L, h], "induction": m.induction[L, h], "duplicate": m.duplicate[L, h]}
    return ROLE_NAMES[named_role(scores, m.chance)]


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


KATAKANA = "ァ-ヶー"


def uses_name(answer: str, name: str) -> bool:
    """Whether the answer writes the name as a word of its own ("Soren", "Soren's"; not "Sorena"). A katakana name
    stands between characters that are not katakana (「タムシンは」, not 「タムシンガ」 or 「ヤタムシン」)."""
    if re.fullmatch(f"[{KATAKANA}]+", name):
        return re.search(rf"(?<![{KATAKANA}]){re.escape(name)}(?![{KATAKANA}])", answer) is not None
    return re.search(rf"\b{re.escape(name)}\b", answer) is not None


def chat_examples(model: Model, n_tokens: int = 60) -> tuple[str, int]:
    """(markdown, how many greedy answers use the requested name) for the requests of the model's language."""
    template = model.chat_template
    if template is None:
        return "This model has no chat template.", 0
    lines, hits = [], 0
    end = model.tokenizer.token_to_id(END)
    for _, name, request in chat_requests(language(model)):
        prompt = chat_prompt(template, [{"role": "user", "content": request}])
        steps = generate(model, prompt, n_tokens, greedy=True, stop=end)
        answer = model.decode([s.chosen for s in steps if s.chosen != end]).replace("\n", " ").strip()
        used = uses_name(answer, name)
        hits += used
        lines.append(f"| {request} | {'yes' if used else 'no'} | {answer} |")
    return "\n".join(["| user | name used | greedy answer |", "|---|---|---|", *lines]), hits


def held_out_stories(cfg: TrainConfig, corpus: Path, n: int = 8) -> list[str]:
    """The first n held-out stories of the first chat-bearing corpus file (else the first file)."""
    files = [corpus / Path(p).name for p in cfg.corpus]
    file = next((f for f in files if f.name in cfg.chat_files), files[0])
    return file_split(cfg, file)[1][0][:n]


def bits_per_byte(model: Model, texts: list[str]) -> float:
    """Held-out bits per byte of `texts`, read in non-overlapping context-sized windows (tokenizer-independent)."""
    from gptmath.checkpoints import mean_loss

    nll = n_bytes = 0.0
    eot = model.tokenizer.token_to_id(EOT)
    for text in texts:
        ids = [eot, *model.encode(text)]
        for start in range(0, len(ids) - 1, model.config.n_ctx):
            window = ids[start:start + model.config.n_ctx + 1][: model.config.n_ctx]
            if len(window) > 1:
                nll += mean_loss(model, window) * (len(window) - 1)
        n_bytes += len(text.encode("utf-8"))
    return nll / np.log(2) / n_bytes


def comparison_table(models: list[Model], cfg: TrainConfig, corpus: Path, n_bytes: int = 20_000) -> str:
    """Bits per byte of each model on the same held-out text of every corpus file (plain documents only)."""
    rows = []
    for path in cfg.corpus:
        f = corpus / Path(path).name
        docs, text_bytes = [], 0
        for d in file_split(cfg, f)[1][0]:
            docs.append(d.encode("utf-8")[: n_bytes - text_bytes].decode("utf-8", errors="ignore"))
            text_bytes += len(docs[-1].encode("utf-8"))
            if text_bytes >= n_bytes - 3:  # a cut character leaves up to 3 bytes unused
                break
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


def train_command(cfg: dict) -> str:
    """The gpttrain.train command line that reproduces a run's settings."""
    flags = [f"--corpus {' '.join(cfg['corpus'])}", f"--mix {' '.join(map(str, cfg['mix']))}" if cfg.get("mix") else "",
             f"--chat-files {' '.join(cfg['chat_files'])} --chat-share {cfg['chat_share']}" if cfg.get("chat_files") else "",
             f"--out {cfg['out']} --work {cfg['work']}"]
    for key in ("vocab_size", "n_layer", "n_head", "d_model", "n_ctx", "batch_size", "steps", "lr", "warmup",
                "weight_decay", "eval_every", "eval_windows", "seed", "threads"):
        flags.append(f"--{key.replace('_', '-')} {cfg[key]}")
    flags.append(f"--snapshots {' '.join(map(str, cfg.get('snapshots') or []))}")
    if cfg.get("rename_share"):
        flags.append(f"--rename-share {cfg['rename_share']}")
    if cfg.get("echo_share"):
        flags.append(f"--echo-share {cfg['echo_share']}")
    if cfg.get("random_echo_share"):
        flags.append(f"--random-echo-share {cfg['random_echo_share']}")
    if cfg.get("lang", "en") != "en":
        flags.append(f"--lang {cfg['lang']}")
    if cfg.get("sinusoid_positions"):
        flags.append("--sinusoid-positions")
    if cfg.get("init"):
        flags.append(f"--init {cfg['init']}")
    if cfg.get("exclude"):
        flags.append("--exclude-file TERMS  # TERMS: the words listed under Data")
    if not cfg.get("bf16", False):
        flags.append("--no-bf16")
    return "python -m gpttrain.train " + " ".join(f for f in flags if f)


def rename_text(cfg: dict) -> str:
    """What the card says about chats whose hero got a made-up name."""
    if not cfg.get("rename_share"):
        return ""
    return (f" In {cfg['rename_share']:.0%} of the chats the hero got a made-up name (two or three syllables, "
            "`gpttrain.data.made_up_name`) in the request and throughout the story, so that the answer must copy "
            "a name from the request rather than recall one.")


def chat_data_text(cfg: dict) -> str:
    """What the card says about the chats made of the training text, if any."""
    if not cfg.get("chat_files"):
        return ""
    files = ", ".join(cfg["chat_files"])
    if cfg.get("lang") == "ja":
        renamed = (f" In {cfg['rename_share']:.0%} of the chats the character got a made-up katakana name (two or three "
                   "syllables, `gpttrain.data.made_up_name_ja`) in the request, in an opening sentence "
                   "(「むかしむかし、ミロという犬がいました。」) and wherever the passage names it."
                   if cfg.get("rename_share") else "")
        return (f"The works of {files} were cut into passages of whole paragraphs (120 to 320 characters); of a random "
                f"{cfg['chat_share']:.0%} of them (training and held-out alike), those that name a character (a word of "
                "`gpttrain.data.NOUNS_JA`: 犬, おじいさん, 王子, …) also became chats, as extra documents: the system line "
                f"「{SYSTEM_PROMPT_JA}」, a user asking for a story about the character the passage names most, and the "
                f"passage as the assistant's turn (`gpttrain.data.chat_document_ja`).{renamed}")
    return (f"A share of {cfg['chat_share']:.0%} of the stories of {files} (training and held-out alike) became chats: "
            "a system line, a user asking for a story with the hero's name and kind or three words the story really "
            "contains (like TinyStories-Instruct's prompts), and the story as the assistant's turn "
            f"(`gpttrain.data.chat_document`).{rename_text(cfg)}")


def echo_text(cfg: dict) -> str:
    """What the card says about echo windows, if the last phase of training had them."""
    if not cfg.get("echo_share"):
        return ""
    return (f"{cfg['echo_share']:.0%} of the training windows told a stretch of text twice (8 to {cfg['n_ctx'] // 2} "
            "tokens of a document, at once again, then the document went on; `gpttrain.train.echo_window`): like a "
            "child asking to hear a passage again, it is where copying from the context pays off, which is what "
            "previous-token and induction heads do. The induction test below uses random tokens, never such text.")


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
    cfg, history = log["config"], log["history"]
    run = TrainConfig(**(cfg | {"corpus": [str(corpus / Path(p).name) for p in cfg["corpus"]]}))
    c = model.config
    loss_curve(history, folder / "loss_curve.png")
    sources = log.get("held_out_sources", [Path(p).stem for p in cfg["corpus"]])
    notes_file = folder / "notes.md"
    lang = language(model)
    measures = measure_heads(model, held_out_stories(run, corpus))
    chats, hits = chat_examples(model)
    requests = chat_requests(lang)
    tinystories = ("TinyStories: Ronen Eldan and Yuanzhi Li (2023), *TinyStories: How Small Can Language Models Be "
                   "and Still Speak Coherent English?*, dataset licensed CDLA-Sharing-1.0."
                   if any("tinystories" in f for f in cfg["corpus"]) else "")
    return CardFacts(
        name=folder.name,
        arch=dict(n_layer=c.n_layer, n_head=c.n_head, d_head=c.d_head, d_model=c.d_model, d_mlp=c.d_mlp, n_ctx=c.n_ctx,
                  vocab_size=c.vocab_size, tied_embeddings=c.tied_embeddings),
        n_params=total(parameter_tally(c)),
        special_tokens=", ".join(f"`{t}`" for t in (EOT, *ROLE_TOKENS)),
        chat_script=(chat_prompt(model.chat_template, [{"role": "user", "content": requests[0][2]}])
                     if model.chat_template else ""),
        cfg=cfg, history=history, final=history["evals"][-1],
        per_source=list(zip(sources, history["evals"][-1]["per_source"])),
        corpus_files=", ".join(Path(f).name for f in cfg["corpus"]),
        corpus_weights=", ".join(f"{Path(n).name} {w}" for n, w in zip(cfg["corpus"], cfg["mix"] or [1] * len(cfg["corpus"]))),
        echo_text=echo_text(cfg), chat_data_text=chat_data_text(cfg),
        corpus_table=corpus_table(corpus / "SOURCES.md", cfg["corpus"]),
        excluded_text=(f"Documents containing any of these words were left out entirely, from training and held-out "
                       f"text alike, so that no sample can produce them from the training text: "
                       f"{', '.join(cfg['exclude'])}." if cfg.get("exclude") else ""),
        tinystories_text=tinystories,
        train_command=train_command(cfg),
        notes=notes_file.read_text(encoding="utf-8") if notes_file.exists() else "",
        comparison_table=comparison_table([model] + ([load_model(compare)] if compare else []), run, corpus),
        opening=OPENINGS[lang][0], top5_table=top5_table(model, OPENINGS[lang][0]), samples=samples(model),
        chat_table=chats if model.chat_template else "", chat_hits=hits, chat_asked=len(requests),
        known_name=requests[0][1],
        n_stories=measures.n_stories, targets_table=targets_table(measures), heads_table=heads_table(model, measures),
        head_prompt_tokens=len(head_prompt_ids(model)),
        history_table=(checkpoints_table(folder, {e["step"]: e for e in history["evals"]})
                       if (folder / "checkpoints" / "index.json").exists() else "No checkpoints were shipped."),
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
