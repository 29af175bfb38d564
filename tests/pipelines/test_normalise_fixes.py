"""Issue 11's normaliser fixes, one table per normaliser: dates, money, IDs, names."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.domain.identity import id_check_char
from pipelines.normalise.dates import BIRTH, EVENT, date_range, normalise_dates
from pipelines.normalise.ids import normalise_ids
from pipelines.normalise.money import MAX_AMOUNT, money_check, number, parse_money
from pipelines.normalise.names import normalise_names

AS_OF = dt.date(2026, 10, 15)
D = dt.date(2020, 1, 5)


@pytest.mark.parametrize(
    ("raw", "kind", "date", "check"),
    [
        ("2020 年 1 月 5 日", EVENT, D, None),
        ("2020年 01月 05日 08:30", EVENT, D, None),
        ("2020-01-05T08:30:00Z", EVENT, D, None),
        ("43835.75", EVENT, D, None),  # serial with a time part
        ("43835", EVENT, D, None),
        ("20-01-05", EVENT, None, "date_two_digit_year"),
        ("05/01/20", EVENT, None, "date_two_digit_year"),
        ("991231", BIRTH, None, "date_two_digit_year"),
        ("2020", EVENT, None, "date_incomplete"),  # never the serial 1905-07-12
        ("2020", BIRTH, None, "date_incomplete"),
        ("2020年1月", EVENT, None, "date_incomplete"),
        ("202001", EVENT, None, "date_incomplete"),
        ("2020.5", EVENT, None, "date_incomplete"),
        ("0020-01-05", BIRTH, None, "date_out_of_range"),
        ("1899-12-31", BIRTH, None, "date_out_of_range"),
        ("1900-01-01", BIRTH, dt.date(1900, 1, 1), None),
        ("2026-10-16", BIRTH, None, "date_out_of_range"),  # born after the as-of date
        ("1999-12-31", EVENT, None, "date_out_of_range"),
        ("2027-10-15", EVENT, dt.date(2027, 10, 15), None),  # events: up to a year ahead
        ("2027-10-16", EVENT, None, "date_out_of_range"),
        ("59", BIRTH, dt.date(1900, 2, 28), None),  # Excel's 1900 leap-year bug:
        ("60", BIRTH, None, "date_unparseable"),  # its 1900-02-29 never was
        ("61", BIRTH, dt.date(1900, 3, 1), None),
        ("1", BIRTH, dt.date(1900, 1, 1), None),
        ("2020-02-30", EVENT, None, "date_unparseable"),
        ("不详", EVENT, None, "date_unparseable"),
        ("  ", EVENT, None, None),
        (None, EVENT, None, None),
    ],
)
def test_date_table(raw: str | None, kind: str, date: dt.date | None, check: str | None) -> None:
    out = normalise_dates(pl.Series([raw], dtype=pl.String), kind, AS_OF)
    assert out.row(0) == (date, check)


def test_date_ranges() -> None:
    assert date_range(BIRTH, AS_OF) == (dt.date(1900, 1, 1), AS_OF)
    assert date_range(EVENT, dt.date(2024, 2, 29)) == (dt.date(2000, 1, 1), dt.date(2025, 2, 28))
    with pytest.raises(ValueError, match="birth"):
        date_range("death", AS_OF)


MONEY_FIXES = [
    ("1,234.50", 1234.5, None),
    ("１２３４．５", 1234.5, None),
    ("￥1234.5元", 1234.5, None),
    ("1.2345E+03", 1234.5, None),
    ("0", 0.0, None),
    ("-0", 0.0, None),
    ("inf", None, "money_not_finite"),
    ("-Infinity", None, "money_not_finite"),
    ("NaN", None, "money_not_finite"),
    ("-12.5", None, "money_negative"),
    ("1e12", None, "money_implausible"),
    (str(MAX_AMOUNT), None, "money_implausible"),
    ("9999999.99", 9999999.99, None),
    ("abc", None, "money_unparseable"),
    ("1.2.3", None, "money_unparseable"),
    ("", None, None),
    (None, None, None),
    ("9802.34", 9802.34, None),  # as most are written: plain
    ("0012.50", 12.5, None),
]


@pytest.mark.parametrize(("raw", "amount", "check"), MONEY_FIXES)
def test_money_table(raw: str | None, amount: float | None, check: str | None) -> None:
    out = pl.DataFrame({"v": [raw]}, schema={"v": pl.String}).select(
        parse_money(pl.col("v")).alias("a"), money_check(pl.col("v")).alias("c"))
    assert out.row(0) == (amount, check)
    given = pl.DataFrame({"v": [raw]}, schema={"v": pl.String}).with_columns(
        n=number(pl.col("v"))).select(  # the number computed once, as ingest does
        parse_money(pl.col("v"), pl.col("n")).alias("a"),
        money_check(pl.col("v"), pl.col("n")).alias("c"))
    assert given.row(0) == (amount, check)


def test_money_in_one_frame_as_one_by_one() -> None:
    """Plain amounts and the others in one column (only the others are cleaned up)."""
    raw, amounts, checks = (list(c) for c in zip(*MONEY_FIXES, strict=True))
    out = pl.DataFrame({"v": raw}, schema={"v": pl.String}).with_columns(
        n=number(pl.col("v"))).select(
        parse_money(pl.col("v"), pl.col("n")).alias("a"),
        money_check(pl.col("v"), pl.col("n")).alias("c"))
    assert out["a"].to_list() == amounts
    assert out["c"].to_list() == checks


ROUNDED = "410103196810314000"  # what Excel leaves of 41010319681031xxxx; checksum passes


@pytest.mark.parametrize(
    ("raw", "id_number", "valid", "check"),
    [
        (ROUNDED, ROUNDED, False, "id_excel_rounded"),
        ("000000199001011234", None, False, "id_region"),
        ("990103199001011230", "990103199001011230", False, "id_region"),
        ("000000000000000000", None, False, "id_region"),
        ("110105-19491231-002X", "11010519491231002X", True, None),
        ("110105—19491231—002x", "11010519491231002X", True, None),
        ("1101\u200b0519491231\u200d002X\ufeff", "11010519491231002X", True, None),
        ("'11010519491231002X", "11010519491231002X", True, None),
        ('="11010519491231002X"', "11010519491231002X", True, None),
    ],
)
def test_id_fixes_table(raw: str, id_number: str | None, valid: bool, check: str | None) -> None:
    assert id_check_char(ROUNDED[:17]) == ROUNDED[17]
    frame = pl.DataFrame({"id_raw": [raw]})
    row = normalise_ids(frame, "id_raw", today=AS_OF).row(0, named=True)
    assert (row["id_number"], row["id_valid"], row["id_check"]) == (id_number, valid, check)
    if not valid:
        assert (row["id_sex"], row["id_birth_date"]) == (None, None)


NAME_FIXES = [
    ("张\u200b伟", "张伟", "zhangwei"),
    ("\ufeff张伟\u200d", "张伟", "zhangwei"),
    ("李\u00ad四", "李四", "lisi"),
    ("王\u202e五", "王五", "wangwu"),
    ("葛\ufe00优", "葛优", "geyou"),
    ("单田芳", "单田芳", "shantianfang"),
    ("曾伟", "曾伟", "zengwei"),
    ("解晓东", "解晓东", "xiexiaodong"),
    ("区志明", "区志明", "ouzhiming"),
    ("仇英", "仇英", "qiuying"),
    ("查良镛", "查良镛", "zhaliangyong"),
    ("朴树", "朴树", "piaoshu"),
    ("覃静", "覃静", "qinjing"),
    ("翟志刚", "翟志刚", "zhaizhigang"),
    ("缪斯", "缪斯", "miaosi"),
    ("单于雄", "单于雄", "chanyuxiong"),
    ("曾", "曾", "zeng"),
    ("简单", "简单", "jiandan"),  # not a surname where it is not first
    ("𠀀豆", "𠀀豆", "hedou"),  # CJK extension B
    ("陈𪚥", "陈𪚥", "chenzhe"),
    ("R¸", "Ŗ", "r"),  # NFKC splits the cedilla off a space; dropping the space composes it
]


@pytest.mark.parametrize(("raw", "name", "pinyin"), NAME_FIXES)
def test_name_fixes_table(raw: str, name: str, pinyin: str) -> None:
    row = normalise_names(pl.DataFrame({"name_raw": [raw]})).row(0, named=True)
    assert (row["name"], row["name_pinyin"]) == (name, pinyin)


def test_name_fixes_in_one_frame_as_one_by_one() -> None:
    """Surnames fixed among other names (the fix is worked out for some rows only)."""
    raw, names, pinyin = (list(c) for c in zip(*NAME_FIXES, strict=True))
    out = normalise_names(pl.DataFrame({"name_raw": [*raw, None, "王五"]}))
    assert out["name"].to_list() == [*names, None, "王五"]
    assert out["name_pinyin"].to_list() == [*pinyin, None, "wangwu"]
