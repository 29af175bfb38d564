"""Workbooks parsed on a thread while the text files after them are read: the landing reads
as it does one file after the other (same grids, same files set aside, the same first error)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

import pipelines.read as read
from pipelines.read import read_landing, shown_names
from pipelines.read.grid import Grid, Unreadable

ID = "11010519491231002X"


def _workbook(rows: int = 30, sheets: int = 2) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    for s in range(sheets):
        ws = wb.add_worksheet(f"表{s}")
        for c, h in enumerate(["姓名", "身份证号"]):
            ws.write_string(0, c, h)
        for r in range(1, rows):
            ws.write_string(r, 0, f"人{s}{r}")
            ws.write_string(r, 1, ID)
    wb.close()
    return out.getvalue()


def _csv(rows: int = 20) -> bytes:
    return ("姓名,身份证号\n" + "".join(f"人{r},{ID}\n" for r in range(rows))).encode()


def _empty_workbook() -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.add_worksheet("空")
    wb.close()
    return out.getvalue()


FOLDERS = [
    {"description": "text files around two workbooks", "files": {
        "a.csv": _csv(), "b.xlsx": _workbook(), "c.csv": _csv(5), "d.xlsx": _workbook(9, 3),
        "e.txt": _csv(3)}},
    {"description": "a damaged and an empty workbook", "files": {
        "a.xlsx": b"PK\x03\x04 damaged", "b.xlsx": _empty_workbook(), "c.csv": _csv()}},
    {"description": "a workbook's copy is read once", "files": {
        "a.xlsx": _workbook(), "b.xlsx": _workbook(), "c.csv": _csv()}},
    {"description": "only text", "files": {"a.csv": _csv(), "b.csv": _csv(3)}},
    {"description": "an empty text file", "files": {"a.csv": b"", "b.xlsx": _workbook()}},
]


def _one_after_the_other(landing: Path) -> tuple[list[Grid], list[Unreadable]]:
    """The landing read without a thread, file by file (the reference)."""
    grids, unreadable, first_of = [], [], {}
    paths = read.landing_files(landing)
    for path, name in zip(paths, shown_names(paths), strict=True):
        found = read._read_one(path, name, first_of)
        if isinstance(found, Unreadable):
            unreadable.append(found)
        else:
            grids.extend(found)
    return grids, unreadable


def _key(grids: list[Grid]) -> list[tuple]:
    return [(g.source_file, g.sheet, g.encoding, g.sha256, g.hidden, g.frame.rows())
            for g in grids]


@pytest.mark.parametrize("case", FOLDERS, ids=[c["description"] for c in FOLDERS])
def test_the_landing_reads_as_one_file_after_the_other(tmp_path: Path, case: dict) -> None:
    for name, data in case["files"].items():
        (tmp_path / name).write_bytes(data)
    grids, unreadable = read_landing(tmp_path)
    ref_grids, ref_unreadable = _one_after_the_other(tmp_path)
    assert _key(grids) == _key(ref_grids)
    assert unreadable == ref_unreadable
    assert grids or unreadable


def _failing(message: str) -> Callable[..., list]:
    def fail(*args: object, **kwargs: object) -> list:
        raise RuntimeError(message)
    return fail


@pytest.mark.parametrize(("first", "second", "raised"), [
    ("a.xlsx", "b.csv", "workbook defect"),
    ("a.csv", "b.xlsx", "text defect"),
], ids=["a workbook's error before a later text file's", "a text file's before a workbook's"])
def test_the_first_files_error_by_name_is_raised(tmp_path: Path, monkeypatch, first: str,
                                                  second: str, raised: str) -> None:
    """The error raised is the first file's by name, as reading one file after the other
    raises it, though the file after it was read meanwhile."""
    for name in (first, second):
        (tmp_path / name).write_bytes(_workbook() if name.endswith(".xlsx") else _csv())
    monkeypatch.setattr(read, "workbook_grids", _failing("workbook defect"))
    monkeypatch.setattr(read, "text_grid", _failing("text defect"))
    with pytest.raises(RuntimeError, match=raised):
        read_landing(tmp_path)


def test_a_workbook_is_parsed_while_the_text_files_before_it_are(tmp_path: Path,
                                                                  monkeypatch) -> None:
    """The workbook starts first, whatever the names' order: a text file named before it
    is parsed only once the workbook's parse is under way (read one after the other, the
    text file would wait for ever), and the grids still come in name order."""
    (tmp_path / "a.csv").write_bytes(_csv())
    (tmp_path / "b.xlsx").write_bytes(_workbook())
    started = threading.Event()
    parse_workbook, parse_text = read.workbook_grids, read.text_grid

    def workbook(*args: object, **kwargs: object) -> list:
        started.set()
        return parse_workbook(*args, **kwargs)

    def text(*args: object, **kwargs: object) -> Grid:
        assert started.wait(timeout=10), "the text file was parsed before the workbook began"
        return parse_text(*args, **kwargs)

    monkeypatch.setattr(read, "workbook_grids", workbook)
    monkeypatch.setattr(read, "text_grid", text)
    grids, unreadable = read_landing(tmp_path)
    assert [(g.source_file, g.sheet) for g in grids] == [
        ("a.csv", ""), ("b.xlsx", "表0"), ("b.xlsx", "表1")]
    assert unreadable == []
