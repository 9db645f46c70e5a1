"""What a model card says about the run that made the model: its corpus (from the corpus's SOURCES.md), the chats
and echo windows it trained on, and the command line that reproduces it."""
from __future__ import annotations

import re
from pathlib import Path

from .data import SYSTEM_PROMPT_JA

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


def train_command(cfg: dict) -> str:
    """The gpttrain.train command line that reproduces a run's settings."""
    flags = [f"--corpus {' '.join(cfg['corpus'])}", f"--mix {' '.join(map(str, cfg['mix']))}" if cfg.get("mix") else "",
             f"--chat-files {' '.join(cfg['chat_files'])} --chat-share {cfg['chat_share']}" if cfg.get("chat_files") else "",
             f"--out {cfg['out']} --work {cfg['work']}"]
    for key in ("vocab_size", "n_layer", "n_head", "d_model", "n_ctx", "batch_size", "steps", "lr", "warmup",
                "weight_decay", "eval_every", "eval_windows", "seed", "threads"):
        flags.append(f"--{key.replace('_', '-')} {cfg[key]}")
    flags.append(f"--snapshots {' '.join(map(str, cfg.get('snapshots') or []))}")
    for key in ("rename_share", "echo_share", "random_echo_share", "unlikelihood_share"):  # written where not 0
        if cfg.get(key):
            flags.append(f"--{key.replace('_', '-')} {cfg[key]}")
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
    random = (f" Another {cfg['random_echo_share']:.0%} told random tokens twice, scored on the repeat "
              "(`gpttrain.train.random_echo_window`)." if cfg.get("random_echo_share") else "")
    until = (f" Echo windows were drawn only in the first {cfg['echo_until']:,} steps, then plain text: copying had "
             "paid off by then, and a model that goes on seeing text told twice learns to repeat itself."
             if cfg.get("echo_until") else "")
    return (f"{cfg['echo_share']:.0%} of the training windows told a stretch of text twice (8 to {cfg['n_ctx'] // 2} "
            "tokens of a document, at once again, then the document went on; `gpttrain.train.echo_window`): like a "
            "child asking to hear a passage again, it is where copying from the context pays off, which is what "
            f"previous-token and induction heads do.{random}{until} The induction test below uses random tokens, "
            "never such text.")


def corpus_facts(cfg: dict, corpus: Path) -> dict:
    """The card's words about a run's corpus and training text (fields of gpttrain.card.CardFacts)."""
    tinystories = ("TinyStories: Ronen Eldan and Yuanzhi Li (2023), *TinyStories: How Small Can Language Models Be "
                   "and Still Speak Coherent English?*, dataset licensed CDLA-Sharing-1.0."
                   if any("tinystories" in f for f in cfg["corpus"]) else "")
    return dict(
        corpus_files=", ".join(Path(f).name for f in cfg["corpus"]),
        corpus_weights=", ".join(f"{Path(n).name} {w}" for n, w in zip(cfg["corpus"], cfg["mix"] or [1] * len(cfg["corpus"]))),
        echo_text=echo_text(cfg), chat_data_text=chat_data_text(cfg),
        corpus_table=corpus_table(corpus / "SOURCES.md", cfg["corpus"]),
        excluded_text=(f"Documents containing any of these words were left out entirely, from training and held-out "
                       f"text alike, so that no sample can produce them from the training text: "
                       f"{', '.join(cfg['exclude'])}." if cfg.get("exclude") else ""),
        tinystories_text=tinystories,
        train_command=train_command(cfg),
    )
