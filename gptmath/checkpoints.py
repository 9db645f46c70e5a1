"""A model's training history: float16 snapshots at log-spaced steps, with their held-out losses.

    from gptmath.checkpoints import checkpoints
    for c in checkpoints("assets/models/tinytales-gpt2"):
        print(c.step, c.tokens_seen, c.bits_per_byte)   # load_model(c.path) gives that step's model

The model folder's `checkpoints/index.json` (written by `python -m gpttrain.ship`)
lists them, the last entry being the model folder itself (the final weights).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import GptMathError
from .ops import next_token_losses

INDEX = Path("checkpoints") / "index.json"


@dataclass(frozen=True)
class Checkpoint:
    """One saved step of a training run."""

    step: int
    tokens_seen: int
    path: Path  # a save_pretrained folder: load it with gptmath.load_model
    nats_per_token: float  # held-out loss measured during training
    bits_per_byte: float
    probe_nats: float  # loss on the probe text (index.json's "probe"), measured by gptmath on these very weights


def checkpoints(model_folder: str | os.PathLike) -> list[Checkpoint]:
    """The training history of a model folder, first step first; an error if it has none."""
    folder = Path(model_folder)
    index = folder / INDEX
    if not index.is_file():
        raise GptMathError(f"{folder} has no training history ({INDEX}): use a model shipped by gpttrain.ship")
    entries = json.loads(index.read_text(encoding="utf-8"))["checkpoints"]
    return [Checkpoint(e["step"], e["tokens_seen"], (folder / e["folder"]).resolve(), e["nats_per_token"],
                       e["bits_per_byte"], e["probe_nats"]) for e in entries]


def probe(model_folder: str | os.PathLike) -> dict:
    """Where the probe text comes from: {"file", "document", "tokens"} (see gpttrain.ship)."""
    return json.loads((Path(model_folder) / INDEX).read_text(encoding="utf-8"))["probe"]


def mean_loss(model, ids: list[int]) -> float:
    """Nats per token: the mean of −log p(next token) over the ids, from one forward pass."""
    return float(next_token_losses(model.trace_ids(ids)["logits"], ids).mean())
