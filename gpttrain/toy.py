"""Small GPT-2s with random weights, for tests and for trying scenes on other shapes."""
from __future__ import annotations

from pathlib import Path

TOY_TEXT = (
    "Once upon a time, there was a little girl named Lily. She liked to play with her dog in the park. "
    "One day the sun was hot and the sky was blue. The boy and the girl ate an apple under a big tree. "
    "They were happy and said thank you to their mom. The cat ran after a red ball and jumped over the wall."
)


def write_toy_corpus(path: str | Path, n_stories: int, seed: int = 0) -> Path:
    """A corpus file of `n_stories` made-up stories (TOY_TEXT's sentences shuffled), between <|endoftext|> lines."""
    import random

    from .data import EOT

    sentences = TOY_TEXT.split(". ")
    rng = random.Random(seed)
    stories = [". ".join(rng.sample(sentences, len(sentences))) + "." for _ in range(n_stories)]
    path = Path(path)
    path.write_text(f"\n{EOT}\n".join(stories), encoding="utf-8")
    return path


def make_toy_model(folder: str | Path, n_layer: int = 2, n_head: int = 3, d_model: int = 24, n_ctx: int = 64,
                   vocab_size: int = 300, seed: int = 0, **config) -> Path:
    """Write a random GPT2LMHeadModel plus a byte-level BPE tokenizer with save_pretrained."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from .data import EOT, train_tokenizer

    folder = Path(folder)
    tokenizer = train_tokenizer([TOY_TEXT] * 4, vocab_size)
    torch.manual_seed(seed)
    eot = tokenizer.convert_tokens_to_ids(EOT)
    cfg = GPT2Config(vocab_size=len(tokenizer), n_positions=n_ctx, n_embd=d_model, n_layer=n_layer, n_head=n_head,
                     bos_token_id=eot, eos_token_id=eot, **config)
    model = GPT2LMHeadModel(cfg)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
