"""Probability bars: top tokens at a temperature plus the rest."""
from __future__ import annotations

import numpy as np
import pytest

from gptmath.readout import bar_values, top_bars

LOGITS = np.array([2.0, 1.0, 0.5, -1.0, 3.0, 0.0])


def names(ids):
    return [f"t{i}" for i in ids]


def test_top_bars_are_the_most_probable_with_the_rest():
    bars = top_bars(LOGITS, 1.0, 3, names)
    e = np.exp(LOGITS) / np.exp(LOGITS).sum()
    assert bars.ids == [4, 0, 1]
    assert bars.texts == ["t4", "t0", "t1"]
    assert bars.logits == [3.0, 2.0, 1.0]
    np.testing.assert_allclose(bars.probs, e[[4, 0, 1]])
    assert bars.rest == pytest.approx(e[[2, 3, 5]].sum())
    assert sum(bars.values) == pytest.approx(1.0)


def test_included_ids_join_in_probability_order():
    bars = top_bars(LOGITS, 1.0, 2, names, include=[3, 4])
    assert bars.ids == [4, 0, 3]


@pytest.mark.parametrize("t", [0.01, 0.5, 5.0])
def test_bar_values_follow_the_temperature(t):
    z = LOGITS / t
    e = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(bar_values(LOGITS, t, [4, 2]), [e[4], e[2], 1 - e[4] - e[2]], atol=1e-12)


def test_tiny_temperature_puts_everything_on_the_top_token():
    assert bar_values(LOGITS, 1e-3, [4, 0]) == pytest.approx([1.0, 0.0, 0.0])
