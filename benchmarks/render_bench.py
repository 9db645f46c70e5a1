"""How long each scene takes to render compared with a trivial scene of the same length.

    python benchmarks/render_bench.py                 # every scene at 1080p60
    python benchmarks/render_bench.py -q l Tokenization
    python benchmarks/render_bench.py --whole -q h    # the whole default video at 1080p60, 2 jobs

For each scene: wall time, video seconds, the wall time of one square moving
for the same number of seconds at the same quality, and the ratio of the two.
The trace is computed (and cached) before timing, as the CLI does.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenes.cli import QUALITY_DIR, SCENE_DIR, SCENE_MODULE, prepare  # noqa: E402
from scenes.film import video_seconds  # noqa: E402
from scenes.settings import Settings  # noqa: E402


def render(file: Path, scene: str, quality: str, media: Path, env: dict) -> tuple[float, Path]:
    """Wall seconds of one manim render and the video it wrote."""
    start = time.time()
    subprocess.run([sys.executable, "-m", "manim", "render", f"-q{quality}", "--media_dir", str(media),
                    "--progress_bar", "none", "-v", "ERROR", str(file), scene], env=env, check=True)
    return time.time() - start, media / "videos" / file.stem / QUALITY_DIR[quality] / f"{scene}.mp4"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenes", nargs="*", help="scenes to time (default: all)")
    ap.add_argument("-q", "--quality", default="h", choices=list(QUALITY_DIR))
    ap.add_argument("--whole", action="store_true", help="time `python -m scenes -q Q -j 2` (every scene, joined)")
    ap.add_argument("--out", type=Path, help="with --whole: keep the videos in this folder (default: a temporary one)")
    args = ap.parse_args()
    if args.whole:
        with tempfile.TemporaryDirectory() as scratch:
            out = args.out or Path(scratch)
            start = time.time()
            subprocess.run([sys.executable, "-m", "scenes", "--out", str(out), "-q", args.quality, "-j", "2"], check=True)
            wall = time.time() - start
            print(f"whole default video at {QUALITY_DIR[args.quality]}, 2 jobs: {wall:.0f} s for "
                  f"{video_seconds(out / 'gpt.mp4'):.0f} s of video")
        return
    prepare(Settings())  # warm the trace cache, as the CLI does
    print(f"{'scene':<20} {'wall s':>8} {'video s':>8} {'trivial s':>10} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as media:
        for scene in args.scenes or list(SCENE_MODULE):
            wall, video = render(SCENE_DIR / f"{SCENE_MODULE[scene]}.py", scene, args.quality, Path(media), dict(os.environ))
            seconds = video_seconds(video)
            env = dict(os.environ, BENCH_SECONDS=f"{seconds:.3f}")
            trivial, _ = render(ROOT / "benchmarks" / "trivial_scene.py", "Trivial", args.quality, Path(media), env)
            print(f"{scene:<20} {wall:8.1f} {seconds:8.1f} {trivial:10.1f} {wall / trivial:7.2f}", flush=True)


if __name__ == "__main__":
    main()
