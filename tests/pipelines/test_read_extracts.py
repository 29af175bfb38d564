"""Recognising extracts from headers, header synonyms, the steward mapping and pins."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.extracts import HeaderMapping, mapped_frame, normalise_header, recognise
from pipelines.read import Grid


def grid(rows: list[list[str | None]], source_file: str = "x.csv", sheet: str = "") -> Grid:
    """A text grid from rows (first row is row 1)."""
    width = max(len(r) for r in rows)
    cols = {f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(width)}
    frame = pl.DataFrame(cols, schema={c: pl.String for c in cols}).with_row_index(
        "row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))
    return Grid(source_file, sheet, "utf-8", "0" * 64, frame)


@pytest.mark.parametrize(
    ("header", "expected"),
    [(" 身份证号 ", "身份证号"), ("身份证\n号码", "身份证号码"), ("乡（镇）", "乡(镇)"),
     ("村 (社区)", "村(社区)"), ("*姓名", "姓名"), (None, "")],
)
def test_normalise_header(header: str | None, expected: str) -> None:
    assert normalise_header(header) == expected


@pytest.mark.parametrize(
    ("headers", "sheet", "extract"),
    [
        (["户号", "姓名", "公民身份号码", "与户主关系", "人员类型"], "", "poverty_roster"),
        (["人员姓名", "证件号码", "签约时间", "签约团队"], "", "doctor_contract"),
        (["姓名", "身份证号", "慢病类型", "随访时间"], "", "chronic_followup"),
        (["患者姓名", "身份证号码", "大病病种", "救治状态"], "", "illness_ledger"),
        (["救助对象姓名", "身份证号", "救助类别", "状态"], "", "assistance"),
        (["死者姓名", "身份证号", "死亡时间"], "", "death"),
        (["参保人姓名", "身份证号", "缴费状态"], "", "enrolment"),
        (["姓名", "身份证号", "入院日期", "总费用"], "", "settlement"),
        (["区划代码", "名称", "级别", "上级代码", "曾用名"], "", "regions"),
    ],
)
def test_extract_recognised_from_headers(headers: list[str], sheet: str, extract: str) -> None:
    rec = recognise(grid([headers, ["x"] * len(headers)], "随便起的名字.csv", sheet))
    assert rec.extract == extract
    assert rec.header_row == 1


def test_header_row_found_below_title_rows() -> None:
    rows = [["某县家庭医生签约名单", None, None], [None, None, None],
            ["姓名", "身份证号", "签约日期"], ["甲", "1", "2020-01-05"]]
    rec = recognise(grid(rows, "a.xlsx", "Sheet1"))
    assert (rec.extract, rec.header_row) == ("doctor_contract", 3)
    mapped = mapped_frame(rec)
    assert mapped["row_number"].to_list() == [4]
    assert mapped.select("name", "id_number", "contract_date").row(0) == ("甲", "1", "2020-01-05")
    assert mapped["village"].to_list() == [None]


def test_unknown_required_header_error_names_file_sheet_headers_and_closest() -> None:
    rows = [["姓名", "身份正号", "签约日期"], ["甲", "1", "2020-01-05"]]
    with pytest.raises(ValueError, match="missing required") as err:
        recognise(grid(rows, "签约.xlsx", "名单"))
    text = str(err.value)
    for part in ("签约.xlsx", "名单", "id_number", "身份正号", "身份证号", "sanji_mapping.yaml"):
        assert part in text


def test_unrecognised_file_error_names_file_and_headers() -> None:
    with pytest.raises(ValueError, match="no extract recognised") as err:
        recognise(grid([["编号", "姓名", "备注"], ["1", "甲", "x"]], "杂项.csv"))
    assert "杂项.csv" in str(err.value)
    assert "备注" in str(err.value)


def test_mapping_yaml_adds_variants_and_pins(tmp_path: Path) -> None:
    path = tmp_path / "sanji_mapping.yaml"
    path.write_text(
        "doctor_contract:\n  id_number: [身份正号]\n  contract_date: 建档签约日\n"
        "pin:\n  \"签约*.xlsx#名*\": doctor_contract\n",
        encoding="utf-8",
    )
    mapping = HeaderMapping.from_yaml(path)
    rows = [["姓名", "身份正号", "建档签约日"], ["甲", "1", "2020-01-05"]]
    rec = recognise(grid(rows, "签约.xlsx", "名单"), mapping)
    assert rec.extract == "doctor_contract"
    assert set(rec.columns.values()) == {"name", "id_number", "contract_date"}
    assert mapping.pinned("签约1.xlsx", "名单") == "doctor_contract"
    assert mapping.pinned("签约1.xlsx", "其他") is None


def test_pin_overrides_recognition() -> None:
    mapping = HeaderMapping(pin={"deaths*.csv": "death"})
    rows = [["姓名", "身份证号", "死亡日期", "入院日期"], ["甲", "1", "2020-01-05", ""]]
    assert recognise(grid(rows, "deaths_2024.csv"), mapping).extract == "death"


def test_mapping_yaml_rejects_unknown_extract_and_field(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("nonsense:\n  name: [x]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown extract 'nonsense'"):
        HeaderMapping.from_yaml(path)
    path.write_text("death:\n  nickname: [x]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no field 'nickname'"):
        HeaderMapping.from_yaml(path)


FULL_ID = "41010319900101123X"


def test_grid_of_data_rows_only_has_no_header_and_no_id_in_error() -> None:
    rows = [["张三", FULL_ID, "男"], ["李四", "410103199202021234", "女"]]
    with pytest.raises(ValueError, match="no header row found") as err:
        recognise(grid(rows, "名单.csv"))
    text = str(err.value)
    assert "名单.csv" in text
    assert FULL_ID not in text and "410103199202021234" not in text
    assert "张三" not in text  # a data row is never shown as if it were the header


def test_error_messages_mask_ids_written_in_headers() -> None:
    rows = [["姓名", f"身份证{FULL_ID}", "签约日期"], ["甲", "1", "2020-01-05"]]
    with pytest.raises(ValueError, match="missing required") as err:
        recognise(grid(rows, "签约.csv"))
    assert FULL_ID not in str(err.value)
    assert "410103********123X" in str(err.value)
    with pytest.raises(ValueError, match="no extract recognised") as err:
        recognise(grid([["姓名", "备注"], ["甲", FULL_ID]], f"{FULL_ID}.csv"))
    assert FULL_ID not in str(err.value)
    assert "410103********123X.csv" in str(err.value)
