"""Incremental golden records: on every kind of change, the full recompute's rows and order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.golden import golden_person
from pipelines.golden_incremental import Check, GoldenState, incremental_person, person_schema
from schemas.published import checks_version, validate_published

Tables = dict[str, pl.DataFrame]
SCOPE = "411421"
NEW_ID = "P0000000000"  # a minted id before every other (the merge's first row)
VILLAGE = "411421999999"


def _night1(demo_county) -> tuple[Tables, pl.DataFrame]:
    county = demo_county(3)
    return county.ingested.tables, county.linked.links


def _person_of(links: pl.DataFrame, rank: int, at_least: int = 1) -> str:
    """The ``rank``-th person id (in id order) with at least ``at_least`` records."""
    sizes = links.group_by("person_id").len().filter(pl.col("len") >= at_least)
    return sizes.sort("person_id")["person_id"][rank]


def _relink(links: pl.DataFrame, record_ids: list[str], person_id: str) -> pl.DataFrame:
    return links.with_columns(person_id=pl.when(pl.col("record_id").is_in(record_ids))
                              .then(pl.lit(person_id)).otherwise(pl.col("person_id")))


def new_records(tables: Tables, links: pl.DataFrame) -> tuple[Tables, pl.DataFrame]:
    """New stays of existing people (admitted later: the newest record) and a new person."""
    stays = tables["settlement"]
    copies = stays.gather_every(25).with_columns(
        record_id=pl.col("record_id") + "+new",
        admission_date=pl.date(2026, 10, 9), discharge_date=pl.date(2026, 10, 15))
    stranger = stays.head(1).with_columns(record_id=pl.lit("stranger|1"))
    owners = links.join(copies.select("record_id", old=pl.col("record_id").str.strip_suffix(
        "+new")), left_on="record_id", right_on="old").drop("record_id_right")
    added = pl.concat([owners.with_columns(record_id=pl.col("record_id") + "+new"),
                       links.head(1).with_columns(record_id=pl.lit("stranger|1"),
                                                  person_id=pl.lit(NEW_ID))])
    return ({**tables, "settlement": pl.concat([stays, copies, stranger])},
            pl.concat([links, added.select(links.columns)]))


def winning_fields(tables: Tables, links: pl.DataFrame) -> tuple[Tables, pl.DataFrame]:
    """Poverty-roster records (most trusted for the village) given another village and name."""
    roster = tables["poverty_roster"]
    changed = pl.int_range(pl.len()) % 7 == 0
    roster = roster.with_columns(
        village_code=pl.when(changed).then(pl.lit(VILLAGE)).otherwise("village_code"),
        name=pl.when(changed).then(pl.col("name") + "改").otherwise("name"))
    return {**tables, "poverty_roster": roster}, links


def removed_records(tables: Tables, links: pl.DataFrame) -> tuple[Tables, pl.DataFrame]:
    """Some records removed, among them every record of one person (who is then gone)."""
    alone = _person_of(links, 3, at_least=1)
    gone = links.filter((pl.col("person_id") == alone)
                        | (pl.int_range(pl.len()) % 50 == 7))["record_id"]
    keep = ~pl.col("record_id").is_in(gone.implode())
    return {k: t.filter(keep) for k, t in tables.items()}, links.filter(keep)


def split_person(tables: Tables, links: pl.DataFrame) -> tuple[Tables, pl.DataFrame]:
    """One person's records split in two (one record to a new, non-minted id)."""
    pid = _person_of(links, 5, at_least=3)
    first = links.filter(pl.col("person_id") == pid)["record_id"][0]
    return tables, _relink(links, [first], "Q-split")


def merged_persons(tables: Tables, links: pl.DataFrame) -> tuple[Tables, pl.DataFrame]:
    """Two persons merged into one (the second's records take the first's id)."""
    a, b = _person_of(links, 10, at_least=2), _person_of(links, 40, at_least=2)
    return tables, _relink(links, links.filter(pl.col("person_id") == b)["record_id"].to_list(),
                           a)


def repeated_row(tables: Tables, links: pl.DataFrame) -> tuple[Tables, pl.DataFrame]:
    """A settlement row delivered twice, its copy first (every row after it moves down)."""
    settlement = tables["settlement"]
    return {**tables, "settlement": pl.concat([settlement.tail(1), settlement])}, links


def nothing(tables: Tables, links: pl.DataFrame) -> tuple[Tables, pl.DataFrame]:
    return tables, links


def everything_moves(tables: Tables, links: pl.DataFrame) -> tuple[Tables, pl.DataFrame]:
    """Every person id changed: more than half the persons touched (a full recompute)."""
    return tables, links.with_columns(person_id=pl.col("person_id") + "x")


CASES: list[dict] = [
    {"description": "new records", "change": new_records, "mode": "incremental"},
    {"description": "changed fields that win", "change": winning_fields, "mode": "incremental"},
    {"description": "removed records, a person gone", "change": removed_records,
     "mode": "incremental"},
    {"description": "a person split", "change": split_person, "mode": "incremental"},
    {"description": "two persons merged", "change": merged_persons, "mode": "incremental"},
    {"description": "a row repeated, every row after it moved", "change": repeated_row,
     "mode": "incremental"},
    {"description": "no change", "change": nothing, "mode": "incremental"},
    {"description": "all persons touched", "change": everything_moves, "mode": "full"},
]


def schema_check(checked: list[int]) -> Check:
    """The ``person`` step's check (its published schema), noting how many rows it saw."""
    def rows(frame: pl.DataFrame) -> pl.DataFrame:
        checked.append(frame.height)
        return validate_published("person", frame)
    return Check(rows, checks_version("person"))


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_incremental_equals_the_full_recompute(case: dict, demo_county, tmp_path: Path) -> None:
    tables, links = _night1(demo_county)
    checked: list[int] = []
    first, state, stats = incremental_person(tables, links, None, scope=SCOPE,
                                             check=schema_check(checked))
    assert stats["mode"] == "full" and first.equals(golden_person(tables, links))
    assert checked == [first.height]
    state.write(tmp_path)
    tables2, links2 = case["change"](tables, links)
    expected = golden_person(tables2, links2)
    checked.clear()
    person, kept, stats = incremental_person(tables2, links2, GoldenState.read(tmp_path),
                                             scope=SCOPE, check=schema_check(checked))
    assert stats["mode"] == case["mode"], stats["mode_reason"]
    assert_frame_equal(person, expected, check_row_order=True)
    # only tonight's rows were checked; the merged frame passes the whole schema as well
    assert checked == [stats["persons_recomputed"]]
    validate_published("person", person)
    if case["mode"] == "incremental":
        assert stats["persons_recomputed"] < expected.height // 10
    # the state kept tonight serves the next night: nothing changed, nothing recomputed
    again, _, stats = incremental_person(tables2, links2, kept, scope=SCOPE,
                                         check=schema_check(checked))
    assert stats["persons_recomputed"] == 0 and again.equals(expected)


def test_a_row_computed_tonight_that_fails_its_check_fails_the_night(demo_county) -> None:
    tables, links = _night1(demo_county)
    check = schema_check([])
    state = incremental_person(tables, links, None, scope=SCOPE, check=check)[1]
    tables2, links2 = new_records(tables, links)
    bad = Check(lambda rows: check.rows(rows.with_columns(sex=pl.lit("?"))), check.version)
    with pytest.raises(ValueError, match="sex"):
        incremental_person(tables2, links2, state, scope=SCOPE, check=bad)


def test_the_changes_reach_the_rows(demo_county, tmp_path: Path) -> None:
    """The cases above change what the golden record shows (so equality means something)."""
    tables, links = _night1(demo_county)
    first, state, _ = incremental_person(tables, links, None, scope=SCOPE)
    person = incremental_person(*winning_fields(tables, links), state, scope=SCOPE)[0]
    assert person.filter(pl.col("village_code") == VILLAGE).height > 5
    person = incremental_person(*new_records(tables, links), state, scope=SCOPE)[0]
    assert person["person_id"][0] == NEW_ID
    assert person["birth_date_source"].str.ends_with("+new").sum() + person[
        "village_code_source"].str.ends_with("+new").sum() > 0
    split = incremental_person(*split_person(tables, links), state, scope=SCOPE)[0]
    assert split.height == first.height + 1 and split["person_id"][-1] == "Q-split"
    merged = incremental_person(*merged_persons(tables, links), state, scope=SCOPE)[0]
    assert merged.height == first.height - 1 and merged["n_records"].max() >= 4


def test_untouched_persons_are_taken_from_the_kept_frame(demo_county) -> None:
    tables, links = _night1(demo_county)
    state = incremental_person(tables, links, None, scope=SCOPE)[1]
    marked = state.person.with_columns(name=pl.lit("kept"))
    state = GoldenState(state.meta, state.records, marked)
    person, _, stats = incremental_person(*new_records(tables, links), state, scope=SCOPE)
    assert stats["mode"] == "incremental"
    kept = person.filter(pl.col("name") == "kept").height
    assert kept == person.height - stats["persons_recomputed"] > 0


def _other_county(state: GoldenState) -> GoldenState:
    return GoldenState({**state.meta, "scope": "411422"}, state.records, state.person)


def _other_schema(state: GoldenState) -> GoldenState:
    return GoldenState(state.meta, state.records, state.person.drop("household_id_source"))


def _other_rule(state: GoldenState) -> GoldenState:
    return GoldenState({**state.meta, "rule": "0123456789abcdef"}, state.records, state.person)


def _other_checks(state: GoldenState) -> GoldenState:
    return GoldenState({**state.meta, "checked_by": "0123456789abcdef"}, state.records,
                       state.person)


def _other_dtype(state: GoldenState) -> GoldenState:
    return GoldenState(state.meta, state.records,
                       state.person.with_columns(pl.col("n_records").cast(pl.Int32)))


FALLBACKS: list[tuple[str, Callable[[GoldenState], GoldenState | None], str, bool]] = [
    ("first night: no state", lambda s: None, "no kept golden state", False),
    ("a state of another county", _other_county, "another county (411422)", False),
    ("a person frame of another schema", _other_schema, "another schema", False),
    ("a person column of another type", _other_dtype, "another schema", False),
    ("another golden rule", _other_rule, "another golden rule", False),
    ("rows checked by another schema", _other_checks, "checked by another", False),
    ("a full night asked for", lambda s: s, "asked for", True),
]


@pytest.mark.parametrize(("description", "spoil", "why", "full"), FALLBACKS,
                         ids=[f[0] for f in FALLBACKS])
def test_a_state_that_does_not_fit_falls_back_to_a_full_recompute(
        description: str, spoil, why: str, full: bool, demo_county) -> None:
    tables, links = _night1(demo_county)
    state = incremental_person(tables, links, None, scope=SCOPE)[1]
    tables2, links2 = new_records(tables, links)
    person, kept, stats = incremental_person(tables2, links2, spoil(state), scope=SCOPE,
                                             full=full)
    assert stats["mode"] == "full" and why in stats["mode_reason"], stats["mode_reason"]
    assert stats["persons_recomputed"] == person.height
    assert_frame_equal(person, golden_person(tables2, links2), check_row_order=True)
    assert kept.meta["scope"] == SCOPE and kept.person.schema == person_schema()


def test_a_record_without_a_person_id_falls_back(demo_county) -> None:
    tables, links = _night1(demo_county)
    state = incremental_person(tables, links, None, scope=SCOPE)[1]
    orphan = links.with_columns(person_id=pl.when(pl.int_range(pl.len()) == 3)
                                .then(None).otherwise("person_id"))
    person, _, stats = incremental_person(tables, orphan, state, scope=SCOPE)
    assert stats["mode"] == "full" and "no person id" in stats["mode_reason"]
    assert person.equals(golden_person(tables, orphan))
