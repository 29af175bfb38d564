"""Weights, match weight, probability and explanation per combination of levels: the same
values, pair by pair, as working each out for every pair."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.link.combos import combinations, match_weights, per_pair
from pipelines.link.defaults import COMPARISONS
from pipelines.link.explain import explain
from pipelines.link.model import Model
from pipelines.link.settings import Comparison, Level

# too many levels to pack into one integer: the combinations are joined on the levels
WIDE = tuple(Comparison(f"c{k}", tuple(Level(f"l{j}", 0.9 - j * 0.02, 0.01 + j * 0.02)
                                       for j in range(30))) for k in range(13))


def _model(comparisons: tuple[Comparison, ...], seed: int) -> Model:
    rng = np.random.default_rng(seed)
    return Model(comparisons=comparisons, prior=-17.3,
                 m={c.name: rng.dirichlet(np.ones(len(c.levels))) for c in comparisons},
                 u={c.name: rng.dirichlet(np.ones(len(c.levels))) for c in comparisons})


def _levels(comparisons: tuple[Comparison, ...], n: int, kinds: int, seed: int
            ) -> dict[str, np.ndarray]:
    """``n`` pairs drawn from ``kinds`` random combinations (-1: null)."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, kinds, n)
    return {c.name: rng.integers(-1, len(c.levels), kinds).astype(np.int8)[pick]
            for c in comparisons}


def _each_pair(model: Model, levels: dict[str, np.ndarray],
               comparisons: tuple[Comparison, ...], n: int) -> pl.DataFrame:
    """The reference: every pair's weights, their sum, probability and explanation."""
    names = [c.name for c in comparisons]
    weights = model.weights()
    w = {f: np.append(weights[f], 0.0)[levels[f].astype(np.int64)] for f in names}
    total = np.zeros(n)
    for f in names:
        total += w[f]
    frame = pl.DataFrame({"match_weight": model.prior + total,
                          **{f"lv_{f}": levels[f] for f in names},
                          **{f"w_{f}": w[f] for f in names}})
    weight = pl.col("match_weight")
    return frame.select("match_weight", (1.0 / (1.0 + 2.0 ** (-weight))).alias(
        "match_probability"), *[f"w_{f}" for f in names], explain(comparisons).alias("explain"))


CASES = [
    {"description": "many pairs, a few hundred combinations, nulls", "comparisons": COMPARISONS,
     "n": 50_000, "kinds": 300, "expected_at_most": 300},
    {"description": "every pair of one combination", "comparisons": COMPARISONS,
     "n": 1_000, "kinds": 1, "expected_at_most": 1},
    {"description": "no pairs", "comparisons": COMPARISONS, "n": 0, "kinds": 1,
     "expected_at_most": 0},
    {"description": "levels too many to pack: joined on the levels", "comparisons": WIDE,
     "n": 5_000, "kinds": 40, "expected_at_most": 40},
]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_per_combination_equals_per_pair(case: dict) -> None:
    comparisons, n = case["comparisons"], case["n"]
    model = _model(comparisons, seed=n)
    levels = _levels(comparisons, n, case["kinds"], seed=n + 1)
    combos = combinations(levels, comparisons, n)
    assert combos.count <= case["expected_at_most"]
    assert combos.count == len({tuple(lv[i] for lv in levels.values()) for i in range(n)})
    expected = _each_pair(model, levels, comparisons, n)
    weight = match_weights(model, combos)
    assert weight.to_list() == expected["match_weight"].to_list()  # the same floats
    got = per_pair(model, combos, comparisons)
    assert got.equals(expected.drop("match_weight"))
