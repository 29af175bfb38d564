"""The monthly exchange with the county serious-illness office (县大病办).

Each month the county sends its reconciled serious-illness case list as a workbook the office
can open and print (Chinese headers, one case sheet, one summary sheet per township) and
receives the office's own list back. Our list is keyed by ``person_id`` + ``illness``; the
office's rows are matched to people first (by ID, else name, birth date, masked ID and
illness); the difference is what must be reconciled before the summary is filed on the 5th of
the following month.

- :func:`illness_cases` builds our case list for a month from the linked tables.
- :func:`write_workbook` writes it as ``.xlsx`` (xlsxwriter), set up to print.
- :func:`read_return` reads a returned file (its headers may vary); :func:`read_office_return`
  reads the office's own list and matches its rows to people (:mod:`.match`).
- :func:`diff_cases` compares the two lists; :func:`office_diff` rebuilds a month's difference
  from the archived return (:mod:`.archive`: returns kept by kind, month and content hash).
- :func:`month_in_text` / :func:`month_in_content` tell which month a returned file is for.

ID numbers never leave the county in full: the workbook carries them masked.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from pipelines.domain.county import FILING_DAY
from pipelines.domain.months import Month
from pipelines.exchange.archive import (
    Archived,
    archive_index,
    archive_return,
    archived_returns,
    latest_return,
)
from pipelines.exchange.cases import illness_cases, township_summary
from pipelines.exchange.diff import diff_cases
from pipelines.exchange.headers import CASE_SHEET, EXCHANGE_HEADERS
from pipelines.exchange.match import match_rows, read_office_return
from pipelines.exchange.months import month_in_content, month_in_file_name, month_in_text
from pipelines.exchange.returned import read_return, read_return_empty
from pipelines.exchange.workbook import write_workbook
from pipelines.extracts import HeaderMapping
from schemas.contract import empty_frame
from schemas.exchange import ExchangeDiff, MatchedCase


def filing_deadline(month: str | Month) -> date:
    """The day the month's reconciled summary is due: the 5th of the following month.

    Args:
        month: the month (``Month`` or ``YYYY-MM``).

    Returns:
        The due date.
    """
    return Month.parse(month).next().day(FILING_DAY)


def office_diff(ours: pl.DataFrame, person: pl.DataFrame | pl.LazyFrame, archive: Path,
                month: str | Month,
                mapping: HeaderMapping | None = None
                ) -> tuple[pl.DataFrame, pl.DataFrame, Archived | None]:
    """The month's ``exchange_diff`` from the newest archived office return, on any run.

    Args:
        ours: our case list for the month (:func:`illness_cases`).
        person: the golden ``person`` table (a LazyFrame is collected only when a return was
            archived).
        archive: the archive folder (:func:`archive_return` put the office's file there).
        month: the month.
        mapping: the steward's header mapping.

    Returns:
        (the difference, the office's rows with their ``match``, the archived file or None when
        no return for the month was archived: then both frames are empty).
    """
    found = latest_return(archive, "office", month)
    if found is None:
        return empty_frame(ExchangeDiff), empty_frame(MatchedCase), None
    theirs = read_office_return(found.path, person.lazy().collect(), ours, mapping)
    return diff_cases(ours, theirs, str(Month.parse(month))), theirs, found


__all__ = [
    "CASE_SHEET", "EXCHANGE_HEADERS", "Archived", "archive_index", "archive_return",
    "archived_returns", "diff_cases", "filing_deadline", "illness_cases", "latest_return",
    "match_rows", "month_in_content", "month_in_file_name", "month_in_text", "office_diff",
    "read_office_return", "read_return", "read_return_empty", "township_summary",
    "write_workbook",
]
