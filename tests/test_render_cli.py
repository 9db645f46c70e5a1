"""The render CLI: options, config file, errors before rendering, cache, figures, data, slides, failures."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gptmath import Trace, load_model
from gptmath.cache import cached_trace, trace_key
from scenes import cli
from scenes.settings import Settings


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenes", *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def test_config_file_then_command_line(tmp_path):
    cfg = tmp_path / "lecture.toml"
    cfg.write_text('prompt = "The cat sat"\ntop_k = 3\nquality = "m"\nscenes = ["Tokenization"]\n')
    settings, run = cli.merge_options(cli.parser().parse_args(["--config", str(cfg), "--top-k", "7"]))
    assert settings.prompt == "The cat sat" and settings.top_k == 7
    assert run["quality"] == "m" and run["scenes"] == ["Tokenization"]
    settings, run = cli.merge_options(cli.parser().parse_args([]))
    assert settings.top_k == 5 and run["scenes"] == list(cli.SCENE_MODULE)


@pytest.mark.parametrize("args, message", [
    (["NoSuchScene"], "unknown scene"),
    (["--temperature", "0"], "temperature must be > 0"),
    (["--temperature", "nan"], "temperature must be > 0"),
    (["--top-k", "0"], "top-k must be at least 1"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--prompt", ""], "prompt is empty"),
    (["--lang", "xx"], "language 'xx' is not available"),
    (["--model", "/no/such/folder"], "no model folder"),
    (["--layer", "99"], "layer 99 is out of range: this model has layers 0..1"),
    (["--head", "7"], "head 7 is out of range: this model has heads 0..2"),
    (["--position", "40"], "position 40 is out of range"),
])
def test_bad_options_fail_in_one_line_before_rendering(args, message, toy_dir, tmp_path):
    if "--model" not in args:
        args = [*args, "--model", str(toy_dir)]
    r = run_cli(*args, "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert not (tmp_path / "out" / "videos").exists()


def test_bad_config_key_is_named(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("colour = 'red'\n")
    r = run_cli("--config", str(cfg))
    assert r.returncode == 2 and "unknown key(s) in" in r.stderr and "colour" in r.stderr


def test_config_values_of_the_wrong_type_are_named(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("top_k = '5'\n")
    r = run_cli("--config", str(cfg))
    assert r.returncode == 2 and r.stderr.strip() == f"render: error: top_k in {cfg} must be int, not '5'"


def test_trace_cache_hits_and_invalidates(toy_dirs, tmp_path, monkeypatch):
    model = load_model(toy_dirs["2L3H"])
    first = cached_trace(model, "Once upon a time", tmp_path)
    calls, original = [], type(model).trace
    monkeypatch.setattr(type(model), "trace", lambda self, prompt: calls.append(prompt) or original(self, prompt))
    again = cached_trace(model, "Once upon a time", tmp_path)
    assert calls == [] and np.array_equal(again["logits"], first["logits"])
    other = load_model(toy_dirs["1L1H"])
    assert trace_key(other, "Once upon a time") != trace_key(model, "Once upon a time")
    assert trace_key(model, "Once upon a time!") != trace_key(model, "Once upon a time")
    cached_trace(model, "Once upon a time!", tmp_path)
    assert calls == ["Once upon a time!"]


def test_changed_weights_change_the_key(toy_dirs, tmp_path):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(toy_dirs["2L3H"], folder)
    before = trace_key(load_model(folder), "hi")
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # flip one bit of the last weight
    weights.write_bytes(bytes(data))
    assert trace_key(load_model(folder), "hi") != before


def test_data_round_trips(toy_dir, tmp_path):
    r = run_cli("--model", str(toy_dir), "--data", "--no-video", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    model = load_model(toy_dir)
    want = model.trace(cli.Settings().prompt)
    got = Trace.load(tmp_path / "data" / "trace.npz")
    assert got.token_strings == want.token_strings
    for key in want.keys():
        np.testing.assert_array_equal(got[key], want[key])
    summary = json.loads((tmp_path / "data" / "summary.json").read_text())
    assert summary["ids"] == [int(i) for i in want.tokens]
    probs = [c["prob"] for c in summary["next_tokens"]]
    assert len(probs) == Settings().top_k and probs == sorted(probs, reverse=True)
    best = int(np.argmax(want["logits"][-1]))
    assert summary["next_tokens"][0]["token_id"] == best


def test_figures_are_valid_png_svg_pdf(toy_dir, tmp_path):
    r = run_cli("Tokenization", "--model", str(toy_dir), "--figures", "--no-video", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    pngs = sorted((tmp_path / "figures").glob("Tokenization_*.png"))
    assert len(pngs) >= 3
    for png in pngs:
        assert Image.open(png).size == (854, 480)
        svg, pdf = png.with_suffix(".svg"), png.with_suffix(".pdf")
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg") and len(list(root.iter())) > 20
        assert pdf.read_bytes().startswith(b"%PDF") and b"%%EOF" in pdf.read_bytes()[-1024:]


def test_failing_scene_keeps_the_others(toy_dir, tmp_path, monkeypatch):
    scene_dir = tmp_path / "scene_files"
    scene_dir.mkdir()
    (scene_dir / "tokenization.py").write_text((cli.SCENE_DIR / "tokenization.py").read_text())
    (scene_dir / "broken.py").write_text(
        "from manim import Scene\n\nclass Broken(Scene):\n    def construct(self):\n        raise RuntimeError('boom')\n")
    monkeypatch.setattr(cli, "SCENE_DIR", scene_dir)
    monkeypatch.setattr(cli, "SCENE_MODULE", {"Tokenization": "tokenization", "Broken": "broken"})
    settings = cli.Settings(model=str(toy_dir))
    run = dict(cli.RUN_OPTIONS, scenes=["Tokenization", "Broken"], figures=True, video=False, jobs=2)
    with pytest.raises(cli.RenderFailed, match="1 scene\\(s\\) failed: Broken"):
        cli.render_all(settings, run, tmp_path / "out")
    assert sorted((tmp_path / "out" / "figures").glob("Tokenization_*.png"))
    assert "boom" in (tmp_path / "out" / "logs" / "Broken.log").read_text()
    media = tmp_path / "out" / "media"  # no text cache shared between scenes rendering at once
    assert (media / "Tokenization" / "texts").is_dir() and not (media / "texts").exists()


def test_help_lists_every_option():
    r = run_cli("--help")
    for option in ("--prompt", "--model", "--layer", "--head", "--position", "--temperature", "--seed", "--top-k",
                   "--jobs", "--out", "--config", "--figures", "--data", "--slides", "--lang", "--quality", "--voice",
                   "--narration-dir", "--voice-cache"):
        assert option in r.stdout


def test_language_picks_its_own_prompt_and_model_unless_given(tmp_path, monkeypatch):
    import scenes.settings as settings_module
    from scenes.settings import DEFAULT_MODELS, DEFAULT_PROMPTS, Settings

    ja = Settings(lang="ja")
    assert ja.prompt == DEFAULT_PROMPTS["ja"] and ja.default_prompt
    assert Settings().prompt == DEFAULT_PROMPTS["en"] and Settings().model_source == str(DEFAULT_MODELS["en"])
    assert Settings(lang="ja", prompt="The cat").prompt == "The cat" and not Settings(lang="ja", prompt="The cat").default_prompt
    assert Settings(lang="ja", model="/some/folder").model_source == "/some/folder"  # --model always wins
    ja_folder = tmp_path / "tinytales-ja"
    monkeypatch.setitem(settings_module.DEFAULT_MODELS, "ja", ja_folder)
    assert Settings(lang="ja").model_source == str(DEFAULT_MODELS["en"])  # not shipped yet: the English model
    ja_folder.mkdir()
    assert Settings(lang="ja").model_source == str(ja_folder)
    assert Settings(lang="en").model_source == str(DEFAULT_MODELS["en"])


def test_cli_without_prompt_uses_the_languages_prompt():
    from scenes.cli import merge_options, parser
    from scenes.settings import DEFAULT_PROMPTS

    settings, _ = merge_options(parser().parse_args(["--lang", "ja", "Tokenization"]))
    assert settings.prompt == DEFAULT_PROMPTS["ja"]
    settings, _ = merge_options(parser().parse_args(["--lang", "ja", "--prompt", "Hello", "Tokenization"]))
    assert settings.prompt == "Hello"


def test_a_scenes_note_to_the_user_reaches_the_terminal(tmp_path, monkeypatch, capsys):
    """A line a scene writes to stderr starting with its name (Chat's hint to use a chat model) lands in its
    log, and the command line repeats it after rendering."""
    scene_dir = tmp_path / "scene_files"
    scene_dir.mkdir()
    (scene_dir / "talker.py").write_text(
        "import sys\nfrom manim import Dot, Scene\n\nclass Talker(Scene):\n    def construct(self):\n"
        "        print('Talker: render me with a chat model', file=sys.stderr)\n"
        "        print('not for the user', file=sys.stderr)\n        self.add(Dot())\n        self.wait(0.2)\n")
    monkeypatch.setattr(cli, "SCENE_DIR", scene_dir)
    monkeypatch.setattr(cli, "SCENE_MODULE", {"Talker": "talker"})
    run = dict(cli.RUN_OPTIONS, scenes=["Talker"], jobs=1)
    cli.render_all(cli.Settings(), run, tmp_path / "out")
    err = capsys.readouterr().err
    assert "Talker: render me with a chat model" in err and "not for the user" not in err
    assert "Talker: render me" in (tmp_path / "out" / "logs" / "Talker.log").read_text()
