"""The warehouse IO manager: a county-month lands in the county's schema with its county on every
row; an input reads one partition, the latest month before, or a month of every county."""

import polars as pl
import pytest
from dagster import (
    AssetKey,
    Failure,
    PartitionKeyRange,
    build_input_context,
    build_output_context,
)
from polars.testing import assert_frame_equal

from assets.io_managers import WarehouseIOManager
from assets.resources import WarehouseResource
from assets.settings import county_month, monthly, partition
from pipelines.warehouse import Warehouse

COUNTY = "411421"


def _manager(tmp_path):
    return WarehouseIOManager(warehouse=WarehouseResource(url=str(tmp_path / "w.duckdb")))


def _publish(manager, table, month, frame):
    key = partition(COUNTY, month)
    manager.handle_output(build_output_context(
        asset_key=AssetKey(table), partition_key=key, run_id=f"run-{month}",
        asset_partitions_def=county_month), frame)


def _load(manager, table, month, **metadata):
    key = partition(COUNTY, month)
    return manager.load_input(build_input_context(
        asset_key=AssetKey(table), asset_partitions_def=county_month, partition_key=key,
        asset_partition_key_range=PartitionKeyRange(key, key), definition_metadata=metadata))


def test_a_county_month_is_stamped_and_read_back_without_stamps(tmp_path):
    manager = _manager(tmp_path)
    _publish(manager, "person_id_map", "2026-08", pl.DataFrame({"record_key": ["K1"],
                                                                "person_id": ["P1"]}))
    stored = Warehouse.from_url(tmp_path / "w.duckdb").read("person_id_map")
    assert stored.select("county", "month", "run_id").row(0) == (COUNTY, "2026-08", "run-2026-08")
    assert _load(manager, "person_id_map", "2026-08").columns == ["record_key", "person_id"]


def test_the_previous_ids_are_the_latest_month_before(tmp_path):
    manager = _manager(tmp_path)
    for month, pid in (("2026-07", "P7"), ("2026-08", "P8"), ("2026-10", "P10")):
        _publish(manager, "person_id_map", month, pl.DataFrame({"record_key": ["K1"],
                                                                "person_id": [pid]}))
    latest = {"latest_before": True}
    assert _load(manager, "person_id_map", "2026-08", **latest)["person_id"].to_list() == ["P8"]
    # September was skipped: its month reads August's ids, not October's
    assert _load(manager, "person_id_map", "2026-09", **latest)["person_id"].to_list() == ["P8"]
    assert _load(manager, "person_id_map", "2026-06", **latest) is None
    assert _load(manager, "person_id_map", "2026-09").height == 0  # without: that month only


def test_a_province_input_reads_the_month_of_every_county_projected(tmp_path):
    manager = _manager(tmp_path)
    frame = pl.DataFrame({"person_id": ["P1", "P1"], "extract": ["enrolment", "enrolment"],
                          "source_file": ["a.csv", "b.csv"]})
    _publish(manager, "person_source", "2026-10", frame)
    rows = manager.load_input(build_input_context(
        asset_key=AssetKey("person_source"), asset_partitions_def=county_month,
        asset_partition_key_range=PartitionKeyRange(partition(COUNTY, "2026-10"),
                                                    partition(COUNTY, "2026-10")),
        definition_metadata={"keep_county": True, "columns": ["person_id", "extract"],
                             "distinct": True}))
    assert rows.select("person_id", "extract", "county").rows() == [("P1", "enrolment", COUNTY)]
    assert monthly.get_partition_keys()[0] == "2024-01"


def test_a_frame_already_stored_is_published_as_its_rows(tmp_path):
    """A ``FrameFile`` (``person``'s kept frame) outside a staging run: read and published."""
    from pipelines.warehouse.staging import FrameFile, write_frame

    manager = _manager(tmp_path)
    frame = pl.DataFrame({"person_id": ["P1", "P2"], "county": [COUNTY, COUNTY]})
    write_frame(frame, tmp_path / "person.parquet")
    _publish(manager, "person", "2026-10", FrameFile(tmp_path / "person.parquet", 2))
    assert _load(manager, "person", "2026-10")["person_id"].to_list() == ["P1", "P2"]


LAZY_CASES = [("person", None), ("person", ["person_id", "name"]),
              ("village_monthly", None), ("village_monthly", ["village_code", "name"])]


@pytest.mark.parametrize(("table", "columns"), LAZY_CASES)
def test_a_lazy_staged_input_holds_what_the_eager_one_does(tmp_path, table, columns):
    """``lazy`` metadata on a table the run staged (``office_return``'s golden record): a
    LazyFrame of the same columns and rows as the eager input (the stamps dropped, a table's
    own ``month`` kept); a table the run did not stage fails as the eager read does."""
    from assets.io_managers import _project
    from assets.resources import drop_meta

    manager = WarehouseIOManager(warehouse=WarehouseResource(url=str(tmp_path / "w.duckdb")),
                                 staging_dir=str(tmp_path / "storage"))
    key, staged = partition(COUNTY, "2026-10"), ("run-1", partition(COUNTY, "2026-10"))
    manager.stage("run-1", COUNTY, "2026-10").put(table, pl.DataFrame({
        "person_id": ["P1", "P2"], "name": ["甲", "乙"], "village_code": ["V1", "V2"],
        "month": ["2026-10"] * 2, "county": [COUNTY] * 2}))
    meta = {"columns": columns} if columns else {}
    eager = drop_meta(_project(manager._load(table, staged, key, False, columns), meta), table)
    lazy = manager._scan(table, staged, columns)
    assert isinstance(lazy, pl.LazyFrame)
    assert_frame_equal(lazy.collect(), eager)
    assert ("month" in eager.columns) is (table == "village_monthly")
    with pytest.raises(Failure, match="was not staged"):
        manager._scan("mismatch", staged, columns)
