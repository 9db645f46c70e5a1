"""ForwardPass scene: change sizes, logit lens and next-token bars are the trace's; fits the frame."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import hooks
from gptmath.model import unembed
from scenes import theme as th
from scenes.forward_pass import ForwardPass, change_decimals
from scenes.mobjects import number, number_text
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
            assert scene.change_numbers[2 * L + k].text == number_text(want, scene.layout.decimals)
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


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_deep_model_keeps_every_label_readable(lang, tmp_path):
    """A random 12-layer model: its blocks are too narrow for their names (a legend names the colours), every
    third layer is named with its logit-lens guess, the change sizes stand turned a quarter, two significant
    digits: no word is drawn under SMALL_SIZE and no number under MIN_NUMBER_SIZE (both shrank before)."""
    from manim import Text

    from gpttrain.toy import make_toy_model

    folder = make_toy_model(tmp_path / "deep", n_layer=12, n_head=1, d_model=24)
    scene, _ = render(ForwardPass, Settings(model=str(folder), lang=lang), tmp_path)
    assert not scene.layout.named_layers and scene.layout.stride > 1 and scene.layout.numbers == "turned"
    words = [t for mob in scene.mobjects for t in mob.get_family() if isinstance(t, Text) and t.submobjects]
    least = [th.SMALL_SIZE if any(c.isalpha() for c in t.text) else th.MIN_NUMBER_SIZE for t in words]
    assert not [(t.text, round(t.font_size, 1)) for t, size in zip(words, least) if t.font_size < size - 0.05]
    digit = number(0).height  # a digit's height at NUMBER_SIZE
    assert len(scene.change_numbers) == 24
    assert min(min(n.width, n.height) for n in scene.change_numbers) >= digit * th.MIN_NUMBER_SIZE / th.NUMBER_SIZE
    assert len({n.text for n in scene.change_numbers}) > 1  # not all "0.0": the small sizes get their digits
    check_layout(scene)


# --- narration and captions chosen by the numbers -------------------------------------------------------------

from gptmath.lens import settled_from  # noqa: E402
from scenes.forward_pass import SHAPED  # noqa: E402
from scenes.i18n import tr  # noqa: E402
from scenes.mobjects import quoted  # noqa: E402
from scenes.mobjects.charts import percent  # noqa: E402
from tests.narration_check import assert_narrated, caption_texts, line, said_keys  # noqa: E402


def check_narration(scene) -> None:
    """The bridge and one line per step, each variant the one the numbers call for, with the numbers drawn."""
    sizes, lens, n = scene.layers.sizes, scene.lens, len(scene.data.tokens)
    L, part = divmod(int(np.argmax(sizes)), 2)
    same = lens[0].token_id == lens[-1].token_id
    parallel = scene.data.model.config.parallel
    keys = ["say_bridge", "say_show_embeddings" if n > 1 else "say_show_embeddings_one",
            "say_run_blocks_parallel" if parallel else "say_run_blocks",
            f"say_show_change_sizes_{('attn', 'mlp')[part]}", "say_predict",
            "say_show_logit_lens_same" if same else "say_show_logit_lens"]
    assert_narrated(scene, keys)
    said = line(scene, keys[3])
    assert number_text(sizes[L, part], change_decimals(float(sizes.max()))) in said and f" {L}" in said
    top = scene.prediction.next_tokens[0]
    assert quoted(top.text) in line(scene, "say_predict") and percent(top.prob) in line(scene, "say_predict")
    lang, last = scene.settings.lang, quoted(lens[-1].text)
    captions = caption_texts(scene)
    if same:
        assert tr("overview", "lens_caption_same", lang, last=last) in captions
    else:
        said = line(scene, "say_show_logit_lens")
        assert quoted(lens[0].text) in said and f" {settled_from(lens) - 1} " in said and last in said
        shaped = lens[-1].prob >= SHAPED
        unsure = tr("overview", "lens_caption_unsure", lang, p=percent(lens[-1].prob))
        assert (tr("overview", "lens_caption", lang) in captions) == shaped and (unsure in captions) == (not shaped)


def test_narration_default(default_render):
    """The shipped English model: the MLP of layer 3 changes "␣little" most; the guess settles on "␣girl"."""
    scene, _ = default_render
    check_narration(scene)
    assert "say_show_change_sizes_mlp" in said_keys(scene)


def test_narration_japanese(tmp_path):
    """The Japanese model: the change-sizes line names the sublayer (attention or MLP) whose change is largest."""
    from gptmath.lens import change_sizes

    scene, _ = render(ForwardPass, Settings(lang="ja"), tmp_path)
    check_narration(scene)
    sizes = change_sizes(scene.data.trace, scene.data.position)  # [n_layer, 2]: attention, MLP
    largest = ("attn", "mlp")[int(np.unravel_index(np.argmax(sizes), sizes.shape)[1])]
    assert f"say_show_change_sizes_{largest}" in said_keys(scene)


def test_narration_random_model_guesses_the_same_from_the_start(toy_dirs, tmp_path):
    """A random model: the embedding alone already guesses the final token, so no "taking shape"."""
    scene, _ = render(ForwardPass, Settings(model=str(toy_dirs["2L3H"])), tmp_path)
    assert scene.lens[0].token_id == scene.lens[-1].token_id
    check_narration(scene)


def test_narration_one_token_and_parallel_blocks(tmp_path):
    """A one-token prompt on a GPT-NeoX-style model, whose attention and MLP read the same input side by side."""
    from tests.families import FAMILY_SHAPES, make_family_model

    model_type, kw = FAMILY_SHAPES["neox-3H-rot25-padded"]
    folder = make_family_model(tmp_path / "neox", model_type, **kw)
    scene, _ = render(ForwardPass, Settings(model=str(folder), prompt="The"), tmp_path)
    assert scene.data.model.config.parallel and len(scene.data.tokens) == 1
    check_narration(scene)
