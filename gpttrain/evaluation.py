"""Evaluations during training: held-out loss (nats per token and bits per byte) and the heads' detector scores
(previous-token, induction, copying gain) on held-out windows."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from gpttrain.data import EOT, Data
from gpttrain.model import autocast

if TYPE_CHECKING:
    from gpttrain.train import TrainConfig


def evaluate(model, streams: list[np.ndarray], byte_len: np.ndarray, cfg: TrainConfig) -> dict:
    """Held-out loss over evenly spaced windows of each held-out stream."""
    import torch

    model.eval()
    nll = n_tok = n_bytes = 0.0
    per_source = []
    with torch.no_grad(), autocast(cfg):
        for stream in streams:
            n_win = max(1, min(cfg.eval_windows, (len(stream) - 1) // cfg.n_ctx))
            starts = np.linspace(0, len(stream) - cfg.n_ctx - 1, n_win).astype(int)
            x = torch.from_numpy(np.stack([stream[s:s + cfg.n_ctx] for s in starts]).astype(np.int64))
            y = torch.from_numpy(np.stack([stream[s + 1:s + cfg.n_ctx + 1] for s in starts]).astype(np.int64))
            logits = model(x).logits.float()
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")
            s_nll, s_tok, s_bytes = float(loss), y.numel(), float(byte_len[y.numpy()].sum())
            per_source.append({"nats_per_token": s_nll / s_tok, "bits_per_byte": s_nll / math.log(2) / s_bytes})
            nll, n_tok, n_bytes = nll + s_nll, n_tok + s_tok, n_bytes + s_bytes
    model.train()
    return {"nats_per_token": nll / n_tok, "bits_per_byte": nll / math.log(2) / n_bytes, "per_source": per_source}


def best_head_scores(model, texts: list[np.ndarray], n_vocab: int, eot: int, skip: tuple[int, ...], length: int = 40,
                  seeds: int = 4) -> dict:
    """The heads' detector scores, from the torch model's own (eager) attention patterns.

    previous: best mean weight on the token just before, averaged over `texts` (held-out windows);
    induction: best mean weight from a repeated random token to what followed its first copy;
    copying_gain: loss on the first copy minus loss on the repeat, in nats per token.
    """
    import torch

    from gptmath.heads import copying_scores, mask_scores, previous_token_mask

    def run(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = model(torch.from_numpy(ids[None].astype(np.int64)), output_attentions=True)
        return np.stack([a[0].float().numpy() for a in out.attentions]), out.logits[0].float().numpy()

    model.eval()
    model.set_attn_implementation("eager")
    with torch.no_grad():
        prev = np.mean([mask_scores(run(ids)[0], previous_token_mask(ids)) for ids in texts], axis=0)
        copying = copying_scores(run, n_vocab, eot, skip, length, seeds)
    model.set_attn_implementation("sdpa")
    model.train()
    induction = copying.induction
    return {"previous": round(float(prev.max()), 4), "previous_head": [int(i) for i in np.unravel_index(prev.argmax(), prev.shape)],
            "induction": round(float(induction.max()), 4),
            "induction_head": [int(i) for i in np.unravel_index(induction.argmax(), induction.shape)],
            "copying_gain": round(copying.gain, 4)}


def head_texts(data: Data, cfg: TrainConfig, n: int = 4, length: int = 120) -> list[np.ndarray]:
    """`n` windows of `length` held-out tokens, each starting right after an <|endoftext|>, from the first story file."""
    names = [i for i, name in enumerate(data.test_names) if name.startswith("tinystories")] or [0]
    stream = data.test[names[0]]
    eot = data.tokenizer.convert_tokens_to_ids(EOT)
    starts = [int(i) + 1 for i in np.flatnonzero(stream == eot)[:-1] if len(stream) - i > length + 1][:n] or [0]
    return [stream[s:s + min(length, cfg.n_ctx)] for s in starts]
