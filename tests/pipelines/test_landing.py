"""A landing folder is listed once: data, steward files, and every other entry with a reason."""

import os
from pathlib import Path

import pytest

from pipelines.landing import list_landing
from pipelines.read import landing_files


def _touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_text("x", encoding="utf-8")


def test_every_entry_is_data_steward_or_skipped_with_a_reason(tmp_path):
    names = ["参保.csv", "b.XLSX", "sanji_mapping.yaml", "decisions.csv", "_draft.csv",
             "~$参保.xlsx", ".hidden.csv", "old.xls", "export.txt", "tab.tsv", "readme.md",
             "decisions.xlsx", "wps.et"]
    _touch(tmp_path, *names)
    (tmp_path / "sub").mkdir()
    _touch(tmp_path / "sub", "c.csv")
    landing = list_landing(tmp_path)
    assert [p.name for p in landing.data] == ["b.XLSX", "export.txt", "old.xls", "tab.tsv",
                                              "参保.csv"]
    assert [p.name for p in landing.steward] == ["decisions.csv", "sanji_mapping.yaml"]
    skipped = {s.name: s.reason for s in landing.skipped}
    listed = {p.name for p in landing.data + landing.steward} | set(skipped)
    assert listed == {*names, "sub"}  # nothing silently left out
    assert "draft" in skipped["_draft.csv"] and "rename" in skipped["_draft.csv"]
    assert "lock file" in skipped["~$参保.xlsx"]
    assert "hidden" in skipped[".hidden.csv"]
    assert ".xlsx" in skipped["wps.et"]  # the fix: save it as .xlsx
    assert "decisions.csv" in skipped["decisions.xlsx"]
    assert "folder" in skipped["sub"]
    assert [p.name for p in landing.watched] == [
        "b.XLSX", "decisions.csv", "export.txt", "old.xls", "sanji_mapping.yaml", "tab.tsv",
        "参保.csv"]
    assert landing.file("sanji_mapping.yaml") == tmp_path / "sanji_mapping.yaml"
    assert landing_files(tmp_path) == list(landing.data)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_a_link_out_of_the_folder_is_not_followed(tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("姓名\n张三\n", encoding="utf-8")
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "linked.csv").symlink_to(outside)
    (landing / "real.csv").write_text("姓名\n李四\n", encoding="utf-8")
    (landing / "inside.csv").symlink_to(landing / "real.csv")
    listed = list_landing(landing)
    assert [p.name for p in listed.data] == ["inside.csv", "real.csv"]
    assert [s.name for s in listed.skipped] == ["linked.csv"]
    assert "outside" in listed.skipped[0].reason


def test_a_missing_folder_lists_as_empty(tmp_path):
    landing = list_landing(tmp_path / "nope")
    assert (landing.data, landing.steward, landing.skipped) == ((), (), ())
