"""Files and sheets set aside whole: unreadable, unrecognised, or not fitting their extract.

One such file never stops the night: it is recorded in ``unrecognised`` (with the reason and
the closest known headers), every row it has goes to ``quarantine`` with the same check, and
its accounting row still balances (rows read = 0 accepted + all quarantined).
"""

from __future__ import annotations

import re

import polars as pl

from pipelines.domain.identity import mask_ids_in_text
from pipelines.read import Grid, Unreadable
from schemas.canonical import IngestUnrecognised
from schemas.contract import polars_schema

UNRECOGNISED_SCHEMA = polars_schema(IngestUnrecognised)
UNREADABLE_EXTRACT = "unreadable"
UNRECOGNISED_EXTRACT = "unrecognised"
# The ``extract`` of a file set aside before reading, in accounting and files, by its check.
SET_ASIDE_EXTRACT = {"file_unreadable": UNREADABLE_EXTRACT, "file_empty": "empty",
                     "file_duplicate": "duplicate"}
_CLOSEST = re.compile(r"Closest(?: known headers)?:\s*(.*?)(?:\.\s+(?:Add|Headers)\b|$)")


def closest_headers(exc: Exception) -> str | None:
    """The closest known headers a recognition error names, if any.

    Uses the error's ``closest`` attribute when it has one, else the ``Closest …:`` part of
    its message.

    Args:
        exc: the error.

    Returns:
        The text (IDs masked), or None when it names none.
    """
    found = getattr(exc, "closest", None)
    if found is None:
        m = _CLOSEST.search(str(exc))
        found = m.group(1) if m else None
    if isinstance(found, list | tuple):
        found = "; ".join(map(str, found))
    if not found or found == "none":
        return None
    return str(mask_ids_in_text(str(found)))


def unreadable_row(item: Unreadable) -> dict:
    """The ``unrecognised`` row of a file that could not be read."""
    return {"source_file": item.source_file, "sheet": "", "check": item.check,
            "reason": str(mask_ids_in_text(item.reason)), "closest": None, "rows_read": 0}


def rejected_grid(grid: Grid, check: str, exc: Exception) -> tuple[dict, pl.DataFrame]:
    """Set a whole sheet aside: its ``unrecognised`` row and one quarantine row per row.

    Args:
        grid: the sheet or text file.
        check: ``sheet_unrecognised`` or ``sheet_invalid``.
        exc: the error that set it aside (its message names no cell content).

    Returns:
        (the ``unrecognised`` row, the quarantine-shaped rows: ``row_number``, ``column``,
        ``check``, ``reason``, ``value_masked``).
    """
    reason = str(mask_ids_in_text(str(exc)))
    row = {"source_file": grid.source_file, "sheet": grid.sheet, "check": check,
           "reason": reason, "closest": closest_headers(exc), "rows_read": grid.frame.height}
    rows = grid.frame.select(
        "row_number", pl.lit(None, pl.String).alias("column"), pl.lit(check).alias("check"),
        pl.lit(reason).alias("reason"), pl.lit(None, pl.String).alias("value_masked"),
    )
    return row, rows


def unrecognised_frame(rows: list[dict]) -> pl.DataFrame:
    """The ``unrecognised`` table from its rows."""
    return pl.DataFrame(rows, schema=UNRECOGNISED_SCHEMA)
