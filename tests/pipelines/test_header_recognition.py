"""Header recognition, table-driven: built-in and steward words, the fallback and its refusals."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.extracts import HeaderMapping, mapped_frame, recognise, recognition_frame
from pipelines.read import Grid

ROSTER = ["户编号", "姓名", "与户主关系", "身份证号"]
NO_ID = ["户编号", "姓名", "与户主关系"]
CONTRACT = ["姓名", "身份证号"]
SETTLE = ["姓名", "身份证号", "入院日期"]


def grid(headers: list[str], rows: list[list[str | None]] | None = None,
         source_file: str = "x.csv", sheet: str = "") -> Grid:
    """A text grid: the header row, then the rows (default one row of x)."""
    body = rows if rows is not None else [["x"] * len(headers)]
    cols = {f"c{i}": [r[i] if i < len(r) else None for r in [headers, *body]]
            for i in range(len(headers))}
    frame = pl.DataFrame(cols, schema={c: pl.String for c in cols}).with_row_index(
        "row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))
    return Grid(source_file, sheet, "utf-8", "0" * 64, frame)


def decided(headers: list[str], mapping: HeaderMapping | None = None) -> dict[str, tuple]:
    """header -> (field, how) for every header of the recognised grid."""
    rec = recognise(grid(headers), mapping)
    return {d.header: (d.field, d.how) for d in rec.decisions if d.header}


@pytest.mark.parametrize(
    ("description", "headers", "header", "expected"),
    [
        ("built-in word", [*NO_ID, "公民身份号码"], "公民身份号码", ("id_number", "builtin")),
        ("(元) and spaces dropped", [*SETTLE, " 住院总费用（元） "], " 住院总费用（元） ",
         ("total_cost", "builtin")),
        ("known, not read", [*ROSTER, "人编号"], "人编号", (None, "unused")),
        ("containment of a word", [*NO_ID, "成员身份证(新)"], "成员身份证(新)",
         ("id_number", "inferred")),
        ("role: subject 患者", ["户编号", "与户主关系", "患者姓名(全称)", "身份证号"],
         "患者姓名(全称)", ("name", "inferred")),
        ("role: head gives head_name", [*ROSTER, "户主的姓名"], "户主的姓名",
         ("head_name", "inferred")),
        ("role: head's ID is not the row's", [*ROSTER, "户主公民身份证"], "户主公民身份证",
         (None, "unmapped")),
        ("role: other party", [*ROSTER, "监护人身份证件号"], "监护人身份证件号",
         (None, "unmapped")),
        ("money: most specific qualifier", [*SETTLE, "医疗总费用", "统筹基金大病支付"],
         "统筹基金大病支付", ("critical_insurance", "inferred")),
        ("money: total", [*SETTLE, "住院医疗费用总计(元)"], "住院医疗费用总计(元)",
         ("total_cost", "inferred")),
        ("money of a kind not read", [*SETTLE, "医疗总费用", "个人账户支付金额"],
         "个人账户支付金额", (None, "unmapped")),
        ("money: 先行自付 is self pay, not out of pocket", [*SETTLE, "医疗总费用", "先行自付费用"],
         "先行自付费用", (None, "unmapped")),
        ("money: a ratio is not money", [*SETTLE, "医疗总费用", "自付比例"], "自付比例",
         (None, "unmapped")),
        ("date by its stem", [*CONTRACT, "签约日期", "签约解除日期x"], "签约解除日期x",
         (None, "unmapped")),
        ("date stem names one field", ["姓名", "身份证号", "签约确认日期"], "签约确认日期",
         ("contract_date", "inferred")),
        ("date stem names two fields", [*SETTLE, "医疗总费用", "出入院日期"], "出入院日期",
         (None, "unmapped")),
        ("a subject role before an ID word is only the role", ["签约居民", "签约居民身份证号",
                                                                "签约日期"],
         "签约居民身份证号", ("id_number", "inferred")),
        ("a planned date is not the event", ["姓名", "身份证号", "疾病类型", "随访日期",
                                             "下次随访日期(预约)"], "下次随访日期(预约)",
         (None, "unmapped")),
        ("money: 救助 before 报销金额", [*SETTLE, "医疗总费用", "医疗救助报销金额"],
         "医疗救助报销金额", ("medical_assistance", "inferred")),
        ("a facility is no place", [*CONTRACT, "签约日期", "乡镇卫生院名称"], "乡镇卫生院名称",
         (None, "unmapped")),
        ("a field already read", [*ROSTER, "成员身份证(新)"], "成员身份证(新)",
         (None, "unmapped")),
        ("data is no header", [*ROSTER, "身份证410103199001011234"], "身份证410103199001011234",
         (None, "unmapped")),
        ("second column of a field", [*ROSTER, "证件号码"], "证件号码",
         (None, "duplicate")),
        ("list field: several columns", [*ROSTER, "致贫/返贫风险1", "致贫/返贫风险2"],
         "致贫/返贫风险2",
         ("risk_cause", "builtin")),
    ],
)
def test_header_decisions(description: str, headers: list[str], header: str,
                          expected: tuple) -> None:
    assert decided(headers)[header] == expected, description


def test_two_headers_inferring_one_field_are_both_refused() -> None:
    got = decided([*SETTLE, "医疗总费用", "统筹支付金额(元)", "统筹基金报销额"])
    assert got["统筹支付金额(元)"] == (None, "unmapped")
    assert got["统筹基金报销额"] == (None, "unmapped")


def test_refusals_say_why() -> None:
    rec = recognise(grid([*ROSTER, "户主公民身份证", "监护人身份证件号", "成员身份证(新)"]))
    notes = {d.header: d.note for d in rec.decisions}
    assert "household head" in notes["户主公民身份证"]
    assert "other party (监护人)" in notes["监护人身份证件号"]
    assert "already read from '身份证号'" in notes["成员身份证(新)"]
    rec = recognise(grid([*SETTLE, "医疗总费用", "统筹支付金额(元)", "统筹基金报销额"]))
    assert "ambiguous" in {d.header: d.note for d in rec.decisions}["统筹基金报销额"]


def test_extract_recognised_through_an_inferred_signature() -> None:
    rec = recognise(grid(["姓名", "身份证号", "签约确认日期"]))
    assert (rec.extract, rec.how) == ("doctor_contract", "inferred")


def test_steward_words_pins_and_unused() -> None:
    mapping = HeaderMapping(extra={"poverty_roster": {"id_number": ["身份正号"],
                                                      "unused": ["成员身份证(新)"]}},
                            pin={"*.csv": "poverty_roster"})
    rec = recognise(grid([*NO_ID, "身份正号", "成员身份证(新)"]), mapping)
    got = {d.header: (d.field, d.how) for d in rec.decisions}
    assert got["身份正号"] == ("id_number", "steward")
    assert got["成员身份证(新)"] == (None, "unused")
    assert rec.how == "pinned"
    frame = recognition_frame([rec])
    told = frame.filter(pl.col("column").is_null() & pl.col("field").is_null())
    assert told["note"].to_list() == ["pin '*.csv'"]


def test_list_field_columns_are_joined_and_guards_removed() -> None:
    rows = [["H1", "张三", "户主", "因病", "因残", '="41010319900101123X"'],
            ["H1", "李四", "配偶", None, "因学", "'410103199202021234"]]
    rec = recognise(grid([*NO_ID, "致贫/返贫风险1", "致贫/返贫风险2", "证件号码"], rows))
    mapped = mapped_frame(rec)
    assert mapped["risk_cause"].to_list() == ["因病、因残", "因学"]
    assert mapped["id_number"].to_list() == ["41010319900101123X", "410103199202021234"]


def test_recognition_frame_masks_ids_and_lists_every_header() -> None:
    rec = recognise(grid([*ROSTER, "身份证410103199001011234"]))
    frame = recognition_frame([rec])
    assert frame.height == 1 + 5 + 1  # the extract, five headers, the derived population type
    assert "410103199001011234" not in " ".join(frame["header"].drop_nulls())
    assert set(frame["how"]) == {"builtin", "unmapped", "derived"}


def test_settlement_list_without_an_id_column_is_read_and_says_so() -> None:
    """A hospital's own discharge list (name, sex, hospital, dates, cost) has no ID column:
    it is still a settlement, and the missing column is a reported decision."""
    rec = recognise(grid(["序号", "住院号", "姓名", "性别", "科室", "入院时间", "出院时间",
                          "医院名称", "总费用", "报销金额", "自付金额", "一站式"]))
    assert rec.extract == "settlement"
    absent = [d for d in rec.decisions if d.field == "id_number"]
    assert [(d.how, d.header) for d in absent] == [("absent", "")]
    assert "no identity-number column" in absent[0].note


def test_civil_affairs_destitute_sheet_reads_supply_mode_as_assistance_type() -> None:
    rec = recognise(grid(["序号", "乡镇(街道)", "村(社区)", "姓名", "性别", "身份证号码",
                          "出生日期", "供养方式", "供养标准(元/月)", "认定时间", "人员状态"],
                         sheet="特困"))
    fields = {d.header: (d.field, d.how) for d in rec.decisions if d.header}
    assert rec.extract == "assistance"
    assert fields["供养方式"] == ("assistance_type", "builtin")
    assert fields["认定时间"] == ("start_date", "builtin")
    assert fields["人员状态"] == ("status", "builtin")
    assert fields["供养标准(元/月)"] == (None, "unused")
