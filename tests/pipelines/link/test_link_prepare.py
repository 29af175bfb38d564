"""Preparing records: text columns stripped and blank as null whether or not a column needs it
(an untouched column is the input's own, not a copy), one-row lists as categories."""

from __future__ import annotations

import polars as pl
import pytest
from sanji_link_frames import frame, record, valid_id

from pipelines.link.linker import prepare_records
from pipelines.link.regroup import one_list_hash

A = valid_id("19800101", "123")


@pytest.mark.parametrize(("names", "expected"), [
    (["张伟", "李四"], ["张伟", "李四"]),  # nothing to do: the column as it came
    ([" 张伟", "李四 "], ["张伟", "李四"]),  # stray spaces
    (["", "李四"], [None, "李四"]),  # blank: null
    (["王\u3000", "\t"], ["王", None]),  # an ideographic space, a tab
    ([None, "李四"], [None, "李四"]),
])
def test_names_are_stripped_and_blank_is_null(names: list, expected: list) -> None:
    rows = [record(k, "甲", A, "1980-01-01") for k in range(2)]
    records = frame(rows).with_columns(name=pl.Series(names, dtype=pl.String))
    assert prepare_records(records)["name"].to_list() == expected


def test_an_untouched_text_column_keeps_its_values_and_type() -> None:
    records = frame([record(0, "张伟", A, "1980-01-01"), record(1, "李四", None, None)])
    rec = prepare_records(records)
    for column in ("name", "id_number", "village_code"):
        assert rec[column].dtype == pl.String
        assert rec[column].to_list() == records[column].to_list()


def test_one_row_lists_are_categories_hashed_as_their_text() -> None:
    rows = [record(0, "张伟", A, "1980-01-01", extract="poverty_roster"),
            record(1, "李四", None, None, extract="settlement")]
    rec = prepare_records(frame(rows))
    assert rec["one_list"].dtype == pl.Categorical
    assert rec["one_list"][1] is None  # settlements list a person more than once
    text = rec["one_list"].cast(pl.String)
    assert text[0].startswith("poverty_roster|")
    assert (one_list_hash(rec) == text.hash(seed=3).to_numpy()).all()
