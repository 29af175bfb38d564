"""A generated demo county and, on demand, the engine's stages over it (see conftest.py)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import polars as pl

from pipelines.demo import generate_county
from pipelines.ingest import Ingested, ingest_landing, person_records
from pipelines.link import LinkResult, link_records

DEMO_PEOPLE = 3000
DEMO_SEEDS = (3, 17)
TRUTH_KEY = ["source_file", "sheet", "row_number"]


class DemoCounty:
    """One generated county (default dirt) and, on demand, the engine's stages over it."""

    def __init__(self, out: Path, seed: int, people: int) -> None:
        """Generate the county into ``out``."""
        self.out, self.seed, self.people = out, seed, people
        generate_county(people, seed=seed, out=out)

    def truth(self, name: str) -> pl.DataFrame:
        """``truth/<name>.csv`` as text, ``sheet`` "" for CSVs and ``row_number`` an integer."""
        frame = pl.read_csv(self.out / "truth" / f"{name}.csv", infer_schema=False)
        if "row_number" in frame.columns:
            frame = frame.with_columns(pl.col("sheet").fill_null(""),
                                       pl.col("row_number").cast(pl.Int64))
        return frame

    @cached_property
    def ingested(self) -> Ingested:
        """The landing folder through ``ingest_landing``."""
        return ingest_landing(self.out / "landing")

    @cached_property
    def records(self) -> pl.DataFrame:
        """``person_records`` of the ingested tables."""
        return person_records(self.ingested.tables)

    @cached_property
    def linked(self) -> LinkResult:
        """The linker's result over the records."""
        return link_records(self.records)

    @cached_property
    def record_keys(self) -> pl.DataFrame:
        """record_id -> the generator's person_key, for every accepted record it attributes."""
        return (
            self.records.select(*TRUTH_KEY, "record_id")
            .join(self.truth("records"), on=TRUTH_KEY, how="inner")
            .filter(pl.col("person_key").is_not_null())
            .select("record_id", "person_key")
        )

    @cached_property
    def true_links(self) -> pl.DataFrame:
        """Links as the truth has them: each record's person_id is its true person_key."""
        return self.record_keys.select(
            "record_id", record_key=pl.col("record_id"), person_id=pl.col("person_key")
        ).with_columns(cluster_size=pl.len().over("person_id").cast(pl.Int64))
