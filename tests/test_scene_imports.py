"""Scene processes stay light: importing every scene module loads neither torch, transformers nor gpttrain.

What a scene needs from them (PreTraining's one real gradient step) the render command computes first and
caches on disk (scenes.data.precompute, called by scenes.cli.prepare); the scene process reads it back.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

import gptmath.cache
from gptmath import GptMathError
from scenes.cli import SCENES, prepare
from scenes.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("torch", "transformers", "gpttrain")
LOADED = f"sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})"


def run_python(code: str) -> list:
    """Run code in a fresh interpreter at the project root; its last line of output, read as JSON."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_scene_modules_import_no_torch_transformers_or_gpttrain():
    modules = [f"scenes.{m}" for m, _ in SCENES]
    loaded = run_python(f"import importlib, json, sys\n"
                        f"for module in {modules!r}:\n"
                        f"    importlib.import_module(module)\n"
                        f"print(json.dumps({LOADED}))\n")
    assert loaded == []


def test_the_gradient_step_is_computed_before_the_scenes_and_read_back_without_torch(toy_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(gptmath.cache, "STEP_DIR", tmp_path)
    settings = Settings(model=str(toy_dir))
    want = prepare(settings, ["PreTraining"]).gradient_step()  # computed in torch by the render command
    assert len(list(tmp_path.glob("*.json"))) == 1
    got = run_python(f"import json, sys\n"
                     f"from dataclasses import asdict\n"
                     f"from pathlib import Path\n"
                     f"import gptmath.cache\n"
                     f"from scenes.data import scene_data\n"
                     f"from scenes.settings import Settings\n"
                     f"gptmath.cache.STEP_DIR = Path({str(tmp_path)!r})\n"
                     f"step = scene_data(Settings(model={str(toy_dir)!r})).gradient_step()\n"
                     f"print(json.dumps([asdict(step), {LOADED}]))\n")
    assert got == [asdict(want), []]


def test_a_step_that_cannot_be_taken_is_left_to_the_scene(toy_dir, tmp_path, monkeypatch):
    """A one-token prompt: PreTraining fails in its own process, as before; the render command goes on."""
    monkeypatch.setattr(gptmath.cache, "STEP_DIR", tmp_path)
    data = prepare(Settings(model=str(toy_dir), prompt="The"), ["PreTraining"])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(GptMathError, match="at least two tokens"):
        data.gradient_step()
