"""Big checkpoints on an ordinary machine: weights memory-mapped, not copied; half precision widened one layer at a
time; the same trace as a float32 copy of every weight; scene processes that never hold the model."""
from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from gptmath import DEFAULT_MODEL, load_model
from gptmath.model import Block, forward
from gptmath.ops import widen
from tests.test_families import prompt_ids, reference
from tests.test_parity import PROMPT, assert_matches


def eager(weights):
    """The weights as gptmath held them before memory maps: every tensor a row-major float32 copy, every block
    laid out at once."""
    copy = lambda x: None if x is None else np.ascontiguousarray(widen(x))  # noqa: E731
    blocks = [Block(**{k: copy(v) for k, v in vars(b).items()}) for b in weights.blocks]
    return dataclasses.replace(weights, embedding=copy(weights.embedding), unembedding=copy(weights.W_U),
                               blocks=blocks, W_pos=copy(weights.W_pos))


def test_weights_are_read_only_views_of_the_file(toy_dir, family_dirs):
    for folder in (toy_dir, family_dirs["llama-4H-gqa2-untied"]):
        W = load_model(folder).weights
        block = W.blocks[0]
        for x in (W.W_E, W.W_U, block.W_Q, block.W_K, block.W_O, block.W_in, block.W_out):
            assert not x.flags.owndata and not x.flags.writeable  # a view of the mapped file: no copy was made
        assert np.shares_memory(W.W_U, W.W_E) == W.config.tied_embeddings


@pytest.mark.parametrize("which", ["shipped float32", "shipped float16 history", "toy gpt2"])
def test_gpt2_trace_is_bit_for_bit_that_of_a_float32_copy(which, toy_dir):
    """GPT-2 stores its matrices as they are computed (x @ W), so the views give the very bits of a copy."""
    folder = {"shipped float32": DEFAULT_MODEL, "toy gpt2": toy_dir,
              "shipped float16 history": DEFAULT_MODEL / "checkpoints" / "step-001000"}[which]
    model = load_model(folder)
    ids = model.encode(PROMPT)
    mapped, copied = forward(model.weights, ids), forward(eager(model.weights), ids)
    assert mapped.cache.keys() == copied.cache.keys()
    for name in mapped.cache:
        np.testing.assert_array_equal(mapped[name], copied[name], err_msg=name)


@pytest.mark.parametrize("name", ["llama-3H-gqa3-tied", "neox-3H-rot25-padded", "neo-3H-local4", "qwen2-5H-tied"])
def test_transposed_views_change_at_most_the_last_bits(name, family_dirs):
    """torch's nn.Linear stores [out, in]: gptmath multiplies by its transposed view, which BLAS may sum in
    another order than a transposed copy: the same trace to float32 rounding (and as before, to transformers)."""
    model = load_model(family_dirs[name])
    ids = prompt_ids(model)
    mapped, copied = forward(model.weights, ids), forward(eager(model.weights), ids)
    for key in mapped.cache:
        np.testing.assert_allclose(mapped[key], copied[key], rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.fixture(scope="module")
def half_dirs(family_dirs, tmp_path_factory):
    """bfloat16 and float16 copies of two families, and float32 models holding those very (rounded) numbers."""
    import torch
    from transformers import AutoModelForCausalLM

    made = {}
    for name in ("llama-3H-gqa3-tied", "neox-3H-rot25-padded"):
        for dtype in (torch.bfloat16, torch.float16):
            for stored in (dtype, torch.float32):
                folder = tmp_path_factory.mktemp(f"{name}-{dtype}-{stored}".replace("torch.", ""))
                AutoModelForCausalLM.from_pretrained(family_dirs[name], dtype=dtype).to(stored).save_pretrained(folder)
                for f in family_dirs[name].glob("tok*"):
                    shutil.copy(f, folder)
                made[name, str(dtype), str(stored)] = folder
    return made


@pytest.mark.parametrize("name", ["llama-3H-gqa3-tied", "neox-3H-rot25-padded"])
@pytest.mark.parametrize("dtype", ["torch.bfloat16", "torch.float16"])
def test_half_precision_traces_match_transformers_in_float32(name, dtype, half_dirs):
    """A half-precision checkpoint, widened to float32 one layer at a time, traces within float32 tolerance of
    transformers running the same numbers in float32, and to float32 rounding as gptmath on the float32 file."""
    half, wide = half_dirs[name, dtype, dtype], half_dirs[name, dtype, "torch.float32"]
    model = load_model(half)
    stored = {x.dtype for x in vars(model.weights.blocks.stored(0)).values() if x is not None}
    assert model.weights.embedding.dtype.itemsize == 2 and {s.itemsize for s in stored} == {2}
    assert model.weights.blocks[0].W_Q.dtype == np.float32
    trace = model.trace_ids(prompt_ids(model))
    assert_matches(trace, reference(wide, trace.tokens))
    same = load_model(wide).trace_ids(trace.tokens)
    for key in trace.cache:
        np.testing.assert_allclose(trace[key], same[key], rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("dtype", ["torch.bfloat16", "torch.float16"])
def test_a_stored_half_precision_matrix_is_drawn_as_its_float32_copy(dtype, half_dirs):
    """MatrixWithEllipses of an embedding as stored (two-byte numbers, memory-mapped) draws the numbers of the
    float32 file of the same model, with the same brightest magnitude, read a few rows at a time."""
    from gptmath.ops import largest_magnitude
    from scenes.mobjects import MatrixWithEllipses

    half, wide = (load_model(half_dirs["llama-3H-gqa3-tied", dtype, stored]).weights.embedding
                  for stored in (dtype, "torch.float32"))
    assert half.dtype.itemsize == 2 and wide.dtype == np.float32
    drawn, expected = (MatrixWithEllipses(m.T, n_rows=4, n_cols=5) for m in (half, wide))
    assert drawn.shown == expected.shown and len(drawn.shown) == 4 * 5
    assert largest_magnitude(half.T, rows=7) == largest_magnitude(wide) == float(np.abs(wide).max())


def test_a_missing_layer_weight_is_one_line(family_dirs, tmp_path):
    """Blocks are laid out lazily, yet a checkpoint missing a layer's weight fails at load with one line."""
    from safetensors.numpy import save_file

    from gptmath import GptMathError
    from gptmath.load import read_safetensors

    folder = shutil.copytree(family_dirs["qwen2-5H-tied"], tmp_path / "m")
    state = {k: np.array(v) for k, v in read_safetensors(folder / "model.safetensors").items()
             if k != "model.layers.1.mlp.up_proj.weight"}
    save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(GptMathError, match="up_proj.weight' is missing"):
        load_model(folder)


SCENE_RSS = """
import json, sys, tempfile
from pathlib import Path
import gptmath.cache as cache
cache.CACHE_DIR, cache.STEP_DIR, cache.RESULT_DIR = (Path(p) for p in {dirs!r})
from scenes.{module} import {scene} as scene_cls
from scenes.settings import Settings
from tests.scene_harness import render
scene, _ = render(scene_cls, Settings(model={model!r}), Path(tempfile.mkdtemp()), 214, 120)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps([int(status["VmHWM"].split()[0]) * 1024, "torch" in sys.modules]))
"""


def scene_peak(scene: str, model: str, dirs: list[str]) -> int:
    """Peak resident bytes of a fresh process that renders `scene` (animations skipped) for `model`.

    The peak is the kernel's VmHWM, the process's own high-water mark: its ru_maxrss starts at the test
    process's (torch and all), which Linux carries over when a forked process runs a new program."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from scenes.cli import SCENES

    module = dict((name, m) for m, name in SCENES)[scene]
    code = SCENE_RSS.format(dirs=dirs, model=model, module=module, scene=scene)
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    peak, torch_loaded = json.loads(done.stdout.splitlines()[-1])
    assert not torch_loaded
    return peak


@pytest.fixture(scope="module")
def big_model(tmp_path_factory):
    """A ~200 MB random GPT-2 (4 layers, width 1,024)."""
    from gpttrain.toy import make_toy_model

    return make_toy_model(tmp_path_factory.mktemp("big") / "big", n_layer=4, n_head=16, d_model=1024, n_ctx=128)


@pytest.mark.parametrize("scene", ["InContextCopying", "Temperature", "EmbeddingSpace"])
def test_a_scene_process_never_holds_the_model(scene, big_model, toy_dir, tmp_path, monkeypatch):
    """The render command computes the trace and the scene's own forward passes (InContextCopying: the induction
    test over random tokens, the random tokens told twice; Temperature: its two sampled continuations;
    EmbeddingSpace: the nearest neighbours among the whole vocabulary) first; the scene process then reads them
    back and its peak memory with a ~200 MB model stays within a quarter of the weights of that with a 0.1 MB one."""
    import gptmath.cache
    from scenes.cli import prepare
    from scenes.settings import Settings

    size = (big_model / "model.safetensors").stat().st_size
    assert size > 150e6
    dirs = [str(tmp_path / name) for name in ("traces", "steps", "results")]
    for name, folder in zip(("CACHE_DIR", "STEP_DIR", "RESULT_DIR"), dirs):
        monkeypatch.setattr(gptmath.cache, name, folder)
    peaks = {}
    for model in (toy_dir, big_model):
        prepare(Settings(model=str(model)), [scene])
        peaks[model] = scene_peak(scene, str(model), dirs)
    assert peaks[big_model] - peaks[toy_dir] < size / 4, (peaks, size)
