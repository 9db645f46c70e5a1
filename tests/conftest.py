"""Shared fixtures: small random GPT-2s of several shapes, written with save_pretrained."""
from __future__ import annotations

from pathlib import Path

import pytest

from gptmath import load_model
from gpttrain.toy import make_toy_model
from tests.families import make_family_models

# name -> keyword arguments of make_toy_model (odd head counts, other activations, custom MLP width...)
TOY_SHAPES = {
    "2L3H": dict(n_layer=2, n_head=3, d_model=24),
    "1L1H": dict(n_layer=1, n_head=1, d_model=16, n_ctx=48),
    "3L5H-gelu-n_inner": dict(n_layer=3, n_head=5, d_model=40, n_inner=50, activation_function="gelu", seed=1),
    "2L2H-relu-layerscale": dict(n_layer=2, n_head=2, d_model=32, activation_function="relu",
                                 scale_attn_by_inverse_layer_idx=True, seed=2),
}


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.png from the current code")


@pytest.fixture(scope="session", autouse=True)
def voice_cache(tmp_path_factory) -> Path:
    """Where the tests' synthesised clips go: a folder of the test session, never the user's
    ~/.cache/gpt-manim/voice. The default cache (scenes.voice.default_cache) follows XDG_CACHE_HOME, in this
    process and in the command lines the tests run."""
    home = tmp_path_factory.mktemp("xdg_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(home))
        yield home / "gpt-manim" / "voice"


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(scope="session")
def toy_dirs(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("toys")
    return {name: make_toy_model(root / name, **kw) for name, kw in TOY_SHAPES.items()}


@pytest.fixture(scope="session")
def toy_dir(toy_dirs):
    return toy_dirs["2L3H"]


@pytest.fixture(scope="session")
def toy_model(toy_dir):
    return load_model(toy_dir)


@pytest.fixture(scope="session")
def family_dirs(tmp_path_factory) -> dict:
    """tests/families.py's random Llama, Mistral, Qwen2, GPT-NeoX and GPT-Neo checkpoints, by shape name."""
    return make_family_models(tmp_path_factory.mktemp("families"))


@pytest.fixture(scope="session")
def untrained_dir(tmp_path_factory):
    """The shipped English model's shape and tokenizer with fresh random weights: the example words stay whole
    tokens, but nothing has taught the model anything."""
    import shutil

    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from scenes.settings import DEFAULT_MODELS

    folder = tmp_path_factory.mktemp("untrained")
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config.from_pretrained(DEFAULT_MODELS["en"])).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(DEFAULT_MODELS["en"] / name, folder / name)
    return folder
