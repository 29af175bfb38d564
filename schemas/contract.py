"""Frames from contracts: the polars schema, columns and empty frame a pandera model declares.

The pandera ``DataFrameModel`` of a table is its one contract; the engine takes the column
order and dtypes from it here instead of keeping a second, hand-written copy that could drift.
"""

from __future__ import annotations

from functools import cache

import pandera.polars as pa
import polars as pl


@cache
def polars_schema(model: type[pa.DataFrameModel], *, optional: bool = True) -> pl.Schema:
    """The columns and polars dtypes a model declares, in declaration order.

    Args:
        model: a pandera polars ``DataFrameModel``.
        optional: include columns declared with ``required=False``.

    Returns:
        The polars schema.

    Examples:
        >>> from schemas.published import MatchDecision
        >>> list(polars_schema(MatchDecision))[:2]
        ['record_key_l', 'record_key_r']
    """
    columns = model.to_schema().columns
    return pl.Schema({name: col.dtype.type for name, col in columns.items()
                      if optional or col.required})


def columns(model: type[pa.DataFrameModel]) -> list[str]:
    """The column names a model declares (required and optional), in order."""
    return list(polars_schema(model))


def empty_frame(model: type[pa.DataFrameModel]) -> pl.DataFrame:
    """A zero-row frame with the model's required columns and dtypes."""
    return pl.DataFrame(schema=polars_schema(model, optional=False))


def conform(frame: pl.DataFrame, model: type[pa.DataFrameModel]) -> pl.DataFrame:
    """The frame's columns in the model's order and dtypes; missing ones as typed nulls.

    Optional columns (``required=False``) are kept only when the frame has them; columns the
    model does not declare are dropped.

    Args:
        frame: any frame holding (some of) the model's columns.
        model: the contract.

    Returns:
        The conformed frame.
    """
    required = polars_schema(model, optional=False)
    out = []
    for name, dtype in polars_schema(model).items():
        if name in frame.columns:
            out.append(pl.col(name).cast(dtype))
        elif name in required:
            out.append(pl.lit(None, dtype).alias(name))
    return frame.select(out)
