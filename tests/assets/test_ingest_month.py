"""Ingest reads the landing as of the partition's month and names every file it does not read.

Each county-month's snapshot is its own: a later change in the landing folder does not change
what an earlier month read (it is rebuilt from the archive).
"""

import polars as pl
from dagster import AssetKey, AssetSelection, DagsterInstance, materialize

from assets.ingest import ingest, landing_snapshot
from assets.io_managers import PolarsParquetIOManager, WarehouseIOManager
from assets.resources import LandingFolder, WarehouseResource
from assets.settings import partition
from pipelines.domain.identity import id_check_char
from pipelines.warehouse import Warehouse

REGIONS = ("区划代码,名称,级别,上级代码\n411421000000,某县,县,\n"
           "411421101000,城关镇,乡镇,411421000000\n411421101001,虹光村,村,411421101000\n")
BORN_MARCH_2025 = "41142120250315001"
BABY = BORN_MARCH_2025 + id_check_char(BORN_MARCH_2025)


def _landing(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
    (landing / "民政救助.csv").write_text(
        f"救助对象姓名,身份证号,救助类别,乡镇,行政村\n张小宝,{BABY},低保,城关镇,虹光村\n",
        encoding="utf-8")
    (landing / "_民政救助_草稿.csv").write_text("救助对象姓名\n李四\n", encoding="utf-8")
    return landing


def _ingest(tmp_path, landing, month, selection=None):
    warehouse = WarehouseResource(url=str(tmp_path / "w.duckdb"))
    result = materialize(
        [landing_snapshot, ingest], instance=DagsterInstance.ephemeral(),
        partition_key=partition("411421", month), selection=selection,
        resources={"landing": LandingFolder(path=str(landing), settle_seconds=0,
                                            archive=str(tmp_path / "archive")),
                   "io_manager": PolarsParquetIOManager(base_dir=str(tmp_path / "s"),
                                                        warehouse=warehouse),
                   "warehouse_io_manager": WarehouseIOManager(warehouse=warehouse)})
    issues = Warehouse.from_url(warehouse.url).read("field_issue", month=month)
    return result, issues


def test_a_birth_after_the_months_end_is_an_id_problem_that_month_only(tmp_path):
    landing = _landing(tmp_path)
    _, issues_before = _ingest(tmp_path, landing, "2024-12")
    after, issues_after = _ingest(tmp_path, landing, "2025-03")
    assert issues_before.filter(pl.col("check") == "id_birth_date").height == 1
    assert issues_after.filter(pl.col("check") == "id_birth_date").height == 0
    stored = sorted(p.name for p in (tmp_path / "s").glob("runs/*/assistance/411421/*"))
    assert stored == ["2024-12.parquet", "2025-03.parquet"]  # one file per county-month

    (event,) = [e for e in after.get_asset_materialization_events()
                if e.asset_key == AssetKey("landing_snapshot")]
    not_read = event.materialization.metadata["not_read"].value
    assert "_民政救助_草稿.csv" in not_read and "draft" in not_read


def test_a_month_is_rebuilt_from_its_own_files_not_todays(tmp_path):
    landing = _landing(tmp_path)
    _ingest(tmp_path, landing, "2024-12")
    snapshot = Warehouse.from_url(str(tmp_path / "w.duckdb")).read("landing_snapshot",
                                                                   month="2024-12")
    assert set(snapshot["file_name"]) == {"行政区划.csv", "民政救助.csv"}
    assert snapshot["sha256"].str.len_chars().to_list() == [64, 64]
    archived = {p.name.split(".")[0] for p in (tmp_path / "archive" / "411421").rglob("*.csv")}
    assert archived == set(snapshot["sha256"])
    # the landing changes afterwards: a new person, the old file gone
    (landing / "民政救助.csv").write_text(
        "救助对象姓名,身份证号,救助类别,乡镇,行政村\n李四,,低保,城关镇,虹光村\n", encoding="utf-8")
    only_ingest = AssetSelection.assets("assistance").required_multi_asset_neighbors()
    rebuilt, _ = _ingest(tmp_path, landing, "2024-12", selection=only_ingest)
    assert rebuilt.success
    (path,) = (tmp_path / "s").glob(f"runs/{rebuilt.run_id}/assistance/411421/*")
    stored = pl.read_parquet(path)
    assert stored["name"].to_list() == ["张小宝"]  # December's own file, not today's
