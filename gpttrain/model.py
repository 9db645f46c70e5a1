"""The model a run trains: a fresh GPT-2 of the configured shape and its AdamW optimizer, bfloat16 autocast, the
training history, and loading and saving (the best model, float16 snapshots, a saved model to go on from)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gpttrain.data import EOT, chat_template

if TYPE_CHECKING:
    from gpttrain.train import TrainConfig


@dataclass
class History:
    """Losses as training goes: (step, train loss) and held-out evaluations."""

    train: list[tuple[int, float]] = field(default_factory=list)
    evals: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    tokens_seen: int = 0


def sinusoids(n_ctx: int, d_model: int, std: float) -> np.ndarray:
    """[n_ctx, d_model] sines and cosines of the position at geometric frequencies (Vaswani et al. 2017), entries of
    root-mean-square `std` like GPT-2's random initialisation: every position is told apart from its neighbours."""
    pos = np.arange(n_ctx)[:, None]
    freq = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)[None]
    table = np.zeros((n_ctx, d_model), dtype=np.float32)
    table[:, 0::2], table[:, 1::2] = np.sin(pos * freq), np.cos(pos * freq)
    return table * std * np.sqrt(2)


def autocast(cfg: TrainConfig):
    """bfloat16 autocast on the CPU when cfg.bf16, else a no-op context."""
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16)


def new_model(cfg: TrainConfig, tokenizer):
    """A freshly initialised GPT2LMHeadModel of the configured shape (position embeddings as sines and cosines when
    cfg.sinusoid_positions)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    eot = tokenizer.convert_tokens_to_ids(EOT)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=cfg.n_ctx, n_embd=cfg.d_model, n_layer=cfg.n_layer,
                        n_head=cfg.n_head, resid_pdrop=cfg.dropout, embd_pdrop=cfg.dropout, attn_pdrop=cfg.dropout,
                        bos_token_id=eot, eos_token_id=eot)
    model = GPT2LMHeadModel(config)
    if cfg.sinusoid_positions:
        with torch.no_grad():
            model.transformer.wpe.weight.copy_(torch.from_numpy(sinusoids(cfg.n_ctx, cfg.d_model,
                                                                          config.initializer_range)))
    return model


def new_optimizer(model, cfg: TrainConfig):
    """AdamW; matrices decay, except the position embeddings: decay wore them down until no head could tell
    neighbours apart."""
    import torch

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "wpe" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "wpe" in n]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))


def init_from(model, folder: Path) -> History:
    """Load a saved model's weights into `model`; its training history (training.json) is where this run goes on."""
    from safetensors.torch import load_file

    missing, unexpected = model.load_state_dict(load_file(folder / "model.safetensors"), strict=False)
    if unexpected or set(missing) - {"lm_head.weight"}:  # a tied unembedding is not stored
        raise SystemExit(f"{folder}: its weights do not fit this configuration "
                         f"(missing {missing}, unexpected {unexpected})")
    model.tie_weights()
    if not (folder / "training.json").is_file():
        raise SystemExit(f"{folder} has no training.json: --init takes a model folder a run saved (its --out), "
                         f"not a snapshot")
    return History(**json.loads((folder / "training.json").read_text())["history"])


def save_snapshot(model, tokenizer, work: Path, step: int) -> str:
    """The model at `step` in float16 under work/checkpoints/step-NNNNNN (with its tokenizer); returns the folder name."""
    import copy

    folder = work / "checkpoints" / f"step-{step:06d}"
    folder.mkdir(parents=True, exist_ok=True)
    copy.deepcopy(model).half().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder.name


def save_model(model, tokenizer, out: Path, cfg: TrainConfig, history: History, test_names: list[str]) -> None:
    """save_pretrained (safetensors) + tokenizer + the run's settings and losses."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.chat_template = chat_template(cfg.lang) if cfg.chat_files else None  # a model that never saw chats has none
    tokenizer.save_pretrained(out)
    if not cfg.chat_files:
        (out / "chat_template.jinja").unlink(missing_ok=True)
    (out / "training.json").write_text(json.dumps({"config": asdict(cfg), "history": asdict(history),
                                                   "held_out_sources": test_names}, indent=1))
