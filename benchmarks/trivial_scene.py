"""The yardstick of render_bench.py: one square moving for BENCH_SECONDS seconds."""
import os

from manim import RIGHT, Scene, Square


class Trivial(Scene):
    def construct(self) -> None:
        square = Square().shift(3 * RIGHT * -1)
        self.add(square)
        self.play(square.animate.shift(6 * RIGHT), run_time=float(os.environ.get("BENCH_SECONDS", "10")))
