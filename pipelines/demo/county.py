"""Generate the demo county end to end: places, people, departments, plants, files, truth."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.demo.clinics import CLINIC_FILE, write_clinic_list
from pipelines.demo.departments import County, build_county
from pipelines.demo.dirt import DirtRates
from pipelines.demo.layout import FileLayout, layouts
from pipelines.demo.people import build_people
from pipelines.demo.places import Places, build_places, townships_for
from pipelines.demo.plant import plant_mismatches
from pipelines.demo.write import build_sheet, write_csv, write_workbook


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_county` wrote.

    Attributes:
        people: residents generated.
        households: households generated.
        rows: "file" or "file|sheet" -> rows written (data and quarantine-bound rows).
        dirt: dirt kind -> fields damaged (rows for row kinds).
        planted: rule -> cases planted.
        landing: the landing folder.
        truth: the truth folder.
    """

    people: int
    households: int
    rows: dict[str, int] = field(default_factory=dict)
    dirt: dict[str, int] = field(default_factory=dict)
    planted: dict[str, int] = field(default_factory=dict)
    landing: Path = Path()
    truth: Path = Path()


def _write_files(rng: np.random.Generator, county: County, places: Places, rates: DirtRates,
                 landing: Path, files: tuple[FileLayout, ...], created: datetime
                 ) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """Write every landing file; return (records, dirt, rows per file/sheet)."""
    planted = county.planted["person_key"]
    records, dirt, counts = [], [], {}
    for f in files:
        built = []
        for sheet in f.sheets:
            frame, keys, d = build_sheet(rng, county.tables[sheet.extract], county.persons,
                                         places.villages, f, sheet, rates, planted)
            first = sheet.first_data_row
            meta = {"source_file": f.name, "sheet": sheet.sheet}
            rec = pl.DataFrame({"row_number": np.arange(frame.height) + first,
                                "person_key": keys}).with_columns(**{k: pl.lit(v) for k, v
                                                                     in meta.items()})
            d = d.with_columns(row_number=pl.col("position") + first, **{
                k: pl.lit(v) for k, v in meta.items()})
            if sheet.totals:
                total_row = first + frame.height
                rec = pl.concat([rec, pl.DataFrame({"row_number": [total_row], "person_key": [""]},
                                                   schema=rec.select("row_number", "person_key")
                                                   .schema).with_columns(
                    **{k: pl.lit(v) for k, v in meta.items()})], how="diagonal")
                d = pl.concat([d, pl.DataFrame({
                    "row_number": [total_row], "field": [""], "kind": ["totals_row"],
                    "expect": ["quarantined"]}).with_columns(
                    **{k: pl.lit(v) for k, v in meta.items()})], how="diagonal_relaxed")
            records.append(rec)
            dirt.append(d)
            counts[f"{f.name}|{sheet.sheet}" if sheet.sheet else f.name] = rec.height
            built.append((sheet, frame))
        if f.encoding == "xlsx":
            write_workbook(landing / f.name, built, created)
        else:
            write_csv(landing / f.name, built[0][1], f)
    rec_cols = ["source_file", "sheet", "row_number", "person_key"]
    dirt_cols = ["source_file", "sheet", "row_number", "field", "kind", "expect"]
    all_rec = pl.concat([r.select(rec_cols) for r in records])
    all_dirt = pl.concat([d.select(dirt_cols) for d in dirt]).sort(
        "source_file", "sheet", "row_number", "field", maintain_order=True)
    return all_rec, all_dirt, counts


def _csv(frame: pl.DataFrame, path: Path) -> None:
    """Write a UTF-8 CSV with empty strings left empty (not quoted)."""
    frame.with_columns(pl.col(pl.String).replace("", None)).write_csv(path)


def _write_truth(truth: Path, county: County, records: pl.DataFrame, dirt: pl.DataFrame) -> None:
    """Write truth/records.csv, persons.csv, dirt.csv, planted.csv (UTF-8)."""
    _csv(records, truth / "records.csv")
    persons = county.persons.select(
        "person_key", "name", "id_number", "sex", pl.col("birth_date").dt.strftime("%Y-%m-%d"),
        "village_code", "household_key", "twin_of",
    )
    _csv(persons, truth / "persons.csv")
    _csv(dirt, truth / "dirt.csv")
    _csv(county.planted, truth / "planted.csv")


def simulate_county(rng: np.random.Generator, people: int, as_of: date
                    ) -> tuple[Places, County]:
    """Build the county's places, people and department tables, mismatches planted.

    Args:
        rng: the seeded generator (advanced by the call).
        people: number of residents.
        as_of: the extracts' reference date.

    Returns:
        (places, county) before any file is written or dirtied.
    """
    places = build_places(rng, townships_for(people))
    persons = build_people(rng, people, places, as_of)
    county = build_county(rng, persons, places, as_of)
    county = plant_mismatches(rng, county, people, as_of, places.resettled,
                              places.villages["village_code"])
    return places, county


def generate_county(people: int, seed: int, out: Path, *, rates: DirtRates | None = None,
                    as_of: date = date(2026, 10, 31)) -> DemoSummary:
    """Generate a demo county's landing files and the truth behind them.

    Deterministic: the same arguments give byte-identical files.

    Args:
        people: number of residents (at least 200).
        seed: random seed.
        out: output folder; `out/landing/` and `out/truth/` are replaced.
        rates: dirt rates (default `DirtRates()`; `DirtRates.clean()` for none).
        as_of: the extracts' reference date.

    Returns:
        A `DemoSummary` of what was written.

    Examples:
        >>> generate_county(2000, seed=7, out=Path("demo"))  # doctest: +SKIP
    """
    if people < 200:
        msg = f"generate_county: people must be at least 200, got {people}"
        raise ValueError(msg)
    rates = DirtRates() if rates is None else rates
    rng = np.random.default_rng(seed)
    places, county = simulate_county(rng, people, as_of)
    out = Path(out)
    landing, truth = out / "landing", out / "truth"
    for folder in (landing, truth):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    _csv(places.regions, landing / "行政区划.csv")
    clinics = write_clinic_list(places, seed, landing)
    created = datetime(as_of.year, as_of.month, as_of.day, 18, 0, 0)
    records, dirt, counts = _write_files(rng, county, places, rates, landing, layouts(as_of),
                                         created)
    _write_truth(truth, county, records, dirt)
    counts = {"行政区划.csv": places.regions.height, CLINIC_FILE: clinics, **counts}
    return DemoSummary(
        people=people,
        households=int(county.persons["household_key"].n_unique()),
        rows=counts,
        dirt=dict(dirt.group_by("kind").len().sort("kind").iter_rows()),
        planted=dict(county.planted.group_by("rule").len().sort("rule").iter_rows()),
        landing=landing,
        truth=truth,
    )
