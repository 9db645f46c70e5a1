"""Train the project's small GPT-2 from a text corpus, reproducibly.

    python -m gptmath.train --corpus ../shared/corpus --out assets/models/tinytales-gpt2

Steps: split documents (separated by <|endoftext|> lines) into train and
held-out sets, train a byte-level BPE tokenizer on the training part, then
train a transformers GPT2LMHeadModel on random windows, evaluating held-out
loss (nats per token and bits per byte) as it goes. The best checkpoint by
held-out loss is written with save_pretrained; `--resume` continues a run.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

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


def train_tokenizer(texts: list[str], vocab_size: int):
    """A GPT-2-style byte-level BPE tokenizer, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOT, eos_token=EOT, unk_token=EOT)
    sample = "Once upon a time, there was a little girl named Lily."
    if fast.decode(fast(sample)["input_ids"]) != sample:
        raise RuntimeError("the trained tokenizer does not round-trip text")
    return fast


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
# Training
# --------------------------------------------------------------------------

@dataclass
class TrainConfig:
    """Everything that fixes a training run (saved beside the model)."""

    corpus: list[str]
    out: str
    work: str
    seed: int = 0
    mix: list[float] | None = None  # sampling weight of each corpus file (default: equal)
    held_out: float = 0.05
    vocab_size: int = 4096
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 128
    n_ctx: int = 128
    batch_size: int = 32
    steps: int = 4000
    lr: float = 2e-3
    warmup: int = 200
    weight_decay: float = 0.1
    dropout: float = 0.0
    eval_every: int = 250
    eval_windows: int = 64
    threads: int = 2


@dataclass
class History:
    """Losses as training goes: (step, train loss) and held-out evaluations."""

    train: list[tuple[int, float]] = field(default_factory=list)
    evals: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    tokens_seen: int = 0


def corpus_files(paths: list[str]) -> list[Path]:
    """Expand folders into their .txt files (sorted), keep files as given."""
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
    if not files:
        raise SystemExit(f"no .txt corpus files in {paths}")
    return files


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def evaluate(model, streams: list[np.ndarray], byte_len: np.ndarray, cfg: TrainConfig) -> dict:
    """Held-out loss over evenly spaced windows of each held-out stream."""
    import torch

    model.eval()
    nll = n_tok = n_bytes = 0.0
    per_source = []
    with torch.no_grad():
        for stream in streams:
            n_win = max(1, min(cfg.eval_windows, (len(stream) - 1) // cfg.n_ctx))
            starts = np.linspace(0, len(stream) - cfg.n_ctx - 1, n_win).astype(int)
            x = torch.from_numpy(np.stack([stream[s:s + cfg.n_ctx] for s in starts]).astype(np.int64))
            y = torch.from_numpy(np.stack([stream[s + 1:s + cfg.n_ctx + 1] for s in starts]).astype(np.int64))
            logits = model(x).logits
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")
            s_nll, s_tok, s_bytes = float(loss), y.numel(), float(byte_len[y.numpy()].sum())
            per_source.append({"nats_per_token": s_nll / s_tok, "bits_per_byte": s_nll / math.log(2) / s_bytes})
            nll, n_tok, n_bytes = nll + s_nll, n_tok + s_tok, n_bytes + s_bytes
    model.train()
    return {"nats_per_token": nll / n_tok, "bits_per_byte": nll / math.log(2) / n_bytes, "per_source": per_source}


def prepare(cfg: TrainConfig):
    """Tokenizer (trained once, then reused from the work folder) and train/held-out id streams per corpus file."""
    from transformers import PreTrainedTokenizerFast

    files = corpus_files(cfg.corpus)
    splits = [split_documents(read_documents(f), cfg.held_out, cfg.seed) for f in files]
    saved = Path(cfg.work) / "tokenizer"
    if (saved / "tokenizer.json").exists():
        tokenizer = PreTrainedTokenizerFast.from_pretrained(saved)
    else:
        tokenizer = train_tokenizer([d for train, _ in splits for d in train], cfg.vocab_size)
        tokenizer.save_pretrained(saved)
    train = [encode_stream(tokenizer, tr) for tr, _ in splits]
    test = [encode_stream(tokenizer, te) for _, te in splits if te]
    from .tokens import byte_level_decoder

    decode = byte_level_decoder()
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    byte_len = np.array([len(decode(p)) for p in pieces], dtype=np.float64)
    return files, tokenizer, train, test, byte_len


def train(cfg: TrainConfig, resume: bool = False) -> History:
    """Run (or resume) training; the best model by held-out loss lands in cfg.out."""
    import torch
    from tqdm import tqdm
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    work, out = Path(cfg.work), Path(cfg.out)
    work.mkdir(parents=True, exist_ok=True)
    files, tokenizer, train_streams, test_streams, byte_len = prepare(cfg)
    mix = np.array(cfg.mix or [1.0] * len(files), dtype=np.float64)
    mix /= mix.sum()
    print(f"corpus: {', '.join(f'{f.name} ({len(s):,} train tokens, weight {w:.2f})' for f, s, w in zip(files, train_streams, mix))}",
          file=sys.stderr)

    eot = tokenizer.convert_tokens_to_ids(EOT)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=cfg.n_ctx, n_embd=cfg.d_model, n_layer=cfg.n_layer,
                        n_head=cfg.n_head, resid_pdrop=cfg.dropout, embd_pdrop=cfg.dropout, attn_pdrop=cfg.dropout,
                        bos_token_id=eot, eos_token_id=eot)
    model = GPT2LMHeadModel(config)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))
    rng = np.random.default_rng(cfg.seed)
    history, step, best = History(), 0, math.inf
    ckpt = work / "checkpoint.pt"
    if resume and ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        history = History(**state["history"])
        step, best = state["step"], state["best"]
        print(f"resumed at step {step} (best held-out {best:.4f} nats/token)", file=sys.stderr)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        sources = rng.choice(len(train_streams), size=cfg.batch_size, p=mix)
        rows = []
        for s in sources:
            stream = train_streams[s]
            i = int(rng.integers(0, len(stream) - cfg.n_ctx - 1))
            rows.append(stream[i:i + cfg.n_ctx + 1])
        data = torch.from_numpy(np.stack(rows).astype(np.int64))
        return data[:, :-1], data[:, 1:]

    model.train()
    bar = tqdm(total=cfg.steps, initial=step, desc="training", unit="step", dynamic_ncols=True, mininterval=10)
    t0, tokens_per_step = time.time(), cfg.batch_size * cfg.n_ctx
    while step < cfg.steps:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        x, y = batch()
        logits = model(x).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        history.tokens_seen += tokens_per_step
        history.train.append((step, float(loss)))
        elapsed = time.time() - t0
        bar.set_postfix(loss=f"{float(loss):.3f}", tok_s=f"{tokens_per_step * (step - bar.initial) / max(elapsed, 1e-9):,.0f}",
                        refresh=False)
        bar.update(1)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            history.seconds += time.time() - t0
            t0 = time.time()
            result = evaluate(model, test_streams, byte_len, cfg) | {"step": step, "tokens_seen": history.tokens_seen}
            history.evals.append(result)
            improved = result["nats_per_token"] < best
            if improved:
                best = result["nats_per_token"]
                save_model(model, tokenizer, out, cfg, history)
            bar.write(f"step {step}: held-out {result['nats_per_token']:.4f} nats/token, "
                      f"{result['bits_per_byte']:.4f} bits/byte{'  (best, saved)' if improved else ''}")
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": rng.bit_generator.state,
                        "history": asdict(history), "step": step, "best": best}, ckpt)
            bar.initial, t0 = step, time.time()
    bar.close()
    (work / "history.json").write_text(json.dumps(asdict(history)))
    return history


def save_model(model, tokenizer, out: Path, cfg: TrainConfig, history: History) -> None:
    """save_pretrained (safetensors) + tokenizer + the run's settings and losses."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "training.json").write_text(json.dumps({"config": asdict(cfg), "history": asdict(history)}, indent=1))


def main(argv: list[str] | None = None) -> None:
    d = TrainConfig(corpus=[], out="", work="")
    ap = argparse.ArgumentParser(prog="python -m gptmath.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", nargs="+", required=True, help="corpus .txt files or folders of them")
    ap.add_argument("--out", required=True, help="folder for the trained model (save_pretrained)")
    ap.add_argument("--work", default="runs/train", help="folder for resumable checkpoints (default runs/train)")
    ap.add_argument("--resume", action="store_true", help="continue from the checkpoint in --work")
    ap.add_argument("--mix", type=float, nargs="+", help="sampling weight of each corpus file, in file order")
    for name in ("seed", "vocab_size", "n_layer", "n_head", "d_model", "n_ctx", "batch_size", "steps", "warmup",
                 "eval_every", "eval_windows", "threads"):
        ap.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
    for name in ("held_out", "lr", "weight_decay", "dropout"):
        ap.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(d, name))
    args = vars(ap.parse_args(argv))
    resume = args.pop("resume")
    train(TrainConfig(**args), resume=resume)


if __name__ == "__main__":
    main()
