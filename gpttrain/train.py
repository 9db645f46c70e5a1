"""Train the project's small GPT-2 from a text corpus, reproducibly.

    python -m gpttrain.train --corpus ../shared/corpus --out assets/models/tinytales-gpt2

Steps: split documents (separated by <|endoftext|> lines) into train and
held-out sets, turn a share of the stories into chats (a system line, a user
asking for a story with names or words the story really contains, the story as
the assistant's turn), train a byte-level BPE tokenizer with role tokens and a
chat template on the training part, then train a transformers GPT2LMHeadModel
on random windows, evaluating held-out loss (nats per token and bits per byte)
and the heads (previous-token, induction, copying gain) as it goes. Snapshots
at log-spaced steps are kept in float16 for the model's training history; the
best checkpoint by held-out loss is written with save_pretrained; `--resume`
continues a run, `--init FOLDER` starts a new run from a saved model's weights
and history (a fresh optimizer, warmed up again; with the same --seed,
--held-out and --exclude-file, since they pick the held-out documents).
`--unlikelihood-share` makes that share of the steps also teach the model not to
loop when it continues text greedily (gpttrain.unlikelihood).

This module is the run (its settings, the windows drawn, the loop); what it reads
is gpttrain.data (`prepare`), what it trains and saves gpttrain.model, and how
it evaluates gpttrain.evaluation.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from gpttrain.data import Data, prepare, read_terms, special_ids
from gpttrain.evaluation import best_head_scores, evaluate, head_texts
from gpttrain.model import History, autocast, init_from, new_model, new_optimizer, save_model, save_snapshot, sinusoids
from gpttrain.unlikelihood import unlikelihood_loss


@dataclass
class TrainConfig:
    """Everything that fixes a training run (saved beside the model in training.json)."""

    corpus: list[str]  # corpus .txt files (or folders of them); documents separated by <|endoftext|> lines
    out: str  # folder for the best model by held-out loss (save_pretrained)
    work: str  # folder for the tokenizer, the resumable checkpoint.pt and the float16 snapshots
    seed: int = 0  # fixes the split, the chats, the initial weights and the windows drawn
    mix: list[float] | None = None  # sampling weight of each corpus file (default: equal)
    held_out: float = 0.05  # share of each file's documents held out (at least one)
    vocab_size: int = 4096  # byte-level BPE tokens, special tokens included
    n_layer: int = 4  # transformer blocks
    n_head: int = 4  # attention heads per block
    d_model: int = 128  # residual stream width (head size d_model / n_head; MLP 4 d_model)
    n_ctx: int = 128  # context length, in tokens (and the length of a training window)
    batch_size: int = 32  # windows per step
    steps: int = 4000  # the step training ends at (counting an --init model's steps)
    lr: float = 2e-3  # peak learning rate (see lr_at)
    warmup: int = 200  # steps of linear warm-up, from where this optimizer starts
    weight_decay: float = 0.1  # AdamW decay of the matrices (not of biases, norms or position embeddings)
    dropout: float = 0.0  # GPT-2's residual, embedding and attention dropout
    eval_every: int = 250  # steps between evaluations (each also saves the resumable checkpoint)
    eval_windows: int = 64  # context-sized windows per held-out stream in an evaluation
    threads: int = 2  # torch CPU threads
    chat_files: list[str] = field(default_factory=list)  # corpus file names whose stories may become chats
    chat_share: float = 0.15  # of those files' documents (train and held-out alike; Japanese: of their passages)
    rename_share: float = 0.0  # of the chats: the hero gets a made-up name, in the request and the story
    snapshots: list[int] = field(default_factory=lambda: [0, 30, 100, 300, 1000, 3000, 10000])  # float16 snapshot steps
    exclude: list[str] = field(default_factory=list)  # documents containing any of these are left out entirely
    sinusoid_positions: bool = False  # position embeddings start as sines and cosines (still learned), not noise
    add_sinusoids: bool = False  # going on from a model (--init or --resume): add them to its position embeddings, once
    echo_share: float = 0.0  # of training windows: a stretch of text told twice, then the text goes on
    random_echo_share: float = 0.0  # of training windows: random tokens told twice (scored on the repeat), then text
    echo_until: int = 0  # echo and random echo windows only before this step (0: throughout)
    bpe_dropout: float = 0.0  # the training text (not the held-out) is cut with each BPE merge skipped this often
    unlikelihood_share: float = 0.0  # of training steps: the model's greedy continuations are also taught not to loop
    lang: str = "en"  # the corpus's language: "ja" makes Japanese chats (chats_ja) with a Japanese system line
    init: str = ""  # a saved model folder to start from (its weights, step count and history)
    bf16: bool = True  # bfloat16 autocast on the CPU (AMX): about 1.3x faster


def lr_at(step: int, cfg: TrainConfig, start: int = 0) -> float:
    """Cosine decay from the peak to a tenth of it, after a linear warm-up over the `cfg.warmup` steps from `start`
    (the step this optimizer began at: 0, or the step of the --init model)."""
    progress = min(1.0, max(0.0, step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    warm = min(1.0, (step - start + 1) / cfg.warmup)
    return warm * cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def echo_window(stream: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """n tokens of `stream` from a random place in which a stretch (8 to n/2 tokens) is told twice, then the text
    goes on: what teaches a model to copy from its own context."""
    span = int(rng.integers(8, n // 2 + 1))
    i = int(rng.integers(0, len(stream) - n))
    return np.concatenate([stream[i:i + span], stream[i:i + n - span]])


def random_echo_window(stream: np.ndarray, allowed: np.ndarray, rng: np.random.Generator,
                       n: int) -> tuple[np.ndarray, np.ndarray]:
    """n tokens: a stretch (8 to n/2) of random `allowed` tokens told twice, then text from `stream`; and [n-1]
    which next tokens count in the loss. Random tokens cannot be foreseen, only recalled: the first telling and
    the first token of the second do not count.

    Only the token just before says what comes next in a random stretch, so this teaches heads to look exactly
    one token back, whatever the token (in text, the nearest content word often does as well).
    """
    span = int(rng.integers(8, n // 2 + 1))
    stretch = rng.choice(allowed, size=span)
    i = int(rng.integers(0, len(stream) - n))
    window = np.concatenate([stretch, stretch, stream[i:i + n - 2 * span]])
    scored = np.arange(1, n) > span  # target t is window[t]
    return window, scored


@dataclass
class Run:
    """A run in progress: the model, its optimizer, the generator that draws its windows, and where it stands.
    `state()` is what work/checkpoint.pt keeps and `--resume` restores."""

    model: object
    opt: object
    rng: np.random.Generator
    history: History
    step: int = 0
    best: float = math.inf  # the lowest held-out loss so far (nats per token): the model in cfg.out
    start: int = 0  # the step this optimizer began at (0, or the step of the --init model); its warm-up starts here
    sinusoids_added: int | None = None  # the step at which --add-sinusoids added them (only ever once)

    def state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(), "rng": self.rng.bit_generator.state,
                "history": asdict(self.history), "step": self.step, "best": self.best, "start": self.start,
                "sinusoids_added": self.sinusoids_added}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        self.history = History(**state["history"])
        self.step, self.best, self.start = state["step"], state["best"], state.get("start", 0)
        self.sinusoids_added = state.get("sinusoids_added")


def start_run(cfg: TrainConfig, model, resume: bool) -> Run:
    """The run at its first step: from scratch, from the --init model (its weights, step count and history, with a
    fresh optimizer), or, with `resume`, from work/checkpoint.pt; then --add-sinusoids, once, if asked."""
    import torch

    history, step = History(), 0
    if cfg.init:
        history = init_from(model, Path(cfg.init))
        step = len(history.train)
        print(f"starting from {cfg.init} at step {step} ({history.tokens_seen:,} tokens seen)", file=sys.stderr)
    # windows are drawn afresh from where this optimizer begins
    run = Run(model, new_optimizer(model, cfg), np.random.default_rng([cfg.seed, step] if step else cfg.seed),
              history, step=step, start=step)
    ckpt = Path(cfg.work) / "checkpoint.pt"
    if resume and ckpt.exists():
        run.restore(torch.load(ckpt, weights_only=False))
        print(f"resumed at step {run.step} (best held-out {run.best:.4f} nats/token)", file=sys.stderr)
    if cfg.add_sinusoids and run.sinusoids_added is None and run.step > 0:
        with torch.no_grad():
            model.transformer.wpe.weight.add_(torch.from_numpy(sinusoids(cfg.n_ctx, cfg.d_model,
                                                                         model.config.initializer_range)))
        run.sinusoids_added = run.step
        print(f"added sines and cosines to the position embeddings at step {run.step}", file=sys.stderr)
    return run


class Batches:
    """Training batches: each row a window of one corpus file (chosen by the mix), plain, an echo window or a random
    echo window in the configured shares."""

    def __init__(self, data: Data, cfg: TrainConfig):
        self.data, self.cfg = data, cfg
        self.mix = np.array(cfg.mix or [1.0] * len(data.files), dtype=np.float64)
        self.mix /= self.mix.sum()
        self.ordinary = np.setdiff1d(np.arange(len(data.tokenizer)), special_ids(data.tokenizer))  # random echo draws
        print(f"corpus: {', '.join(f'{f.name} ({len(s):,} train tokens, weight {w:.2f})' for f, s, w in zip(data.files, data.train, self.mix))}",
              file=sys.stderr)

    def draw(self, rng: np.random.Generator, step: int):
        """(inputs, targets) [batch, n_ctx] for training step `step`; targets not in the loss are -100
        (cross_entropy's ignore_index)."""
        import torch

        cfg, n = self.cfg, self.cfg.n_ctx
        echo = not cfg.echo_until or step < cfg.echo_until
        echo_share, random_echo_share = (cfg.echo_share, cfg.random_echo_share) if echo else (0.0, 0.0)
        sources = rng.choice(len(self.data.train), size=cfg.batch_size, p=self.mix)
        rows, scored = [], np.ones((cfg.batch_size, n), dtype=bool)
        for row, s in enumerate(sources):
            stream, kind = self.data.train[s], rng.random()
            if kind < echo_share:
                rows.append(echo_window(stream, rng, n + 1))
            elif kind < echo_share + random_echo_share:
                window, scored[row] = random_echo_window(stream, self.ordinary, rng, n + 1)
                rows.append(window)
            else:
                rows.append(plain_window(stream, rng, n + 1))
        ids = torch.from_numpy(np.stack(rows).astype(np.int64))
        targets = ids[:, 1:].clone()
        targets[torch.from_numpy(~scored)] = -100
        return ids[:, :-1], targets

    def prefixes(self, rng: np.random.Generator):
        """[batch, n_ctx / 8 (at least 1)] plain text for the model to continue in an unlikelihood step."""
        import torch

        sources = rng.choice(len(self.data.train), size=self.cfg.batch_size, p=self.mix)
        rows = [plain_window(self.data.train[s], rng, max(1, self.cfg.n_ctx // 8)) for s in sources]
        return torch.from_numpy(np.stack(rows).astype(np.int64))


def plain_window(stream: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """n tokens of `stream` from a random place."""
    i = int(rng.integers(0, len(stream) - n))
    return stream[i:i + n]


def train_step(run: Run, x, y, cfg: TrainConfig, prefixes=None) -> float:
    """One AdamW step on a batch at the scheduled learning rate (gradients clipped to norm 1); with `prefixes`, the
    step also lowers the loops of the model's greedy continuations of them (gpttrain.unlikelihood). Returns the
    batch's loss (what the history keeps, unlikelihood steps or not)."""
    import torch

    for group in run.opt.param_groups:
        group["lr"] = lr_at(run.step, cfg, run.start)
    with autocast(cfg):
        logits = run.model(x).logits
        loops = 0.0 if prefixes is None else unlikelihood_loss(run.model, prefixes, cfg.n_ctx // 2)
    loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
    run.opt.zero_grad(set_to_none=True)
    (loss + loops).backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
    run.opt.step()
    run.step += 1
    run.history.tokens_seen += cfg.batch_size * cfg.n_ctx
    run.history.train.append((run.step, loss.item()))
    return run.history.train[-1][1]


def checkpoint(run: Run, data: Data, cfg: TrainConfig, texts: list[np.ndarray], snapshot: bool) -> dict:
    """Evaluate (held-out loss and head scores, logged in the history); save the model to cfg.out if it is the best
    so far, a float16 snapshot if asked, and the resumable state to work/checkpoint.pt. Returns the evaluation."""
    import torch

    tokenizer, work = data.tokenizer, Path(cfg.work)
    special = special_ids(tokenizer)
    heads = best_head_scores(run.model, texts, len(tokenizer), special[0], special, length=min(40, (cfg.n_ctx - 1) // 2))
    result = evaluate(run.model, data.test, data.byte_len, cfg) | heads
    result |= {"step": run.step, "tokens_seen": run.history.tokens_seen, "seconds": round(run.history.seconds, 1)}
    if snapshot:
        result["snapshot"] = save_snapshot(run.model, tokenizer, work, run.step)
    run.history.evals.append(result)
    improved = result["nats_per_token"] < run.best
    if improved:
        run.best = result["nats_per_token"]
        save_model(run.model, tokenizer, Path(cfg.out), cfg, run.history, data.test_names)
    torch.save(run.state(), work / "checkpoint.pt")
    return result | {"improved": improved}


class Progress:
    """The progress bar, and the clock of training time (evaluations not counted) kept in history.seconds."""

    def __init__(self, cfg: TrainConfig, step: int):
        from tqdm import tqdm

        self.bar = tqdm(total=cfg.steps, initial=step, desc="training", unit="step", dynamic_ncols=True, mininterval=10)
        self.t0, self.tokens_per_step = time.time(), cfg.batch_size * cfg.n_ctx

    def stepped(self, step: int, loss: float) -> None:
        elapsed = time.time() - self.t0
        self.bar.set_postfix(loss=f"{loss:.3f}",
                             tok_s=f"{self.tokens_per_step * (step - self.bar.initial) / max(elapsed, 1e-9):,.0f}",
                             refresh=False)
        self.bar.update(1)

    def stop_clock(self, history: History) -> None:
        history.seconds += time.time() - self.t0

    def restart_clock(self, step: int) -> None:
        self.bar.initial, self.t0 = step, time.time()

    def report(self, step: int, r: dict, snapshot: bool) -> None:
        self.bar.write(f"step {step}: held-out {r['nats_per_token']:.4f} nats/token, {r['bits_per_byte']:.4f} bits/byte; "
                       f"heads: previous {r['previous']:.2f}, induction {r['induction']:.2f}, copying {r['copying_gain']:.2f} nats"
                       f"{'  (best, saved)' if r['improved'] else ''}{'  (snapshot)' if snapshot else ''}")


SPLIT_FLAGS = {"seed": "--seed", "held_out": "--held-out", "exclude": "--exclude-file"}  # what picks the held-out


def check_same_split(cfg: TrainConfig, folder: Path) -> None:
    """Stop unless the --init model's run held out the documents this run holds out: with another split, this run's
    held-out text would be text that model trained on."""
    saved = json.loads((folder / "training.json").read_text())["config"] if (folder / "training.json").is_file() else {}
    differ = [name for name in SPLIT_FLAGS if name in saved and saved[name] != getattr(cfg, name)]
    if differ:
        its = ", ".join(SPLIT_FLAGS[n] if n == "exclude" else f"{SPLIT_FLAGS[n]} {saved[n]}" for n in differ)
        raise SystemExit(f"{folder} was trained on another split (its {its}): give the same, else this run's "
                         "held-out text would be text it trained on")


def train(cfg: TrainConfig, resume: bool = False) -> History:
    """Run (or resume) training; the best model by held-out loss lands in cfg.out, snapshots in work/checkpoints."""
    import torch

    if cfg.init:
        check_same_split(cfg, Path(cfg.init))
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    work = Path(cfg.work)
    work.mkdir(parents=True, exist_ok=True)
    data = prepare(cfg)
    batches = Batches(data, cfg)
    texts = head_texts(data, cfg)
    run = start_run(cfg, new_model(cfg, data.tokenizer), resume)
    if run.step == 0 and 0 in cfg.snapshots and not run.history.evals:
        checkpoint(run, data, cfg, texts, snapshot=True)  # the untrained model: where the history starts
    run.model.train()
    progress = Progress(cfg, run.step)
    while run.step < cfg.steps:
        x, y = batches.draw(run.rng, run.step)
        ul = cfg.unlikelihood_share and run.rng.random() < cfg.unlikelihood_share
        loss = train_step(run, x, y, cfg, batches.prefixes(run.rng) if ul else None)
        progress.stepped(run.step, loss)
        snapshot = run.step in cfg.snapshots
        if run.step % cfg.eval_every == 0 or run.step == cfg.steps or snapshot:
            progress.stop_clock(run.history)
            progress.report(run.step, checkpoint(run, data, cfg, texts, snapshot), snapshot)
            progress.restart_clock(run.step)
    progress.bar.close()
    (work / "history.json").write_text(json.dumps(asdict(run.history)))
    return run.history


def main(argv: list[str] | None = None) -> None:
    d = TrainConfig(corpus=[], out="", work="")
    ap = argparse.ArgumentParser(prog="python -m gpttrain.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", nargs="+", required=True, help="corpus .txt files or folders of them")
    ap.add_argument("--out", required=True, help="folder for the trained model (save_pretrained)")
    ap.add_argument("--work", default="runs/train", help="folder for resumable checkpoints (default runs/train)")
    ap.add_argument("--resume", action="store_true", help="continue from the checkpoint in --work")
    ap.add_argument("--mix", type=float, nargs="+", help="sampling weight of each corpus file, in file order")
    ap.add_argument("--chat-files", nargs="*", default=[], help="corpus file names whose stories may become chats")
    ap.add_argument("--snapshots", type=int, nargs="*", default=d.snapshots,
                    help="steps at which to keep a float16 snapshot (default: %(default)s)")
    ap.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in float32 (default: bfloat16 autocast)")
    ap.add_argument("--sinusoid-positions", action="store_true",
                    help="start the (learned) position embeddings as sines and cosines instead of noise")
    ap.add_argument("--add-sinusoids", action="store_true",
                    help="with --init or --resume: add sines and cosines to the model's position embeddings, once")
    ap.add_argument("--lang", choices=("en", "ja"), default="en",
                    help="the corpus's language: ja makes Japanese chats of passages, with a Japanese system line")
    ap.add_argument("--exclude-file", type=Path, help="leave out documents containing any term of this file "
                    "(one per line), e.g. gpttrain/exclude_ja.txt")
    for name in ("seed", "vocab_size", "n_layer", "n_head", "d_model", "n_ctx", "batch_size", "steps", "warmup",
                 "eval_every", "eval_windows", "threads", "echo_until"):
        ap.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
    ap.add_argument("--init", default="", help="start from this saved model folder (weights, step count, history), "
                    "with a fresh optimizer and its tokenizer (unless WORK/tokenizer holds one)")
    for name in ("held_out", "lr", "weight_decay", "dropout", "chat_share", "rename_share", "echo_share",
                 "random_echo_share", "bpe_dropout", "unlikelihood_share"):
        ap.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(d, name))
    args = vars(ap.parse_args(argv))
    resume = args.pop("resume")
    exclude_file = args.pop("exclude_file")
    args["exclude"] = read_terms(exclude_file) if exclude_file else []
    train(TrainConfig(**args), resume=resume)


if __name__ == "__main__":
    main()
