"""A steward's own answer to a case, kept in the archive beside the townships' returned lists.

The steward (UI job ``case_answer`` or ``sanji case explain / note``) answers a case the way a
township does: :func:`pipelines.cases.steward_answer` makes the ``Verification`` row and
:func:`archive_steward_answer` keeps it as a one-row work list (the 问题清单's own columns) in
the county's returns archive, so the next ``mismatch_case`` reads it with every other answer
(:func:`pipelines.cases.verifications_received`): who, when and the note, and ``explained`` for
信息有误 / 其他.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import polars as pl

from pipelines.cases.returned import HEADER_LABELS
from pipelines.domain.months import Month
from pipelines.exchange.archive import Archived, archive_return
from schemas.cases import Verification
from schemas.contract import conform

STEWARD_FILE = "数据员核实_{case_id}.csv"  # the archived answer's name (its source_file)


def latest_cases(store) -> tuple[str | None, pl.DataFrame]:
    """The latest month of the county's published ``mismatch_case`` and that month's cases.

    Args:
        store: the county's :class:`pipelines.warehouse.Warehouse`.

    Returns:
        (month, cases); (None, empty frame) when no case was ever published.
    """
    if not store.has_table("mismatch_case"):
        return None, pl.DataFrame()
    months = store.read("mismatch_case")["month"].drop_nulls()
    if months.is_empty():
        return None, pl.DataFrame()
    month = str(months.max())
    return month, store.read("mismatch_case", month=month)


def archive_steward_answer(answer: pl.DataFrame, archive: Path, month: str | Month,
                           received_at: datetime | None = None) -> Archived:
    """Keep a steward's answer as a one-row work list in the county's returns archive.

    Args:
        answer: one ``Verification`` row (:func:`pipelines.cases.steward_answer`).
        archive: the county's returns archive (``<archive>/<county>/returns``).
        month: the month of the cases it answers (the archive's month folder).
        received_at: when it counts as received (default now, county time).

    Returns:
        The archived copy (the same answer archived twice for a month is kept once).
    """
    row = conform(answer, Verification).head(1)
    labels = HEADER_LABELS
    sheet = row.select(
        pl.col("case_id").alias(labels["case_id"]), pl.col("result").alias(labels["result"]),
        pl.col("note").alias(labels["note"]), pl.col("verified_by").alias(labels["verified_by"]),
        pl.col("verified_on").cast(pl.String).alias(labels["verified_on"]))
    with tempfile.TemporaryDirectory(prefix="sanji-answer-") as folder:
        path = Path(folder) / STEWARD_FILE.format(case_id=row["case_id"].item())
        sheet.write_csv(path)
        return archive_return(path, archive, "worklist", month, received_at)
