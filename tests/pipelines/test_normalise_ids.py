"""Identity numbers: cleaning, 15→18, checksum, Excel damage, derived fields, masking."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipelines.domain.identity import id_check_char, mask_id, mask_ids_in_text
from pipelines.normalise.ids import PROVINCES, normalise_ids

TODAY = dt.date(2026, 1, 1)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(PROVINCES)) + draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    birth = draw(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)))
    seq = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    id18 = first17 + id_check_char(first17)
    assume(not id18.endswith("000"))  # indistinguishable from an Excel-rounded number
    return id18


def run(values: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame({"id_raw": values}, schema={"id_raw": pl.String})
    return normalise_ids(frame, "id_raw", today=TODAY)


def noisy(id18: str, data: st.DataObject) -> str:
    """The same ID with formatting noise: spaces, full-width digits, lower-case x."""
    out = []
    for ch in id18:
        if data.draw(st.booleans()):
            ch = chr(0xFF10 + int(ch)) if ch.isdigit() else "ｘ"
        elif ch == "X" and data.draw(st.booleans()):
            ch = "x"
        out.append(ch + data.draw(st.sampled_from(["", "", " ", "\u3000"])))
    return data.draw(st.sampled_from(["", " ", "\t"])) + "".join(out) + " "


@settings(max_examples=150, deadline=None)
@given(valid_ids(), st.data())
def test_valid_id_survives_formatting_noise(id18: str, data: st.DataObject) -> None:
    row = run([noisy(id18, data)]).row(0, named=True)
    assert row["id_number"] == id18
    assert row["id_valid"] is True
    assert row["id_check"] is None


@settings(max_examples=40, deadline=None)
@given(valid_ids())
def test_every_one_digit_substitution_and_adjacent_swap_fails(id18: str) -> None:
    variants = []
    for i in range(17):
        variants += [id18[:i] + d + id18[i + 1:] for d in "0123456789" if d != id18[i]]
    for i in range(17):
        a, b = id18[i], id18[i + 1]
        if a != b and (a + b).isdigit():
            variants.append(id18[:i] + b + a + id18[i + 2:])
    out = run(variants)
    assert not out["id_valid"].any()
    # a wrong digit keeps the number (for the linker), flagged, unless it made the region
    # 000000, which is read as a placeholder
    placeholder = out["id_raw"].str.starts_with("000000")
    assert out.filter(~placeholder)["id_number"].is_not_null().all()
    assert out.filter(placeholder)["id_number"].is_null().all()
    assert set(out["id_check"].to_list()) <= {"id_checksum", "id_birth_date", "id_region",
                                              "id_excel_rounded"}


def test_check_char_known_value() -> None:
    assert id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("raw", "id_number", "valid", "check"),
    [
        ("11010519491231002X", "11010519491231002X", True, None),
        ("110105491231002", "11010519491231002X", True, None),
        ("110105194912310021", "110105194912310021", False, "id_checksum"),
        ("4.11421E+17", None, False, "id_excel_scientific"),
        ("411421199001011234.0", None, False, "id_excel_scientific"),
        ("", None, False, "id_missing"),
        (None, None, False, "id_missing"),
        ("1101051949123", None, False, "id_length"),
        ("11010519491231002Y", None, False, "id_format"),
        ("110105199902300019", "110105199902300019", False, "id_birth_date"),
    ],
)
def test_id_table(raw: str | None, id_number: str | None, valid: bool,
                  check: str | None) -> None:
    row = run([raw]).row(0, named=True)
    assert (row["id_number"], row["id_valid"], row["id_check"]) == (id_number, valid, check)


def test_old_15_digit_number_of_someone_over_105_is_in_doubt() -> None:
    """110105091231002 reads as born 1909 (116 in 2026): more likely a 2009 birth written in
    the old form, so the number is kept but not trusted, and gives no birth date."""
    old = "1101051909123100" + "2"
    young = "1101051921123100" + "2"
    out = run(["110105091231002", "110105211231002"])
    assert out["id_check"].to_list() == ["id_15_century", None]
    assert out["id_valid"].to_list() == [False, True]
    assert out["id_number"].to_list() == [old + id_check_char(old), young + id_check_char(young)]
    assert out["id_birth_date"].to_list() == [None, dt.date(1921, 12, 31)]


def test_birth_date_and_sex_from_valid_id_only() -> None:
    out = run(["11010519491231002X", "110105194912310011", "110105194912310021"])
    assert out["id_birth_date"].to_list() == [dt.date(1949, 12, 31), dt.date(1949, 12, 31), None]
    assert out["id_sex"].to_list() == ["女", "男", None]


def test_mask_id_str_and_expr() -> None:
    assert mask_id("41010319900101123X") == "410103********123X"
    assert mask_id("12345") == "*****"
    assert mask_id(None) is None
    frame = pl.DataFrame({"v": ["41010319900101123X", "123", None]})
    masked = frame.select(mask_id(pl.col("v")))["v"].to_list()
    assert masked == ["410103********123X", "***", None]


def test_mask_ids_in_text_str_and_expr() -> None:
    text = "headers ['张三', '41010319900101123X', '男'] 410103900101123 4.11421E+17 12345"
    assert mask_ids_in_text(text) == (
        "headers ['张三', '410103********123X', '男'] 410103*****1123 4.11421E+17 12345"
    )
    assert mask_ids_in_text(None) is None
    frame = pl.DataFrame({"v": ["号41010319900101123X号", "张三", None, "4.11421E+17"]})
    masked = frame.select(mask_ids_in_text(pl.col("v")))["v"].to_list()
    assert masked == ["号410103********123X号", "张三", None, "4.11421E+17"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("行 410103 19900307 123X 行", "行 410103********123X 行"),
        ("410103-19900307-123x", "410103********123x"),
        ("\uff14\uff11\uff10\uff11\uff10\uff13\uff11\uff19\uff19\uff10\uff10\uff13"
         "\uff10\uff17\uff11\uff12\uff13\uff38", "410103********123X"),
        ("电话 13800138000 金额 4.11421E+17", "电话 13800138000 金额 4.11421E+17"),
    ],
)
def test_mask_ids_in_text_catches_dirty_forms(text: str, expected: str) -> None:
    assert mask_ids_in_text(text) == expected


def test_one_masker_everywhere() -> None:
    from pipelines.link import ids as link_ids
    from schemas import published

    assert link_ids.mask_id is mask_id
    assert published._mask is mask_ids_in_text
