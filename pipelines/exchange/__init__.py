"""The monthly exchange with the county serious-illness office (县大病办).

Each month the county sends its reconciled serious-illness case list as a workbook the office
can open (Chinese headers, one case sheet, one summary sheet per township) and receives the
office's own list back. Both lists are keyed by ``person_id`` + ``illness``; the difference is
what must be reconciled before the summary is filed on the 5th of the following month.

- :func:`illness_cases` builds our case list for a month from the linked tables.
- :func:`write_workbook` writes it as ``.xlsx`` (xlsxwriter).
- :func:`read_return` reads the office's returned file (its headers may vary).
- :func:`diff_cases` compares the two lists.
- :func:`month_in_text` / :func:`month_in_content` tell which month a returned file is for.

ID numbers never leave the county in full: the workbook carries them masked.
"""

from __future__ import annotations

from datetime import date

from pipelines.domain.county import FILING_DAY
from pipelines.domain.months import Month
from pipelines.exchange.cases import illness_cases, township_summary
from pipelines.exchange.diff import diff_cases
from pipelines.exchange.headers import CASE_SHEET, EXCHANGE_HEADERS
from pipelines.exchange.months import month_in_content, month_in_file_name, month_in_text
from pipelines.exchange.returned import read_return, read_return_empty
from pipelines.exchange.workbook import write_workbook


def filing_deadline(month: str | Month) -> date:
    """The day the month's reconciled summary is due: the 5th of the following month.

    Args:
        month: the month (``Month`` or ``YYYY-MM``).

    Returns:
        The due date.
    """
    return Month.parse(month).next().day(FILING_DAY)


__all__ = [
    "CASE_SHEET", "EXCHANGE_HEADERS", "diff_cases", "filing_deadline", "illness_cases",
    "month_in_content", "month_in_file_name", "month_in_text", "read_return",
    "read_return_empty", "township_summary", "write_workbook",
]
