"""Sequence-level unlikelihood (Welleck et al. 2020, "Neural text generation with unlikelihood training"): what
teaches a small model not to loop when it continues a text greedily.

The model continues training text greedily; each token of its continuation that closes a stretch of 4 tokens the
continuation already holds (a loop) is pushed down by -log(1 - p). Welleck et al. push down all 4 tokens of the
stretch; here only the one that makes it a copy, so that a phrase may come back (おじいさんは、) but not go round in
circles. Copying from the prompt is left alone: only repeats inside the model's own continuation count.

    import numpy as np
    from gpttrain.unlikelihood import repeated_ngram_mask
    repeated_ngram_mask(np.array([5, 6, 7, 8, 5, 6, 7, 8, 9]), 4)  # the 8 that closes 5 6 7 8 again: position 7
"""
from __future__ import annotations

import numpy as np

NGRAM = 4  # a loop is a stretch of this many tokens told again (Welleck et al.'s n)


def repeated_ngram_mask(tokens: np.ndarray, n: int = NGRAM) -> np.ndarray:
    """[len(tokens)] True for each token that closes an n-token stretch which occurred earlier in `tokens`."""
    mask, seen = np.zeros(len(tokens), dtype=bool), set()
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i:i + n].tolist())
        if gram in seen:
            mask[i + n - 1] = True
        seen.add(gram)
    return mask


def greedy_continuations(model, prefixes, n_new: int):
    """[batch, prefix + n_new] the prefixes, each continued greedily for n_new tokens. Every token may be chosen,
    the end of text too, and the text goes on after it, as gptmath's greedy generation does: a token the greedy
    choice could never take would be where the loss hides the loops' probability."""
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        tokens, past, seq = prefixes, None, [prefixes]
        for _ in range(n_new):
            out = model(tokens, cache=past, use_cache=True)
            tokens, past = out.logits[:, -1].argmax(-1, keepdim=True), out.cache
            seq.append(tokens)
    model.train(was_training)
    return torch.cat(seq, dim=1)


def loop_probabilities(model, prefixes, n_new: int):
    """The model continues `prefixes` [batch, prefix] greedily for n_new tokens; returns ([batch, n_new] the
    probability it gives each continuation token, [batch, n_new] True where that token closes a stretch the
    continuation told before)."""
    import torch

    seq = greedy_continuations(model, prefixes, n_new)  # [batch, prefix + n_new]
    start = prefixes.shape[1]
    mask = torch.from_numpy(np.stack([repeated_ngram_mask(row[start:]) for row in seq.numpy()]))  # [batch, n_new]
    logits = model(seq[:, :-1]).logits[:, start - 1:].float()  # the predictions of the continuation's tokens
    return logits.softmax(-1).gather(-1, seq[:, start:, None])[..., 0], mask


def unlikelihood_loss(model, prefixes, n_new: int):
    """The loss of one unlikelihood step: -log(1 - p) of each continuation token that closes a stretch the
    continuation told before (loop_probabilities), summed and divided by the number of continuation tokens (0 when
    nothing loops)."""
    import torch

    p, mask = loop_probabilities(model, prefixes, n_new)
    return -(torch.log((1 - p).clamp(min=1e-5)) * mask).sum() / mask.numel()
