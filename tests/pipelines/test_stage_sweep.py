"""Stages of runs that are no longer running are swept, county by county; a live run's, the
caller's own and another county's are never touched."""

import polars as pl

from pipelines.warehouse.staging import RunStage, sweep_stages


def test_sweep_removes_dead_runs_stages_of_the_county_only(tmp_path):
    frame = pl.DataFrame({"person_id": ["P1"]})
    for run, county in (("dead", "411421"), ("live", "411421"), ("mine", "411421"),
                        ("dead", "411422"), ("other", "411422")):
        RunStage(tmp_path, run, county, "2026-10").put("person", frame)
    removed = sweep_stages(tmp_path, "411421", live=lambda run: run == "live", keep="mine")
    assert removed == ["dead"]
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob("*/*/2026-10/*.parquet"))
    assert left == ["dead/411422/2026-10/person.parquet", "live/411421/2026-10/person.parquet",
                    "mine/411421/2026-10/person.parquet", "other/411422/2026-10/person.parquet"]
    assert sweep_stages(tmp_path, "411422", live=lambda run: False) == ["dead", "other"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live", "mine"]  # empty folders gone
    assert sweep_stages(tmp_path / "nothing", "411421", live=lambda run: False) == []
