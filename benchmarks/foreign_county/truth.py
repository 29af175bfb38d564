"""The truth beside the landing files: persons, where each row came from, words and headers.

- ``persons.csv``: person_key, name, id_number, sex (M/F), birth_date, village_code,
  household_key, twin_of, death_date.
- ``records.csv``: source_file, sheet, row_number (as a spreadsheet shows it, title and header
  rows counted), person_key (empty for totals, notes, blank rows and places), row_kind.
- ``words.csv``: concept, word as written, meaning in plain English — every value written in a
  column that carries a concept.
- ``headers.csv``: source_file, sheet, header as written, meaning in plain English.
- ``villages.csv``: village_code, township_code, township_name, name (as the division table
  writes it), core (the name without 村 / 社区 / committee words), kind (村 or 社区),
  urban_rural, former_core (the name before a merger, still written by civil affairs).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from benchmarks.foreign_county.layout import KEY, KIND, Extract
from benchmarks.foreign_county.vocab import meaning

MULTI_VALUED = {"service_package", "population_group"}
SPLIT = re.compile(r"[,，、;；]")


def write_persons(people: pl.DataFrame, path: Path) -> None:
    """Write persons.csv."""
    people.select(
        "person_key", "name", "id_number", "sex",
        pl.col("birth_date").dt.strftime("%Y-%m-%d"), "village_code", "household_key",
        "twin_of", pl.col("death_date").dt.strftime("%Y-%m-%d"),
    ).write_csv(path)


def records(extracts: list[Extract]) -> pl.DataFrame:
    """One row per body row of every sheet, with its spreadsheet row number."""
    frames = []
    for extract in extracts:
        for sheet in extract.sheets:
            first = sheet.first_data_row
            frames.append(sheet.body.select(
                pl.lit(extract.file).alias("source_file"), pl.lit(sheet.name).alias("sheet"),
                (pl.int_range(0, pl.len()) + first).cast(pl.Int64).alias("row_number"),
                pl.col(KEY).alias("person_key"), pl.col(KIND).alias("row_kind")))
    return pl.concat(frames)


def _written(extract: Extract) -> list[tuple[str, str]]:
    """(concept, word) for every distinct value in the extract's concept columns."""
    pairs = []
    for sheet in extract.sheets:
        persons = sheet.body.filter(pl.col(KIND).is_in(["person", "place"]))
        for col in sheet.columns:
            if col.concept is None:
                continue
            values = persons[col.header].drop_nulls().unique().to_list()
            for value in values:
                parts = SPLIT.split(value) if col.concept in MULTI_VALUED else [value]
                pairs.extend((col.concept, p.strip()) for p in parts if p.strip())
    return pairs


def words(extracts: list[Extract]) -> pl.DataFrame:
    """Every (concept, word) written, with its meaning; raises on a word with no meaning."""
    pairs = sorted({pair for extract in extracts for pair in _written(extract)})
    return pl.DataFrame([(c, w, meaning(c, w)) for c, w in pairs],
                        schema=["concept", "word", "meaning"], orient="row")


def headers(extracts: list[Extract]) -> pl.DataFrame:
    """Every header as written, per file and sheet, with its meaning."""
    rows = [(e.file, s.name, c.header, c.meaning)
            for e in extracts for s in e.sheets for c in s.columns]
    return pl.DataFrame(rows, schema=["source_file", "sheet", "header", "meaning"], orient="row")


def write_truth(people: pl.DataFrame, villages: pl.DataFrame, extracts: list[Extract],
                folder: Path) -> None:
    """Write the truth files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    villages.select("village_code", "township_code", "township_name",
                    pl.col("committee").alias("name"), "core", "kind", "urban_rural",
                    "former_core").write_csv(folder / "villages.csv")
    write_persons(people, folder / "persons.csv")
    records(extracts).write_csv(folder / "records.csv")
    words(extracts).write_csv(folder / "words.csv")
    headers(extracts).write_csv(folder / "headers.csv")
