"""The training text: documents and their held-out split, stories turned into chats (English and Japanese),
the byte-level BPE tokenizer with role tokens and a chat template, and what a run reads (`prepare`: the tokenizer
and the train and held-out id streams)."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gptmath.chat import CHAT_TEMPLATE, ROLE_TOKENS, SYSTEM_PROMPT

if TYPE_CHECKING:
    from collections.abc import Iterator

    from gpttrain.train import TrainConfig

EOT = "<|endoftext|>"


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

def read_documents(path: Path) -> list[str]:
    """The documents of one corpus file (separated by lines holding only <|endoftext|>)."""
    text = path.read_text(encoding="utf-8")
    return [d.strip() for d in text.split(f"\n{EOT}\n") if d.strip()]


def split_documents(docs: list[str], held_out: float, seed: int) -> tuple[list[str], list[str]]:
    """Shuffle documents with the seed; the last fraction (at least one) is held out."""
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    n_test = max(1, round(held_out * len(docs))) if len(docs) > 1 else 0
    test = set(order[len(order) - n_test:])
    return [d for i, d in enumerate(docs) if i not in test], [d for i, d in enumerate(docs) if i in test]


NAMED = re.compile(r"\b(?:a|an)\s+((?:[a-z]+\s+){1,3}?)named\s+([A-Z][a-z]+)\b")
COMMON = set("""the and was were that with they them their there then when what from have had this into said
very like just some would could about your you she her his him its it's one two who did didn't not but for are out
all can saw see got get went came day time once upon little big too now how our will wanted happy""".split())
NAME_REQUESTS = ("Tell me a story about {a} {noun} named {name}.", "Can you tell me a story about {a} {noun} named {name}?",
                 "Please write a story about {a} {noun} called {name}.", "I want a story about {name} the {noun}.")
WORD_REQUESTS = ("Tell me a story with the words {w1}, {w2} and {w3}.", "Write a story that uses the words {w1}, {w2} and {w3}.")


def story_request(story: str, rng: random.Random) -> str:
    """A user's request for `story`: its hero's name and kind when it has one, else three of its words."""
    named = NAMED.search(story)
    if named and rng.random() < 0.8:
        noun, name = named.group(1).split()[-1], named.group(2)
        return rng.choice(NAME_REQUESTS).format(a="an" if noun[0] in "aeiou" else "a", noun=noun, name=name)
    words = sorted({w for w in re.findall(r"\b[a-z]{4,}\b", story) if w not in COMMON})
    if len(words) < 3:
        return "Tell me a story."
    w1, w2, w3 = rng.sample(words, 3)
    return rng.choice(WORD_REQUESTS).format(w1=w1, w2=w2, w3=w3)


# Names the model card asks for stories about (gpttrain.measure.CHAT_REQUESTS): never made up for training.
UNSEEN_NAMES = ("Tamsin", "Orrin", "Yara", "Kenji", "Zuri", "Soren", "Nala", "Dax", "Kofi")
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def made_up_name(rng: random.Random) -> str:
    """A name of two or three syllables (Kalo, Mirena), none of UNSEEN_NAMES."""
    while True:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()
        if name not in UNSEEN_NAMES:
            return name


def renamed(story: str, rng: random.Random) -> str:
    """The story with its hero ("a ... named X") called by a made-up name throughout; unchanged without a hero."""
    named = NAMED.search(story)
    return re.sub(rf"\b{named.group(2)}\b", made_up_name(rng), story) if named else story


def chat_document(story: str, rng: random.Random, rename: float = 0.0) -> str:
    """The story as a chat script, exactly as the chat template writes it (see gptmath.chat); with probability
    `rename` its hero gets a made-up name first, so the answer must copy a name it cannot know from training."""
    if rng.random() < rename:
        story = renamed(story, rng)
    return (f"<|system|>{SYSTEM_PROMPT}<|end|>\n<|user|>{story_request(story, rng)}<|end|>\n"
            f"<|assistant|>{story}<|end|>")


def as_chats(docs: list[str], share: float, seed: int, rename: float = 0.0,
             lang: str = "en") -> tuple[list[str], list[str]]:
    """(docs left as they are, the chosen share of docs turned into chat scripts), chosen with the seed.

    Japanese works are whole books, far longer than the context, so for `lang` "ja" the documents all stay as they
    are and the chats are extra documents made of a share of their passages (see `chats_ja`)."""
    if lang == "ja":
        return list(docs), chats_ja(docs, share, seed, rename)
    rng = random.Random(seed)
    chosen = set(rng.sample(range(len(docs)), round(share * len(docs))))
    plain = [d for i, d in enumerate(docs) if i not in chosen]
    return plain, [chat_document(d, rng, rename) for i, d in enumerate(docs) if i in chosen]


# --------------------------------------------------------------------------
# Japanese chats (--lang ja)
# --------------------------------------------------------------------------

SYSTEM_PROMPT_JA = "あなたはお話の語り手です。子どもたちに、短くてやさしいお話をします。"
CHAT_TEMPLATE_JA = CHAT_TEMPLATE.replace(SYSTEM_PROMPT, SYSTEM_PROMPT_JA)
# Who a passage can be about: words for a character that Aozora's stories use as a word of their own (not さる,
# かえる or くま, which are as often verb endings: くださる, かえると).
NOUNS_JA = ("男の子", "女の子", "少年", "少女", "王子", "お姫さま", "王さま", "おじいさん", "おばあさん", "犬", "猫",
            "ねこ", "小鳥", "鳥", "きつね", "うさぎ", "ねずみ", "たぬき", "馬", "からす", "すずめ")
NAME_REQUESTS_JA = ("{name}という{noun}のお話をしてください。", "{name}という名前の{noun}のお話を聞かせて。",
                    "{noun}の{name}が出てくるお話をして。", "{name}という{noun}のお話を書いてください。")
NOUN_REQUESTS_JA = ("{noun}のお話をしてください。", "{noun}が出てくるお話を聞かせて。")
# Openings that share no words with the stories' own (むかしむかし、あるところに、): told hundreds of times, those
# taught the model that a katakana name comes next after 「むかしむかし、あるところに、」.
OPENINGS_JA = ("{name}という{noun}がいました。", "これは、{name}という{noun}のお話です。",
               "{noun}の{name}のお話をしましょう。")
# Names the model card asks for Japanese stories about (gpttrain.measure): none occurs in the corpus, none is made up.
UNSEEN_NAMES_JA = ("タムシン", "ズーリ", "ナーラ", "ダックス", "コフィ", "ケンジ", "ユリカ", "ヨキム", "ペルナ")
KANA_SYLLABLES = list("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
                      "ガギグゲゴザジズゼゾダデドバビブベボパピプペポ")
KATAKANA = "ァ-ヶー"


def made_up_name_ja(rng: random.Random) -> str:
    """A katakana name of two to four syllables, a syllable sometimes long (ー) or stopped (ッ), sometimes ending in
    ン (ミロ, サーナン, ベッカ, ホリタモ), none of UNSEEN_NAMES_JA."""
    while True:
        name = ""
        for i in range(n := rng.choice((2, 2, 3, 3, 4))):
            name += rng.choice(KANA_SYLLABLES)
            if i < n - 1:
                name += rng.choices(("", "ー", "ッ"), (0.8, 0.12, 0.08))[0]
        name += "ン" if rng.random() < 0.25 else ""
        if name not in UNSEEN_NAMES_JA:
            return name


def noun_pattern(noun: str) -> re.Pattern:
    """`noun` as a word of its own: not the end of a longer kanji word (鳥 but not 白鳥), before a particle or
    punctuation; a この/その/あの just before it goes with it."""
    return re.compile(rf"(?:この|その|あの)?(?<![一-龥]){re.escape(noun)}(?=[はがをにとのもやへ、。」])")


def passages(doc: str, shortest: int = 120, longest: int = 320) -> list[str]:
    """A work cut into passages of whole paragraphs, each at least `shortest` characters where the work allows and
    at most `longest` (a longer paragraph is a passage of its own, cut at `longest`)."""
    out, current = [], ""
    for para in (p.strip() for p in doc.split("\n") if p.strip()):
        if current and len(current) + len(para) > longest:
            out.append(current)
            current = ""
        current = f"{current}\n\n{para}" if current else para[:longest]
        if len(current) >= shortest:
            out.append(current)
            current = ""
    return out + ([current] if current else [])


def chat_document_ja(passage: str, rng: random.Random, rename: float = 0.0) -> str | None:
    """A passage as a Japanese chat script, or None when it names none of NOUNS_JA. The user asks for a story about
    the character the passage names most often (of NOUNS_JA); with probability `rename` the character gets a
    made-up katakana name: the answer opens by introducing it (「むかしむかし、ミロという犬がいました。」) and
    calls the character by that name wherever the passage names it."""
    counts = {n: len(noun_pattern(n).findall(passage)) for n in NOUNS_JA}
    if not any(counts.values()):
        return None
    noun = max(NOUNS_JA, key=lambda n: (counts[n], -passage.find(n)))  # the most named; of those, the first named
    if rng.random() < rename:
        name = made_up_name_ja(rng)
        request = rng.choice(NAME_REQUESTS_JA).format(name=name, noun=noun)
        story = rng.choice(OPENINGS_JA).format(name=name, noun=noun) + "\n\n" + noun_pattern(noun).sub(name, passage)
    else:
        request, story = rng.choice(NOUN_REQUESTS_JA).format(noun=noun), passage
    return (f"<|system|>{SYSTEM_PROMPT_JA}<|end|>\n<|user|>{request}<|end|>\n"
            f"<|assistant|>{story}<|end|>")


def chats_ja(docs: list[str], share: float, seed: int, rename: float = 0.0) -> list[str]:
    """Chat scripts made of the chosen `share` of the documents' passages (chosen with the seed), those that name a
    character."""
    rng = random.Random(seed)
    chats = []
    for doc in docs:
        for passage in passages(doc):
            if rng.random() < share and (chat := chat_document_ja(passage, rng, rename)) is not None:
                chats.append(chat)
    return chats


def chat_template(lang: str) -> str:
    """The chat template of a model trained on `lang` ("en" or "ja"): the same script, its own system line."""
    return CHAT_TEMPLATE_JA if lang == "ja" else CHAT_TEMPLATE


def train_tokenizer(texts: list[str], vocab_size: int, lang: str = "en"):
    """A GPT-2-style byte-level BPE tokenizer, wrapped for transformers, with the chat template of `lang`. For
    Japanese its merges are learned inside words (gpttrain.words_ja), so no token spans a word and the particle
    after it."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT, *ROLE_TOKENS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(japanese_words(texts) if lang == "ja" else texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOT, eos_token=EOT, unk_token=EOT,
                                   additional_special_tokens=list(ROLE_TOKENS))
    fast.chat_template = chat_template(lang)
    sample = "Once upon a time, there was a little girl named Lily."
    if fast.decode(fast(sample)["input_ids"]) != sample:
        raise RuntimeError("the trained tokenizer does not round-trip text")
    return fast


def japanese_words(texts: list[str]) -> Iterator[str]:
    """Every word of `texts`, line by line (each a separate text for the BPE trainer)."""
    from .words_ja import words

    for text in texts:
        for line in text.splitlines():
            yield from words(line)


def with_bpe_dropout(tokenizer, p: float):
    """A copy of `tokenizer` that skips each BPE merge with probability `p` (BPE-dropout, Provilkov et al. 2020):
    the same word comes in different pieces, so knowing exactly the token just before pays off more often."""
    import copy

    dropped = copy.deepcopy(tokenizer)
    dropped.backend_tokenizer.model.dropout = p
    return dropped


def encode_stream(tokenizer, docs: list[str]) -> np.ndarray:
    """All documents as one id stream, each followed by <|endoftext|>."""
    eot = tokenizer.convert_tokens_to_ids(EOT)
    ids: list[int] = []
    for batch in range(0, len(docs), 256):
        for seq in tokenizer(docs[batch:batch + 256], add_special_tokens=False)["input_ids"]:
            ids.extend(seq)
            ids.append(eot)
    return np.array(ids, dtype=np.int32)


# --------------------------------------------------------------------------
# What a run reads
# --------------------------------------------------------------------------

def corpus_files(paths: list[str]) -> list[Path]:
    """Expand folders into their .txt files (sorted), keep files as given."""
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
    if not files:
        raise SystemExit(f"no .txt corpus files in {paths}")
    return files


@dataclass
class Data:
    """What training reads: the tokenizer and id streams (train per corpus file; held-out per file, then chats)."""

    files: list[Path]
    tokenizer: object
    train: list[np.ndarray]
    test: list[np.ndarray]
    test_names: list[str]
    byte_len: np.ndarray  # [V] bytes each token stands for (for bits per byte)


def read_terms(path: Path) -> list[str]:
    """One term per line; blank lines and # comments are skipped."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def kept_documents(docs: list[str], exclude: list[str]) -> list[str]:
    """The documents that contain none of the excluded terms."""
    return [d for d in docs if not any(term in d for term in exclude)]


def file_split(cfg: TrainConfig, file: Path) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    """((train stories, train chats), (held-out stories, held-out chats)) of one corpus file, as training sees them."""
    train, test = split_documents(kept_documents(read_documents(file), cfg.exclude), cfg.held_out, cfg.seed)
    if file.name not in cfg.chat_files:
        return (train, []), (test, [])
    return (as_chats(train, cfg.chat_share, cfg.seed, cfg.rename_share, cfg.lang),
            as_chats(test, cfg.chat_share, cfg.seed, cfg.rename_share, cfg.lang))


def prepare(cfg: TrainConfig) -> Data:
    """Tokenizer (trained once, then reused from the work folder) and train/held-out id streams per corpus file."""
    from transformers import PreTrainedTokenizerFast

    files = corpus_files(cfg.corpus)
    splits, test_chats = [], []
    for f in files:
        (train, chats), (test, held_out_chats) = file_split(cfg, f)
        splits.append((train + chats, test))
        test_chats += held_out_chats
    saved = Path(cfg.work) / "tokenizer"
    if (saved / "tokenizer.json").exists():
        tokenizer = PreTrainedTokenizerFast.from_pretrained(saved)
    elif cfg.init:  # going on from a model: its own vocabulary, kept in WORK for --resume
        tokenizer = PreTrainedTokenizerFast.from_pretrained(cfg.init)
        tokenizer.save_pretrained(saved)
    else:
        tokenizer = train_tokenizer([d for train, _ in splits for d in train], cfg.vocab_size, cfg.lang)
        tokenizer.save_pretrained(saved)
    train = train_streams(tokenizer, [tr for tr, _ in splits], cfg)
    tests = [(f.stem, te) for f, (_, te) in zip(files, splits) if te] + ([("chat", test_chats)] if test_chats else [])
    from gptmath.tokens import byte_level_decoder

    decode = byte_level_decoder()
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    byte_len = np.array([len(decode(p)) for p in pieces], dtype=np.float64)
    return Data(files, tokenizer, train, [encode_stream(tokenizer, te) for _, te in tests], [n for n, _ in tests], byte_len)


def train_streams(tokenizer, docs: list[list[str]], cfg: TrainConfig) -> list[np.ndarray]:
    """Each file's training documents as one id stream, in a seeded order. With BPE-dropout the pieces are random,
    so the streams are cut once and kept in the work folder, and a resumed run reads the same ones."""
    if not cfg.bpe_dropout:
        return [encode_stream(tokenizer, shuffled(d, cfg.seed)) for d in docs]
    saved = Path(cfg.work) / f"train-bpe-dropout-{cfg.bpe_dropout}.npz"
    if not saved.exists():
        dropped = with_bpe_dropout(tokenizer, cfg.bpe_dropout)
        np.savez(saved, *[encode_stream(dropped, shuffled(d, cfg.seed)) for d in docs])
    with np.load(saved) as streams:
        return [streams[f"arr_{i}"] for i in range(len(docs))]


def shuffled(docs: list[str], seed: int) -> list[str]:
    """The documents in a seeded random order (so chats are spread through a file's stream)."""
    docs = list(docs)
    random.Random(seed).shuffle(docs)
    return docs


def special_ids(tokenizer) -> tuple[int, ...]:
    """The ids of <|endoftext|> and the role tokens."""
    return tuple(tokenizer.convert_tokens_to_ids([EOT, *ROLE_TOKENS]))
