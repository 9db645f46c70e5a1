"""MLPBlock scene: draws the trace's MLP numbers, fits the frame, matches its golden frame."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import hooks
from scenes.mlp_block import MLPBlock
from scenes.settings import Settings
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
