"""Steward jobs on a copy of the shared county: a decision sticks on the next link and is in the
decisions' history; a month is rebuilt from its own landing snapshot, not today's files."""

import polars as pl
from dagster import AssetKey, DagsterInstance

from assets.definitions import defs
from assets.jobs import decision_config
from pipelines.link.decisions import DECISION_TABLE
from pipelines.warehouse import Warehouse

LINK_OUTPUTS = [AssetKey(k) for k in ("person_links", "match_pairs", "uncertain_match",
                                       "person_id_map")]


def _job(name, county, instance=None, **kwargs):
    return defs.resolve_job_def(name).execute_in_process(
        instance=instance or DagsterInstance.ephemeral(), raise_on_error=False, **kwargs)


def test_decision_job_appends_and_the_next_link_applies_it(county_copy):
    links = county_copy.parquet("person_links")
    pairs = county_copy.parquet("match_pairs").filter(pl.col("status") == "linked")
    pair = pairs.row(0, named=True)
    key = dict(zip(links["record_id"], links["record_key"], strict=True))
    a, b = key[pair["record_id_l"]], key[pair["record_id_r"]]
    config = {**county_copy.run_config(), **decision_config(a, b, "no_link", "王芳", "不同人")}
    instance = DagsterInstance.ephemeral()
    assert _job("steward_decision", county_copy, instance, run_config=config).success
    stored = Warehouse.from_url(county_copy.warehouse).read(DECISION_TABLE)
    assert stored.select("record_key_l", "record_key_r", "decision").rows() == [
        (*sorted((a, b)), "no_link")]
    # the decision is in the history of the asset match_decision, the county's partition
    observed = instance.fetch_observations(AssetKey(DECISION_TABLE), limit=5).records
    assert [r.partition_key for r in observed] == [county_copy.code]
    assert observed[0].asset_observation.metadata["decided_by"].value == "王芳"

    relinked = _job("nightly", county_copy, instance, run_config=county_copy.run_config(),
                    partition_key=county_copy.partition(), asset_selection=LINK_OUTPUTS)
    assert relinked.success
    # an ad-hoc run (no publication): its frames are its own, never the month's current ones
    assert county_copy.parquet("person_links").equals(links)
    after = county_copy.parquet("person_links", run_id=relinked.run_id)
    ids = dict(zip(after["record_key"], after["person_id"], strict=True))
    assert ids[a] != ids[b]
    decided = county_copy.parquet("match_pairs", run_id=relinked.run_id).filter(
        pl.col("record_id_l").is_in([pair["record_id_l"], pair["record_id_r"]])
        & pl.col("record_id_r").is_in([pair["record_id_l"], pair["record_id_r"]]))
    assert decided["status"].to_list() == ["decided_no_link"]
    # the split touches only the person the two records were: everyone else keeps the person id
    # the first run gave them, and one part of the split person keeps the old one
    before = dict(zip(links["record_key"], links["person_id"], strict=True))
    split = {k for k, pid in before.items() if pid == before[a]}
    assert [k for k in before if k not in split and before[k] != ids[k]] == []
    assert before[a] in {ids[a], ids[b]}
    assert {ids[k] for k in split} <= {ids[a], ids[b]}


def test_rerun_month_rebuilds_a_month_from_its_own_snapshot_not_todays_files(county_copy):
    wh = Warehouse.from_url(county_copy.warehouse)
    tables = ("person", "mismatch", "county_monthly", "quarantine")
    before = {t: _without_stamps(wh.read(t, month=county_copy.month)) for t in tables}
    # today's landing is not October's any more: a file gone, another rewritten
    first, second, *_ = sorted(p for p in county_copy.landing.iterdir()
                               if p.suffix == ".csv" and "区划" not in p.name)
    first.unlink()
    second.write_text("姓名\n张三\n", encoding="utf-8")
    result = _job("rerun_month", county_copy, run_config=county_copy.run_config(),
                  partition_key=county_copy.partition())
    assert result.success
    assert "landing_snapshot" not in {k.path[-1] for k in result.dagster_run.asset_selection}
    for table, frame in before.items():
        published = wh.read(table, month=county_copy.month)
        assert set(published["run_id"]) == {result.run_id}, table
        assert _without_stamps(published).equals(frame), table


def _without_stamps(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows without run stamps, in a fixed order."""
    frame = frame.drop("run_id", "published_at")
    return frame.sort(frame.columns, nulls_last=True)


def test_rerun_of_a_month_never_run_names_what_is_missing(county_copy):
    result = _job("rerun_month", county_copy, run_config=county_copy.run_config(),
                  partition_key=county_copy.partition("2026-08"))
    assert not result.success
    errors = [e.step_failure_data.error for e in result.all_events if e.is_step_failure]
    text = " ".join(f"{e.message} {e.cause.message if e.cause else ''}" for e in errors)
    assert "no stored month 2026-08" in text and "`nightly`" in text


def test_a_decisions_csv_link_leaves_a_township_no_link_standing_and_says_so(county_copy):
    from pipelines.cases.override import township_note
    from pipelines.link.decisions import decision_row, record_decision

    links = county_copy.parquet("person_links")
    pair = county_copy.parquet("match_pairs").filter(pl.col("status") == "linked").row(
        0, named=True)
    key = dict(zip(links["record_id"], links["record_key"], strict=True))
    a, b = key[pair["record_id_l"]], key[pair["record_id_r"]]
    record_decision(Warehouse.from_url(county_copy.warehouse), decision_row(
        a, b, "no_link", "李干事(问题清单_城关镇_2026-10.xlsx)", township_note("C0000000abcd")))
    # the steward's file links them again, naming them by record id, with no override
    (county_copy.landing / "decisions.csv").write_text(
        f"记录A,记录B,决定,决定人\n{pair['record_id_r']},{pair['record_id_l']},同一人,王芳\n",
        encoding="utf-8")
    instance = DagsterInstance.ephemeral()
    relinked = _job("nightly", county_copy, instance, run_config=county_copy.run_config(),
                    partition_key=county_copy.partition(),
                    asset_selection=[AssetKey("landing_snapshot"), *LINK_OUTPUTS])
    assert relinked.success
    after = county_copy.parquet("person_links", run_id=relinked.run_id)
    ids = dict(zip(after["record_key"], after["person_id"], strict=True))
    assert ids[a] != ids[b]  # the township's answer stands
    meta = next(e.event_specific_data.materialization.metadata
                for e in relinked.get_asset_materialization_events()
                if e.event_specific_data.materialization.asset_key == AssetKey("person_links"))
    assert meta["decisions_refused_township"].value == 1
    assert "case C0000000abcd answered 非同一人" in meta[
        "decisions_refused_township_examples"].value
    assert any("not applied: case C0000000abcd" in entry.user_message
               for entry in instance.all_logs(relinked.run_id))  # and a warning in the run log
