"""Inbox files are placed in a month by name or content, or reported; the outbox name."""

import os
from pathlib import Path

from pipelines.exchange.inbox import (
    inbox_files,
    returned_file,
    unplaced_files,
    unplaced_hint,
    workbook_name,
)

HEADER = "个人编号,疾病名称,救治状态\n"


def test_inbox_files_are_placed_by_name_or_content_or_reported(tmp_path):
    (tmp_path / "回传_2026-09.csv").write_text(HEADER, encoding="utf-8")
    (tmp_path / "回传.csv").write_text("统计月份,2026年10月\n" + HEADER, encoding="utf-8")
    (tmp_path / "无月份.csv").write_text(HEADER, encoding="utf-8")
    (tmp_path / "~$回传_2026-10.xlsx").write_bytes(b"lock")
    assert returned_file(tmp_path, "2026-09") == tmp_path / "回传_2026-09.csv"
    assert returned_file(tmp_path, "2026-10") == tmp_path / "回传.csv"
    assert returned_file(tmp_path, "2026-08") is None
    assert unplaced_files(tmp_path) == ["无月份.csv"]
    assert "~$回传_2026-10.xlsx" not in {p.name for p in inbox_files(tmp_path)}
    assert "回传_2026-10.xlsx" in unplaced_hint("2026-10")


def test_the_newest_file_for_a_month_wins(tmp_path):
    old, new = tmp_path / "回传_2026-10.csv", tmp_path / "回传_202610_更正.csv"
    old.write_text(HEADER, encoding="utf-8")
    new.write_text(HEADER, encoding="utf-8")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    assert returned_file(tmp_path, "2026-10") == new


def test_workbook_name_and_a_missing_inbox():
    assert workbook_name("2026-10") == "大病救治病例_2026-10.xlsx"
    assert inbox_files(Path("/nonexistent-sanji-inbox")) == []


def test_a_renamed_work_list_is_known_by_its_header_not_taken_as_the_office_s(tmp_path):
    import xlsxwriter

    renamed = tmp_path / "城关镇10月核实_2026-10.xlsx"  # the clerk's own name: no 问题清单
    with xlsxwriter.Workbook(str(renamed)) as book:
        sheet = book.add_worksheet("城关镇")
        sheet.write_row(0, 0, ["2026年10月 城关镇 问题清单"])
        sheet.write_row(2, 0, ["问题编号", "村", "姓名", "核实结果", "说明", "核实人", "核实日期"])
        sheet.write_row(3, 0, ["C0123456789a", "东关村", "张三", "属实已整改", "", "李干事", ""])
    office = tmp_path / "回传_2026-10.csv"
    office.write_text(HEADER, encoding="utf-8")
    assert inbox_files(tmp_path, "worklist") == [renamed]
    assert inbox_files(tmp_path) == [office]  # the office's sensor leaves the list alone
    assert returned_file(tmp_path, "2026-10") == office
