"""Two export styles of one county agree: same people, same mismatches, same monthly figures.

The demo county of one seed is written twice, as the classic county exports and as the
national systems export (``--style national``: other files, headers, value words, layouts),
and each is taken through the engine with no mapping file: ingest -> link -> golden -> rules
-> roll-ups. Everything a steward sees must be the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from pipelines.demo import generate_county
from pipelines.demo.national import generate_national_county
from pipelines.golden import golden_person, person_source
from pipelines.ingest import Ingested, ingest_landing, person_records
from pipelines.link import link_records
from pipelines.rollup import rollup_county, rollup_township, village_monthly
from pipelines.rules import find_mismatches

PEOPLE, SEED, MONTH = 2500, 11, "2026-10"
KEY = ["source_file", "sheet", "row_number"]


@dataclass
class Run:
    """One style of the county through the engine."""

    ingested: Ingested
    people: pl.DataFrame  # one row per person: its generator person keys, joined
    mismatches: dict[str, int]
    monthly: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]


def _run(out: Path) -> Run:
    ingested = ingest_landing(out / "landing")
    assert not (out / "landing" / "sanji_mapping.yaml").exists()
    records = person_records(ingested.tables)
    linked = link_records(records)
    person = golden_person(ingested.tables, linked.links)
    mismatch = find_mismatches(ingested.tables, linked.links, person, MONTH, linked.uncertain)
    village = village_monthly(ingested.tables, person, linked.links, ingested.regions, MONTH)
    township = rollup_township(village, ingested.regions)
    truth = pl.read_csv(out / "truth" / "records.csv", infer_schema=False).with_columns(
        pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64))
    people = (
        person_source(records, linked.links).join(truth, on=KEY)
        .group_by("person_id").agg(pl.col("person_key").unique().sort().str.join("+"))
        .select("person_key").sort("person_key")
    )
    return Run(ingested, people, dict(mismatch.group_by("rule").len().iter_rows()),
               (village, township, rollup_county(township, ingested.regions)))


@pytest.fixture(scope="module")
def styles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    classic, national = tmp_path_factory.mktemp("classic"), tmp_path_factory.mktemp("national")
    generate_county(PEOPLE, SEED, classic)
    generate_national_county(PEOPLE, SEED, national)
    return {"classic": _run(classic), "national": _run(national)}


def test_same_people(styles) -> None:
    classic, national = styles["classic"].people, styles["national"].people
    assert classic.height > PEOPLE * 0.9
    assert classic.equals(national)


def test_same_mismatch_counts_per_rule(styles) -> None:
    classic = styles["classic"].mismatches
    assert classic == styles["national"].mismatches
    assert len(classic) >= 8  # every planted rule is found


@pytest.mark.parametrize("level", [0, 1, 2], ids=["village", "township", "county"])
def test_same_monthly_metrics(styles, level: int) -> None:
    classic, national = styles["classic"].monthly[level], styles["national"].monthly[level]
    assert classic.columns == national.columns
    assert "clinic_coverage" in classic.columns  # both styles land a clinic list
    assert classic.equals(national)
    assert classic["registered_total"].sum() > 0


def test_national_files_have_their_own_words(styles) -> None:
    rec = {name: run.ingested.recognition for name, run in styles.items()}
    headers = {name: set(r.drop_nulls("header")["header"]) for name, r in rec.items()}
    files = {name: set(r["source_file"]) for name, r in rec.items()}
    assert files["classic"] & files["national"] == {"行政区划.csv"}
    shared = headers["classic"] & headers["national"]
    assert len(shared) < len(headers["national"]) / 2, shared
    national_words = {"致贫/返贫风险1", "户类型", "开始日期", "人员身份类别", "结算方式"}
    assert national_words <= headers["national"]


def test_national_roster_has_no_population_type_column_and_it_is_derived(styles) -> None:
    rec = styles["national"].ingested.recognition.filter(pl.col("extract") == "poverty_roster")
    assert rec.filter(pl.col("field") == "population_type")["how"].to_list() == ["derived"]
    assert rec.filter(pl.col("field") == "risk_cause")["header"].to_list() == [
        "致贫/返贫风险1", "致贫/返贫风险2", "致贫/返贫风险3"]
    roster = styles["national"].ingested.tables["poverty_roster"]
    assert set(roster["population_type"].drop_nulls()) == {"脱贫人口", "监测对象"}


@pytest.mark.parametrize("style", ["classic", "national"])
def test_every_header_read_or_known_and_every_value_coded(styles, style: str) -> None:
    ingested = styles[style].ingested
    how = set(ingested.recognition["how"])
    assert how <= {"builtin", "unused", "derived"}, how
    unknown = ingested.field_issue.filter(pl.col("check") == "value_unknown")
    assert unknown.height == 0, unknown
