"""Metadata helpers: frames as Dagster tables, IDs always masked.

Previews are ``MetadataValue.table`` (never markdown: the ``*`` of a masked ID would be read
as emphasis). Any column that can hold an identity number is masked before it leaves here.
"""


import re

import polars as pl
from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from pipelines.domain.identity import mask_id, mask_ids_in_text

# Columns that may hold a full identity number: exactly these names, or a strict pattern for
# their pair / numbered variants (``id_number_l``, ``id_raw_r``, ``id_number_2``). Provenance and
# flag columns (``id_number_source``, ``id_valid``, ``id_masked``: already masked) are not IDs.
ID_COLUMNS = frozenset({"id_number", "id_raw", "id", "id_l", "id_r", "id_t",
                        "id_number_l", "id_number_r", "id_raw_l", "id_raw_r"})
ID_COLUMN = re.compile(r"^(id_number|id_raw)_(l|r|left|right|\d+)$")
_KINDS = {pl.Int64: "int", pl.Int32: "int", pl.UInt32: "int", pl.Float64: "float",
          pl.Boolean: "bool"}


def is_id_column(name: str) -> bool:
    """Whether a column named ``name`` may hold a full identity number (and must be masked)."""
    return name in ID_COLUMNS or ID_COLUMN.fullmatch(name) is not None


def masked(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with identity numbers masked (``410103********123X``).

    ID columns are masked whole; every other text column is scrubbed of ID-like runs, so a
    number that strays into free text (a detail, a raw value) never reaches the UI either.
    Record keys are hashes, not IDs, and stay as they are for stewards to copy.
    """
    ids = [c for c in frame.columns if is_id_column(c)]
    text = [c for c, t in frame.schema.items()
            if t == pl.String and c not in ids and not c.startswith("record_key")]
    return frame.with_columns(
        *(mask_id(pl.col(c).cast(pl.String)).alias(c) for c in ids),
        *(mask_ids_in_text(pl.col(c)).alias(c) for c in text),
    )


def _kind(dtype: pl.DataType) -> str:
    return next((k for t, k in _KINDS.items() if dtype == t), "string")


def table_preview(frame: pl.DataFrame, limit: int = 10) -> MetadataValue:
    """The first ``limit`` rows as a Dagster table, IDs masked, values as text or numbers.

    Args:
        frame: any frame.
        limit: rows to show.

    Returns:
        ``MetadataValue.table`` with a schema.
    """
    head = masked(frame.head(limit))
    kinds = {c: "string" if head[c].null_count() else _kind(t) for c, t in head.schema.items()}
    head = head.with_columns(pl.col(c).cast(pl.String).fill_null("")
                             for c, k in kinds.items() if k == "string")
    schema = TableSchema(columns=[TableColumn(name=c, type=k) for c, k in kinds.items()])
    records = [TableRecord(row) for row in head.iter_rows(named=True)]
    return MetadataValue.table(records=records, schema=schema)


def counts(frame: pl.DataFrame, column: str, limit: int = 50) -> MetadataValue:
    """Rows per value of ``column`` (most first) as a Dagster table."""
    if column not in frame.columns:
        return table_preview(pl.DataFrame({column: [], "rows": []}))
    table = frame.group_by(pl.col(column).fill_null("(none)")).len("rows")
    return table_preview(table.sort("rows", descending=True), limit=limit)


def township_counts(frame: pl.DataFrame, regions: pl.DataFrame, limit: int = 50) -> MetadataValue:
    """Rows per township (most first) with the township's name beside its code.

    Args:
        frame: a frame with a ``township_code`` column.
        regions: the region table (``code``, ``name``, ``level``).
        limit: townships to show.

    Returns:
        ``MetadataValue.table`` with ``township_code``, ``township_name`` and ``rows``.
    """
    empty = pl.DataFrame(schema={"township_code": pl.String, "township_name": pl.String,
                                 "rows": pl.UInt32})
    if "township_code" not in frame.columns:
        return table_preview(empty)
    names = (regions.filter(pl.col("level") == "township")
             .select(pl.col("code").alias("township_code"), pl.col("name").alias("township_name"))
             .unique("township_code"))
    table = (frame.group_by("township_code").len("rows")
             .join(names, on="township_code", how="left")
             .select("township_code", "township_name", "rows")
             .with_columns(pl.col("township_code", "township_name").fill_null("(none)")))
    return table_preview(table.sort(["rows", "township_code"], descending=[True, False]),
                         limit=limit)
