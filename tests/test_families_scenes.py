"""Every scene of the story renders for a random model of each family, and big models' head grids stay readable.

One family per scene, round-robin (tests/families.py), plus checks of what each scene adapts: rotary
positions (Embedding, AttentionHead), shared key/value heads (AttentionHead, MultiHeadAttention), gated and
parallel MLPs (MLPBlock), RMSNorm names, and the parameter count against transformers' numel().
Then MultiHeadAttention's layers × heads view at the four sizes of issue 15 (4×6, 12×12, 24×16, 30×9) at 480p.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from gptmath import hooks
from gpttrain.toy import make_toy_model
from scenes.multi_head_attention import MIN_THUMBNAIL, MultiHeadAttention
from scenes.cli import SCENES
from scenes.embedding import header_notes
from scenes.i18n import tr
from scenes.settings import Settings
from tests.families import make_family_model
from tests.scene_harness import HEIGHT, check_layout, render

# scene -> (family shape of tests/families.py, extra settings); every family appears, every scene once
ROUND_ROBIN = {
    "Introduction": ("qwen2-5H-tied", {}),
    "Tokenization": ("mistral-window3", {}),
    "Embedding": ("llama-3H-gqa3-tied", {}),
    "EmbeddingSpace": ("qwen2-5H-tied", {}),
    "AttentionHead": ("llama-4H-gqa2-untied", dict(layer=2, head=3)),
    "AttentionArcs": ("llama-3H-gqa3-tied", {}),  # its heads spread so thinly that some queries draw no link
    "MultiHeadAttention": ("qwen2-gqa2-sliding", {}),
    "InContextCopying": ("neo-2H-local2-untied", {}),
    "MLPBlock": ("mistral-window3", {}),
    "ForwardPass": ("neox-3H-rot25-padded", {}),
    "Unembedding": ("neox-3H-rot25-padded", {}),
    "Temperature": ("qwen2-5H-tied", {}),
    "Generation": ("neox-2H-rot100-sequential", {}),
    "Chat": ("llama-4H-gqa2-untied", {}),
    "ParameterCount": ("mistral-window3", {}),
    "PreTraining": ("qwen2-gqa2-sliding", {}),
    "Recap": ("neo-2H-local2-untied", {}),
}
MODULE = {cls: mod for mod, cls in SCENES}


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("family-media")


def render_scene(name: str, folder, media, **settings):
    scene_cls = getattr(importlib.import_module(f"scenes.{MODULE[name]}"), name)
    scene, _ = render(scene_cls, Settings(model=str(folder), **settings), media)
    check_layout(scene)
    return scene


def test_every_scene_has_a_family():
    assert set(ROUND_ROBIN) == set(MODULE)


@pytest.mark.parametrize("name", list(ROUND_ROBIN))
def test_scene_renders_for_a_family(name, family_dirs, media):
    shape, settings = ROUND_ROBIN[name]
    scene = render_scene(name, family_dirs[shape], media, **settings)
    check = CHECKS.get(name)
    if check is not None:
        check(scene)


def check_embedding(scene) -> None:
    """A rotary model: no position vectors, a note instead, and the token vectors are the first residuals."""
    assert not scene.learned_positions and len(scene.position_vectors) == 0
    trace = scene.data.trace
    for p, tok, resid in zip(scene.positions, scene.token_vectors, scene.residuals):
        if p is None:
            continue
        np.testing.assert_array_equal(tok.values, trace[hooks.EMBED][p])
        np.testing.assert_array_equal(resid.values, trace[hooks.resid(0, "pre")][p])


def check_attention_head(scene) -> None:
    """Keys from the shared key/value head; dials and pairs turned from hook_q to hook_rot_q; scores from both."""
    d, cfg = scene.data, scene.data.model.config
    assert (cfg.n_head, cfg.n_kv_head, scene.kv) == (4, 2, 1)
    i, L = d.position, d.layer
    np.testing.assert_allclose(scene.key_product.result.values, d.trace[hooks.attn(L, "k")][i, 1])
    assert scene.query_product.bias is None and scene.query_product.plus is None
    half = cfg.rotary_dims // 2
    q, rot_q = d.trace[hooks.attn(L, "q")][:, d.head], d.trace[hooks.attn(L, "rot_q")][:, d.head]
    for t, dial in scene.dials.items():
        np.testing.assert_array_equal(dial.before, q[t, [0, half]])
        np.testing.assert_array_equal(dial.after, rot_q[t, [0, half]])
        assert dial.angle == pytest.approx(t)  # the first pair turns one radian per position
    rot_k = d.trace[hooks.attn(L, "rot_k")][:, 1]
    name, pair, before, after, _ = scene.turned_rows[-1]
    assert name == "k" and pair == 0
    np.testing.assert_array_equal(after, rot_k[i, [0, half]])
    j = max(i - 1, 0)
    np.testing.assert_array_equal(scene.example_k.values, rot_k[j])


def check_multi_head(scene) -> None:
    cfg = scene.data.model.config
    assert len(scene.kv_brackets) == cfg.n_kv_head < cfg.n_head


def check_mlp(scene) -> None:
    """Gated: the gate, act(gate) × up = activations, no biases."""
    at = lambda name: scene.data.trace[f"blocks.{scene.L}.{name}"][scene.P]  # noqa: E731
    assert scene.gated and scene.b_in_col is None and scene.b_out_col is None
    np.testing.assert_array_equal(scene.pre_col.values, at("mlp.hook_pre"))
    np.testing.assert_array_equal(scene.up_col.values, at("mlp.hook_pre_linear"))
    np.testing.assert_array_equal(scene.gated_post_col.values, at("mlp.hook_post"))
    np.testing.assert_allclose(scene.bent_col.values * scene.up_col.values, scene.gated_post_col.values, atol=1e-5)


def check_forward_pass(scene) -> None:
    assert scene.data.model.config.parallel and hooks.resid(0, "mid") not in scene.data.trace


def check_parameter_count(scene) -> None:
    """The drawn total is transformers' numel() sum, and the norms are called RMSNorms."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(scene.data.settings.model)
    assert int(scene.total_mob.text.replace(",", "")) == sum(p.numel() for p in model.parameters())
    assert any(row.name_mob.text.startswith("RMSNorms") for row in scene.ours.rows)


CHECKS = {"Embedding": check_embedding, "AttentionHead": check_attention_head, "MultiHeadAttention": check_multi_head,
          "MLPBlock": check_mlp, "ForwardPass": check_forward_pass, "ParameterCount": check_parameter_count}


def test_parallel_mlp_adds_both_outputs(family_dirs, media):
    scene = render_scene("MLPBlock", family_dirs["neox-3H-rot25-padded"], media)
    assert scene.resid_mid_col is None
    total = scene.resid_pre_col.values + scene.attn_out_col.values + scene.mlp_out_col.values
    np.testing.assert_allclose(total, scene.resid_post_col.values, atol=1e-4)


def test_embedding_names_padded_columns(family_dirs, media):
    """A padded vocabulary's last column reads <unused>, a note gives its ids and the tokenizer's size."""
    scene = render_scene("Embedding", family_dirs["neox-3H-rot25-padded"], media)
    V, n = scene.data.model.config.vocab_size, scene.data.model.tokenizer.get_vocab_size()
    assert scene.matrix_cols[-1] == V - 1 >= n
    assert scene.matrix.col_label_mobs[-1].text == tr("embedding", "unused", "en")
    note = header_notes([], n, V, "en")[-1]
    assert scene.short_notes[-1].text == note.replace(" ", "") and f"{n}–{V - 1}" in note  # Text drops spaces


def test_unembedding_names_the_final_rms_norm(family_dirs, media):
    scene = render_scene("Unembedding", family_dirs["llama-3H-gqa3-tied"], media)
    assert scene.data.model.config.norm == "rmsnorm" and "RMSNorm" in scene.vector_head.text


def test_local_attention_masks_the_window(family_dirs, media):
    scene = render_scene("AttentionHead", family_dirs["neo-3H-local4"], media, layer=1)
    p = len(scene.data.tokens)
    query, key = np.indices((p, p))
    np.testing.assert_array_equal(scene.score_grid.masked, (key > query) | (query - key >= 4))


# -- the layers × heads view at real sizes ------------------------------------------------------------------

GRIDS = {"12x12": ("gpt2", dict(n_layer=12, n_head=12, d_model=48)),
         "24x16": ("gpt2", dict(n_layer=24, n_head=16, d_model=64)),
         "30x9": ("llama", dict(num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3, hidden_size=72,
                                intermediate_size=96))}
READABLE_CELL_PX = 8  # a head's cell in the head map at 480p (colour only, no text)


@pytest.fixture(scope="module")
def grid_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("grids")
    return {name: make_toy_model(root / name, **kw) if kind == "gpt2" else make_family_model(root / name, kind, **kw)
            for name, (kind, kw) in GRIDS.items()}


@pytest.mark.parametrize("size", ["4x6", *GRIDS])
def test_head_grid_is_readable_at_480p(size, grid_dirs, media):
    settings = Settings() if size == "4x6" else Settings(model=str(grid_dirs[size]))
    scene, _ = render(MultiHeadAttention, settings, media)
    check_layout(scene)
    cfg = scene.data.model.config
    assert f"{cfg.n_layer}x{cfg.n_head}" == size
    px = HEIGHT / 8  # pixels per unit at 480p
    if scene.head_map is None:  # small models: every head's thumbnail
        assert len(scene.grid_thumbnails) == cfg.n_layer * cfg.n_head
        assert min(t.width for t in scene.grid_thumbnails.values()) >= MIN_THUMBNAIL
    else:  # big models: every head a cell of the map, four drawn large
        assert scene.head_map.scores.shape == (cfg.n_layer, cfg.n_head)
        assert min(scene.head_map.cell_size()) * px >= READABLE_CELL_PX
        assert len(scene.grid_thumbnails) == 4 and (scene.data.layer, scene.data.head) in scene.grid_thumbnails
        assert min(t.width for t in scene.grid_thumbnails.values()) * px >= 60
        for (L, h), thumb in scene.grid_thumbnails.items():
            np.testing.assert_array_equal(thumb.values, scene.data.trace[hooks.attn(L, "pattern")][h])
    assert size != "4x6" or scene.head_map is None  # the shipped model keeps its thumbnails
