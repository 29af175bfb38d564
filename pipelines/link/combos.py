"""A pair's weights, match weight, probability and explanation are functions of its levels
and the model: worked out once per distinct combination of levels (a few thousand among
millions of pairs) and gathered per pair by its combination's number, not computed again
for every pair (13 weights, their sum and a text each: 3.3M pairs at 1M residents)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.link.explain import explain
from pipelines.link.model import Model
from pipelines.link.settings import Comparison


@dataclass
class Combinations:
    """The pairs' distinct combinations of comparison levels.

    Attributes:
        number: per pair its combination (UInt32: a row of ``levels``).
        levels: comparison -> per combination its level (-1: null).
        count: how many combinations.
    """

    number: pl.Series
    levels: dict[str, np.ndarray]
    count: int


def combinations(levels: dict[str, np.ndarray], comparisons: tuple[Comparison, ...],
                 n: int) -> Combinations:
    """Number the ``n`` pairs' combinations of ``levels`` (comparison -> per pair its level).

    The levels are packed into one integer (a level or -1 per comparison) and the pairs
    joined on it to one pair per combination (a hash join of integers, not a sort); settings
    with too many levels to pack are joined on the levels themselves.
    """
    names = [c.name for c in comparisons]
    sizes = [len(c.levels) + 1 for c in comparisons]
    if float(np.prod(np.array(sizes, dtype=float))) < 2.0**62:
        key = np.zeros(n, dtype=np.int64)
        for f, size in zip(names, sizes, strict=True):  # in place: no temporaries
            key *= size
            key += levels[f]
            key += 1
        keyed = pl.DataFrame({"k": key})
    else:
        keyed = pl.DataFrame({f: levels[f] for f in names})
    on = keyed.columns
    first = keyed.with_row_index("r").unique(on, keep="any").with_row_index("c")
    number = keyed.join(first.select(*on, "c"), on=on, how="left", maintain_order="left")["c"]
    rows = first["r"].to_numpy()
    return Combinations(number.alias("combo"), {f: levels[f][rows] for f in names}, len(rows))


def level_weights(model: Model, c: Combinations) -> dict[str, np.ndarray]:
    """Comparison -> per combination its level's weight (0 for a null level), in the
    comparisons' order."""
    return {f: np.append(w, 0.0)[c.levels[f].astype(np.int64)]
            for f, w in model.weights().items()}


def totals(model: Model, c: Combinations,
           weights: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Per combination its match weight: ``prior +`` its levels' weights (``weights``:
    :func:`level_weights`' when known) added in the comparisons' order."""
    acc = np.zeros(c.count)
    for w in (level_weights(model, c) if weights is None else weights).values():
        acc += w
    return model.prior + acc


def match_weights(model: Model, c: Combinations) -> pl.Series:
    """Per pair its match weight."""
    return pl.Series("match_weight", totals(model, c)).gather(c.number)


def per_pair(model: Model, c: Combinations, comparisons: tuple[Comparison, ...]
             ) -> pl.DataFrame:
    """Per pair (in ``c.number``'s order): match_probability, ``w_<comparison>`` (each
    level's weight, 0 for a null level) and ``explain``, gathered from their combination's."""
    names = [f.name for f in comparisons]
    weights = level_weights(model, c)
    w = pl.col("match_weight")
    table = pl.DataFrame({
        "match_weight": totals(model, c, weights),
        **{f"lv_{f}": c.levels[f] for f in names},
        **{f"w_{f}": weights[f] for f in names},
    }).select((1.0 / (1.0 + (2.0 ** (-w)))).alias("match_probability"),
              *[f"w_{f}" for f in names], explain(comparisons).alias("explain"))
    return table[c.number]
