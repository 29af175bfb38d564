"""The illness office's returned case list: find its header, read and type its rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.domain.codes import CODE_LISTS, ILLNESS_STATUSES
from pipelines.domain.identity import mask_ids_in_text
from pipelines.exchange.headers import (
    CASE_SHEET,
    EXCHANGE_HEADERS,
    MAPPED_FIELDS,
    REQUIRED,
    RETURN_HEADERS,
)
from pipelines.extracts import HeaderMapping, normalise_header
from pipelines.values import map_column, serious_illness_in
from schemas.contract import polars_schema
from schemas.exchange import IllnessCase, ReturnedCase

CASE_SCHEMA = polars_schema(IllnessCase)


def header_lookup(mapping: HeaderMapping | None = None) -> dict[str, str]:
    """Normalised header text -> exchange field, over every variant and the steward's extras.

    Args:
        mapping: the steward's header mapping; its extra variants of any extract's field that
            is also an exchange field (``illness``, ``status``, ``id_number`` …) are added.

    Returns:
        The lookup (built-in variants win over the steward's).
    """
    extra = [(MAPPED_FIELDS.get(name, name), variant)
             for fields in (mapping.extra.values() if mapping else ())
             for name, variants in fields.items() for variant in variants]
    known = {**RETURN_HEADERS, **EXCHANGE_HEADERS}
    lookup = {normalise_header(v): f for f, v in extra if f in known}
    lookup.update({normalise_header(h): f for f, hs in known.items() for h in hs})
    return lookup


def find_header(grid: pl.DataFrame, lookup: dict[str, str]) -> tuple[int, dict[str, str]]:
    """The first of the top rows naming at least three exchange fields, and its mapping."""
    for row in grid.head(10).iter_rows(named=True):
        mapping = {}
        for col, value in row.items():
            if col == "row_number":
                continue
            text = normalise_header(value)
            if text in lookup and lookup[text] not in mapping.values():
                mapping[col] = lookup[text]
        if len(mapping) >= 3:
            return row["row_number"], mapping
    return -1, {}


def pick_grid(path: Path):
    """The grid holding the case list: the case sheet if present, else the first sheet."""
    from pipelines.read import read_csv_grid, read_xlsx_grids

    if path.suffix.lower() == ".csv":
        return read_csv_grid(path)
    grids = read_xlsx_grids(path)
    if not grids:
        msg = f"{path.name}: the workbook has no data sheet"
        raise ValueError(msg)
    return next((g for g in grids if g.sheet == CASE_SHEET), grids[0])


def read_return_rows(path: Path, mapping: HeaderMapping | None = None
                     ) -> tuple[pl.DataFrame, str]:
    """The returned list's rows as text, as the office wrote them (full IDs included).

    Only for matching rows to people in memory (:mod:`pipelines.exchange.match`); what is kept
    or published goes through :func:`read_return`, which masks identity numbers.

    Args:
        path: the returned file.
        mapping: the steward's header mapping.

    Returns:
        (row_number + the fields found, as text; "file, sheet" for messages).

    Raises:
        ValueError: naming file, sheet and row when the header is not found or a required
            column is missing.
    """
    grid = pick_grid(path)
    where = f"{path.name}, sheet {grid.sheet or '(csv)'}"
    header_row, columns = find_header(grid.frame, header_lookup(mapping))
    if header_row < 0:
        msg = f"{where}: no header row with the exchange columns (e.g. 人员编号, 病种, 救治状态)"
        raise ValueError(msg)
    missing = [f for f in REQUIRED if f not in columns.values()]
    if "person_id" not in columns.values() and "id_masked" not in columns.values():
        missing.append("person_id")
    if missing:
        headers = ", ".join(EXCHANGE_HEADERS[f][0] for f in missing)
        msg = f"{where}, row {header_row}: missing column(s) {headers}"
        raise ValueError(msg)
    rows = (
        grid.frame.filter(pl.col("row_number") > header_row)
        .select("row_number", *(pl.col(c).str.strip_chars().alias(f) for c, f in columns.items()))
        .filter(pl.col("illness").is_not_null() & (pl.col("illness") != ""))
        .filter(~pl.any_horizontal((pl.all().exclude("row_number").cast(pl.String) == "合计")
                                   .fill_null(False)))
    )
    return _canonical(rows), where


def _canonical(rows: pl.DataFrame) -> pl.DataFrame:
    """Statuses and illnesses in the county's words (治疗中 -> 救治中, 胃癌晚期 -> 胃癌)."""
    codes, _ = map_column(rows, "status", CODE_LISTS["treatment_status"])
    illness = serious_illness_in(rows["illness"])
    return rows.with_columns(status=pl.coalesce(codes, pl.col("status")),
                             illness=pl.coalesce(illness, pl.col("illness")))


def read_return(path: Path, mapping: HeaderMapping | None = None) -> pl.DataFrame:
    """Read and validate the illness office's returned case list.

    The file is a workbook (sheet ``大病救治病例`` or its first sheet) or a CSV; the header row
    is the first of the top ten rows naming at least three known headers, in any variant of
    ``EXCHANGE_HEADERS``. Rows without a person and an illness (blank rows, a totals row
    ``合计``) are skipped. Statuses and illnesses written in the office's words are read as the
    county's (``treatment_status`` and ``serious_illness`` code lists).

    Args:
        path: the returned file.
        mapping: the steward's header mapping (``sanji_mapping.yaml``); its extra header
            variants for exchange fields are recognised too.

    Returns:
        A frame with the columns of ``CASE_SCHEMA`` plus ``row_number``.

    Raises:
        ValueError: naming file, sheet, row and column, when the header is not found, a
            required column is missing, or a status is not one of ``ILLNESS_STATUSES``.
    """
    rows, where = read_return_rows(path, mapping)
    return _typed(rows, where)


def _typed(rows: pl.DataFrame, where: str) -> pl.DataFrame:
    """Cast the returned rows to ``CASE_SCHEMA`` and check their statuses."""
    bad = rows.filter(~pl.col("status").is_in(ILLNESS_STATUSES))
    if bad.height:
        first = bad.row(0, named=True)
        expected = ", ".join(ILLNESS_STATUSES)
        msg = (f"{where}, row {first['row_number']}, column 救治状态: "
               f"unknown status {first['status']!r} (expected one of {expected})")
        raise ValueError(msg)
    exprs = []
    for col, dtype in CASE_SCHEMA.items():
        if col not in rows.columns:
            exprs.append(pl.lit(None, dtype).alias(col))
        elif dtype == pl.Date():
            exprs.append(pl.col(col).str.slice(0, 10).str.replace_all("/", "-")
                         .str.to_date("%Y-%m-%d", strict=False).alias(col))
        elif dtype in (pl.Float64(), pl.Int64()):
            exprs.append(pl.col(col).str.replace_all(",", "").cast(pl.Float64, strict=False)
                         .cast(dtype).alias(col))
        elif col == "id_masked":  # the office may send full numbers: never keep them
            exprs.append(mask_ids_in_text(pl.col(col)).alias(col))
        else:
            exprs.append(pl.col(col))
    return rows.select(*exprs, "row_number")


def read_return_empty() -> pl.DataFrame:
    """An empty returned case list (no file from the office yet), typed like :func:`read_return`."""
    return pl.DataFrame(schema=polars_schema(ReturnedCase))


