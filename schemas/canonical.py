"""Pandera models of the ingested tables: ``person_records``, the typed extract tables, the
region table, and ingest's accounting of files and rows.

``PersonRecords`` is the contract of the columns every accepted record carries
(``COMMON_COLUMNS``, derived from it); each extract table is those columns plus the extract's
own fields, typed by ``pipelines.domain.extracts.field_type``. Custom checks: ``id_checksum``
(ISO 7064 MOD 11-2 on ``id_number``; ingest turns its failures into field issues, the row stays)
and ``code_12_digits`` on region codes.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from pipelines.domain.extracts import EXTRACTS, MONEY_FIELDS, field_type
from pipelines.domain.identity import id_check_char_expr
from schemas.contract import columns, polars_schema


def id_checksum_ok(data: PolarsData) -> pl.LazyFrame:
    """Null or an 18-char ID whose check character is right."""
    col = pl.col(data.key)
    ok = id_check_char_expr(col.str.slice(0, 17)) == col.str.slice(17, 1)
    return data.lazyframe.select(col.is_null() | ok.fill_null(False))


def code_12_digits(data: PolarsData) -> pl.LazyFrame:
    """Null or a 12-digit division code."""
    col = pl.col(data.key)
    return data.lazyframe.select(col.is_null() | col.str.contains(r"^\d{12}$"))


class PersonRecords(pa.DataFrameModel):
    """One row per accepted input row: the columns the linker reads."""

    record_id: str  # unique by construction (file|sheet|row); not re-checked on 1M rows
    source_file: str
    sheet: str
    row_number: int = pa.Field(ge=1)
    department: str
    extract: str = pa.Field(isin=list(EXTRACTS))
    name_raw: str = pa.Field(nullable=True)
    name: str = pa.Field(nullable=True)
    name_pinyin: str = pa.Field(nullable=True)
    id_raw: str = pa.Field(nullable=True)
    id_number: str = pa.Field(nullable=True)
    id_valid: bool
    sex: str = pa.Field(nullable=True, isin=["男", "女"])
    birth_date: pl.Date = pa.Field(nullable=True)
    township_code: str = pa.Field(nullable=True)
    village_code: str = pa.Field(nullable=True)
    village_raw: str = pa.Field(nullable=True)
    household_id: str = pa.Field(nullable=True)

    @pa.check("id_number")
    def id_checksum(cls, data: PolarsData) -> pl.LazyFrame:
        return id_checksum_ok(data)

    @pa.check("township_code", "village_code")
    def code_12_digits(cls, data: PolarsData) -> pl.LazyFrame:
        return code_12_digits(data)

    class Config:
        strict = False
        coerce = False


COMMON_COLUMNS: tuple[str, ...] = tuple(columns(PersonRecords))


def own_fields(extract: str) -> list[str]:
    """The fields an extract table carries beyond ``COMMON_COLUMNS``.

    Args:
        extract: extract name.

    Returns:
        Field names in spec order.
    """
    spec = EXTRACTS[extract]
    return [f for f in spec.fields if f not in spec.person_fields and f not in COMMON_COLUMNS]


def _table_model(extract: str) -> type[pa.DataFrameModel]:
    """PersonRecords plus the extract's own typed, nullable fields."""
    annotations: dict[str, object] = {}
    attrs: dict[str, object] = {"__module__": __name__,
                                "__doc__": f"Typed {extract} extract table."}
    py = {pl.Date(): pl.Date, pl.Float64(): float, pl.Boolean(): bool, pl.String(): str}
    for name in own_fields(extract):
        annotations[name] = py[field_type(name)]
        attrs[name] = pa.Field(nullable=True, ge=0) if name in MONEY_FIELDS \
            else pa.Field(nullable=True)
    attrs["__annotations__"] = annotations
    return type(f"Table_{extract}", (PersonRecords,), attrs)


TABLE_MODELS: dict[str, type[pa.DataFrameModel]] = {e: _table_model(e) for e in EXTRACTS}


def table_schema(extract: str) -> pl.Schema:
    """Column -> type of a typed extract table: ``COMMON_COLUMNS`` then its own fields.

    Args:
        extract: extract name.

    Returns:
        The polars schema of ``TABLE_MODELS[extract]``.
    """
    return polars_schema(TABLE_MODELS[extract])


class Regions(pa.DataFrameModel):
    """The county's division table."""

    code: str = pa.Field(unique=True)
    name: str
    level: str = pa.Field(isin=["county", "township", "village"])
    parent_code: str = pa.Field(nullable=True)
    township_code: str = pa.Field(nullable=True)
    former_name: str = pa.Field(nullable=True)

    @pa.check("code", "parent_code", "township_code")
    def code_12_digits(cls, data: PolarsData) -> pl.LazyFrame:
        return code_12_digits(data)

    class Config:
        strict = False


class IngestAccounting(pa.DataFrameModel):
    """Rows read, accepted and quarantined per file and sheet (read = accepted + quarantined)."""

    source_file: str
    sheet: str
    extract: str
    rows_read: int = pa.Field(ge=0)
    rows_accepted: int = pa.Field(ge=0)
    rows_quarantined: int = pa.Field(ge=0)


class IngestFiles(pa.DataFrameModel):
    """Each file and sheet read: what it was recognised as, its encoding and content hash."""

    source_file: str
    sheet: str
    extract: str
    department: str = pa.Field(nullable=True)
    encoding: str
    sha256: str
    rows_read: int = pa.Field(ge=0)


class IngestUnrecognised(pa.DataFrameModel):
    """Each file or sheet set aside whole: unreadable, or no extract recognised in it.

    ``check`` is ``file_unreadable`` (rows_read 0: nothing could be read), ``file_empty`` (no
    cell holds text), ``file_duplicate`` (the same bytes as another landing file, read
    instead), ``sheet_hidden`` (a hidden sheet, usually an old copy), ``sheet_unrecognised``
    (no header row or no extract fits its headers) or ``sheet_invalid`` (recognised, but its
    rows do not fit the extract); every row of such a sheet is in ``quarantine`` with the same
    check. ``closest`` names the known headers nearest to the ones seen, for the steward's
    mapping.
    """

    source_file: str
    sheet: str
    check: str = pa.Field(isin=["file_unreadable", "file_empty", "file_duplicate",
                                "sheet_hidden", "sheet_unrecognised", "sheet_invalid"])
    reason: str
    closest: str = pa.Field(nullable=True)
    rows_read: int = pa.Field(ge=0)
