"""A scored pair's explanation: 'name exact +6.1 · id one-substitution +9.2 · …'."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.link.settings import LinkSettings


def explain(s: LinkSettings) -> pl.Expr:
    """Return the per-pair explanation: 'name exact +6.1 · id one-substitution +9.2 · …'."""
    parts = []
    for c in s.comparisons:
        label = pl.col(f"lv_{c.name}").replace_strict(
            dict(enumerate(c.level_names)), default=None, return_dtype=pl.String
        )
        w = pl.col(f"w_{c.name}").round(1)
        sign = pl.when(w >= 0).then(pl.lit("+")).otherwise(pl.lit(""))
        parts.append(
            pl.concat_str(pl.lit(f"{c.name} "), label, pl.lit(" "), sign, w.cast(pl.String))
        )
    return pl.concat_str(parts, separator=" · ", ignore_nulls=True)


def with_explain(scored: pl.DataFrame, s: LinkSettings) -> pl.DataFrame:
    """Add ``explain``. A pair's weights are its levels' weights, so its explanation is a
    function of its levels: written once per distinct combination of levels (a few
    thousand) and joined to the pairs on the combination's number (the levels packed into
    one integer: a hash join of integers, not a sort), not built again for each of a million
    pairs nor joined on the levels."""
    levels = [f"lv_{c.name}" for c in s.comparisons]
    weights = [f"w_{c.name}" for c in s.comparisons]
    sizes = [len(c.levels) + 1 for c in s.comparisons]  # a level, or -1 (null)
    if not levels or float(np.prod(np.array(sizes, dtype=float))) >= 2.0**62:
        combos = scored.select(*levels, *weights).unique(levels).select(*levels,
                                                                       explain=explain(s))
        return scored.join(combos, on=levels, how="left", nulls_equal=True,
                           maintain_order="left")
    key = np.zeros(scored.height, dtype=np.int64)
    for column, size in zip(levels, sizes, strict=True):
        key = key * size + (scored[column].to_numpy().astype(np.int64) + 1)
    # one pair per combination (hashed, not sorted), its explanation joined back on the key
    keyed = pl.DataFrame({"k": key})
    first = keyed.with_row_index("r").unique("k", keep="any")
    combos = scored.select(*levels, *weights)[first["r"]].select(
        explain(s).alias("explain"), k=first["k"])
    return scored.with_columns(keyed.join(combos, on="k", how="left",
                                          maintain_order="left")["explain"])
