"""``schemas.contract``: the polars schema, columns, empty frame and conform of a pandera model.

A small model with every kind of column (required, nullable, optional, each dtype the
contracts use) stands in for the real ones, so each case names the behaviour it guards.
"""

from __future__ import annotations

from datetime import date

import pandera.errors as pe
import pandera.polars as pa
import polars as pl
import pytest

from schemas.contract import columns, conform, empty_frame, polars_schema


class Tiny(pa.DataFrameModel):
    """Declared in an order that is not alphabetical, with one optional column in the middle."""

    name: str
    n: int = pa.Field(nullable=True, ge=0)
    when: pl.Date = pa.Field(nullable=True)
    share: float = pa.Field(nullable=True, required=False)
    ok: bool = pa.Field(nullable=True)


class Child(Tiny):
    """A model extending another: the parent's columns first."""

    extra: str = pa.Field(nullable=True)


ALL = [("name", pl.String), ("n", pl.Int64), ("when", pl.Date), ("share", pl.Float64),
       ("ok", pl.Boolean)]
REQUIRED = [c for c in ALL if c[0] != "share"]

SCHEMA_CASES = [
    {"description": "declaration order and dtypes, optional included", "model": Tiny,
     "optional": True, "expected": ALL},
    {"description": "optional columns left out on request", "model": Tiny, "optional": False,
     "expected": REQUIRED},
    {"description": "a subclass appends its columns after the parent's", "model": Child,
     "optional": True, "expected": [*ALL, ("extra", pl.String)]},
]


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=[c["description"] for c in SCHEMA_CASES])
def test_polars_schema(case: dict) -> None:
    got = polars_schema(case["model"], optional=case["optional"])
    assert isinstance(got, pl.Schema)
    assert list(got.items()) == case["expected"]


def test_columns_are_every_declared_column_in_order() -> None:
    assert columns(Tiny) == [c for c, _ in ALL]
    assert columns(Child)[-1] == "extra"


def test_empty_frame_has_the_required_columns_typed_and_no_rows() -> None:
    frame = empty_frame(Tiny)
    assert frame.height == 0
    assert list(frame.schema.items()) == REQUIRED
    Tiny.validate(frame)  # an empty table passes its own contract


def _frame(**cols: list) -> pl.DataFrame:
    return pl.DataFrame(cols)


CONFORM_CASES = [
    {
        "description": "columns reordered to the contract, undeclared columns dropped",
        "frame": _frame(ok=[True], junk=["x"], when=[date(2024, 1, 1)], n=[1], name=["a"]),
        "expected": {"name": ["a"], "n": [1], "when": [date(2024, 1, 1)], "ok": [True]},
    },
    {
        "description": "a missing required column is added as typed nulls",
        "frame": _frame(name=["a", "b"]),
        "expected": {"name": ["a", "b"], "n": [None, None], "when": [None, None],
                     "ok": [None, None]},
    },
    {
        "description": "an optional column is kept, in its declared place, when present",
        "frame": _frame(share=[0.5], name=["a"], ok=[False], n=[2], when=[None]),
        "expected": {"name": ["a"], "n": [2], "when": [None], "share": [0.5], "ok": [False]},
    },
    {
        "description": "an optional column is not invented when absent",
        "frame": _frame(name=["a"], n=[2], when=[None], ok=[None]),
        "expected": {"name": ["a"], "n": [2], "when": [None], "ok": [None]},
    },
    {
        "description": "values are cast to the contract's dtypes",
        "frame": pl.DataFrame({"name": ["a"], "n": pl.Series([3], dtype=pl.Int8),
                               "share": pl.Series([1], dtype=pl.Int32)}),
        "expected": {"name": ["a"], "n": [3], "when": [None], "share": [1.0], "ok": [None]},
    },
    {
        "description": "no rows in, no rows out, still typed",
        "frame": pl.DataFrame(schema={"name": pl.String}),
        "expected": {"name": [], "n": [], "when": [], "ok": []},
    },
]


@pytest.mark.parametrize("case", CONFORM_CASES, ids=[c["description"] for c in CONFORM_CASES])
def test_conform(case: dict) -> None:
    got = conform(case["frame"], Tiny)
    expected_schema = {c: t for c, t in ALL if c in case["expected"]}
    assert list(got.schema.items()) == list(expected_schema.items())
    assert got.to_dict(as_series=False) == case["expected"]
    Tiny.validate(got)


def test_conform_does_not_hide_a_bad_value() -> None:
    """Conform fixes shape, not content: a value the contract forbids still fails validation."""
    got = conform(_frame(name=["a"], n=[-1]), Tiny)
    with pytest.raises(pe.SchemaError, match="greater_than_or_equal_to"):
        Tiny.validate(got)


def test_conform_refuses_a_value_that_cannot_be_cast() -> None:
    with pytest.raises(pl.exceptions.InvalidOperationError):
        conform(_frame(name=["a"], n=["three"]), Tiny)
