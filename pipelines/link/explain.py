"""A scored pair's explanation: 'name exact +6.1 · id one-substitution +9.2 · …'."""

from __future__ import annotations

import polars as pl

from pipelines.link.settings import Comparison


def explain(comparisons: tuple[Comparison, ...]) -> pl.Expr:
    """Return the per-pair explanation of the ``lv_<name>`` and ``w_<name>`` columns: 'name
    exact +6.1 · id one-substitution +9.2 · …' (``combos.per_pair``: once per combination)."""
    parts = []
    for c in comparisons:
        label = pl.col(f"lv_{c.name}").replace_strict(
            dict(enumerate(c.level_names)), default=None, return_dtype=pl.String
        )
        w = pl.col(f"w_{c.name}").round(1)
        sign = pl.when(w >= 0).then(pl.lit("+")).otherwise(pl.lit(""))
        parts.append(
            pl.concat_str(pl.lit(f"{c.name} "), label, pl.lit(" "), sign, w.cast(pl.String))
        )
    return pl.concat_str(parts, separator=" · ", ignore_nulls=True)
