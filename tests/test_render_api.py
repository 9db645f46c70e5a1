"""`from scenes import render`: the command line as a function, and the README's example of it."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from gptmath import GptMathError
from scenes import render
from scenes.cli import ROOT


def readme_example() -> str:
    """The python block of the README's 'From Python' section."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_example_runs(tmp_path):
    r = subprocess.run([sys.executable, "-c", readme_example()], cwd=tmp_path, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    paths = [Path(line) for line in r.stdout.splitlines() if line.startswith(str(tmp_path))]
    assert paths and all(p.is_file() and p.parent == tmp_path / "out" / "figures" for p in paths)
    assert {p.suffix for p in paths} == {".png", ".svg", ".pdf"}


def test_render_returns_the_files_it_wrote(toy_dir, tmp_path):
    paths = render(model=toy_dir, data=True, video=False, out=tmp_path)
    assert paths == [tmp_path / "data" / "trace.npz", tmp_path / "data" / "summary.json"]
    assert all(p.is_file() for p in paths)


@pytest.mark.parametrize("scenes, options, message", [
    ("NoSuchScene", {}, "unknown scene"),
    ("Tokenization", {"colour": "red"}, "unknown option(s) colour"),
    ("Tokenization", {"top_k": "5"}, "top_k in render() must be int, not '5'"),
    ("Tokenization", {"figures": "yes"}, "figures in render() must be bool"),
    ("Tokenization", {"temperature": 0}, "temperature must be > 0"),
    ("Tokenization", {"quality": "x"}, "quality must be one of"),
    ("Tokenization", {"layer": 99}, "layer 99 is out of range"),
    ("Tokenization", {"model": "/no/such/folder"}, "no model folder"),
    (["Tokenization", 3], {}, "scenes in render() must be a list of scene names"),
])
def test_bad_input_raises_one_line_and_keeps_earlier_output(scenes, options, message, toy_dir, tmp_path):
    earlier = tmp_path / "videos" / "01_Tokenization.mp4"
    earlier.parent.mkdir()
    earlier.write_bytes(b"earlier output")
    with pytest.raises(GptMathError) as error:
        render(scenes, **{"model": toy_dir, "out": tmp_path, **options})
    assert message in str(error.value) and "\n" not in str(error.value)
    assert earlier.read_bytes() == b"earlier output"
    assert sorted(tmp_path.rglob("*")) == [earlier.parent, earlier]
