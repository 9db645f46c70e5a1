"""gptmath.reading: arcs, content heads, copy heads and copy examples on hand-built and real traces."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import GptMathError, Trace, hooks
from gptmath.model import softmax
from gptmath.reading import arcs, content_heads, copy_example, pick_content_head, pick_copy_heads


def made_up(tokens: list[str], patterns: np.ndarray, logits: np.ndarray | None = None) -> Trace:
    L, _, p, _ = patterns.shape
    ids = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
    cache = {hooks.resid(i, "pre"): np.zeros((p, 2)) for i in range(L)}
    cache |= {hooks.attn(i, "pattern"): patterns[i] for i in range(L)}
    if logits is not None:
        cache["logits"] = logits
    return Trace(tokens=np.array([ids[t] for t in tokens]), token_strings=tokens, cache=cache)


def test_arcs_keep_the_strong_links_strongest_first():
    p = 4
    pattern = np.tril(np.ones((p, p))) / np.arange(1, p + 1)[:, None]
    pattern[3] = [0.6, 0.05, 0.3, 0.05]
    trace = made_up(["a", "b", "c", "d"], pattern[None, None])
    links = arcs(trace, 0, 0, min_weight=0.25)
    assert [(a.query, a.key) for a in links] == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (3, 0), (3, 2)]
    assert links[-2].weight == pytest.approx(0.6)
    assert [a.key for a in arcs(trace, 0, 0, 0.25, queries=[3])] == [0, 2]


def test_content_head_is_the_one_that_picks_a_token_not_a_place():
    tokens = ["The", " cat", ".", " It", " sat", " on", " a", " mat", ".", " A", " dog", " ran", " to", " the", " park",
              ".", " It", " hid"]
    p = len(tokens)
    uniform = np.tril(np.ones((p, p))) / np.arange(1, p + 1)[:, None]
    first = np.zeros((p, p))
    first[:, 0] = 1  # resting on the first token: not content
    dots = uniform.copy()
    for q in range(p):
        seen = [k for k, t in enumerate(tokens) if t == "." and k <= q - 2]
        if seen:
            dots[q] = 0
            dots[q, seen] = 1 / len(seen)
    trace = made_up(tokens, np.stack([np.stack([uniform, first]), np.stack([dots, uniform])]))
    head = pick_content_head(trace)
    assert (head.layer, head.head, head.token) == (1, 0, ".") and head.lift > 3
    assert head.count == 3 and head.reads_content()
    assert (pick_content_head(trace, exclude=(1, 0)).layer, pick_content_head(trace, exclude=(1, 0)).head) != (1, 0)
    assert pick_content_head(made_up(["a", "b", "c"], np.ones((1, 1, 3, 3)) / 3)) is None  # no token two places back


def test_a_token_that_occurs_once_is_no_sign_of_reading_by_content():
    """Head 0 puts its far weight on " cat", which occurs once: a place or a word, no one can tell; head 1 puts
    less of it on ".", which occurs three times: that is reading by content, and it is the head picked."""
    tokens = ["The", " cat", ".", " It", " sat", " on", " a", " mat", ".", " A", " dog", " ran", " to", " the", " park",
              ".", " It", " hid"]
    p = len(tokens)
    uniform = np.tril(np.ones((p, p))) / np.arange(1, p + 1)[:, None]
    cat, dots = uniform.copy(), uniform.copy()
    for q in range(3, p):
        cat[q] = 0
        cat[q, 1] = 1
        seen = [k for k, t in enumerate(tokens) if t == "." and k <= q - 2]
        if seen:
            dots[q] = 0.5 * uniform[q]
            dots[q, seen] += 0.5 / len(seen)
    trace = made_up(tokens, np.stack([cat, dots])[None])
    once, repeated = content_heads(trace)
    assert (once.token, once.count) == (" cat", 1) and once.lift > 3 and not once.reads_content()
    assert (repeated.token, repeated.count) == (".", 3) and repeated.reads_content() and repeated.share < once.share
    assert (pick_content_head(trace).layer, pick_content_head(trace).head) == (0, 1)
    only_once = pick_content_head(trace, exclude=(0, 1))
    assert only_once.token == " cat" and not only_once.reads_content()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_content_heads_on_the_shipped_models_are_told_by_the_numbers(lang):
    """Whatever model ships: a head is said to read by content exactly when its token occurs twice or more among
    the keys and gets at least MIN_LIFT times its share; the English example has such a head, the English example
    of issue 27 (Max named once, no token two or more places back twice) has none."""
    from gptmath import load_model
    from gptmath.reading import MIN_LIFT
    from scenes.i18n import catalogue
    from scenes.settings import Settings

    model = load_model(Settings(lang=lang).model_source)
    trace = model.trace(catalogue("reading")[lang]["arc_example"])
    for c in content_heads(trace):
        far = trace.token_strings[1:-2]
        assert c.count == far.count(c.token) and c.reads_content() == (c.count >= 2 and c.lift >= MIN_LIFT)
    if lang == "en":
        assert pick_content_head(trace).reads_content()
        old = model.trace("Lily found a red ball. She gave it to her dog, Max.")
        assert not any(c.reads_content() for c in content_heads(old))
        assert pick_content_head(old).count == 1  # the head that favours " found" most: once in the text


def test_copy_example_finds_the_repeat_and_both_probabilities():
    tokens = ["Once", " Z", "uri", " ran", ".", " Z"]
    V, p = 5, len(tokens)
    logits = np.random.default_rng(0).normal(size=(p, V))
    trace = made_up(tokens, np.ones((1, 1, p, p)) / p, logits)
    ex = copy_example(trace)
    assert (ex.query, ex.first, ex.copied) == (5, 1, trace.tokens[2])
    assert ex.p_first == pytest.approx(softmax(logits[1])[ex.copied])
    assert ex.p_again == pytest.approx(softmax(logits[5])[ex.copied])
    assert copy_example(made_up(["a", "b", "c"], np.ones((1, 1, 3, 3)) / 3, np.zeros((3, 2)))) is None
    # the text continues the repeat as before (" Z" "uri" ... " Z" "uri"): that copy is preferred to a later repeat
    tokens = ["Once", " Z", "uri", " ran", ".", " Z", "uri", " hid", "."]
    p = len(tokens)
    ex = copy_example(made_up(tokens, np.ones((1, 1, p, p)) / p, np.zeros((p, 5))))
    assert (ex.query, ex.first) == (5, 1)


def test_copy_example_prefers_the_copy_the_model_did_not_expect_the_first_time():
    """Two real copies: " d" "ra" (a word the model completes from " d" the first time already) and " saw" " d"
    (unexpected the first time, expected after the repeat): the second shows copying, and it is the one picked;
    with its first occurrence off the row, the word completion is."""
    tokens = ["x", " saw", " d", " y", " saw", " d", "ra", " z", " d", "ra"]
    p = len(tokens)
    ids = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
    logits = np.zeros((p, len(ids)))
    logits[4, ids[" d"]] = logits[5, ids["ra"]] = logits[8, ids["ra"]] = 10.0
    trace = made_up(tokens, np.ones((1, 1, p, p)) / p, logits)
    ex = copy_example(trace)
    assert (ex.query, ex.first) == (4, 1) and ex.p_first < 0.2 and ex.p_again > 0.99 and ex.rise > 0.8
    later = copy_example(trace, shown=[0, *range(2, p)])
    assert (later.query, later.first) == (8, 5) and later.p_first > 0.99 and abs(later.rise) < 0.01


def test_copy_heads_put_the_previous_token_head_before_the_induction_head(toy_dirs):
    from gptmath import load_model

    model = load_model(toy_dirs["3L5H-gelu-n_inner"])
    trace = model.trace("Once upon a time, there was a little girl named Lily. Lily")
    heads = pick_copy_heads(model, trace)
    assert heads.previous[0] < max(heads.induction[0], 1)
    chosen = pick_copy_heads(model, trace, layer=2, head=4)
    assert chosen.induction == (2, 4) and chosen.previous[0] < 2
    with pytest.raises(GptMathError, match="heads 0..4"):
        pick_copy_heads(model, trace, layer=1, head=9)


def test_read_twice_is_the_heads_pattern_and_the_loss_on_both_copies(toy_dirs):
    from gptmath import load_model
    from gptmath.copying import read_twice
    from gptmath.heads import copying_gain

    model = load_model(toy_dirs["3L5H-gelu-n_inner"])
    r = read_twice(model, 2, 4, length=10, seed=3)
    assert len(r.ids) == 21 and (r.ids[1:11] == r.ids[11:]).all() and len(r.losses) == 20
    trace = model.trace_ids([int(i) for i in r.ids])
    np.testing.assert_array_equal(r.pattern, trace[hooks.attn(2, "pattern")][4])
    assert r.first_loss - r.repeat_loss == pytest.approx(copying_gain(trace["logits"], r.ids, 10))
