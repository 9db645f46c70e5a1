"""What a model card measures on a model: its language, the head detectors' scores, greedy answers to chat
requests, and bits per byte on held-out text of its corpus."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gptmath.chat import END, chat_prompt
from gptmath.heads import chance_share, copying_report, named_role, previous_token_mask, previous_token_report
from gptmath.load import Model
from gptmath.sampling import generate

from .data import EOT, KATAKANA, UNSEEN_NAMES, UNSEEN_NAMES_JA, file_split

if TYPE_CHECKING:
    from .train import TrainConfig

OPENINGS = {
    "en": ["Once upon a time, there was a little", "One day, Lily went to the park and", "The old king had three"],
    "ja": ["むかしむかし、あるところに、", "ある日、小さな子どもが", "森の中に"],
}


# What a reader expects next after a language's first opening (issue 29: an old tale's old man or old woman).
EXPECTED_NEXT = {"en": (), "ja": ("おじいさん", "おばあさん")}


def language(model: Model) -> str:
    """The language of a model's training text, judged by how it cuts a Japanese phrase (ja if into few tokens)."""
    phrase = "むかしむかし、おじいさんとおばあさん"
    return "ja" if len(model.encode(phrase)) <= len(phrase) * 2 // 3 else "en"


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


def uses_name(answer: str, name: str) -> bool:
    """Whether the answer writes the name as a word of its own ("Soren", "Soren's"; not "Sorena"). A katakana name
    stands between characters that are not katakana (「タムシンは」, not 「タムシンガ」 or 「ヤタムシン」)."""
    if re.fullmatch(f"[{KATAKANA}]+", name):
        return re.search(rf"(?<![{KATAKANA}]){re.escape(name)}(?![{KATAKANA}])", answer) is not None
    return re.search(rf"\b{re.escape(name)}\b", answer) is not None


def greedy_text(model: Model, prompt: str, n_chars: int = 80) -> str:
    """The first `n_chars` characters of the greedy continuation of `prompt`, written in 2·`n_chars` tokens (shorter
    where those tokens make fewer characters: byte pieces)."""
    steps = generate(model, prompt, 2 * n_chars, greedy=True)
    return model.decode([s.chosen for s in steps])[:n_chars]


def repeated_spans(text: str, width: int = 10) -> int:
    """How many `width`-character spans of `text` occurred earlier in it (0: the text never loops)."""
    spans = [text[i:i + width] for i in range(len(text) - width + 1)]
    return len(spans) - len(set(spans))


def next_token_ranks(model: Model, prompt: str, words: tuple[str, ...]) -> dict[str, int | None]:
    """Each word's rank (1 = most likely) among the next tokens after `prompt`; None where it is not one token."""
    logits = model.trace(prompt)["logits"][-1]
    ranks: dict[str, int] = {}
    for rank, token in enumerate(model.token_strings([int(i) for i in np.argsort(-logits)]), 1):
        ranks.setdefault(token.strip(), rank)
    return {w: ranks.get(w) for w in words}


def chat_answers(model: Model, n_tokens: int = 60) -> list[tuple[str, bool, str]] | None:
    """(request, whether the answer uses the requested name, the greedy answer on one line) for each request of the
    model's language; None for a model without a chat template."""
    template = model.chat_template
    if template is None:
        return None
    answers = []
    end = model.tokenizer.token_to_id(END)
    for _, name, request in chat_requests(language(model)):
        prompt = chat_prompt(template, [{"role": "user", "content": request}])
        steps = generate(model, prompt, n_tokens, greedy=True, stop=end)
        answer = model.decode([s.chosen for s in steps if s.chosen != end]).replace("\n", " ").strip()
        answers.append((request, uses_name(answer, name), answer))
    return answers


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


def held_out_text(cfg: TrainConfig, file: Path, n_bytes: int) -> tuple[list[str], int]:
    """The first held-out documents of a corpus file (plain documents only), cut to `n_bytes` in all; and how many
    bytes they hold."""
    docs, text_bytes = [], 0
    for d in file_split(cfg, file)[1][0]:
        docs.append(d.encode("utf-8")[: n_bytes - text_bytes].decode("utf-8", errors="ignore"))
        text_bytes += len(docs[-1].encode("utf-8"))
        if text_bytes >= n_bytes - 3:  # a cut character leaves up to 3 bytes unused
            break
    return docs, text_bytes
