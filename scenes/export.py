"""Stills of a scene's key moments: PNG at the render resolution, SVG and PDF as vectors.

The vector files are drawn with the same Cairo calls manim's camera uses for
pixels, pointed at a cairo SVG or PDF surface instead, so text stays text-sharp
at any zoom; heat-map images are embedded as images.
"""
from __future__ import annotations

from pathlib import Path

import cairo
import numpy as np
from manim import ImageMobject, VMobject


def _frame_matrix(camera) -> cairo.Matrix:
    """Manim's map from scene units to pixels (y up becomes y down)."""
    pw, ph, fw, fh, fc = camera.pixel_width, camera.pixel_height, camera.frame_width, camera.frame_height, camera.frame_center
    return cairo.Matrix(pw / fw, 0, 0, -(ph / fh), pw / 2 - fc[0] * pw / fw, ph / 2 + fc[1] * ph / fh)


class _RGBContext:
    """A cairo context for vector files: undoes the red/blue swap manim applies for its BGRA pixel buffer."""

    def __init__(self, ctx: cairo.Context) -> None:
        self._ctx = ctx

    def set_source_rgba(self, b: float, g: float, r: float, a: float) -> None:
        self._ctx.set_source_rgba(r, g, b, a)

    def set_source(self, source) -> None:
        if isinstance(source, cairo.Gradient):  # manim fills gradients with swapped stops too
            n = source.get_color_stop_count()
            stops = [source.get_color_stop_rgba(i) for i in range(n)]
            fixed = type(source)(*source.get_linear_points())
            for offset, b, g, r, a in stops:
                fixed.add_color_stop_rgba(offset, r, g, b, a)
            source = fixed
        self._ctx.set_source(source)

    def __getattr__(self, name: str):
        return getattr(self._ctx, name)


def _draw_image(ctx: cairo.Context, mob: ImageMobject, pixels: np.ndarray) -> None:
    """Paint an ImageMobject's pixels, as the camera shows them, onto its corners (nearest-neighbour, as heat maps
    want)."""
    rgba = pixels.astype(np.uint16)
    h, w = rgba.shape[:2]
    alpha = rgba[..., 3:4]
    bgra = np.concatenate([rgba[..., 2::-1] * alpha // 255, alpha], axis=-1).astype(np.uint8)
    stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_ARGB32, w)
    buf = np.zeros((h, stride // 4, 4), dtype=np.uint8)
    buf[:, :w] = bgra
    surface = cairo.ImageSurface.create_for_data(memoryview(buf), cairo.FORMAT_ARGB32, w, h, stride)
    ul, ur, dl = mob.points[0], mob.points[1], mob.points[2]
    ctx.save()
    ctx.transform(cairo.Matrix((ur - ul)[0] / w, (ur - ul)[1] / w, (dl - ul)[0] / h, (dl - ul)[1] / h, ul[0], ul[1]))
    pattern = cairo.SurfacePattern(surface)
    pattern.set_filter(cairo.FILTER_NEAREST)
    ctx.set_source(pattern)
    ctx.rectangle(0, 0, w, h)
    ctx.fill()
    ctx.restore()


def save_vector(scene, path: Path) -> Path:
    """Write what the scene shows now as .svg or .pdf (chosen by the suffix)."""
    camera = scene.renderer.camera
    surface_type = {".svg": cairo.SVGSurface, ".pdf": cairo.PDFSurface}[path.suffix]
    surface = surface_type(str(path), camera.pixel_width, camera.pixel_height)
    ctx = cairo.Context(surface)
    ctx.set_source_rgb(*camera.background_color.to_rgb())
    ctx.paint()
    ctx.set_matrix(_frame_matrix(camera))
    rgb_ctx = _RGBContext(ctx)
    for mob in camera.get_mobjects_to_display(scene.mobjects):
        if isinstance(mob, VMobject) and mob.has_points():
            camera.display_vectorized(mob, rgb_ctx)
        elif isinstance(mob, ImageMobject):
            _draw_image(ctx, mob, camera.image_pixels(mob))
    surface.finish()
    return path


def save_still(scene, folder: Path, name: str) -> list[Path]:
    """PNG (as rendered), SVG and PDF of the scene's current state."""
    folder.mkdir(parents=True, exist_ok=True)
    scene.renderer.update_frame(scene)
    png = folder / f"{name}.png"
    scene.renderer.camera.get_image().save(png)
    return [png, save_vector(scene, folder / f"{name}.svg"), save_vector(scene, folder / f"{name}.pdf")]
