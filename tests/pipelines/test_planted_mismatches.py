"""End to end on generated counties (engine only, no Dagster): every planted case is found.

For two seeds, a ~3,000-person county is generated, ingested, linked, merged into golden
persons and checked. Every planted person of every rule must be flagged (mismatch person_id
mapped back to the generator's person_key through person_source and truth/records.csv); any
other row of a rule is allowed only when the person awaits a steward's match decision
(``pending_match``). The month's village/township/county roll-ups must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from pipelines.demo import generate_county
from pipelines.golden import golden_person, person_source
from pipelines.ingest import ingest_landing, person_records
from pipelines.link import link_records
from pipelines.rollup import (
    check_rollup_consistency,
    rollup_county,
    rollup_township,
    village_monthly,
)
from pipelines.rules import PENDING_NOTE, PERSON_RULES, find_mismatches

PEOPLE = 3000
MONTH = "2026-10"


@dataclass
class Run:
    """One generated county taken through the engine."""

    mismatch: pl.DataFrame
    keys: pl.DataFrame  # person_id, person_key (one row per pair seen in the person's sources)
    planted: pl.DataFrame
    rollup_problems: list[str]


def _keys(sources: pl.DataFrame, truth: Path) -> pl.DataFrame:
    """person_id -> the generator's person_key, through the source rows."""
    rec = pl.read_csv(truth / "records.csv", infer_schema=False).with_columns(
        pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64)
    )
    src = sources.with_columns(pl.col("sheet").fill_null(""),
                               pl.col("row_number").cast(pl.Int64))
    return (
        src.join(rec, on=["source_file", "sheet", "row_number"], how="inner")
        .select("person_id", "person_key")
        .unique()
    )


@pytest.fixture(scope="module", params=[3, 17], ids=lambda s: f"seed{s}")
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Generate one county per seed and run ingest → link → golden → rules → roll-ups."""
    out = tmp_path_factory.mktemp(f"county{request.param}")
    generate_county(PEOPLE, seed=request.param, out=out)
    ingested = ingest_landing(out / "landing")
    records = person_records(ingested.tables)
    linked = link_records(records)
    person = golden_person(ingested.tables, linked.links)
    mismatch = find_mismatches(ingested.tables, linked.links, person, MONTH, linked.uncertain)
    village = village_monthly(ingested.tables, person, linked.links, ingested.regions, MONTH)
    township = rollup_township(village, ingested.regions)
    county = rollup_county(township, ingested.regions)
    return Run(
        mismatch=mismatch,
        keys=_keys(person_source(records, linked.links), out / "truth"),
        planted=pl.read_csv(out / "truth" / "planted.csv", infer_schema=False),
        rollup_problems=check_rollup_consistency(village, township, county),
    )


def _found(run: Run, rule: str) -> pl.DataFrame:
    """The rule's rows with the person_keys behind each person (list, maybe empty)."""
    rows = run.mismatch.filter(pl.col("rule") == rule)
    keys = run.keys.group_by("person_id").agg(pl.col("person_key"))
    return rows.join(keys, on="person_id", how="left").with_columns(
        pl.col("person_key").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    )


@pytest.mark.parametrize("rule", list(PERSON_RULES))
def test_every_planted_person_is_found(run: Run, rule: str) -> None:
    planted = set(run.planted.filter(pl.col("rule") == rule)["person_key"])
    assert planted, f"nothing planted for {rule}"
    found = set(_found(run, rule)["person_key"].explode().drop_nulls())
    assert planted <= found, f"{rule}: missed {sorted(planted - found)}"


@pytest.mark.parametrize("rule", list(PERSON_RULES))
def test_every_extra_row_awaits_a_match_decision(run: Run, rule: str) -> None:
    planted = run.planted.filter(pl.col("rule") == rule)["person_key"].implode()
    rows = _found(run, rule)
    extra = rows.filter(~pl.col("person_key").list.eval(pl.element().is_in(planted)).list.any())
    unexplained = extra.filter(~pl.col("pending_match"))
    assert unexplained.height == 0, (
        f"{rule}: {unexplained.height} unplanted rows: "
        f"{unexplained.select('person_id', 'person_key', 'detail').head(5).to_dicts()}"
    )
    assert extra["detail"].str.ends_with(PENDING_NOTE).all()


def test_pending_flag_only_where_a_pair_awaits_decision(run: Run) -> None:
    uncertain = run.mismatch.filter(pl.col("rule") == "uncertain_match")
    assert uncertain["pending_match"].all()
    people = run.mismatch.filter(pl.col("rule") != "uncertain_match")
    flagged = people.filter(pl.col("pending_match"))
    if flagged.height:
        assert uncertain.height > 0
    assert people["detail"].str.ends_with(PENDING_NOTE).to_list() == people[
        "pending_match"].to_list()


def test_three_levels_agree_for_the_month(run: Run) -> None:
    assert run.rollup_problems == []
