"""A realistic run's tables (small), the landing snapshot that goes with them, and the check that
every published table belongs to one run. Shared by the tests and ``publish_worker.py``."""

from __future__ import annotations

import hashlib

import polars as pl

from pipelines.guard import LandingSnapshot
from pipelines.warehouse import Warehouse

MONTH = "2024-02"
# month-sliced as in assets/publish.py; the others are replaced whole
SLICED = ("county_monthly", "mismatch", "person", "person_source", "township_monthly",
          "village_monthly")
WHOLE = ("field_issue", "person_id_map", "quarantine", "uncertain_match")
TABLES = tuple(sorted(SLICED + WHOLE))
EXTRACTS = {"poverty_roster": 0.1, "insurance_enrolment": 1.0, "death_record": 0.02,
            "regions": 0.05}


def run_tables(people: int) -> dict[str, pl.DataFrame]:
    """The ten tables of one run over ``people`` people (sizes follow ``people``)."""
    i = pl.int_range(people, eager=True).alias("i")
    base = pl.DataFrame(i)
    person = base.select(
        person_id=pl.format("P{}", pl.col("i")), name=pl.lit("张伟"),
        village_code=pl.format("4105260010{}", (pl.col("i") % 20 + 10).cast(pl.String)),
        birth_date=pl.date(1950, 1, 1) + pl.duration(days=pl.col("i")),
        n_records=(pl.col("i") % 4 + 1), departments=pl.lit("health,poverty"))
    villages = person.group_by("village_code").agg(people=pl.len()).sort("village_code")
    return {
        "person": person,
        "person_source": person.select("person_id", record_id=pl.format("R{}", pl.col(
            "person_id")), source_file=pl.lit("enrolment.csv"), row_number=pl.int_range(pl.len())),
        "mismatch": person.filter(pl.col("n_records") == 1).select(
            "person_id", rule=pl.lit("not_insured"), pending_match=pl.lit(False)),
        "village_monthly": villages.with_columns(coverage=pl.col("people") / people),
        "township_monthly": villages.select(township_code=pl.lit("410526001"),
                                            people=pl.col("people").sum()).unique(),
        "county_monthly": pl.DataFrame({"county_code": ["410526"], "people": [people]}),
        "quarantine": base.head(people // 10).select(
            source_file=pl.lit("death.csv"), row_number=pl.col("i"), check=pl.lit("blank_row")),
        "field_issue": base.head(people // 5).select(
            record_id=pl.format("R{}", pl.col("i")), check=pl.lit("date_repaired")),
        "uncertain_match": base.head(people // 20).select(
            record_id_l=pl.format("R{}", pl.col("i")), score=pl.col("i") / 100),
        "person_id_map": person.select(record_key=pl.format("K{}", pl.col("person_id")),
                                       person_id="person_id"),
    }


def landing(people: int, *, drop: set[str] = frozenset(), empty: set[str] = frozenset(),
            scale: float = 1.0) -> LandingSnapshot:
    """Tonight's landing for ``people``: one file per extract (less ``drop``, 0 rows for
    ``empty``, the enrolment scaled by ``scale``)."""
    rows = {e: max(1, int(people * share * (scale if e == "insurance_enrolment" else 1)))
            for e, share in EXTRACTS.items() if e not in drop}
    rows.update(dict.fromkeys(empty & set(rows), 0))
    files = pl.DataFrame({"source_file": [f"{e}.csv" for e in rows], "sheet": [""] * len(rows),
                          "extract": list(rows),
                          "sha256": [hashlib.sha256(e.encode()).hexdigest() for e in rows],
                          "rows_read": list(rows.values())})
    accounting = files.select("source_file", "sheet", "extract", "rows_read",
                              rows_accepted="rows_read", rows_quarantined=pl.lit(0))
    return LandingSnapshot.from_ingest(files, accounting)


def read_all(wh: Warehouse, month: str | None = MONTH):
    """Every run table (the month's slice of the sliced ones; all months with None) at once."""
    return wh.read_many({t: month if t in SLICED else None for t in TABLES})


def assert_one_run(wh: Warehouse, month: str = MONTH,
                   kept: dict[str, tuple[str, dict[str, int]]] | None = None) -> str:
    """Every table is the last publication's, whole: its run id and its row counts.

    Args:
        wh: the warehouse.
        month: the month the last publication published.
        kept: month -> (run id, row counts) of other months' slices that must be untouched.

    Returns:
        The run id of the last publication.
    """
    snap = read_all(wh, None)
    last = snap.publication
    assert last is not None and last.status == "published"
    for table, frame in snap.tables.items():
        for slice_month, (run_id, counts) in {month: (last.run_id, last.row_counts),
                                              **(kept or {})}.items():
            rows = frame.filter(pl.col("month") == slice_month) if table in SLICED else frame
            if table in SLICED or slice_month == month:
                assert rows["run_id"].unique().to_list() == [run_id], (table, slice_month)
                assert rows.height == counts[table], (table, slice_month)
    with wh._db.connect() as con:
        names = [r[0] for r in wh._db.execute(
            con, "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            (wh._db.schema,))]
    assert not [n for n in names if "__stage_" in n], names
    return last.run_id
