"""Dates in the forms departments write them."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.normalise.dates import parse_date, unparsed

D = dt.date(2020, 1, 5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-01-05", D), ("2020/1/5", D), ("20200105", D), ("2020年1月5日", D),
        ("2020.1.5", D), ("43835", D), ("43835.0", D), (" 2020-01-05 00:00:00", D),
        ("２０２０-０１-０５", D), ("2020-1-5", D), ("2020年01月05号", D),
        ("2020-02-30", None), ("not a date", None), ("", None), (None, None),
        ("20201305", None), ("0", None),
    ],
)
def test_date_table(raw: str | None, expected: dt.date | None) -> None:
    frame = pl.DataFrame({"d": [raw]}, schema={"d": pl.String})
    out = frame.select(parse_date(pl.col("d")).alias("p"))
    assert out["p"].dtype == pl.Date
    assert out["p"].item() == expected


def test_problem_only_for_non_empty_unparsed() -> None:
    frame = pl.DataFrame({"d": ["2020-01-05", "垃圾", "", None]}, schema={"d": pl.String})
    out = frame.select(unparsed(pl.col("d"), parse_date(pl.col("d"))))
    assert out.to_series().to_list() == [False, True, False, False]
