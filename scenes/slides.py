"""Slides from the scenes' manim-slides steps: one HTML file that needs no network, and a PowerPoint file.

manim-slides' HTML template loads reveal.js from a CDN. We point its `cdn_url` at a placeholder and replace
every placeholder address with a data URI of the same file from the copy of reveal.js in scenes/vendor, so
the presentation opens from a USB stick with no network. Videos are data URIs too (manim-slides --one-file).
"""
from __future__ import annotations

import base64
import html as html_module
import json
import mimetypes
import os
import re
import subprocess
import sys
from pathlib import Path

from gptmath import GptMathError

REVEAL = Path(__file__).resolve().parent / "vendor" / "reveal.js"
PLACEHOLDER = "gptmanim-vendored-reveal.js"
NOTES = re.compile(r'<aside class="notes" data-markdown>.*?</aside>', re.DOTALL)
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def convert(folder: Path, scenes: list[str], target: Path, *options: str) -> Path:
    """Run `manim-slides convert` on the scenes' slide folder; one-line error on failure."""
    cmd = [sys.executable, "-m", "manim_slides", "convert", "--folder", str(folder), *options, *scenes, str(target)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0 or not target.exists():
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no message"]
        raise GptMathError(f"slide conversion to {target.suffix} failed: {last[0]}")
    return target


def data_uri(path: Path) -> str:
    """A file as a base64 data URI, typed by its suffix."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_reveal(html: str) -> str:
    """Replace each placeholder address with the vendored file's data URI; refuse anything still remote."""
    def local(match: re.Match) -> str:
        path = REVEAL / match.group(1)
        if not path.is_file():
            raise GptMathError(f"manim-slides' template wants reveal.js file {match.group(1)}, "
                               f"which scenes/vendor/reveal.js lacks")
        return data_uri(path)

    html = re.sub(rf"{re.escape(PLACEHOLDER)}/([\w./-]+)", local, html)
    if remote := REMOTE.search(html):
        raise GptMathError(f"slides.html would still load something from the web: {remote.group(0)}…")
    return html


def speaker_notes(html: str, notes: list[str]) -> str:
    """Each slide's notes (the narration of its step) as plain text: manim-slides writes them unescaped, as
    Markdown, where a byte token such as <e3> would vanish as an unknown tag."""
    given = iter(notes)

    def escaped(_: re.Match) -> str:
        paragraphs = "".join(f"<p>{html_module.escape(p)}</p>" for p in next(given).split("\n\n"))
        return f'<aside class="notes">{paragraphs}</aside>'

    return NOTES.sub(escaped, html)


def build_html(folder: Path, scenes: list[str], target: Path) -> Path:
    """One HTML file with the videos and reveal.js inside, and each step's narration as speaker notes (S)."""
    draft = convert(folder, scenes, folder.parent / target.name, "--to", "html", "--one-file",
                    f"-ccdn_url={PLACEHOLDER}")
    notes = [s["notes"] for scene in scenes
             for s in json.loads((folder / f"{scene}.json").read_text(encoding="utf-8"))["slides"] if s["notes"]]
    partial = target.with_name(f".{target.name}.part")
    partial.write_text(speaker_notes(inline_reveal(draft.read_text(encoding="utf-8")), notes), encoding="utf-8")
    os.replace(partial, target)
    return target


def build_pptx(folder: Path, scenes: list[str], target: Path) -> Path:
    """A PowerPoint file, one slide per step, each with its video (playing when the slide opens) and the step's
    narration on its notes page."""
    draft = convert(folder, scenes, folder.parent / target.name, "--to", "pptx")
    os.replace(draft, target)
    return target


def slide_module(module: str, scene: str, folder: Path) -> Path:
    """A module file beside the scene's, `folder/<module>.py`, in which `scene` is also a manim-slides Slide:
    manim renders that class, and each named step of the scene ends a slide."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}.py"
    path.write_text(f"from manim_slides import Slide\n\nfrom scenes.{module} import {scene} as Story\n\n\n"
                    f"class {scene}(Story, Slide):\n    \"\"\"{scene}, one slide per named step.\"\"\"\n",
                    encoding="utf-8")
    return path


def add_notes(slides: Path, script: Path) -> None:
    """Each slide of a scene (one per named step) gets the narration its step says as speaker notes, from the
    scene's script file (GPTScene writes it; the scene does not know a step's lines when its slide begins)."""
    config = json.loads(slides.read_text(encoding="utf-8"))
    lines = json.loads(script.read_text(encoding="utf-8"))["lines"] if script.exists() else []
    for step, slide in enumerate(config["slides"], 1):
        slide["notes"] = "\n\n".join(line["text"] for line in lines if line["step"] == step)
    slides.write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")


def build_slides(scenes: list[str], out: Path) -> list[Path]:
    """out/slides.html and out/slides.pptx from the steps rendered into out/slides_work, with each step's
    narration as speaker notes; earlier files stay until the new ones are complete."""
    folder = out / "slides_work" / "slides"
    for scene in scenes:
        add_notes(folder / f"{scene}.json", out / "script" / f"{scene}.json")
    return [build_html(folder, scenes, out / "slides.html"), build_pptx(folder, scenes, out / "slides.pptx")]
