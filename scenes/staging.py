"""Staging for scenes: what stays on screen after a step, what fades before the next, and where a part goes in
the room another part leaves (helpers that read no model numbers; the scenes' stories call them)."""
from __future__ import annotations

from manim import Animation, Mobject, VMobject

from scenes import theme as th
from scenes.animations import FadeOut
from scenes.base import GPTScene
from scenes.mobjects import fit


def show_only(scene: GPTScene, *mobs: Mobject) -> None:
    """After animating parts one by one, leave exactly these (plus title and caption) as the scene's mobjects."""
    scene.clear()
    scene.add(*[m for m in (scene.title_mob, *mobs, scene.caption_mob) if m is not None])


def fade_all_but(scene: GPTScene, *keep: Mobject) -> list[Animation]:
    """Fade-out animations for everything on screen except the title, the caption and `keep`."""
    kept = {scene.title_mob, scene.caption_mob, *keep}
    return [FadeOut(m) for m in scene.mobjects if m not in kept]


def below(mob: VMobject, above: VMobject, bottom: float, gap: float = 0.3) -> VMobject:
    """`mob` shrunk (never grown) into the room under `above`, `gap` below it, down to `bottom`, and centred there.

        below(product, inputs, bottom=-3.1)  # the product under the token row, above the caption
    """
    fit(mob, height=above.get_bottom()[1] - gap - bottom)
    return mob.move_to([0, (above.get_bottom()[1] - gap + bottom) / 2, 0])


def right_of(mob: VMobject, neighbour: VMobject, height: float, y: float, gap: float = 0.4) -> VMobject:
    """`mob` shrunk (never grown) into the room right of `neighbour`, `gap` from it, up to the frame's edge and at
    most `height` tall; centred there at height `y`.

        right_of(panel, grid, height=5.0, y=0)  # the formula beside the attention grid
    """
    left = neighbour.get_right()[0] + gap
    width = th.FRAME_WIDTH / 2 - th.EDGE - left
    fit(mob, width=width, height=height)
    return mob.move_to([left + width / 2, y, 0])
