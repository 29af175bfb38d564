"""Printed sheets sized in one pass, and household heads of a few people: the same figures as
sheet by sheet and as every person's heads."""

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.cases.worklist import household_heads
from pipelines.exchange.printing import (
    PADDING,
    Column,
    display_width,
    lines_needed,
    row_heights,
    sheets_sized,
    widths,
)

COLUMNS = [Column("town", "乡镇"), Column("name", "姓名", max_width=8),
           Column("note", "说明", wrap=10), Column("amount", "金额"),
           Column("absent", "不在表中的列", min_width=3)]
SHEETS = pl.DataFrame({
    "town": ["东关镇", "东关镇", None, None, "西关乡"],
    "name": ["王芳", "买买提·艾力热合曼", None, "Ａｂc", ""],
    "note": ["短", "一行\n第二行很长很长很长很长很长", None, "x" * 30, "\n"],
    "amount": [1.5, None, 12345.25, 0.0, None],
})


def _reference_widths(frame: pl.DataFrame) -> list[int]:
    """``widths`` as it was written before: Python's ``display_width`` of every value."""
    out = []
    for col in COLUMNS:
        if col.wrap is not None:
            out.append(max(col.wrap, col.min_width))
            continue
        values = (frame[col.field].cast(pl.String).drop_nulls().unique().to_list()
                  if col.field in frame.columns else [])
        widest = max([display_width(col.header), *(display_width(v) for v in values)])
        out.append(min(max(widest + PADDING, col.min_width), col.max_width))
    return out


@pytest.mark.parametrize("rows", [slice(0, 5), slice(0, 1), slice(2, 4), slice(0, 0)])
def test_one_sheet_is_sized_as_python_measures_it(rows):
    frame = SHEETS[rows]
    got = widths(frame, COLUMNS)
    assert got == _reference_widths(frame)
    heights = row_heights(frame, COLUMNS, got)
    present = [(c, w) for c, w in zip(COLUMNS, got, strict=True) if c.field in frame.columns]
    assert heights == [max(lines_needed(row[c.field], w) for c, w in present) * 13.0 + 4
                       for row in frame.iter_rows(named=True)]


def test_sheets_sized_in_one_pass_as_each_sheet_alone():
    sized = sheets_sized(SHEETS, COLUMNS, ["town"])
    assert sized.select(SHEETS.columns).equals(SHEETS)  # the rows, in their order
    for (_,), sheet in sized.group_by(["town"], maintain_order=True):
        alone = SHEETS.filter(pl.col("town").eq_missing(sheet["town"][0]))
        assert list(sheet.select(f"_width_{i}" for i in range(len(COLUMNS))).row(0)) == \
            widths(alone, COLUMNS)
        assert sheet.select(pl.n_unique(f"_width_{i}") for i in range(len(COLUMNS))).row(0) \
            == (1,) * len(COLUMNS)
        assert sheet["_height"].to_list() == row_heights(alone, COLUMNS, widths(alone, COLUMNS))
    whole = sheets_sized(SHEETS, COLUMNS, [])
    assert whole["_height"].to_list() == row_heights(SHEETS, COLUMNS, widths(SHEETS, COLUMNS))


ROSTER = pl.DataFrame({
    "record_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
    "household_id": ["H1", "H1", "H2", "H2", "H3", None],
    "relation": ["户主", "子女", "户主", "配偶", "子女", "户主"],
    "name": ["张三", "张四", None, "李五", "赵六", "孙七"],
    "head_name": [None, None, None, None, "赵大", None],
})
ASSISTANCE = pl.DataFrame({"record_id": ["a1", "a2"], "head_name": ["钱八", None]})
LINKS = pl.DataFrame({
    "record_id": ["r1", "r2", "r3", "r4", "r5", "r6", "a1", "a2"],
    "person_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P2"],
})


@pytest.mark.parametrize("people", [
    ["P2"],  # the head is another person (P1), not among them
    ["P4", "P7"],  # a head without a name; a head from civil affairs only
    ["P5", "P6", "P9"],  # the roster's own 户主姓名; no household; no such person
    [],
    ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
])
def test_household_heads_of_a_few_people_are_theirs_among_everyones(people):
    tables = {"poverty_roster": ROSTER, "assistance": ASSISTANCE}
    everyone = household_heads(tables, LINKS)
    few = household_heads(tables, LINKS, pl.DataFrame({"person_id": people},
                                                      schema={"person_id": pl.String}))
    assert_frame_equal(few, everyone.filter(pl.col("person_id").is_in(people)))


def test_township_summaries_sized_together_as_each_alone():
    from pipelines.exchange.cases import township_summary
    from pipelines.exchange.workbook import _summaries

    cases = pl.DataFrame({
        "township": ["东关镇", None, "东关镇", "西关乡长长长长的名字"],
        "village": ["虹光村", "某村", None, "很长很长很长很长很长的村名"],
        "status": ["救治中", "已救治", "死亡", "救治中"],
        "admissions": [1, 0, 3, 12],
        "total_cost": [100.0, 0.0, 123456.78, 9.5],
        "out_of_pocket": [10.0, 0.0, 23456.7, 9.5],
    })
    got = _summaries(cases)
    assert [t for t, _, _ in got] == ["东关镇", "未定位", "西关乡长长长长的名字"]
    for township, part, columns in got:
        alone = township_summary(cases.filter(pl.col("township").fill_null("未定位")
                                              == township))
        assert part.select(alone.columns).equals(alone)
        assert list(part.select(f"_width_{i}" for i in range(len(columns))).row(0)) == \
            widths(alone, columns)
        assert part["_height"].to_list() == row_heights(alone, columns, widths(alone, columns))
    assert _summaries(cases.clear()) == []
