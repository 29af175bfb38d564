"""Done-when of issue 14 through Dagster and ``sanji``: three months of the demo county (see
``case_story.py``) give ``mismatch_case`` new, open, resolved and explained cases with the right
first-seen months, counted in the monthly tables; the township's return is archived, read and
its 非同一人 applied; the office's return and its difference survive the next run."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from case_story import MONTHS, RECEIVED, Story, tell

SEP, OCT, NOV = MONTHS


@pytest.fixture(scope="module")
def story(county, tmp_path_factory) -> Story:
    copy = county.copy(tmp_path_factory.mktemp("case_months") / "county")
    with pytest.MonkeyPatch.context() as mp:
        home = copy.dagster_home
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
        mp.setenv("DAGSTER_HOME", str(home))
        yield tell(Story(copy))


def one(story: Story, month: str, **where: str) -> dict:
    cases = story.cases[month]
    for column, value in where.items():
        cases = cases.filter(pl.col(column) == value)
    assert cases.height == 1, f"{month} {where}: {cases.height} cases"
    return cases.row(0, named=True)


def test_first_month_every_case_is_new(story: Story) -> None:
    sep = story.cases[SEP]
    assert sep.height > 10 and set(sep["status"]) == {"new"} and set(sep["first_seen"]) == {SEP}


def test_a_fix_resolves_its_case_in_the_month_it_lands(story: Story) -> None:
    oct_ = one(story, OCT, case_id=story.fixed)
    assert (oct_["status"], oct_["first_seen"], oct_["last_seen"], oct_["status_month"]) == (
        "resolved", SEP, SEP, OCT)
    nov = one(story, NOV, case_id=story.fixed)
    assert (nov["status"], nov["status_month"]) == ("resolved", OCT)


def test_a_new_problem_is_new_then_open_keeping_its_first_month(story: Story) -> None:
    oct_ = one(story, OCT, rule="dead_but_active", person_id=story.died)
    assert (oct_["status"], oct_["first_seen"]) == ("new", OCT)
    nov = one(story, NOV, case_id=oct_["case_id"])
    assert (nov["status"], nov["first_seen"], nov["last_seen"]) == ("open", OCT, NOV)
    assert not nov["overdue"]


def test_old_cases_stay_open_and_become_overdue(story: Story) -> None:
    nov = story.cases[NOV]
    old = nov.filter((pl.col("first_seen") == SEP) & (pl.col("status") == "open"))
    assert old.height > 10 and old["overdue"].all()
    assert set(nov["case_id"]) >= set(story.cases[SEP]["case_id"])  # no case forgotten


def test_the_townships_answers_explain_and_separate(story: Story) -> None:
    assert "unknown_case" in story.out["worklist import"]  # reported, not dropped
    assert f"changes the cases from {NOV}" in story.out["worklist import"] or \
        f"cases from {NOV}" in story.out["worklist import"]
    explained = one(story, NOV, case_id=story.explained)
    assert (explained["status"], explained["status_month"], explained["verification_result"],
            explained["verification_note"], explained["status_by"]) == (
        "explained", NOV, "信息有误", "已在外地参保", "李干事")
    assert one(story, OCT, case_id=story.explained)["status"] in ("new", "open")  # received later
    log = story.warehouse.read("match_decision")
    mine = log.filter(pl.col("decided_by").str.starts_with("李干事(问题清单_"))
    assert mine.height >= 1 and set(mine["decision"]) == {"no_link"}
    separated = one(story, NOV, case_id=story.not_same)
    assert (separated["status"], separated["status_month"]) == ("resolved", NOV)
    archived = list((story.county.archive / story.county.code / "returns" / "worklist" / OCT)
                    .glob(f"{RECEIVED.replace('-', '')}T*_问题清单_*.xlsx"))
    assert len(archived) == 1


def test_monthly_tables_count_the_cases(story: Story) -> None:
    nov = story.cases[NOV]
    county = story.table("county_monthly", NOV).row(0, named=True)
    assert county["cases_open"] == nov.filter(pl.col("status").is_in(["new", "open"])).height
    assert county["cases_explained"] >= 1 and county["cases_overdue"] > 10
    oct_ = story.table("county_monthly", OCT).row(0, named=True)
    assert oct_["cases_new"] >= 1 and oct_["cases_resolved"] >= 1
    towns = story.table("township_monthly", NOV)
    assert towns["cases_open"].sum() == county["cases_open"]
    assert f"cases: open {county['cases_open']} (new {county['cases_new']}, " in story.out[
        "run 3 again"]  # the run's summary says it too


def test_work_lists_are_printed_by_the_command(story: Story) -> None:
    printed = [line for line in story.out["worklist"].splitlines() if line.endswith(".xlsx")]
    assert printed and all(Path(p).is_file() and f"_{OCT}.xlsx" in p for p in printed)


def test_the_office_difference_and_the_cases_survive_the_next_run(story: Story) -> None:
    before = story.diff_before
    assert before.height >= 2
    kinds = dict(before.group_by("kind").len().iter_rows())
    assert kinds.get("only_ours", 0) >= 1 and kinds.get("only_theirs", 0) >= 1
    assert story.out["office_dropped"] in before.filter(pl.col("kind") == "only_ours")[
        "person_id"].to_list()
    after = story.table("exchange_diff", NOV)
    columns = ["kind", "person_id", "illness"]
    assert sorted(after.select(columns).rows(), key=str) == sorted(
        before.select(columns).rows(), key=str)
    again = story.table("mismatch_case", NOV).select("case_id", "status", "first_seen").sort(
        "case_id")
    assert again.equals(story.cases[NOV].select("case_id", "status", "first_seen").sort(
        "case_id"))


def test_case_metadata_is_numbers_to_plot_and_tables_by_township(story: Story) -> None:
    from dagster import AssetKey, MetadataValue

    with story.county.instance() as instance:
        event = instance.get_latest_materialization_event(AssetKey("mismatch_case"))
    meta = event.asset_materialization.metadata
    nov = story.cases[NOV]
    assert meta["open_cases"] == MetadataValue.int(
        nov.filter(pl.col("status").is_in(["new", "open"])).height)
    assert meta["explained_this_month"].value >= 1
    assert meta["open_dead_but_active"].value >= 1
    towns = [r.data for r in meta["by_township"].value.records]
    assert towns and all(not r["township"].isdigit() for r in towns)  # names, not codes
    assert sum(r["cases_open"] for r in towns) == meta["open_cases"].value
    # the preview: how many of how many, who (masked ID), where (by name), since when
    live = meta["open_cases"].value
    assert meta["preview_shows"].value.startswith(f"{min(10, live)} of {live} rows")
    columns = [c.name for c in meta["preview"].value.schema.columns]
    assert columns[:5] == ["name", "id_number", "township_name", "village_name", "first_seen"]
    assert all("*" in (r.data["id_number"] or "*") for r in meta["preview"].value.records)


def _rerun(story: Story, *argv: str) -> tuple[str, str]:
    """``sanji rerun`` on the story's county: (stdout, stderr); fails when it fails."""
    import contextlib
    import io

    from assets.cli import main

    c = story.county
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["rerun", *argv, "--landing", str(c.landing), "--warehouse", str(c.warehouse),
                     "--storage", str(c.storage), "--archive", str(c.archive)])
    assert code == 0, err.getvalue()[-2000:]
    return out.getvalue(), err.getvalue()


def test_rerun_of_an_earlier_month_names_the_stale_months_and_rebuilds_the_chain(
        story: Story) -> None:  # last: it rebuilds October and November
    from dagster import AssetKey

    out, err = _rerun(story, "--month", OCT)
    assert f"month {OCT}" in out and f"month {NOV}" not in out
    warning = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1, warning  # one line, from mismatch_case
    assert NOV in warning[0] and "--through-latest" in warning[0]
    with story.county.instance() as instance:
        event = instance.get_latest_materialization_event(AssetKey("mismatch_case"))
    assert event.asset_materialization.metadata["later_months_to_rerun"].value == NOV
    stale_run = set(story.table("mismatch_case", NOV)["run_id"])

    out, err = _rerun(story, "--month", OCT, "--through-latest")
    assert f"rebuilding {OCT}, {NOV} in order" in out
    assert out.index(f"month {OCT}") < out.index(f"month {NOV}")
    # October's step still finds November stale (it is, until the next step); November's not
    assert [line for line in err.splitlines() if line.startswith("warning:")] == warning
    nov, oct_ = story.table("mismatch_case", NOV), story.table("mismatch_case", OCT)
    assert set(nov["run_id"]).isdisjoint(stale_run)  # November rebuilt on the new October
    seen = oct_.join(nov, on="case_id", suffix="_nov").filter(
        pl.col("first_seen") != pl.col("first_seen_nov"))
    assert seen.is_empty()
    with story.county.instance() as instance:
        event = instance.get_latest_materialization_event(AssetKey("mismatch_case"))
    assert event.asset_materialization.metadata["later_months_to_rerun"].value == ""
