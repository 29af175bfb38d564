"""Done-when of issue 14 at engine level: the demo county over three months (see
``three_months.py``) shows new, open, resolved and explained cases with the right first-seen
months; the township's 非同一人 becomes a no_link the linker applies; the office's own list is
matched to its people and its difference rebuilt from the archive."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from three_months import MONTHS, Story, tell

from pipelines.cases import with_case_counts
from pipelines.domain.metrics import CASE_COUNTS
from pipelines.exchange import illness_cases, office_diff
from pipelines.rollup import (
    check_rollup_consistency,
    rollup_county,
    rollup_township,
    village_monthly,
)
from schemas.cases import MismatchCase

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    return tell(tmp_path_factory.mktemp("three_months"))


def case(story: Story, month: int, **where: str) -> dict:
    cases = story.months[month].cases
    for column, value in where.items():
        cases = cases.filter(pl.col(column) == value)
    assert cases.height == 1, f"{where}: {cases.height} cases"
    return cases.row(0, named=True)


def test_every_month_is_the_same_from_the_records_its_cases_name(story: Story) -> None:
    """The asset hands ``track_cases`` only the records its mismatches and earlier cases
    name (``case_records(..., mismatch, previous)``): the same cases as from every record,
    through the month whose 非同一人 split a person."""
    from polars.testing import assert_frame_equal

    for run in story.months:
        assert run.cases.height > 0
        assert_frame_equal(run.cases_few, run.cases)


def test_every_month_is_a_valid_case_table_keeping_every_case(story: Story) -> None:
    ids = set()
    for month, run in zip(MONTHS, story.months, strict=True):
        MismatchCase.validate(run.cases, lazy=True)
        assert set(run.cases["month"]) == {month}
        assert ids <= set(run.cases["case_id"]), "a case disappeared"
        ids = set(run.cases["case_id"])
    assert set(story.months[0].cases["status"]) == {"new"}


def test_a_fix_resolves_its_case_in_the_month_it_lands(story: Story) -> None:
    nov = case(story, 1, rule="no_doctor_contract", person_id=story.fixed)
    assert (nov["status"], nov["first_seen"], nov["last_seen"], nov["status_month"]) == (
        "resolved", "2026-10", "2026-10", "2026-11")
    dec = case(story, 2, case_id=nov["case_id"])
    assert (dec["status"], dec["status_month"]) == ("resolved", "2026-11")


def test_a_new_problem_is_new_then_open_with_its_first_month(story: Story) -> None:
    nov = case(story, 1, rule="not_insured", person_id=story.stopped)
    assert (nov["status"], nov["first_seen"]) == ("new", "2026-11")
    dec = case(story, 2, case_id=nov["case_id"])
    assert (dec["status"], dec["first_seen"], dec["last_seen"]) == ("open", "2026-11", "2026-12")
    assert not dec["overdue"] and str(dec["due"]) == "2026-12-31"  # overdue from January


def test_old_problems_stay_open_and_become_overdue(story: Story) -> None:
    dec = story.months[2].cases
    still = dec.filter((pl.col("first_seen") == "2026-10") & (pl.col("status") == "open"))
    assert still.height > 10
    assert still["overdue"].all()  # opened in October: due 1 December
    assert set(still["last_seen"]) == {"2026-12"}


def test_the_townships_answers_explain_one_case_and_separate_the_dead(story: Story) -> None:
    explained = case(story, 2, case_id=story.explained)
    assert (explained["status"], explained["status_by"], explained["verification_note"]) == (
        "explained", "李干事", "已在外地参保")
    assert str(explained["status_at"]) == "2026-12-01"
    separated = case(story, 2, case_id=story.not_same)
    assert (separated["status"], separated["status_month"]) == ("resolved", "2026-12")
    assert separated["verification_result"] == "非同一人"
    # the linker applied the no_link: the death record no longer belongs to that person
    pair = story.decisions.select("record_key_l", "record_key_r").row(0)
    owners = story.months[2].linked.links.filter(pl.col("record_key").is_in(pair))
    assert owners["person_id"].n_unique() == 2
    assert story.months[1].linked.links.filter(
        pl.col("record_key").is_in(pair))["person_id"].n_unique() == 1


def test_answers_count_from_the_month_they_arrive_in(story: Story) -> None:
    from pipelines.cases import verifications_received

    archive = story.out / "archive"
    cases = story.months[1].cases
    assert verifications_received(archive, cases, "2026-11").answered == 0  # came 3 December
    december = verifications_received(archive, cases, "2026-12")
    assert december.answered == 2 and december.problems.height == 1


def test_the_extra_row_of_the_return_is_reported(story: Story) -> None:
    problems = story.returned.problems
    assert problems.select("column", "problem").rows() == [("问题编号", "no_case_id")]
    assert problems["value_masked"].item() == "王五"
    assert story.returned.answered == 2 and story.returned.month == "2026-11"


def test_monthly_counts_show_the_month_at_every_level(story: Story) -> None:
    dec = story.months[2]
    village = with_case_counts(village_monthly(dec.tables, dec.person, dec.linked.links,
                                               story.regions, MONTHS[2]), dec.cases)
    township = rollup_township(village, story.regions)
    county = rollup_county(township, story.regions)
    assert check_rollup_consistency(village, township, county) == []
    placed = dec.cases.filter(pl.col("village_code").is_in(village["village_code"].implode()))
    want = (0, placed.filter(pl.col("status") == "open").height,
            placed.filter(pl.col("overdue")).height,
            placed.filter((pl.col("status") == "resolved") & (pl.col("status_month") == "2026-12"))
            .height, 1)
    assert county.select(CASE_COUNTS).row(0) == want


def test_the_offices_list_is_matched_to_its_people_from_the_archive(story: Story) -> None:
    dec = story.months[2]
    assert not (story.out / "inbox").exists()
    ours = illness_cases(dec.tables["illness_ledger"], dec.tables["settlement"],
                         dec.linked.links, dec.person, story.regions, MONTHS[1])
    diff, matched, found = office_diff(ours, dec.person, story.out / "archive", MONTHS[1])
    assert found is not None and found.original_name == "大病办回传.xlsx"
    assert matched.filter(pl.col("match") == "unmatched")["name"].to_list() == ["外县人"]
    assert set(matched["match"]) == {"id", "name_birth", "unmatched"}
    assert matched.drop_nulls("person_id").select("person_id", "illness").sort(
        "person_id", "illness").rows() == ours.filter(
        pl.col("person_id") != story.office["dropped"]).select("person_id", "illness").sort(
        "person_id", "illness").rows()
    got = sorted(diff.select("kind", "person_id").rows(), key=str)
    assert got == sorted([("only_ours", story.office["dropped"]),
                          ("status_differs", story.office["differs"]),
                          ("only_theirs", None)], key=str)
