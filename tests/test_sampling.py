"""Temperature, top-k, seeded sampling and generation."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath import GptMathError, generate, softmax_with_temperature, top_k
from gptmath.model import softmax

LOGITS = np.array([2.0, 1.0, 0.5, -1.0, 3.0])


def test_temperature_one_is_plain_softmax():
    e = np.exp(LOGITS)
    np.testing.assert_allclose(softmax_with_temperature(LOGITS, 1.0), e / e.sum(), rtol=1e-12)


def test_temperature_divides_the_logits():
    np.testing.assert_allclose(softmax_with_temperature(LOGITS, 0.5), softmax(LOGITS / 0.5), rtol=1e-12)


@pytest.mark.parametrize("t", [1e-3, 1e-30, 1e-300, 5e-324])
def test_tiny_temperature_is_argmax_one_hot(t):
    p = softmax_with_temperature(LOGITS, t)
    assert not np.isnan(p).any()
    np.testing.assert_array_equal(p, np.eye(len(LOGITS))[4])


@pytest.mark.parametrize("t", [1e6, 1e300, float("inf")])
def test_huge_temperature_is_uniform(t):
    p = softmax_with_temperature(LOGITS, t)
    np.testing.assert_allclose(p, np.full(len(LOGITS), 1 / len(LOGITS)), atol=1e-5)


def test_entropy_grows_with_temperature():
    def entropy(t):
        p = softmax_with_temperature(LOGITS, t)
        return -(p[p > 0] * np.log(p[p > 0])).sum()

    values = [entropy(t) for t in (0.1, 0.5, 1, 2, 5)]
    assert values == sorted(values) and values[0] < values[-1]


def test_extreme_logits_do_not_overflow():
    p = softmax_with_temperature(np.array([1e30, -1e30, 0.0, 3e38]), 0.7)
    assert np.isfinite(p).all() and p.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("t", [0, -1, float("nan")])
def test_bad_temperature_is_an_error(t):
    with pytest.raises(GptMathError, match="temperature must be > 0"):
        softmax_with_temperature(LOGITS, t)


def test_top_k_lists_most_likely_first_with_text():
    p = softmax_with_temperature(LOGITS)
    best = top_k(LOGITS, p, 3, lambda ids: [f"tok{i}" for i in ids])
    assert [c.token_id for c in best] == [4, 0, 1]
    assert [c.text for c in best] == ["tok4", "tok0", "tok1"]
    assert best[0].prob == pytest.approx(p[4]) and best[0].logit == 3.0
    assert len(top_k(LOGITS, p, 99, lambda ids: ids)) == len(LOGITS)
    with pytest.raises(GptMathError):
        top_k(LOGITS, p, 0, lambda ids: ids)


def test_same_seed_same_tokens_and_each_step_keeps_its_trace(toy_model):
    a = generate(toy_model, "Once upon a time", 6, temperature=1.5, seed=7)
    b = generate(toy_model, "Once upon a time", 6, temperature=1.5, seed=7)
    c = generate(toy_model, "Once upon a time", 6, temperature=1.5, seed=8)
    assert [s.chosen for s in a] == [s.chosen for s in b]
    assert [s.chosen for s in a] != [s.chosen for s in c]
    prompt_len = len(toy_model.encode("Once upon a time"))
    for i, step in enumerate(a):
        assert step.trace.n_positions == prompt_len + i
        assert list(step.trace.tokens[prompt_len:]) == [s.chosen for s in a[:i]]
        np.testing.assert_allclose(step.probs, softmax_with_temperature(step.trace["logits"][-1], 1.5))


def test_greedy_takes_the_argmax(toy_model):
    for step in generate(toy_model, "The cat", 4, greedy=True):
        assert step.chosen == int(np.argmax(step.trace["logits"][-1]))


def test_sampling_follows_the_distribution():
    from gptmath.sampling import sample

    rng = np.random.default_rng(0)
    p = np.array([0.7, 0.2, 0.1])
    counts = np.bincount([sample(p, rng) for _ in range(4000)], minlength=3) / 4000
    np.testing.assert_allclose(counts, p, atol=0.03)


def test_generation_stops_after_the_stop_token(toy_model):
    free = generate(toy_model, "Once upon a time", 12, greedy=True)
    stop = free[3].chosen
    first = next(i for i, s in enumerate(free) if s.chosen == stop)
    stopped = generate(toy_model, "Once upon a time", 12, greedy=True, stop=stop)
    assert [s.chosen for s in stopped] == [s.chosen for s in free[:first + 1]]
