"""Rows whose shape betrays them: swallowed by a stray quote, too many fields, a giant cell.

A text file's records are measured by the reader (``Grid.shapes``, see
:mod:`pipelines.read.records`); against the header row they tell:

- ``stray_quote`` (quarantined): a ``"`` opened a cell that runs over several lines and holds
  whole rows: those rows were not read on their own;
- ``too_many_fields`` (quarantined): values beyond the header's last column (an unquoted
  delimiter inside a value shifts every value after it; the extra values are not read);
- ``too_few_fields`` (a field issue; the row is kept): the record ends before the header's
  last column, the fields it lacks read as empty.

In any grid, a mapped cell longer than ``MAX_CELL`` characters (Excel's own limit: no system
exports one) is ``cell_too_long`` (quarantined). One quarantine row per row, in that order.
"""

from __future__ import annotations

import polars as pl

from pipelines.domain.identity import mask_ids_in_text
from pipelines.extracts import Recognised

MAX_CELL = 32_767
SHOWN = 30  # characters of an offending value shown (IDs masked)
LAYOUT_ROWS = 3  # rows, and at least half of them, with more fields than the header: a layout
PROBLEM_SCHEMA = {"row_number": pl.Int64, "column": pl.String, "check": pl.String,
                  "reason": pl.String, "value_masked": pl.String}
FEW_SCHEMA = {"row_number": pl.Int64, "column": pl.String, "value_masked": pl.String}


def header_width(rec: Recognised) -> int:
    """Columns up to the header row's last non-empty cell."""
    filled = [int(c[1:]) for c, h in rec.headers.items() if h and h.strip()]
    return max(filled, default=-1) + 1


def _shown(value: pl.Expr) -> pl.Expr:
    """A value as a problem row shows it: at most SHOWN characters, IDs masked."""
    cut = pl.when(value.str.len_chars() > SHOWN).then(
        value.str.slice(0, SHOWN) + pl.lit("…")).otherwise(value)
    return mask_ids_in_text(cut)


def _fields(rows: pl.DataFrame) -> list[str]:
    return [c for c in rows.columns if c not in ("row_number", "_cells", "_first")]


def _extra_cells(rec: Recognised, width: int) -> pl.DataFrame:
    """row_number and the first value of each row in a column beyond the header's last."""
    grid = rec.grid.frame
    extra = [f"c{i}" for i in range(width, grid.width - 1) if f"c{i}" in grid.columns]
    if not extra:
        return pl.DataFrame(schema={"row_number": pl.Int64, "_extra": pl.String})
    values = [pl.when(pl.col(c).str.contains(r"\S")).then(pl.col(c)) for c in extra]
    return (grid.filter(pl.col("row_number") > rec.header_row)
            .select("row_number", pl.coalesce(values).alias("_extra"))
            .filter(pl.col("_extra").is_not_null()))


def _first_field(rows: pl.DataFrame, cond: str) -> pl.Expr:
    """The first field of the row meeting a condition (``long`` or ``lines``)."""
    tests = {"long": lambda c: pl.col(c).str.len_chars() > MAX_CELL,
             "lines": lambda c: pl.col(c).str.contains("\n", literal=True)}[cond]
    return pl.coalesce([pl.when(tests(f)).then(pl.lit(f)) for f in _fields(rows)]
                       or [pl.lit(None, pl.String)])


def _problem(check: str, column: pl.Expr, reason: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.struct(column.alias("column"), pl.lit(check).alias("check"),
                     reason.alias("reason"), value.alias("value_masked"))


def _long_value(rows: pl.DataFrame) -> pl.Expr:
    """The first over-long field's start and length."""
    parts = [pl.when(pl.col(f).str.len_chars() > MAX_CELL).then(
        _shown(pl.col(f).str.slice(0, SHOWN)) + pl.format(" ({} characters)",
                                                          pl.col(f).str.len_chars()))
        for f in _fields(rows)]
    return pl.coalesce(parts or [pl.lit(None, pl.String)])


def _measured(rec: Recognised, rows: pl.DataFrame, width: int) -> pl.DataFrame:
    """The rows with ``fields``, ``inner`` (text files; else null) and ``_extra``, the first
    value beyond the columns a row is expected to have: the header's, or the layout's when
    most rows have more (a column the header does not name)."""
    shapes = rec.grid.shapes
    if shapes is None:
        return rows.with_columns(fields=pl.lit(None, pl.Int32), inner=pl.lit(None, pl.Int32),
                                 _extra=pl.lit(None, pl.String), _expected=pl.lit(width))
    frame = rows.join(shapes, on="row_number", how="left")
    counts = frame["fields"].drop_nulls().value_counts(sort=True)
    usual = counts.row(0)[0] if counts.height and counts.row(0)[1] >= max(
        LAYOUT_ROWS, frame.height / 2) else 0
    expected = max(width, int(usual))
    return frame.join(_extra_cells(rec, expected), on="row_number", how="left").with_columns(
        _expected=pl.lit(expected))


def shape_problems(rec: Recognised, rows: pl.DataFrame,
                   ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Split off the rows whose shape is wrong (see the module).

    Args:
        rec: the recognised grid.
        rows: its mapped rows (``pipelines.extracts.mapped_frame``), blank and totals rows
            already set aside.

    Returns:
        (rows kept, quarantine-shaped rows ``PROBLEM_SCHEMA``, too-few rows ``FEW_SCHEMA``:
        the first field each lacks and ``fields of header``).
    """
    width = header_width(rec)
    fields = _fields(rows)
    swallowed = pl.col("inner") >= max(3, width)
    too_many = (pl.col("fields") > pl.col("_expected")) & (
        pl.col("_extra").is_not_null() | (pl.col("fields") > rec.grid.frame.width - 1))
    too_long = pl.any_horizontal([pl.col(f).str.len_chars() > MAX_CELL for f in fields]
                                 or [pl.lit(False)])
    problem = (
        pl.when(swallowed.fill_null(False)).then(_problem(
            "stray_quote", _first_field(rows, "lines"),
            pl.lit('a quote (") opens a cell that runs over several lines and holds whole '
                   "rows: the rows inside it are not read - fix the quote in the file"),
            pl.lit(None, pl.String)))
        .when(too_many.fill_null(False)).then(_problem(
            "too_many_fields", pl.lit(None, pl.String),
            pl.format("the row has {} fields, the header {}: the values may have shifted "
                      "(an unquoted delimiter?) and those beyond the last column are not "
                      "read", "fields", pl.lit(width)),
            _shown(pl.col("_extra"))))
        .when(too_long).then(_problem(
            "cell_too_long", _first_field(rows, "long"),
            pl.lit(f"a cell longer than {MAX_CELL} characters (Excel's limit): not a value "
                   "an extract holds"), _long_value(rows)))
    )
    # the problem (and what it shows) is worked out only for the rows that may have one: a
    # cell of more than MAX_CELL characters has more than MAX_CELL bytes
    maybe = (swallowed.fill_null(False) | too_many.fill_null(False)
             | pl.any_horizontal([pl.col(f).str.len_bytes() > MAX_CELL for f in fields]
                                 or [pl.lit(False)]))
    measured = _measured(rec, rows, width)
    bad = measured.filter(maybe).with_columns(problem.alias("_problem")).filter(
        pl.col("_problem").is_not_null())
    if bad.height == 0:
        return rows, pl.DataFrame(schema=PROBLEM_SCHEMA), _too_few(rec, measured, width)
    quarantined = bad.select("row_number", pl.col("_problem").struct.unnest()).cast(
        PROBLEM_SCHEMA)
    gone = ~pl.col("row_number").is_in(bad["row_number"].implode())
    return rows.filter(gone), quarantined, _too_few(rec, measured.filter(gone), width)


def _too_few(rec: Recognised, kept: pl.DataFrame, width: int) -> pl.DataFrame:
    """Rows with fewer fields than the header whose missing columns include a mapped one."""
    if kept["fields"].null_count() == kept.height:
        return pl.DataFrame(schema=FEW_SCHEMA)
    mapped = [(i, rec.columns[f"c{i}"]) for i in range(width) if f"c{i}" in rec.columns]
    if not mapped:
        return pl.DataFrame(schema=FEW_SCHEMA)
    first_missing = pl.coalesce([pl.when(pl.col("fields") <= i).then(pl.lit(field))
                                 for i, field in mapped])
    return kept.filter(pl.col("fields") < width).select(
        "row_number", first_missing.alias("column"),
        pl.format("{} of {} fields", "fields", pl.lit(width)).alias("value_masked"),
    ).filter(pl.col("column").is_not_null()).cast(FEW_SCHEMA)


def as_problems(rows: pl.DataFrame) -> pl.DataFrame:
    """Quarantine-shaped rows (``row_number``, column, check, reason, value_masked) in the
    common schema, whichever step made them."""
    return rows.select(list(PROBLEM_SCHEMA)).cast(PROBLEM_SCHEMA)
