"""The privacy scan finds every unmasked identity number and nothing else."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from pipelines.privacy import event_log_ids, find_ids, frame_ids, object_ids, path_ids

ID = "110105194912310021"

CASES = [
    # (text, findings)
    (f"row 3: 张三 {ID}", ["110105********0021"]),
    (f"张三{ID}李四", ["110105********0021"]),  # glued to Chinese
    ("11010519491231002X and 11010519491231002x", ["110105********002X",
                                                   "110105********002x"]),
    ("110105491231002", ["110105*****1002"]),  # the old 15-digit number
    ("１１０１０５１９４９１２３１００２１", ["110105********0021"]),  # full-width digits
    ("110105 19491231 0021", ["110105********0021"]),  # written 6-8-4
    ("110105********0021", []),  # masked
    ("4.11421E+17", []),  # Excel's float display
    ("12345678901234567890", []),  # 20 digits: not an ID
    ("1101051949123100", []),  # 16 digits
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", []),  # a hash
    ("run 0b1e5f7a-1234-4abc-8def-123456789012", []),  # a uuid
    ("sha 110105194912310021123456789012345678901234567890abcdef", []),  # digits in hex
    ("", []),
]


@pytest.mark.parametrize(("text", "found"), CASES)
def test_find_ids(text: str, found: list[str]) -> None:
    assert find_ids(text) == found


def test_frame_ids_scans_cells_and_headers_and_can_skip_a_column() -> None:
    frame = pl.DataFrame({"id_number": [ID, None], "note": ["ok", f"see {ID}"],
                          "n": [1, 2], f"列{ID}": ["a", "b"]})
    assert frame_ids(frame) == ["(header): 110105********0021", "id_number: 110105********0021",
                                "note: 110105********0021"]
    assert frame_ids(frame, skip=["id_number"]) == [
        "(header): 110105********0021", "note: 110105********0021"]


def test_path_ids_reads_files_sqlite_and_names(tmp_path: Path) -> None:
    (tmp_path / "clean.log").write_text("nothing here 110105********0021\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "utf16.txt").write_bytes(f"id {ID}".encode("utf-16-le"))
    (tmp_path / f"名单{ID}.txt").write_text("x", encoding="utf-8")
    db = sqlite3.connect(tmp_path / "events.db")
    db.execute("create table e (body text)")
    db.execute("insert into e values (?)", (f'{{"message": "failed on {ID}"}}',))
    db.commit()
    db.close()
    found = path_ids(tmp_path)
    assert "(name) 110105********0021" in found
    assert "events.db: 110105********0021" in found
    assert "sub/utf16.txt: 110105********0021" in found
    assert not [f for f in found if f.startswith("clean.log")]
    assert path_ids(tmp_path, suffixes=(".log",)) == ["(name) 110105********0021"]


def test_object_and_event_log_scans_read_reprs() -> None:
    class Entry:
        def __init__(self, message: str) -> None:
            self.message = message

        def __repr__(self) -> str:
            return f"Entry(message={self.message!r})"

    class Run:
        run_id, tags, run_config = "r1", {"sanji/trigger": "cli"}, {}

    class Instance:
        def get_runs(self):
            return [Run()]

        def all_logs(self, run_id: str):
            return [Entry("ok"), Entry(f"bad {ID}")]

    assert object_ids([Entry(ID), Entry("fine")]) == ["110105********0021"]
    assert event_log_ids(Instance()) == ["110105********0021"]
