"""Fades that change only what a fade changes, and a move that copies nothing.

Manim's FadeIn and FadeOut are Transforms: when they start they deep-copy the
mobject twice (a faded copy and a target), and on every frame they interpolate
every point and colour of every submobject between the copies, even when nothing
moves. For grids of numbers and rows of tokens that was a fifth of a scene's
render time. These fades draw the same frames from the mobject's own arrays:
the opacities scaled by how far the fade has gone and, when the fade moves
(`shift`, `target_position`, `scale`), the points moved the same way manim
moves them. Drop-in: same arguments, same frames.

    self.play(FadeIn(grid), FadeOut(old_row, shift=0.3 * UP))
"""
from __future__ import annotations

import numpy as np
from manim import ORIGIN, Animation, Group, Mobject, VMobject
from manim.mobject.types.image_mobject import AbstractImageMobject


class _Fade(Animation):
    """What FadeIn and FadeOut share: the mobject's arrays kept when the fade begins, scaled on every frame."""

    fading_in: bool

    def __init__(self, *mobjects: Mobject, shift: np.ndarray | None = None,
                 target_position: np.ndarray | Mobject | None = None, scale: float = 1.0, **kwargs) -> None:
        if not mobjects:
            raise ValueError("a fade needs at least one mobject")
        mobject = mobjects[0] if len(mobjects) == 1 else Group(*mobjects)
        self.shift_vector = np.zeros(3) if shift is None else np.asarray(shift, dtype=float)
        self.target_position = target_position.get_center() if isinstance(target_position, Mobject) \
            else target_position
        self.scale_factor = scale
        super().__init__(mobject, introducer=self.fading_in, remover=not self.fading_in, **kwargs)

    def faded_offset(self) -> np.ndarray:
        """Where the faded mobject sits relative to the mobject: manim's shift, towards or from a target point."""
        if self.target_position is not None:
            return np.asarray(self.target_position, dtype=float) - self.mobject.get_center()
        return -self.shift_vector if self.fading_in else self.shift_vector

    def begin(self) -> None:
        offset = self.faded_offset()
        moves = self.scale_factor != 1 or not np.allclose(offset, ORIGIN)
        centre = self.mobject.get_center()
        self.kept = []  # (mobject, its points, their offset when faded, the alphas of its colours or pixels)
        for m in self.mobject.get_family():
            if not len(m.points):
                continue  # a group's own colours are never drawn
            points = m.points.copy() if moves else None
            away = None if points is None else (points - centre) * (self.scale_factor - 1) + offset
            if isinstance(m, VMobject):  # its own colour arrays (copies may share them), scaled in place
                m.fill_rgbas, m.stroke_rgbas, m.background_stroke_rgbas = (c.copy() for c in _colours(m))
                alphas = [c[:, 3].copy() for c in _colours(m)]
            elif isinstance(m, AbstractImageMobject):
                m.pixel_array = m.pixel_array.copy()
                alphas = m.pixel_array[:, :, 3].astype(float)
            else:
                alphas = None
            self.kept.append((m, points, away, alphas))
        super().begin()

    def create_starting_mobject(self) -> Mobject:
        return Mobject()  # nothing to copy: begin() keeps the arrays it needs

    def interpolate_mobject(self, alpha: float) -> None:
        for i, (m, points, away, alphas) in enumerate(self.kept):
            shown = self.get_sub_alpha(alpha, i, len(self.kept))
            shown = shown if self.fading_in else 1 - shown
            if points is not None:
                m.points = points + (1 - shown) * away
            if isinstance(alphas, list):
                for rgbas, a in zip(_colours(m), alphas):
                    if len(rgbas) == len(a):
                        rgbas[:, 3] = a * shown
            elif alphas is not None:
                m.pixel_array[:, :, 3] = alphas * shown


def _colours(m: VMobject) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return m.fill_rgbas, m.stroke_rgbas, m.background_stroke_rgbas


class FadeIn(_Fade):
    """Manim's FadeIn, drawn from the mobject's own arrays."""

    fading_in = True


class FadeOut(_Fade):
    """Manim's FadeOut, drawn from the mobject's own arrays; the mobject is left as it was, should it come back."""

    fading_in = False

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        self.interpolate(0)


class MoveScale(Animation):
    """Scale a big group and move its centre to a point, in place (no copies)."""

    def __init__(self, mobject: Mobject, factor: float, to: np.ndarray, **kwargs) -> None:
        super().__init__(mobject, **kwargs)
        self.factor, self.to = factor, np.asarray(to, dtype=float)

    def begin(self) -> None:
        self.start, self.done = self.mobject.get_center(), 1.0
        super().begin()

    def create_starting_mobject(self) -> Mobject:
        return Mobject()

    def interpolate_mobject(self, alpha: float) -> None:
        t = self.rate_func(alpha)
        scale = 1 + (self.factor - 1) * t
        self.mobject.scale(scale / self.done)
        self.done = scale
        self.mobject.move_to(self.start + (self.to - self.start) * t)
