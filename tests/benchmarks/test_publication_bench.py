"""benchmarks/publication.py publishes kept stages one night after the other, as the
``publication`` asset does, and reports each part."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from pipelines.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import publication as bench


def _stage(folder: Path, people: list[str]) -> Path:
    folder.mkdir()
    pl.DataFrame({"person_id": people, "county": "411421", "run_id": "old"}).write_parquet(
        folder / "person.parquet")
    pl.DataFrame({"rule": ["not_insured"]}).write_parquet(folder / "mismatch.parquet")
    return folder


def test_two_nights_published_and_reported(tmp_path: Path, capsys) -> None:
    first = _stage(tmp_path / "full", ["P1", "P2"])
    second = _stage(tmp_path / "quiet", ["P1", "P2", "P3"])
    assert set(bench.read_stage(first)) == {"person", "mismatch"}
    assert "run_id" not in bench.read_stage(first)["person"].columns
    kept = tmp_path / "w.duckdb"
    assert bench.main([str(first), str(second), "--keep", str(kept)]) == 0
    out = capsys.readouterr().out
    assert out.count("publish ") == 2 and out.count("summary") == 2
    wh = Warehouse.from_url(str(kept))
    person = wh.read("person", bench.MONTH)
    assert person["person_id"].to_list() == ["P1", "P2", "P3"]
    assert set(person["run_id"]) == {"run-2"}
    assert wh.read("mismatch", bench.MONTH)["run_id"].to_list() == ["run-2"]  # restamped
