"""Trace keys: the one place that spells TransformerLens hook names.

    hooks.resid(0, "pre")         -> "blocks.0.hook_resid_pre"
    hooks.attn(2, "pattern")      -> "blocks.2.attn.hook_pattern"
    hooks.mlp(1, "pre_linear")    -> "blocks.1.mlp.hook_pre_linear"
    hooks.norm(0, 1, "scale")     -> "blocks.0.ln1.hook_scale"
    hooks.hook(hooks.LN_FINAL, "normalized") -> "ln_final.hook_normalized"
"""
from __future__ import annotations

EMBED = "hook_embed"  # [p, d] token embeddings
POS_EMBED = "hook_pos_embed"  # [p, d] learned position embeddings (absent for rotary models)
LN_FINAL = "ln_final"  # the final norm, before the unembedding
LOGITS = "logits"  # [p, V]


def hook(module: str, stage: str) -> str:
    """A stage of a module: hook("ln_final", "normalized") -> "ln_final.hook_normalized"."""
    return f"{module}.hook_{stage}"


def block(layer: int) -> str:
    return f"blocks.{layer}"


def ln(layer: int, which: int) -> str:
    """A block's first (1, before attention) or second (2, before the MLP) norm module."""
    return f"{block(layer)}.ln{which}"


def resid(layer: int, where: str) -> str:
    """The residual stream entering ("pre"), halfway through ("mid") or leaving ("post") a block."""
    return hook(block(layer), f"resid_{where}")


def out(layer: int, part: str) -> str:
    """What attention ("attn") or the MLP ("mlp") adds to the residual stream."""
    return hook(block(layer), f"{part}_out")


def norm(layer: int, which: int, stage: str) -> str:
    """Norm stages: scale ([p, 1], what each row is divided by) and normalized (the norm's output)."""
    return hook(ln(layer, which), stage)


def attn(layer: int, stage: str) -> str:
    """Attention stages: q, k, v, rot_q, rot_k, attn_scores, pattern, z."""
    return hook(f"{block(layer)}.attn", stage)


def mlp(layer: int, stage: str) -> str:
    """MLP stages: pre (the gate's input in a gated MLP), pre_linear (the up projection), post."""
    return hook(f"{block(layer)}.mlp", stage)
