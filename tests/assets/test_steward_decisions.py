"""Decisions come from the warehouse and from the steward's decisions.csv; the latest wins."""

import polars as pl
import pytest

from assets.steward import all_decisions, decision_row, read_decisions_csv, record_decision
from pipelines.warehouse import Warehouse


def test_csv_and_warehouse_decisions_merge(tmp_path):
    wh = Warehouse.from_url(str(tmp_path / "w.duckdb"))
    assert all_decisions(wh, tmp_path) is None
    record_decision(wh, decision_row("K2", "K1", "link", "王芳"))
    record_decision(wh, decision_row("K3", "K4", "link", "王芳"))
    (tmp_path / "decisions.csv").write_text(
        "\ufeff记录A,记录B,决定,决定人\nK1,K2,否,李强\n", encoding="utf-8")
    merged = all_decisions(wh, tmp_path)
    assert sorted(merged.select("record_id_l", "record_id_r", "decision").rows()) == [
        ("K1", "K2", "no_link"), ("K3", "K4", "link")]


def test_bad_decision_names_file_row_column(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text("record_key_a,record_key_b,decision\nA,B,link\nA,C,maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"decisions.csv, row 3, column decision"):
        read_decisions_csv(path)
    with pytest.raises(ValueError, match="two different records"):
        decision_row("A", "A", "link", "x")
    assert decision_row("B", "A", "no_link", "x").schema["decided_at"] == pl.String
