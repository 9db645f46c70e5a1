"""How the scenes render fast: each trick says what manim does and what doing otherwise saves.

1. `family` replaces `Mobject.get_family`: one walk instead of a recursion that de-duplicates at every level
   (an eighth of Embedding's render time).
2. `GPTCamera.set_cairo_context_path`: manim traces every outline in Python on every frame; shapes that have not
   changed shape since the last frame are replayed from a cache (a quarter of the render time).
3. `GPTCamera.display_image_mobject`: manim warps every image, pads it to the whole frame and blends the whole
   frame; an upright image is resized and blended only where it is (MultiHeadAttention 3.03 -> 2.13).
4. `FastScene.setup` turns manim's partial-movie cache off: it hashed every mobject on screen before every play
   and wait (40 % of AttentionHead), more than re-rendering ever costs.
5. `FastScene.setup` keeps a few encoders in flight: manim waits for each animation's video to be encoded
   before drawing the next; with a few in flight encoding overlaps drawing (Embedding 1.77 -> 1.47 x real time).
6. `FastScene.get_moving_and_static_mobjects` lists moving groups by their roots, so a group that swaps a
   submobject during a play is drawn as it is now (a correctness fix that also draws fewer mobjects).

The same frames as manim's own code, tested (tests/test_frames.py, tests/test_animations.py).
"""
from __future__ import annotations

import numpy as np
from manim import Camera, Mobject, Scene, VMobject, config
from manim.mobject.types.image_mobject import AbstractImageMobject
from manim.utils.iterables import remove_list_redundancies
from PIL import Image

from scenes import theme as th


def family(mobject: Mobject, recurse: bool = True) -> list[Mobject]:
    """Mobject.get_family, the same list in the same order, in one pass.

    Manim's version recurses and removes repeats (keeping the last) at every level; doing it once over the
    whole pre-order walk gives the same list. Manim asks for families dozens of times a frame; this was an
    eighth of Embedding's render time.
    """
    walk, stack = [], [mobject]
    while stack:
        mob = stack.pop()
        walk.append(mob)
        stack.extend(reversed(mob.submobjects))
    return walk if len(set(walk)) == len(walk) else remove_list_redundancies(walk)


# Trick 1. Manim recomputes a mobject's family (itself and every descendant) dozens of times per frame, recursing
# and removing repeats at every level; `family` walks once. Installed for every mobject once this module is imported.
Mobject.get_family = family


def replayable(vmobject: VMobject, points: np.ndarray) -> bool:
    """Whether manim traces these points into the same subpaths wherever they are.

    Manim splits a path where a curve does not start at the last one's end, and closes a subpath whose ends
    meet, comparing points within 1e-6 + 1e-5 · |coordinate|: a tolerance that grows with the distance from the
    origin. Ends that meet exactly, or miss by far more than any such tolerance, give the same subpaths
    anywhere; ends between (1e-9 to 1e-3 apart) might not, and such a shape is traced afresh every time.
    """
    n, xy = vmobject.n_points_per_cubic_curve, points[:, :2]
    gaps = np.abs(xy[n - 1:-1:n] - xy[n::n]).max(axis=1)  # each curve's end to the next curve's start
    ends = vmobject.get_subpath_split_indices_from_points(points, n_dims=2)
    loops = np.abs(xy[ends[:, 0]] - xy[ends[:, 1] - 1]).max(axis=1) if len(ends) else np.zeros(0)
    near = np.concatenate([gaps, loops])
    return not ((near > 1e-9) & (near < 1e-3)).any()


class GPTCamera(Camera):
    """Manim's Cairo camera in a theme's colours, with a faster way to draw upright images (heat maps, thumbnails).

    `ink` (scenes.theme.Ink, or None to show colours as drawn) maps every fill,
    stroke and image colour to the theme's: the light theme prints on white.

    Manim warps every image with a perspective transform, pads it to the whole
    frame and blends the whole frame, on every frame: at 1080p that made 24 pattern
    thumbnails most of MultiHeadAttention's render time. An upright image only
    needs resizing and blending where it is. Rotated images go the usual way.
    """

    ink: th.Ink | None = None
    BYTES_KEPT = 200e6  # outlines remembered, about; all forgotten at once beyond that

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._paths: dict[tuple[bytes, tuple], object] = {}
        self._kept_bytes = 0

    def set_cairo_context_path(self, ctx, vmobject: VMobject) -> "GPTCamera":
        """Manim's outline of the vmobject, traced once per shape and replayed after that.

        Most of what a frame redraws has not changed shape since the last frame (a text fading in or sliding,
        a group drawn after a moving one), and tracing subpaths in Python was a quarter of the render time.
        The outline is kept relative to its first point, keyed by the other points' offsets from it (to 1e-5
        units, a thousandth of a pixel at 1080p) and the context's matrix, and replayed where the first point
        is now; a shape that changes in any other way is traced afresh. Only shapes that manim would trace the
        same wherever they are get remembered (see `replayable`).
        """
        points = self.transform_points_pre_display(vmobject, vmobject.points)
        if len(points) < vmobject.n_points_per_cubic_curve or not np.isfinite(points).all():
            return super().set_cairo_context_path(ctx, vmobject)
        origin = points[0]
        offsets = np.round((points - origin) * 1e5).astype(np.int64).tobytes()
        key = (offsets, tuple(ctx.get_matrix()))
        path = self._paths.get(key)
        if path is None:
            super().set_cairo_context_path(ctx, vmobject)
            if replayable(vmobject, points):
                if self._kept_bytes > self.BYTES_KEPT:
                    self._paths.clear()
                    self._kept_bytes = 0
                self._paths[key] = path = self._relative_path(ctx, origin)
                self._kept_bytes += 2 * len(offsets)  # the key and about as much for the path
            return self
        ctx.save()
        try:
            ctx.translate(origin[0], origin[1])
            ctx.new_path()
            ctx.append_path(path)
        finally:
            ctx.restore()  # the path stays where it was drawn
        return self

    @staticmethod
    def _relative_path(ctx, origin: np.ndarray):
        """The context's current path in coordinates relative to `origin`."""
        ctx.save()
        try:
            ctx.translate(origin[0], origin[1])
            return ctx.copy_path()
        finally:
            ctx.restore()

    def get_fill_rgbas(self, vmobject: VMobject) -> np.ndarray:
        rgbas = super().get_fill_rgbas(vmobject)
        return rgbas if self.ink is None else self.ink.rgbas(rgbas)

    def get_stroke_rgbas(self, vmobject: VMobject, background: bool = False) -> np.ndarray:
        rgbas = super().get_stroke_rgbas(vmobject, background)
        return rgbas if self.ink is None else self.ink.rgbas(rgbas)

    def image_pixels(self, image_mobject: AbstractImageMobject) -> np.ndarray:
        """The image's RGBA pixels in the theme's colours."""
        pixels = image_mobject.get_pixel_array()
        return pixels if self.ink is None else self.ink.pixels(pixels)

    def display_image_mobject(self, image_mobject: AbstractImageMobject, pixel_array: np.ndarray) -> None:
        corners = self.points_to_subpixel_coords(image_mobject, image_mobject.points)  # UL, UR, DL, DR in pixels
        left, top, right, bottom = (int(v) for v in (*corners[0], *corners[3]))
        xs, ys = corners[[0, 3, 0, 3], 0], corners[[0, 0, 3, 3], 1]  # where an upright image's corners would be
        upright = np.allclose(corners[:, 0], xs) and np.allclose(corners[:, 1], ys)
        if not upright or right <= left or bottom <= top:
            if self.ink is not None:  # manim's own path reads the mobject's pixels
                image_mobject = image_mobject.copy()
                image_mobject.pixel_array = self.image_pixels(image_mobject)
            super().display_image_mobject(image_mobject, pixel_array)
            return
        image = Image.fromarray(self.image_pixels(image_mobject)).resize(
            (right - left, bottom - top), resample=image_mobject.resampling_algorithm)
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(right, pixel_array.shape[1]), min(bottom, pixel_array.shape[0])
        if x1 <= x0 or y1 <= y0:  # off the frame
            return
        region = pixel_array[y0:y1, x0:x1]
        image = image.crop((x0 - left, y0 - top, x1 - left, y1 - top))
        region[:] = np.asarray(Image.alpha_composite(Image.fromarray(region), image))


ENCODERS_IN_FLIGHT = 4  # manim's own advice for typical hardware (config.max_inflight_encoders)


class FastScene(Scene):
    """A manim Scene with the tricks above: the GPTCamera, no partial-movie cache, encoders in flight."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, camera_class=GPTCamera, **kwargs)

    def setup(self) -> None:
        super().setup()
        config.disable_caching = True  # trick 4
        config.max_inflight_encoders = ENCODERS_IN_FLIGHT  # trick 5

    def get_moving_and_static_mobjects(self, animations) -> tuple[list, list]:
        """Trick 6. Manim's split, with the moving mobjects kept as the roots of their groups, so each frame draws them as they are now.

        Manim lists every family member (each submobject separately) when a
        play starts and draws that list on every frame. A group that swaps a
        submobject during the play (new percentages, a rewritten number) then
        has its old submobject drawn too, under the new one. Listing only the
        roots makes every frame read each group's current submobjects: the same
        mobjects in the same order, minus the ones no longer on screen.
        """
        moving, static = super().get_moving_and_static_mobjects(animations)
        inside = {id(sub) for mob in moving for sub in mob.get_family()[1:]}
        return [mob for mob in moving if id(mob) not in inside], static
