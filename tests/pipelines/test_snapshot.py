"""A month's landing: hashed, archived once under its hash, rebuilt exactly; its month told by
the files, never by the wall clock alone."""

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import xlsxwriter

from pipelines.landing import list_landing
from pipelines.snapshot import (
    ArchiveMissing,
    landing_month,
    month_in_rows,
    named_month,
    restore,
    take_snapshot,
)


def _landing(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "参保名单_202610.csv").write_text("姓名\n张三\n", encoding="utf-8")
    (landing / "死亡名单.csv").write_text("姓名,死亡日期\n李四,2026-09-15\n", encoding="utf-8")
    (landing / "decisions.csv").write_text("记录A,记录B,决定\nK1,K2,否\n", encoding="utf-8")
    (landing / "_草稿.csv").write_text("x\n", encoding="utf-8")
    return landing


def test_a_snapshot_names_every_read_file_and_archives_each_once(tmp_path):
    landing, archive = _landing(tmp_path), tmp_path / "archive"
    snap, copied = take_snapshot(list_landing(landing), archive)
    assert snap["file_name"].to_list() == ["decisions.csv", "参保名单_202610.csv", "死亡名单.csv"]
    assert snap["kind"].to_list() == ["steward", "data", "data"]
    assert snap["named_month"].to_list() == [None, "2026-10", None]  # a death date is no month
    assert copied == 3 and len(list(archive.rglob("*.csv"))) == 3
    again, copied = take_snapshot(list_landing(landing), archive)
    assert copied == 0 and again["sha256"].equals(snap["sha256"])


def test_a_month_is_restored_from_its_own_bytes_whatever_the_landing_holds_now(tmp_path):
    landing, archive = _landing(tmp_path), tmp_path / "archive"
    snap, _ = take_snapshot(list_landing(landing), archive)
    (landing / "死亡名单.csv").write_text("姓名,死亡日期\n王五,2026-11-01\n", encoding="utf-8")
    (landing / "参保名单_202610.csv").unlink()
    restored = restore(snap, archive, tmp_path / "october")
    assert sorted(p.name for p in restored.iterdir()) == sorted(snap["file_name"])
    assert "李四" in (restored / "死亡名单.csv").read_text(encoding="utf-8")
    (next(archive.rglob("*.csv"))).unlink()
    with pytest.raises(ArchiveMissing, match="not in the archive"):
        restore(snap, archive, tmp_path / "again")


def test_the_month_a_file_names_in_its_name_title_label_or_sheet(tmp_path):
    assert named_month(_write(tmp_path, "扶贫办_防返贫监测名单_202610.csv", "a\n")) == "2026-10"
    assert named_month(_write(tmp_path, "台账_2026年9月.csv", "a\n")) == "2026-09"
    titled = _write(tmp_path, "参保.csv", "清河县参保名单（截至2026年10月）,,\n姓名,证件号码,日期\n"
                    "张三,1,2026-11-02\n")
    assert named_month(titled) == "2026-10"
    assert named_month(_write(tmp_path, "导出_2026-11-03.csv", "统计月份,2026-10\n")) == "2026-10"
    assert named_month(_write(tmp_path, "随访.csv", "姓名,随访日期\n张三,2026-11-02\n")) is None
    book = tmp_path / "三项台账.xlsx"
    with xlsxwriter.Workbook(str(book)) as wb:
        wb.add_worksheet("2026年08月").write_row(0, 0, ["姓名", "签约日期"])
    assert named_month(book) == "2026-08"
    assert month_in_rows([["", "报送月份：2026年7月", ""]]) == "2026-07"


def _write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_landings_month_is_the_latest_named_else_when_the_newest_file_was_written():
    assert landing_month({"a.csv": "2026-09", "b.csv": "2026-10", "c.csv": None}, {}) == (
        "2026-10", "named")
    late = datetime(2026, 10, 31, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    assert landing_month({"a.csv": None}, {"a.csv": late - 86400 * 40, "b.csv": late}) == (
        "2026-10", "modified")  # 23:30 in Shanghai is still October (15:30 UTC)
    with pytest.raises(ValueError, match="no data files"):
        landing_month({}, {})


def test_a_file_changing_while_it_is_archived_is_refused(tmp_path, monkeypatch):
    import pipelines.snapshot as snapshot

    landing, archive = _landing(tmp_path), tmp_path / "archive"
    monkeypatch.setattr(snapshot, "sha256_file", lambda path: "0" * 64)
    with pytest.raises(ValueError, match="changed while it was archived"):
        take_snapshot(list_landing(landing), archive)
    assert not [p for p in archive.rglob("*") if p.is_file()]
    assert os.listdir(landing)  # the landing is never touched
