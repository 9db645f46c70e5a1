"""--slides: an HTML presentation that works with no network (checked in headless Chromium) and a PowerPoint file."""
from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from scenes.slides import REMOTE, convert

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: ./render.sh setup installs Debian's package")
# No sandbox (CI runs as root), no GPU, /tmp instead of a small /dev/shm, and no host name resolves.
HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND"]
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


@pytest.fixture(scope="module")
def out(toy_dir, tmp_path_factory) -> Path:
    """Tokenization at 480p with --slides: its videos, slides.html and slides.pptx."""
    out = tmp_path_factory.mktemp("slides")
    r = subprocess.run([sys.executable, "-m", "scenes", "Tokenization", "--model", str(toy_dir), "--slides",
                        "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out


def steps(out: Path) -> list[Path]:
    """Each slide's video, in order, as manim-slides recorded them."""
    config = json.loads((out / "slides_work" / "slides" / "Tokenization.json").read_text())
    return [out / "slides_work" / s["file"] for s in config["slides"]]


def test_slides_and_subtitles_are_written(out):
    html = (out / "slides.html").read_text()
    assert "<html" in html.lower() and "reveal" in html.lower()
    assert len(steps(out)) >= 4  # one slide per named step
    # The video gets subtitles made of the scene's narration, in order, within the video's length.
    from scenes.i18n import tr
    from scenes.narration import split_cues
    from scenes.subtitles import read_srt

    cues = read_srt(next((out / "videos").glob("*_Tokenization.srt")))
    assert cues[0][2] == split_cues(tr("tokens", "say_bridge", lang="en"), "en")[0]
    assert [c[0] for c in cues] == sorted(c[0] for c in cues) and all(a < b for a, b, _ in cues)


def chromium(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium on a local page with every host unresolvable, given 5 s of page time."""
    cmd = [CHROMIUM, *HEADLESS, f"--user-data-dir={tmp / 'profile'}", "--virtual-time-budget=5000", *args,
           page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def reveal_ready(page: Path, tmp: Path) -> bool:
    """Whether reveal.js started: its .reveal element gets the class `ready`."""
    dom = chromium(page, tmp, "--dump-dom").stdout
    classes = re.search(r'<div class="([^"]*\breveal\b[^"]*)"', dom)
    return classes is not None and "ready" in classes.group(1).split()


# Wait in the page until reveal.js is ready and the current slide's video has played to its end, then say how
# it went. (`--screenshot` alone would catch the video at whatever moment it had reached in real time.)
SETTLE = """new Promise(done => {
  const start = Date.now();
  (function poll() {
    const video = document.querySelector('.slide-background.present video');
    if (typeof Reveal === 'undefined') return done('no reveal.js');
    if (video && video.ended) return done('ended');
    if (Date.now() - start > 30000) return done('timed out');
    setTimeout(poll, 100);
  })();
})"""


class DevTools:
    """Headless Chromium driven over its DevTools pipe (fds 3 and 4), with every host unresolvable."""

    def __init__(self, profile: Path) -> None:
        (to_chrome, self._write), (self._read, from_chrome) = os.pipe(), os.pipe()
        cmd = ["bash", "-c", f'exec "$@" 3<&{to_chrome} 4>&{from_chrome}', "bash", CHROMIUM, *HEADLESS,
               "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"]
        self.proc = subprocess.Popen(cmd, pass_fds=(to_chrome, from_chrome), stderr=subprocess.DEVNULL)
        os.close(to_chrome), os.close(from_chrome)
        self._ids, self._buffer = 0, b""
        self._watchdog = threading.Timer(120, self.proc.kill)  # a hung browser closes the pipe: reads fail
        self._watchdog.start()

    def send(self, method: str, session: str | None = None, **params) -> dict:
        """One command; returns its result, reading past the events that come before it."""
        self._ids += 1
        message = {"id": self._ids, "method": method, "params": params} | ({"sessionId": session} if session else {})
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while (reply := self.receive()).get("id") != self._ids:
            pass
        assert "error" not in reply, reply
        return reply["result"]

    def receive(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 1 << 20)
            assert chunk, "chromium closed its DevTools pipe"
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def settled_screenshot(self, page: Path) -> tuple[str, np.ndarray]:
        """Open the page, wait as SETTLE does, and return its verdict and a grey screenshot."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Emulation.setDeviceMetricsOverride", session, width=854, height=480, deviceScaleFactor=1,
                  mobile=False)
        self.send("Page.enable", session)
        self.send("Page.navigate", session, url=page.as_uri())
        while self.receive().get("method") != "Page.loadEventFired":
            pass
        verdict = self.send("Runtime.evaluate", session, expression=SETTLE, awaitPromise=True)["result"]["value"]
        png = base64.b64decode(self.send("Page.captureScreenshot", session, format="png")["data"])
        return verdict, np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)

    def close(self) -> None:
        self._watchdog.cancel()
        self.proc.kill()
        self.proc.wait()
        os.close(self._write), os.close(self._read)


def shows_last_frame(page: Path, tmp: Path, video: Path) -> bool:
    """Whether the page, once settled, shows the video's last frame (correlation of brightness; a blank
    page has none)."""
    chrome = DevTools(tmp / "devtools-profile")
    try:
        verdict, shot = chrome.settled_screenshot(page)
    finally:
        chrome.close()
    with av.open(str(video)) as f:
        *_, last = (frame.to_ndarray(format="gray").astype(float) for frame in f.decode(video=0))
    return verdict == "ended" and shot.std() > 1 and np.corrcoef(shot.ravel(), last.ravel())[0, 1] > 0.95


@needs_chromium
def test_html_shows_the_first_slide_with_no_network(out, tmp_path):
    page, first = out / "slides.html", steps(out)[0]
    assert reveal_ready(page, tmp_path) and shows_last_frame(page, tmp_path, first)
    # What --slides wrote before: manim-slides' own file, which loads reveal.js from a CDN, stays blank.
    cdn_page = convert(out / "slides_work" / "slides", ["Tokenization"], tmp_path / "cdn.html", "--to", "html",
                       "--one-file")
    assert "cdn.jsdelivr.net" in cdn_page.read_text()
    assert not reveal_ready(cdn_page, tmp_path) and not shows_last_frame(cdn_page, tmp_path, first)


def test_html_loads_nothing_from_the_web(out):
    html = (out / "slides.html").read_text()
    assert not REMOTE.search(html)
    assert html.count("data:text/javascript;base64,") >= 2 and html.count("data:text/css;base64,") >= 2


def test_pptx_has_one_slide_per_step_with_its_video(out):
    with zipfile.ZipFile(out / "slides.pptx") as pptx:
        names = set(pptx.namelist())
        slides = sorted((n for n in names if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)),
                        key=lambda n: int(re.search(r"\d+", n.rsplit("/", 1)[1]).group()))
        videos = steps(out)
        assert len(slides) == len(videos)
        for slide, video in zip(slides, videos):
            rels = ET.fromstring(pptx.read(slide.replace("slides/", "slides/_rels/") + ".rels"))
            media = {r.get("Target") for r in rels.iter(REL) if r.get("Type").endswith("/video")}
            assert len(media) == 1, slide
            target = "ppt/" + media.pop().removeprefix("../")
            assert target in names and pptx.read(target) == video.read_bytes()


def test_each_step_has_its_narration_as_speaker_notes(out):
    """reveal.js speaker notes (the S key) in the HTML, and the notes page of every .pptx slide: the lines the
    step says, as the script has them (a byte token such as <e3> kept as text)."""
    import html as html_module

    script = json.loads((out / "script" / "Tokenization.json").read_text())
    said = ["\n\n".join(line["text"] for line in script["lines"] if line["step"] == step)
            for step in range(1, len(script["step_ends"]) + 1)]
    assert len(said) == len(steps(out)) and all(said)
    page = (out / "slides.html").read_text()
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', page, re.DOTALL)
    assert [html_module.unescape(re.sub(r"</p><p>", "\n\n", n).removeprefix("<p>").removesuffix("</p>"))
            for n in notes] == said
    with zipfile.ZipFile(out / "slides.pptx") as pptx:
        pages = sorted((n for n in pptx.namelist() if re.fullmatch(r"ppt/notesSlides/notesSlide\d+\.xml", n)),
                       key=lambda n: int(re.search(r"\d+", n.rsplit("/", 1)[1]).group()))
        texts = ["".join(t.text or "" for t in ET.fromstring(pptx.read(p)).iter(
            "{http://schemas.openxmlformats.org/drawingml/2006/main}t")) for p in pages]
    assert len(texts) == len(said) and all(s.replace("\n", "") in t.replace("\n", "") for s, t in zip(said, texts))


def test_speaker_notes_keep_byte_tokens_as_text():
    from scenes.slides import speaker_notes

    page = '<section><aside class="notes" data-markdown>such as <e3> raw</aside></section>'
    assert speaker_notes(page, ["bytes such as <e3>, *not* bold\n\nSecond line."]) == (
        '<section><aside class="notes"><p>bytes such as &lt;e3&gt;, *not* bold</p><p>Second line.</p></aside></section>')
