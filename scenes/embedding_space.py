"""Scene: real embeddings as points in space: a turning 3-D cloud, a token's nearest neighbours, one direction."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manim import DOWN, LEFT, Create, LaggedStart, ManimColor, VGroup, VMobject, linear

from gptmath.embedding_space import (
    direction_scores, nearest_in_group_share, pairs_in_order, principal_components, rows, single_token_ids,
    vocabulary_words,
)

from scenes import theme as th
from scenes.animations import FadeIn, FadeOut
from scenes.base import GPTScene
from scenes.i18n import tr
from scenes.mobjects import DotProductLine, RotatingCloud, SimilarityBars, clearest_azimuth, dot_legend, fit, label

T = "embedding"  # the catalogue it shares with the Embedding scene: scenes/locales/embedding.toml

# The cloud's word groups and the direction's word pairs come from the language's catalogue (words_0.. and
# direction/direction_pairs in scenes/locales/embedding.toml: "|" between words, "/" inside a pair); words the
# tokenizer splits into several tokens are left out, and the scene says how many words it shows.
N_GROUPS = 4
MIN_WORDS = 8  # fewer single-token words than this: use whole-word tokens of the vocabulary instead
GATHERED = 0.5  # the groups "gather" when more than this share of the cloud's words has its nearest word in its group
SORTED = 0.5  # the direction "carries" the pairs' difference when more than this share of pairs lies in order
CLOUD_CENTRE = np.array([-3.3, -0.3, 0.0])
PANEL_WIDTH = 5.6  # the text beside the cloud
TURN_SECONDS = 10  # the cloud turns once around


def cloud_groups(lang: str) -> list[list[str]]:
    return [tr(T, f"words_{g}", lang).split("|") for g in range(N_GROUPS)]


def direction_pairs(lang: str) -> list[tuple[str, str]]:
    """The main pair (e.g. " she", " he") first, then the pairs placed along its direction."""
    return [tuple(pair.split("/")) for pair in [tr(T, "direction", lang), *tr(T, "direction_pairs", lang).split("|")]]


@dataclass(frozen=True)
class Words:
    """Words the tokenizer keeps whole, each with the colour it is drawn in."""

    ids: dict[str, int]  # word -> its one token's id
    colors: list[ManimColor]
    kinds: list[int]  # each word's group in the catalogue (cloud) or pair (direction, 0: the main pair); [] for none


@dataclass(frozen=True)
class SpaceLayout:
    """Which words the scene places."""

    cloud: Words
    groups: list[int]  # the catalogue's word groups present in the cloud, for the legend (none: vocabulary words)
    direction: Words  # the words placed along the direction
    ends: tuple[int, int]  # the two tokens whose embeddings' difference is the direction


def right_panel(mob: VMobject) -> VMobject:
    """Scale a group into the right half of the frame, beside the cloud."""
    fit(mob, PANEL_WIDTH, height=5.6)
    return mob.move_to([th.FRAME_WIDTH / 2 - th.EDGE - PANEL_WIDTH / 2, CLOUD_CENTRE[1], 0])


class EmbeddingSpace(GPTScene):
    """Real embeddings as a rotating 3-D cloud (PCA), a token's nearest neighbours, one direction as a line."""

    catalogue = T

    def construct(self) -> None:
        look = self.layout()
        self.show_title(self.tr("space_title"))
        cloud, legend = self.show_cloud(look.cloud, look.groups)
        table = self.show_neighbours(legend)
        line = self.show_direction(look.direction, look.ends, [cloud, table])
        self.cloud, self.neighbour_table, self.number_line = cloud, table, line  # what the tests check

    def layout(self) -> SpaceLayout:
        """The words of the cloud and of the direction, those the tokenizer keeps whole."""
        cloud, groups = self.cloud_words()
        ends, direction = self.direction_words(cloud)
        return SpaceLayout(cloud, groups, direction, ends)

    def cloud_words(self) -> tuple[Words, list[int]]:
        """The cloud's words with their groups' colours, and the groups present.

        With a tokenizer that splits too many of the words, whole-word tokens of its vocabulary instead (no groups).
        """
        model = self.data.model
        words, kinds = {}, []
        for g, group in enumerate(cloud_groups(self.settings.lang)):
            found = single_token_ids(model, group)
            words.update(found)
            kinds += [g] * len(found)
        if len(words) < MIN_WORDS:
            words = vocabulary_words(model, 2 * MIN_WORDS)
            return Words(words, [th.token_color(0)] * len(words), []), []
        return Words(words, [th.token_color(g) for g in kinds], kinds), sorted(set(kinds))

    def direction_words(self, cloud: Words) -> tuple[tuple[int, int], Words]:
        """The two tokens giving the direction, and the words placed along it: whole pairs, a colour per pair (a
        pair the tokenizer splits, even one of its words, is left out)."""
        model = self.data.model
        pairs = direction_pairs(self.settings.lang)
        ends = single_token_ids(model, pairs[0])
        words, kinds = {}, []
        for j, pair in enumerate(pairs):
            found = single_token_ids(model, pair)
            if len(found) == 2:
                words.update(found)
                kinds += [j, j]
        if len(ends) < 2 or len(words) < 4:  # the tokenizer splits these words: use the cloud's instead
            words = dict(list(cloud.ids.items())[:MIN_WORDS])
            return tuple(list(words.values())[:2]), Words(words, [th.token_color(j // 2) for j in range(len(words))], [])
        return tuple(ends.values()), Words(words, [th.HIGHLIGHT if j == 0 else th.token_color(j) for j in kinds], kinds)

    def show_cloud(self, words: Words, groups: list[int]) -> tuple[RotatingCloud, VGroup]:
        """PCA of the words' embeddings, turning once around, with a legend of the word groups."""
        W_E = self.data.model.weights.embedding  # as stored: only the words' rows are read
        pca = principal_components(rows(W_E, words.ids.values()))
        cloud = RotatingCloud(pca.points, list(words.ids), words.colors, centre=CLOUD_CENTRE)
        start = clearest_azimuth(cloud.points3d, cloud.elevation)
        cloud.azimuth.set_value(start)
        cloud.turn().suspend_updating()  # still while it fades in: turning sets the dots' opacities
        pct = f"{100 * pca.explained.sum():.0f}"
        heading = fit(label(self.tr("pca_axes", n=len(words.ids), pct=pct), th.LABEL_SIZE, th.HIGHLIGHT), PANEL_WIDTH)
        legend = dot_legend([(th.token_color(g), self.tr(f"group_{g}")) for g in groups])
        panel = right_panel(VGroup(heading, legend).arrange(DOWN, buff=0.5))
        values = dict(d=f"{W_E.shape[1]:,}", n=len(words.ids), pct=pct)
        self.say("say_bridge_embedding_space", d=values["d"])
        self.say(f"say_show_cloud{cloud_kind(W_E, words)}", **values)
        self.show_caption(self.tr("pca_caption", **values))
        self.play(FadeIn(cloud), FadeIn(panel))
        cloud.resume_updating()  # the cloud is in the scene, so its updater turns it as the azimuth moves
        self.turn_span = (self.renderer.time, self.renderer.time + TURN_SECONDS)  # the tests check it turns
        self.play(cloud.azimuth.animate.set_value(start + 2 * math.pi), run_time=TURN_SECONDS, rate_func=linear)
        cloud.clear_updaters()
        self.remove(cloud.azimuth)  # the tracker is not drawn, but play() added it to the scene
        self.end_step()
        return cloud, panel

    def show_neighbours(self, legend: VGroup) -> VGroup:
        """The tokens whose embeddings point most nearly the same way as the configured token's, in place of
        the legend (the render command searched the whole vocabulary: SceneData.neighbours). Returns the table:
        title, header, bars."""
        model, p = self.data.model, self.data.position
        neighbours = self.data.neighbours()
        texts = model.token_strings([i for i, _ in neighbours])
        bars = SimilarityBars(texts, [cos for _, cos in neighbours])
        token, v = th.show_spaces(self.data.tokens[p]), f"{model.config.vocab_size:,}"
        title = label(self.tr("neighbours_title", token=token), th.LABEL_SIZE, th.HIGHLIGHT)
        header = label(self.tr("neighbours_header"), th.SMALL_SIZE, th.DIM)
        table = right_panel(VGroup(title, header, bars).arrange(DOWN, buff=0.3))
        self.say("say_show_neighbours", v=v, token=token, nearest=th.show_spaces(texts[0]),
                 cos=f"{neighbours[0][1]:.2f}".replace("-", "−"))
        self.show_caption(self.tr("neighbours_caption", v=v))
        self.play(FadeOut(legend))  # then the table in its place: texts never cross-fade on one spot
        self.play(FadeIn(title), FadeIn(header))
        self.play(LaggedStart(*[FadeIn(r, shift=0.2 * LEFT) for r in bars], lag_ratio=0.12))
        self.end_step()
        return table

    def show_direction(self, words: Words, ends: tuple[int, int], gone: list[VMobject]) -> DotProductLine:
        """Dot products with the difference of two embeddings, on a number line, in place of `gone`."""
        model = self.data.model
        W_E = model.weights.embedding  # as stored: only the words' rows are read
        values = direction_scores(W_E, list(words.ids.values()), *ends)
        plus, minus = (th.show_spaces(n) for n in model.token_strings(list(ends)))
        line = DotProductLine(values, list(words.ids), words.colors, width=th.CONTENT_WIDTH - 0.6).move_to(0.3 * DOWN)
        axis = label(self.tr("direction_axis", plus=plus, minus=minus), th.SMALL_SIZE, th.DIM)
        axis.next_to(line.ticks, DOWN, buff=0.3)
        heading = label(self.tr("direction_title", plus=plus, minus=minus), th.LABEL_SIZE, th.HIGHLIGHT)
        pairs = pair_ids(words)
        in_order = pairs_in_order(W_E, pairs, *ends)
        kind = "_words" if not pairs else ("" if in_order > SORTED * len(pairs) else "_mixed")
        self.say(f"say_show_direction{kind}", plus=plus, minus=minus, sorted=in_order, pairs=len(pairs))
        self.show_caption(self.tr("direction_caption"))
        self.play(*[FadeOut(m) for m in gone])
        heading.next_to(self.title_mob, DOWN, buff=0.35).align_to(self.title_mob, LEFT)
        self.play(FadeIn(heading), Create(line.line), FadeIn(line.ticks), FadeIn(axis))
        self.play(LaggedStart(*[FadeIn(m, shift=0.2 * DOWN) for m in line.markers], lag_ratio=0.08), run_time=2)
        self.end_step(2)
        return line


def cloud_kind(W_E: np.ndarray, words: Words) -> str:
    """Which narration the cloud gets: "_ungrouped" (vocabulary words, no groups), "" when most words' nearest
    word (by cosine over all numbers) is of their own group, else "_mixed"."""
    if not words.kinds:
        return "_ungrouped"
    share = nearest_in_group_share(W_E, list(words.ids.values()), words.kinds)
    return "" if share > GATHERED else "_mixed"


def pair_ids(words: Words) -> list[tuple[int, int]]:
    """The pairs placed along the direction with both their words (the main pair left out), each as (the word
    that goes with the direction's plus end, its partner)."""
    ids = list(words.ids.values())
    found = {j: [i for i, k in zip(ids, words.kinds) if k == j] for j in set(words.kinds) if j > 0}
    return [tuple(found[j]) for j in sorted(found) if len(found[j]) == 2]
