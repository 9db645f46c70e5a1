"""Attention heads: finding ones worth showing, checking layer/head numbers, and one head's work step by step."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import hooks
from .errors import GptMathError
from .model import Config, Weights, attention_scale
from .ops import next_token_losses
from .trace import Trace


def check_layer_head(cfg: Config, layer: int | None = None, head: int | None = None) -> None:
    """One clear error naming the valid range for an out-of-range layer or head."""
    if layer is not None and not 0 <= layer < cfg.n_layer:
        raise GptMathError(f"layer {layer} is out of range: this model has layers 0..{cfg.n_layer - 1}")
    if head is not None and not 0 <= head < cfg.n_head:
        raise GptMathError(f"head {head} is out of range: this model has heads 0..{cfg.n_head - 1}")


def check_position(n_positions: int, position: int) -> int:
    """A token position (negative counts from the end) as an index 0..p-1."""
    if not -n_positions <= position < n_positions:
        raise GptMathError(f"position {position} is out of range: the prompt has positions 0..{n_positions - 1}")
    return position % n_positions


# --------------------------------------------------------------------------
# Head detectors, TransformerLens' way: the mean attention a head puts on a mask
# --------------------------------------------------------------------------

def previous_token_mask(tokens: np.ndarray) -> np.ndarray:
    """[q, k] True where key k is the token just before query q."""
    p = len(tokens)
    return np.eye(p, k=-1, dtype=bool)


def duplicate_token_mask(tokens: np.ndarray) -> np.ndarray:
    """[q, k] True where key k is an earlier occurrence of query q's own token."""
    tokens = np.asarray(tokens)
    return np.tril(tokens[:, None] == tokens[None, :], k=-1)


def induction_mask(tokens: np.ndarray) -> np.ndarray:
    """[q, k] True where key k follows an earlier occurrence of query q's token ("what came next last time")."""
    tokens = np.asarray(tokens)
    mask = np.zeros((len(tokens), len(tokens)), dtype=bool)
    mask[:, 1:] = tokens[:, None] == tokens[None, :-1]  # key k's previous token equals the query's token
    return np.tril(mask, k=-1)  # the earlier occurrence (k-1) lies before the query; k itself may be q-1 at most


def mask_scores(patterns: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[..., h]: each head's weight on the mask, averaged over the queries that have any masked key.

    patterns is [..., h, q, k]; a head scoring 1 puts all its weight on the
    mask, a head spreading evenly over p keys scores about (mask keys)/p.
    """
    rows = mask.any(axis=-1)  # [q] queries with something to find
    if not rows.any():
        return np.zeros(patterns.shape[:-2])
    on_mask = (patterns * mask).sum(axis=-1)  # [..., h, q]
    return on_mask[..., rows].mean(axis=-1)


def trace_patterns(trace: Trace) -> np.ndarray:
    """[n_layer, h, p, p]: every layer's attention patterns stacked."""
    return np.stack([trace[hooks.attn(L, "pattern")] for L in range(trace.n_layers)])


def previous_token_scores(trace: Trace) -> np.ndarray:
    """[n_layer, n_head]: mean attention each head pays from a token to the one before it."""
    return mask_scores(trace_patterns(trace), previous_token_mask(trace.tokens))


def duplicate_token_scores(trace: Trace) -> np.ndarray:
    """[n_layer, n_head]: mean attention from a token to earlier copies of itself."""
    return mask_scores(trace_patterns(trace), duplicate_token_mask(trace.tokens))


def induction_scores(trace: Trace) -> np.ndarray:
    """[n_layer, n_head]: mean attention from a token to what followed its earlier occurrences."""
    return mask_scores(trace_patterns(trace), induction_mask(trace.tokens))


def repeated_random_tokens(vocab: int, length: int, seed: int, first: int, skip: tuple[int, ...] = ()) -> np.ndarray:
    """[1 + 2·length]: `first` (e.g. <|endoftext|>), `length` random ordinary tokens, then the same tokens again."""
    rng = np.random.default_rng(seed)
    allowed = np.setdiff1d(np.arange(vocab), np.array(skip, dtype=int))
    half = rng.choice(allowed, size=length, replace=False)
    return np.concatenate([[first], half, half]).astype(np.int64)


def copying_gain(logits: np.ndarray, tokens: np.ndarray, length: int) -> float:
    """Nats per token: loss on the first copy minus loss on the repeat of a repeated_random_tokens sequence.

    logits is [p, V] for the sequence; both halves are scored on the same
    targets (tokens 2..length of the random run), so the difference is what
    reading the first copy is worth when predicting the second.
    """
    nll = next_token_losses(logits, tokens)  # [p-1] loss predicting token t+1 at t
    first = nll[1:length]  # predicting tokens 2..length of the first copy
    repeat = nll[length + 1:2 * length]  # the same tokens in the second copy
    return float(first.mean() - repeat.mean())


@dataclass(frozen=True)
class CopyingReport:
    """How a model copies from its own context, on <|endoftext|> + random tokens + the same tokens again."""

    induction: np.ndarray  # [n_layer, n_head] mean weight from a repeated token to what followed its first copy
    duplicate: np.ndarray  # [n_layer, n_head] mean weight from a repeated token to its first copy
    gain: float  # nats per token: loss on the first copy minus loss on the repeat
    length: int  # random tokens per copy
    chance: dict[str, float]  # what a head spreading evenly would score: {"induction": ..., "duplicate": ...}


def ordinary_token_ids(model) -> np.ndarray:
    """Every id the tokenizer can produce from text, without special tokens (<|endoftext|>, role markers)."""
    tok = model.tokenizer
    special = {i for i, t in tok.get_added_tokens_decoder().items() if t.special}
    return np.array([i for i in range(tok.get_vocab_size()) if i not in special])


def copying_scores(run, vocab: int, first: int, skip: tuple[int, ...], length: int, seeds: int) -> CopyingReport:
    """The induction test on any implementation: run(ids) gives ([n_layer, h, p, p] patterns, [p, V] logits).

    `first` starts each sequence (e.g. <|endoftext|>), the random tokens are drawn below `vocab`, never from `skip`.
    """
    induction, duplicate, gains, chance = [], [], [], []
    for seed in range(seeds):
        ids = repeated_random_tokens(vocab, length, seed, first, skip)
        patterns, logits = run(ids)
        masks = induction_mask(ids), duplicate_token_mask(ids)
        induction.append(mask_scores(patterns, masks[0]))
        duplicate.append(mask_scores(patterns, masks[1]))
        gains.append(copying_gain(logits, ids, length))
        chance.append([chance_share(m) for m in masks])
    return CopyingReport(np.mean(induction, axis=0), np.mean(duplicate, axis=0), float(np.mean(gains)), length,
                         dict(zip(("induction", "duplicate"), np.mean(chance, axis=0).tolist())))


def copying_report(model, length: int = 40, seeds: int = 4) -> CopyingReport:
    """TransformerLens' induction test on a gptmath model, averaged over `seeds` random sequences (as long as the
    context allows)."""
    eot = model.tokenizer.token_to_id("<|endoftext|>")
    ordinary = ordinary_token_ids(model)
    skip = tuple(np.setdiff1d(np.arange(ordinary.max() + 1), ordinary))

    def run(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        trace = model.trace_ids([int(i) for i in ids])
        return trace_patterns(trace), trace["logits"]

    return copying_scores(run, int(ordinary.max()) + 1, eot if eot is not None else 0, skip,
                          min(length, (model.config.n_ctx - 1) // 2), seeds)


def previous_token_report(model, texts: list[str], n_tokens: int = 120) -> np.ndarray:
    """[n_layer, n_head]: previous-token scores averaged over the first `n_tokens` tokens of each text."""
    return np.mean([previous_token_scores(model.trace_ids(model.encode(t)[:min(n_tokens, model.config.n_ctx)]))
                    for t in texts], axis=0)


def pick_head(trace: Trace, layer: int | None = None) -> tuple[int, int]:
    """The (layer, head) with the clearest previous-token pattern on this prompt (within `layer` if given)."""
    scores = previous_token_scores(trace)
    if layer is not None:
        return layer, int(scores[layer].argmax())
    layer, head = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(layer), int(head)


# --------------------------------------------------------------------------
# One head's computation, piece by piece (for scenes that show each product)
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class HeadWeights:
    """One head's slices of a layer's attention weights (row-vector convention: x @ W); None: no such bias."""

    W_Q: np.ndarray  # [d, dh]
    W_K: np.ndarray  # [d, dh]  (its key/value head's, shared with the rest of its group)
    W_V: np.ndarray  # [d, dh]
    b_Q: np.ndarray | None  # [dh]
    b_K: np.ndarray | None  # [dh]
    b_V: np.ndarray | None  # [dh]
    W_O: np.ndarray  # [dh, d]  the rows of the layer's W_O that read this head's z


def kv_head(cfg: Config, head: int) -> int:
    """The key/value head query head `head` reads (itself, unless groups of query heads share one)."""
    return head // (cfg.n_head // cfg.n_kv_head)


def head_weights(weights: Weights, layer: int, head: int) -> HeadWeights:
    """Head `head` of layer `layer`: columns H*dh:(H+1)*dh of W_Q (of W_K/W_V for its kv head), rows of W_O."""
    cfg = weights.config
    check_layer_head(cfg, layer, head)
    blk, dh, kv = weights.blocks[layer], cfg.d_head, kv_head(cfg, head)
    cols, kv_cols = slice(head * dh, (head + 1) * dh), slice(kv * dh, (kv + 1) * dh)
    part = lambda b, c: None if b is None else b[c]  # noqa: E731
    return HeadWeights(W_Q=blk.W_Q[:, cols], W_K=blk.W_K[:, kv_cols], W_V=blk.W_V[:, kv_cols],
                       b_Q=part(blk.b_Q, cols), b_K=part(blk.b_K, kv_cols), b_V=part(blk.b_V, kv_cols),
                       W_O=blk.W_O[cols, :])


def head_qk(trace: Trace, cfg: Config, layer: int, head: int) -> tuple[np.ndarray, np.ndarray]:
    """The query and key vectors [p, dh] whose dot products make the head's scores (after rotary, if any)."""
    q, k = ("rot_q", "rot_k") if cfg.positions == "rotary" else ("q", "k")
    return trace[hooks.attn(layer, q)][:, head], trace[hooks.attn(layer, k)][:, kv_head(cfg, head)]


def unmasked_scores(trace: Trace, cfg: Config, layer: int, head: int) -> np.ndarray:
    """[query, key]: q·k times the scale for every pair, before the causal mask hides later keys."""
    q, k = head_qk(trace, cfg, layer, head)  # [p, dh] each
    return (q @ k.T) * attention_scale(cfg, layer)


def weighted_value_sum(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Σ_k weights[k] · values[k]: one query's mix of value vectors [p, dh] -> [dh]."""
    return weights @ values


def head_output(z: np.ndarray, W_O: np.ndarray) -> np.ndarray:
    """One head's mixed value z [..., dh] projected back to the model width by its rows of W_O."""
    return z @ W_O


@dataclass(frozen=True)
class HeadStep:
    """What one head does for one query position, from its weights to the change it writes."""

    weights: np.ndarray  # [p] attention weights of the query over keys (0 for later keys)
    values: np.ndarray  # [p, dh] value vectors
    z: np.ndarray  # [dh] weighted value sum
    output: np.ndarray  # [d] z projected by the head's W_O rows
    resid_before: np.ndarray  # [d] the token's residual vector entering the layer
    resid_after: np.ndarray  # [d] resid_before + output (this head's share of the update)


def head_step(trace: Trace, weights: Weights, layer: int, head: int, position: int) -> HeadStep:
    """Head (layer, head) at query `position`: weighted value sum, output projection, residual update."""
    check_layer_head(weights.config, layer, head)
    position = check_position(trace.n_positions, position)
    pattern = trace[hooks.attn(layer, "pattern")][head, position]  # [p]
    values = trace[hooks.attn(layer, "v")][:, kv_head(weights.config, head)]  # [p, dh]
    z = weighted_value_sum(pattern, values)
    out = head_output(z, head_weights(weights, layer, head).W_O)
    resid = trace[hooks.resid(layer, "pre")][position]
    return HeadStep(weights=pattern, values=values, z=z, output=out, resid_before=resid, resid_after=resid + out)


def head_outputs(trace: Trace, weights: Weights, layer: int, position: int) -> np.ndarray:
    """[h, d]: every head's output at `position`; their sum plus b_O is the layer's attention output."""
    cfg = weights.config
    check_layer_head(cfg, layer)
    position = check_position(trace.n_positions, position)
    z = trace[hooks.attn(layer, "z")][position]  # [h, dh]
    W_O = weights.blocks[layer].W_O.reshape(cfg.n_head, cfg.d_head, cfg.d_model)
    return np.einsum("hd,hdm->hm", z, W_O)


def combine_heads(outputs: np.ndarray, b_O: np.ndarray | None) -> np.ndarray:
    """The attention output: the heads' outputs [h, d] summed, plus the output bias [d] if the model has one."""
    return outputs.sum(axis=0) if b_O is None else outputs.sum(axis=0) + b_O


# --------------------------------------------------------------------------
# What a head's pattern looks like
# --------------------------------------------------------------------------

HEAD_KINDS = ("previous", "first", "self", "spread")


def head_kinds(trace: Trace, threshold: float = 0.5) -> list[list[str]]:
    """[n_layer][n_head] one of HEAD_KINDS: where each head mostly looks, averaged over queries 1..p-1.

    A head is "previous"/"first"/"self" when on average more than `threshold` of
    its weight goes to the token before / the first token / the token itself;
    otherwise (and for a one-token prompt) it is "spread".
    """
    kinds = []
    for L in range(trace.n_layers):
        pattern = trace[hooks.attn(L, "pattern")]  # [h, p, p]
        p = pattern.shape[-1]
        row = []
        for pat in pattern:
            if p < 2:
                row.append("spread")
                continue
            q = np.arange(1, p)
            share = {"previous": pat[q, q - 1].mean(), "first": pat[q, 0].mean(), "self": pat[q, q].mean()}
            best = max(share, key=share.get)
            row.append(best if share[best] > threshold else "spread")
        kinds.append(row)
    return kinds


HEAD_ROLES = ("previous", "induction", "duplicate", "first", "self", "spread")
ROLE_SHARE = 0.4  # the least mean weight on a role's keys that names a head by it


def role_masks(tokens: np.ndarray) -> dict[str, np.ndarray]:
    """[q, k] masks of what each role looks at (HEAD_ROLES but "spread"); query 0's trivial key left out."""
    p = len(tokens)
    first = np.zeros((p, p), dtype=bool)
    first[1:, 0] = True
    own = np.eye(p, dtype=bool)
    own[0, 0] = False
    return {"previous": previous_token_mask(tokens), "induction": induction_mask(tokens),
            "duplicate": duplicate_token_mask(tokens), "first": first, "self": own}


def chance_share(mask: np.ndarray) -> float:
    """What mask_scores gives a head that spreads evenly over the keys it may see (keys 0..q)."""
    rows = mask.any(axis=-1)
    return float((mask.sum(axis=-1) / np.arange(1, len(mask) + 1))[rows].mean()) if rows.any() else 0.0


def head_roles(trace: Trace, share: float = ROLE_SHARE, lift: float = 1.5, min_queries: int = 2) -> list[list[str]]:
    """[n_layer][n_head] one of HEAD_ROLES: what each head looks at, by the detector it scores highest on.

    Each role's score is mask_scores on its mask: the mean weight a query puts
    on the token before it, on what came next after an earlier copy of itself
    (induction), on an earlier copy (duplicate), on the first token, on
    itself. A head takes its highest-scoring role if that score is at least
    `share` and at least `lift` times what an even spread over the visible keys
    would score; otherwise, and on a one-token prompt, it is "spread". Roles
    with fewer than `min_queries` queries that have something to find (e.g. no
    repeated tokens for induction) are not considered. E.g. a head putting all
    its weight on the token before is "previous"; one weighting all keys alike is "spread".
    """
    patterns = trace_patterns(trace)
    found = {role: (mask_scores(patterns, mask), chance_share(mask))
             for role, mask in role_masks(trace.tokens).items() if mask.any(axis=-1).sum() >= min_queries}
    chances = {role: chance for role, (_, chance) in found.items()}
    return [[named_role({role: scores[L, h] for role, (scores, _) in found.items()}, chances, share, lift)
             for h in range(patterns.shape[1])] for L in range(patterns.shape[0])]


def named_role(scores: dict[str, float], chances: dict[str, float], share: float = ROLE_SHARE,
               lift: float = 1.5) -> str:
    """The role a head scores highest on, if that score is at least `share` and `lift` times what an even spread
    over the visible keys would score (`chances`); else "spread"."""
    best = max(scores, key=scores.get, default=None)
    return best if best is not None and scores[best] >= max(share, lift * chances[best]) else "spread"


@dataclass
class Favourite:
    """A key token a head looks at more than its frequency explains."""

    token: str
    share: float  # of the head's attention beyond the nearest keys, the part that lands on this token
    base: float  # of those keys, the part that are this token: the share a head blind to content would give
    lift: float  # share / base


def favourite_tokens(pattern: np.ndarray, tokens: list[str], skip: int = 2, n: int = 3) -> list[Favourite]:
    """The tokens one head's pattern [query, key] favours among keys at least `skip` places back, most weight first.

    Looking `skip` places back leaves out what the previous-token and self
    patterns explain; what is left shows what the head picks out by content
    (full stops, quotation marks, names...). Each query's far weights are
    rescaled to sum to 1, so every query counts the same; a head that spreads
    its weight evenly gets a lift of 1 for every token.
    """
    share: dict[str, float] = {}
    base: dict[str, float] = {}
    queries = range(skip, pattern.shape[-1])
    for q in queries:
        far = pattern[q, : q - skip + 1]  # [keys at least `skip` back]
        far = far / far.sum() if far.sum() > 0 else np.full(len(far), 1 / len(far))
        for k, w in enumerate(far):
            share[tokens[k]] = share.get(tokens[k], 0.0) + float(w) / len(queries)
            base[tokens[k]] = base.get(tokens[k], 0.0) + 1 / len(far) / len(queries)
    best = sorted(share, key=share.get, reverse=True)[:n]
    return [Favourite(t, share[t], base[t], share[t] / base[t]) for t in best]
