"""`python -m gptmath`: the trace command and its one-line errors."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gptmath import Trace


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gptmath", *args], capture_output=True, text=True, timeout=300)


def test_trace_writes_every_array(toy_dir, toy_model, tmp_path):
    out = tmp_path / "t.npz"
    r = run("trace", "--model", str(toy_dir), "--prompt", "Once upon a time", "--out", str(out))
    assert r.returncode == 0, r.stderr
    data = np.load(out)
    want = toy_model.trace("Once upon a time")
    assert set(want.keys()) <= set(data.files)
    for key in want.keys():
        np.testing.assert_array_equal(data[key], want[key])
    assert list(Trace.load(out).token_strings) == want.token_strings


@pytest.mark.parametrize("args, message", [
    (["--prompt", ""], "prompt is empty"),
    (["--prompt", "the cat " * 200], "shorten it"),
    (["--prompt", "hi", "--model", "/nonexistent/model"], "no model folder"),
])
def test_bad_input_is_one_line_and_keeps_earlier_output(args, message, toy_dir, tmp_path):
    out = tmp_path / "t.npz"
    out.write_bytes(b"earlier output")
    if "--model" not in args:
        args = [*args, "--model", str(toy_dir)]
    r = run("trace", *args, "--out", str(out))
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert out.read_bytes() == b"earlier output"


def test_corrupt_weights_are_one_line(toy_dir, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(toy_dir, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    r = run("trace", "--model", str(broken), "--prompt", "hi", "--out", str(tmp_path / "x.npz"))
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    assert "could not load model" in r.stderr
    assert not (tmp_path / "x.npz").exists()


def test_help_explains_each_option():
    r = run("trace", "--help")
    assert r.returncode == 0
    for option in ("--model", "--prompt", "--out"):
        assert option in r.stdout
