"""sanji on a county it never generated: a small foreign county (benchmarks/foreign_county)
read by ingest and linked, scored against the generator's truth.

Floors, not targets: on this county (1,200 residents, seed 5, 4,293 true pairs) sanji
measured precision 1.0, F1 0.99965 and recall 1.0 on pairs with an unusable ID (before the
same-list rule and the foreign words: F1 0.95664, two sheets set aside; docs/linkage.md,
"Foreign counties"). The floors sit a little below, so a regression in reading the county's
files or in linking them fails here, while a change of a few pairs does not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import sanji_link_eval as link_eval

from pipelines.ingest import ingest_landing, person_records
from pipelines.link import link_records, record_evidence

ROOT = Path(__file__).resolve().parents[2]
PEOPLE, SEED = 1200, 5
FLOORS = {"precision": 0.9999, "f1": 0.998, "no_usable_id": 0.98}



@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("foreign_linkage")
    cmd = [sys.executable, "-m", "benchmarks.foreign_county", "--people", str(PEOPLE),
           "--seed", str(SEED), "--out", str(out), "--no-libreoffice", "--jobs", "1"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=300)
    return out


@pytest.fixture(scope="module")
def scored(county: Path) -> dict:
    """Ingest, link and score the county; also the ingest result."""
    ingest = ingest_landing(county / "landing")
    records = person_records(ingest.tables)
    result = link_records(records, evidence=record_evidence(ingest.tables))
    key = ["source_file", "sheet", "row_number"]
    rows = pl.read_csv(county / "truth" / "records.csv", infer_schema=False).with_columns(
        pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64))
    persons = pl.read_csv(county / "truth" / "persons.csv", infer_schema=False)
    who = records.select("record_id", *key).join(rows, on=key, how="left").join(
        persons.select("person_key", "twin_of", true_name="name"), on="person_key", how="left")
    classes = link_eval.record_classes(records, None, who.select("record_id", "true_name"))
    truth = who.select("record_id", "person_key", pl.col("twin_of").replace("", None)).join(
        classes, on="record_id")
    clusters = result.links.select("record_id", cluster="person_id")
    return {"ingest": ingest, "records": records, "truth": truth, "rows": rows,
            "figures": link_eval.evaluate(clusters, truth, records)}


def test_every_file_of_the_foreign_county_is_read(scored: dict) -> None:
    """No file or sheet set aside whole; the person rows not read are only copies of a row
    read before and rows that name nobody."""
    ingest = scored["ingest"]
    assert ingest.unrecognised.height == 0, ingest.unrecognised
    persons = scored["rows"].filter(pl.col("row_kind") == "person").height
    aside = ingest.quarantine.filter(pl.col("check").is_in(["duplicate_row", "no_identity"]))
    assert scored["records"].height + aside.height >= persons


def test_linkage_floors_on_the_foreign_county(scored: dict) -> None:
    f = scored["figures"]
    shown = {k: round(f[k], 5) for k in ("precision", "recall", "f1")}
    assert f["precision"] >= FLOORS["precision"], shown
    assert f["f1"] >= FLOORS["f1"], shown
    assert f["per_class"]["no_usable_id"]["recall"] >= FLOORS["no_usable_id"], f["per_class"]
    assert f["twin_merges"] == 0
