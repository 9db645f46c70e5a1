"""Every widget of the library documents itself with an example that runs: each example is rendered to one frame.

A widget's docstring is numpy-style, with an "Examples" section of `>>>` lines that build it from literal data;
`scenes.mobjects` names every widget in `__all__`.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest
from manim import Camera, Mobject, tempconfig

import scenes.mobjects as library

WIDGETS = [getattr(library, name) for name in library.__all__ if inspect.isclass(getattr(library, name))]


def example_code(doc: str) -> str:
    """The `>>>` and `...` lines of a docstring's Examples section, without their prompts."""
    lines = inspect.cleandoc(doc).splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Examples"), None)
    if start is None:
        return ""
    code = [line.strip()[4:] for line in lines[start + 2:] if line.strip().startswith((">>> ", "... "))]
    return "\n".join(code)


def test_example_code_reads_the_examples_section():
    doc = """Summary.

    Parameters
    ----------
    n : int
        How many.

    Examples
    --------
    >>> row = TokenRow(["a", " b"])
    >>> row.shown_indices
    """
    assert example_code(doc) == 'row = TokenRow(["a", " b"])\nrow.shown_indices'
    assert example_code("No example here.") == ""


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: w.__name__)
def test_widget_example_renders(widget, tmp_path):
    doc = inspect.getdoc(widget) or ""
    assert "Parameters\n----------" in doc, f"{widget.__name__}'s docstring has no Parameters section"
    code = example_code(doc)
    assert code, f"{widget.__name__}'s docstring has no Examples section of >>> lines"
    namespace = {"np": np, **{name: getattr(library, name) for name in library.__all__}}
    exec("from scenes import theme as th", namespace)
    with tempconfig({"pixel_width": 320, "pixel_height": 180, "media_dir": str(tmp_path)}):
        exec(compile(code, f"<{widget.__name__} example>", "exec"), namespace)
        made = [v for v in namespace.values() if isinstance(v, widget)]
        assert made, f"{widget.__name__}'s example makes no {widget.__name__}"
        camera = Camera()
        mob: Mobject = made[-1]
        camera.capture_mobject(mob.scale_to_fit_height(min(mob.height, 7)).move_to([0, 0, 0]))
        frame = np.asarray(camera.get_image().convert("RGB")).astype(int)
    background = frame[0, 0]
    assert (np.abs(frame - background).sum(axis=2) > 30).sum() > 50, f"{widget.__name__}'s example draws nothing"
