"""The project's fades draw what manim's own FadeIn and FadeOut draw, frame by frame."""
from __future__ import annotations

import manim
import numpy as np
import pytest
from manim import DOWN, LEFT, RIGHT, UP, Circle, ImageMobject, Square, Text, VGroup

from scenes import animations


def picture() -> VGroup:
    """Shapes with fills, strokes, a gradient and text: what the scenes fade."""
    square = Square(1.0).set_fill(manim.BLUE, opacity=0.7).set_stroke(manim.WHITE, 3, opacity=0.9)
    circle = Circle(0.4).set_fill([manim.RED, manim.YELLOW], opacity=0.5).shift(2 * RIGHT + UP)
    return VGroup(square, circle, Text("girl 56%", font_size=24).shift(DOWN))


def state(mobject) -> list[np.ndarray]:
    """Every array a frame is drawn from (a group's own colours never are)."""
    arrays = []
    for m in (m for m in mobject.get_family() if len(m.points)):
        arrays.append(m.points)
        if isinstance(m, manim.VMobject):
            arrays += [m.fill_rgbas, m.stroke_rgbas, m.background_stroke_rgbas]
        if isinstance(m, ImageMobject):
            arrays.append(m.pixel_array.astype(float))
    return arrays


CASES = [
    {},
    {"shift": 0.5 * UP},
    {"target_position": 3 * LEFT},
    {"scale": 0.6},
    {"shift": 0.3 * DOWN, "scale": 1.5},
    {"lag_ratio": 0.3},
]


@pytest.mark.parametrize("kind", ["FadeIn", "FadeOut"])
@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: ",".join(k) or "plain")
def test_fade_draws_what_manims_fade_draws(kind: str, kwargs: dict) -> None:
    ours, theirs = picture(), picture()
    ours_anim = getattr(animations, kind)(ours, **kwargs)
    theirs_anim = getattr(manim, kind)(theirs, **kwargs)
    ours_anim.begin()
    theirs_anim.begin()
    for alpha in (0.0, 0.2, 0.5, 0.9, 1.0):
        ours_anim.interpolate(alpha)
        theirs_anim.interpolate(alpha)
        for a, b in zip(state(ours), state(theirs), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-9, err_msg=f"{kind} {kwargs} at {alpha}")


def test_fade_out_leaves_the_mobject_as_it_was() -> None:
    mob, before = picture(), state(picture())
    scene = manim.Scene()
    scene.add(mob)
    anim = animations.FadeOut(mob, shift=UP)
    anim.begin()
    anim.interpolate(1.0)
    anim.clean_up_from_scene(scene)
    assert mob not in scene.mobjects
    for a, b in zip(state(mob), before, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_fade_in_scales_image_alpha_like_manim() -> None:
    pixels = np.zeros((4, 6, 4), dtype=np.uint8)
    pixels[..., 0], pixels[..., 3] = 200, np.arange(24).reshape(4, 6) * 10
    ours, theirs = ImageMobject(pixels.copy()), ImageMobject(pixels.copy())
    ours_anim, theirs_anim = animations.FadeIn(ours), manim.FadeIn(theirs)
    ours_anim.begin()
    theirs_anim.begin()
    ours_anim.interpolate(0.4)
    theirs_anim.interpolate(0.4)
    np.testing.assert_allclose(ours.pixel_array, theirs.pixel_array, atol=1)
    assert 0 < ours.pixel_array[..., 3].max() < pixels[..., 3].max()


def test_fade_of_mobjects_sharing_a_colour_array_scales_each_once() -> None:
    ours, theirs = picture(), picture()
    for mob in (ours, theirs):
        mob[1].fill_rgbas = mob[0].fill_rgbas  # as a careless copy can leave them
    ours_anim, theirs_anim = animations.FadeIn(ours), manim.FadeIn(theirs)
    ours_anim.begin()
    theirs_anim.begin()
    ours_anim.interpolate(0.5)
    theirs_anim.interpolate(0.5)
    for a, b in zip(state(ours), state(theirs), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
