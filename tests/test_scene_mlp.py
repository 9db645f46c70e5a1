"""MLPBlock scene: draws the trace's MLP numbers, fits the frame, matches its golden frame."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import hooks
from scenes import theme as th
from scenes.mlp_block import MLPBlock
from scenes.settings import Settings
from scenes.theme import show_spaces
from tests.narration_check import said
from tests.scene_harness import LONG, check_layout, compare_golden, render


@pytest.fixture(scope="module")
def default_render(tmp_path_factory):
    return render(MLPBlock, Settings(), tmp_path_factory.mktemp("mlp"))


def test_drawn_values_are_the_trace(default_render):
    scene, _ = default_render
    trace, L, P = scene.data.trace, scene.data.layer, scene.data.position
    blk = scene.data.model.weights.blocks[L]
    at = lambda name: trace[name][P]  # noqa: E731
    assert np.allclose(scene.x_col.values, at(hooks.norm(L, 2, "normalized")))
    assert all(np.isclose(v, blk.W_in[c, r]) for (r, c), v in scene.W_in_mob[0].shown.items())
    assert np.allclose(scene.b_in_col.values, blk.b_in)
    assert np.allclose(scene.pre_col.values, at(hooks.mlp(L, "pre")))
    post = at(hooks.mlp(L, "post"))
    assert np.allclose(scene.post_strip.values[:, 0], post)
    plot, top = scene.plot, scene.layout().strongest
    centers = plot.centers
    assert len(centers) == scene.data.model.config.d_mlp
    assert all(np.allclose(dot.get_center(), centers[i]) for dot, i in zip(plot.dots[1], top))
    for i in (0, len(post) // 2, len(post) - 1):
        x, y = plot.axes.p2c(centers[i])
        assert np.isclose(x, at(hooks.mlp(L, "pre"))[i], atol=1e-3) and np.isclose(y, post[i], atol=1e-3)
    assert list(top) == list(np.argsort(-post)[:len(top)])
    assert [lab[1].text for lab in scene.top_labels] == [f"{post[i]:.2f}".replace("-", "−") for i in top]
    assert all(np.isclose(v, blk.W_out[c, r]) for (r, c), v in scene.W_out_mob[0].shown.items())
    assert np.allclose(scene.out_col.values, at(hooks.out(L, "mlp")))
    assert np.allclose(scene.resid_mid_col.values + scene.mlp_out_col.values, scene.resid_post_col.values, atol=1e-4)
    assert np.allclose(scene.resid_post_col.values, at(hooks.resid(L, "post")))
    check_layout(scene)


def test_golden(default_render, update_golden):
    compare_golden(default_render[1], "MLPBlock", update_golden)


@pytest.mark.parametrize("prompt", [LONG, "Once"])
def test_layout_long_and_one_token(prompt, tmp_path):
    scene, _ = render(MLPBlock, Settings(prompt=prompt), tmp_path)
    assert scene.data.position == len(scene.data.tokens) - 1
    check_layout(scene)


def test_other_model_shape(toy_dirs, tmp_path):
    scene, _ = render(MLPBlock, Settings(model=str(toy_dirs["3L5H-gelu-n_inner"]), layer=2), tmp_path)
    assert len(scene.plot.centers) == 50 and scene.W_in_mob[0].values.shape == (50, 40)
    check_layout(scene)


# --- narration and claims chosen by the numbers (issue 27) ---------------------------------------------------------

STEPS = ["show_input", "project_up", "apply_activation", "multiply_by_up", "light_up_neurons", "project_down",
         "add_to_residual", "run_in_parallel"]


def shown_caption(scene, key: str, **values) -> bool:
    return scene.tr(key, **values) in [text for _, text in scene.captions]


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    """A gated MLP (Llama) and a parallel block (GPT-NeoX), random."""
    from tests.families import FAMILY_SHAPES, make_family_model

    root = tmp_path_factory.mktemp("mlp-families")
    return {name: make_family_model(root / name, *FAMILY_SHAPES[name][:1], **FAMILY_SHAPES[name][1])
            for name in ("llama-3H-gqa3-tied", "neox-3H-rot25-padded")}


def test_every_step_has_its_narration_in_both_languages():
    from scenes.i18n import LANGUAGES, catalogue

    cat = catalogue("mlp")
    for lang in LANGUAGES:
        keys = {k for k in cat[lang] if k.startswith("say_")}
        assert "say_bridge" in keys and all(f"say_{step}" in keys for step in STEPS)
        assert all(k == "say_bridge" or any(k.startswith(f"say_{s}") for s in STEPS) for k in keys)


def test_quiet_share_counts_activations_near_zero(default_render):
    from gptmath.lens import quiet_share

    scene, _ = default_render
    post = scene.data.trace[hooks.mlp(scene.data.layer, "post")][scene.data.position]
    assert quiet_share(scene.data.trace, scene.data.layer, scene.data.position, 0.1) == np.mean(np.abs(post) <= 0.1)
    assert quiet_share(scene.data.trace, scene.data.layer, scene.data.position, 1e9) == 1.0


@pytest.mark.parametrize("case, caption", [("en", "post"), ("ja", "post_busy"), ("untrained", "post_faint")])
def test_activations_caption_and_narration_are_chosen_by_the_numbers(case, caption, default_render, untrained_dir,
                                                                     tmp_path):
    """Trained English model: most neurons quiet, a few strong. Japanese: most are not quiet. Random weights:
    most quiet, none strong."""
    from tests.scene_harness import check_reading

    kw = {"ja": dict(lang="ja"), "untrained": dict(model=str(untrained_dir))}.get(case)
    scene = default_render[0] if kw is None else render(MLPBlock, Settings(**kw), tmp_path)[0]
    check_reading(scene)
    post = scene.data.trace[hooks.mlp(scene.data.layer, "post")][scene.data.position]
    quiet, top = np.mean(np.abs(post) <= 0.1), int(np.argmax(post))
    want = "post_busy" if quiet <= 0.5 else ("post" if post[top] >= 1.0 else "post_faint")
    assert want == caption and shown_caption(scene, caption)
    assert sum(shown_caption(scene, k) for k in ("post", "post_busy", "post_faint")) == 1
    m = f"{len(post):,}"
    assert said(scene, "say_light_up_neurons", m=m, quiet=f"{100 * quiet:.1f}%", neuron=top,
                a=f"{post[top]:.2f}".replace("-", "−"))
    cfg, token = scene.data.model.config, show_spaces(scene.data.tokens[scene.data.position])
    assert said(scene, "say_bridge")
    assert said(scene, "say_show_input", layer=scene.data.layer, token=token, norm="LayerNorm", d=f"{cfg.d_model:,}")
    assert said(scene, "say_project_up", m=m, d=f"{cfg.d_model:,}")
    assert said(scene, "say_add_to_residual", token=token)
    assert said(scene, "say_run_in_parallel", n=len(scene.data.tokens))


@pytest.mark.parametrize("name", ["llama-3H-gqa3-tied", "neox-3H-rot25-padded"])
def test_gated_and_parallel_blocks_say_what_they_do(name, family, tmp_path):
    from tests.scene_harness import check_reading

    scene, _ = render(MLPBlock, Settings(model=str(family[name])), tmp_path)
    check_reading(scene)
    check_layout(scene)
    cfg = scene.data.model.config
    m, d, token = f"{cfg.d_mlp:,}", f"{cfg.d_model:,}", show_spaces(scene.data.tokens[scene.data.position])
    gated, parallel = cfg.mlp == "gated", cfg.parallel
    assert (gated, parallel) == ((True, False) if name.startswith("llama") else (False, True))
    assert said(scene, "say_project_up_gated" if gated else "say_project_up", m=m, d=d)
    assert said(scene, "say_multiply_by_up", m=m) == gated
    post = scene.data.trace[hooks.mlp(scene.data.layer, "post")][scene.data.position]
    top = int(np.argmax(post))
    assert said(scene, "say_light_up_neurons_gated" if gated else "say_light_up_neurons", m=m, neuron=top,
                quiet=f"{100 * np.mean(np.abs(post) <= 0.1):.1f}%", a=f"{post[top]:.2f}".replace("-", "−"))
    suffix = "_parallel" if parallel else ""
    assert said(scene, f"say_add_to_residual{suffix}", token=token)
    assert said(scene, f"say_show_input{suffix}", layer=scene.data.layer, token=token,
                norm=th.norm_name(cfg.norm), d=d)
