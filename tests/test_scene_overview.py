"""ForwardPass scene: change sizes, logit lens and next-token bars are the trace's; fits the frame."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import hooks
from gptmath.model import unembed
from scenes import theme as th
from scenes.forward_pass import ForwardPass
from scenes.settings import Settings
from tests.scene_harness import LONG, check_layout, compare_golden, render


@pytest.fixture(scope="module")
def default_render(tmp_path_factory):
    return render(ForwardPass, Settings(), tmp_path_factory.mktemp("overview"))


def test_drawn_values_are_the_trace(default_render):
    scene, _ = default_render
    trace, P, model = scene.data.trace, scene.data.position, scene.data.model
    n_layer = model.config.n_layer
    assert len(scene.layers.blocks) == n_layer and len(scene.snapshots) == n_layer + 1
    assert np.allclose(scene.snapshots[-1].values, trace[hooks.resid(n_layer - 1, "post")].T)
    for L in range(n_layer):
        for k, part in enumerate(("attn", "mlp")):
            want = np.linalg.norm(trace[hooks.out(L, part)][P])
            assert np.isclose(scene.layers.sizes[L, k], want, rtol=1e-5)
            assert scene.change_numbers[2 * L + k].text == f"{want:.1f}"
    for L, guess in enumerate(scene.lens):
        resid = trace[hooks.resid(0, "pre")][P] if L == 0 else trace[hooks.resid(L - 1, "post")][P]
        assert guess.token_id == int(np.argmax(unembed(model.weights, resid)))
    next_tokens = scene.prediction.next_tokens
    assert scene.lens[-1].token_id == int(np.argmax(trace[hooks.LOGITS][P])) == next_tokens[0].token_id
    assert scene.prediction.bars.labels == [c.text for c in next_tokens]
    check_layout(scene)


def test_block_names_share_one_size(default_render):
    scene, _ = default_render
    boxes = [scene.embed_box, *[box for block in scene.layers.blocks for box in block], *scene.prediction.boxes]
    assert scene.layout.box_size == th.SMALL_SIZE  # the default model's names all fit at full size
    for rect, name in boxes:
        assert name.font_size == pytest.approx(scene.layout.box_size) and name.width < rect.width


def test_golden(default_render, update_golden):
    compare_golden(default_render[1], "ForwardPass", update_golden)


@pytest.mark.parametrize("prompt", [LONG, "Once"])
def test_layout_long_and_one_token(prompt, tmp_path):
    scene, _ = render(ForwardPass, Settings(prompt=prompt), tmp_path)
    assert scene.snapshots[0].values.shape[1] == len(scene.data.tokens)
    check_layout(scene)


def test_other_model_shape(toy_dirs, tmp_path):
    scene, _ = render(ForwardPass, Settings(model=str(toy_dirs["3L5H-gelu-n_inner"])), tmp_path)
    assert len(scene.lens) == 4 and scene.snapshots[0].values.shape[0] == 40
    check_layout(scene)
