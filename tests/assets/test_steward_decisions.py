"""Decisions come from the warehouse and from the steward's decisions.csv; the latest wins."""

import polars as pl
import pytest

from pipelines.link.decisions import (
    DECISION_TABLE,
    all_decisions,
    decision_row,
    read_decisions_csv,
    record_decision,
)
from pipelines.warehouse import Warehouse
from schemas.contract import columns
from schemas.steward import MatchDecision


def test_csv_and_warehouse_decisions_merge(tmp_path):
    wh = Warehouse.from_url(str(tmp_path / "w.duckdb"))
    assert all_decisions(wh, tmp_path) is None
    record_decision(wh, decision_row("K2", "K1", "link", "王芳"))
    record_decision(wh, decision_row("K3", "K4", "link", "王芳"))
    stored = wh.read(DECISION_TABLE)
    assert stored.select("record_key_l", "record_key_r").rows() == [("K1", "K2"), ("K3", "K4")]
    (tmp_path / "decisions.csv").write_text(
        "\ufeff记录A,记录B,决定,决定人\nK1,K2,否,李强\n", encoding="utf-8")
    merged = all_decisions(wh, tmp_path)
    assert merged.columns == columns(MatchDecision)
    assert sorted(merged.select("record_key_l", "record_key_r", "decision").rows()) == [
        ("K1", "K2", "no_link"), ("K3", "K4", "link")]


@pytest.mark.parametrize("header", [
    "record_key_l,record_key_r,decision",
    "record_id_l,record_id_r,decision",
    "record_key_a,record_key_b,decision",
    "记录键A,记录键B,决定",
])
def test_csv_headers_name_the_record_columns(tmp_path, header):
    path = tmp_path / "decisions.csv"
    path.write_text(f"{header}\nexport.xlsx|Sheet1|7,K9,同一人\n", encoding="utf-8")
    got = read_decisions_csv(path)
    assert got.select("record_key_l", "record_key_r", "decision").rows() == [
        ("export.xlsx|Sheet1|7", "K9", "link")]


def test_recorded_decisions_are_read_back_latest_last(tmp_path):
    wh = Warehouse.from_url(str(tmp_path / "w.duckdb"))
    record_decision(wh, decision_row("K2", "K1", "link", "王芳"))
    record_decision(wh, decision_row("K4", "K3", "no_link", "王芳"))
    record_decision(wh, decision_row("K1", "K2", "no_link", "李娜"))
    got = all_decisions(wh, tmp_path)
    assert got.select("record_key_l", "record_key_r", "decision", "decided_by").rows() == [
        ("K3", "K4", "no_link", "王芳"), ("K1", "K2", "no_link", "李娜")]


def test_bad_decision_names_file_row_column(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text("record_key_a,record_key_b,decision\nA,B,link\nA,C,maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"decisions.csv, row 3, column decision"):
        read_decisions_csv(path)
    path.write_text("record_key_l,record_id_l,record_key_r,decision\nA,B,C,link\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"decisions.csv, row 1: more than one column"):
        read_decisions_csv(path)
    with pytest.raises(ValueError, match="two different records"):
        decision_row("A", "A", "link", "x")
    row = decision_row("B", "A", "no_link", "x")
    assert row.schema["decided_at"] == pl.String
    assert row.select("record_key_l", "record_key_r").row(0) == ("A", "B")


def test_the_link_asset_holds_a_csv_link_over_a_township_no_link(tmp_path):
    """assets.link.steward_decisions: the landing's decisions.csv cannot undo a township's
    非同一人 (reported), unless the row says it overrides."""
    from assets.link import steward_decisions
    from pipelines.cases.override import township_note
    from pipelines.snapshot import archive_file, sha256_file

    log = decision_row("K1", "K2", "no_link", "李干事(问题清单_城关镇_2026-10.xlsx)",
                       township_note("C0000000abcd"))
    csv = tmp_path / "decisions.csv"
    archive = tmp_path / "archive"

    def decide(text: str):
        csv.write_text(text, encoding="utf-8")
        sha = sha256_file(csv)
        archive_file(csv, archive, sha)
        snapshot = pl.DataFrame({"file_name": ["decisions.csv"], "sha256": [sha]})
        return steward_decisions(log, snapshot, archive)

    got, refused = decide("记录A,记录B,决定,备注\nK2,K1,同一人,身份证已核对\nK3,K4,同一人,\n")
    assert sorted(got.select("record_key_l", "record_key_r", "decision").rows()) == [
        ("K1", "K2", "no_link"), ("K3", "K4", "link")]
    day = log["decided_at"][0][:10]
    assert refused == ["decisions.csv link K2 / K1 not applied: case C0000000abcd answered "
                       f"非同一人 by 李干事(问题清单_城关镇_2026-10.xlsx) on {day}"]
    got, refused = decide("记录A,记录B,决定,备注\nK2,K1,同一人,覆盖乡镇核实: 身份证已核对\n")
    assert ("K2", "K1", "link") in got.select("record_key_l", "record_key_r", "decision").rows()
    assert refused == []
