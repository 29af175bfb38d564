"""Returned work lists arriving: from the inbox into the archive, read, and turned into decisions.

A township's filled work list is recognised in the inbox by its name (it keeps the
``问题清单`` of :func:`pipelines.cases.worklist.worklist_name`) or, renamed, by its header
(问题编号 and 核实结果); everything else in the inbox is the illness office's. Each list is
archived for the month it is for (its name, else its title:
:func:`pipelines.cases.returned.read_worklist`) by content hash, so the answers stay when the
inbox is emptied; a list whose month cannot be told is reported, never dropped. Reading a
month's archived lists gives the answers, the problems (every unusable row, with where it is)
and the ``no_link`` decisions of its 非同一人 answers, less those the decision log already holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from pipelines.cases.returned import WorklistReturn, read_worklist
from pipelines.cases.verify import not_same_person_decisions
from pipelines.domain.months import Month
from pipelines.exchange.archive import Archived, archive_return, archived_returns
from pipelines.exchange.inbox import inbox_files
from pipelines.exchange.inbox import is_worklist as inbox_is_worklist
from pipelines.exchange.months import month_in_file_name
from schemas.cases import ReturnProblem, Verification
from schemas.contract import empty_frame, polars_schema
from schemas.steward import MatchDecision

RETURNS_FOLDER = "returns"  # below a county's archive: <archive>/<county>/returns/<kind>/<month>
DECISION_KEY = ["record_key_l", "record_key_r", "decision", "decided_by"]


def is_worklist(path: Path) -> bool:
    """Whether an inbox file is a township's work list (by name or header)."""
    return inbox_is_worklist(path)


def worklist_files(inbox: Path) -> list[Path]:
    """The work lists at the top of the inbox (``.xlsx`` / ``.csv``), by name."""
    return inbox_files(inbox, "worklist")


def list_month(path: Path) -> str | None:
    """The month a returned list is for: its name, else its title or sheet name, else None."""
    return month_in_file_name(path.name) or read_worklist(path).month


@dataclass(frozen=True)
class Received:
    """Work lists taken from an inbox (or named by the steward) into the archive.

    Attributes:
        archived: the archived copies (one per file; the same bytes archived once per month).
        unplaced: names of the files whose month could not be told (left where they are).
    """

    archived: list[Archived]
    unplaced: list[str]


def receive_worklists(files: list[Path], archive: Path, month: str | Month | None = None,
                      received_at: datetime | None = None) -> Received:
    """Archive returned work lists under the month each is for.

    Args:
        files: the returned lists.
        archive: the county's returns archive (``<archive>/<county>/returns``).
        month: the month for every file (the steward said so), else each file's own.
        received_at: when they were received (default now).

    Returns:
        The archived copies and the files left unplaced.
    """
    archived, unplaced = [], []
    for path in files:
        found = str(Month.parse(month)) if month else list_month(path)
        if found is None:
            unplaced.append(path.name)
            continue
        archived.append(archive_return(path, archive, "worklist", found, received_at))
    return Received(archived, unplaced)


def read_returns(archived: list[Archived], cases: pl.DataFrame | None) -> WorklistReturn:
    """Every answer and problem of the archived lists, against the cases they may name.

    Args:
        archived: archived work-list returns (:func:`pipelines.exchange.archive_return`).
        cases: the ``mismatch_case`` table of the lists' month (None: any case id is accepted).

    Returns:
        One :class:`WorklistReturn` over the files (``month`` the first file's).
    """
    read = [read_worklist(a.path, cases, a.received_at, a.original_name) for a in archived]
    return WorklistReturn(
        pl.concat([empty_frame(Verification), *(r.verifications for r in read)]),
        pl.concat([empty_frame(ReturnProblem), *(r.problems for r in read)]),
        sum(r.answered for r in read), sum(r.unanswered for r in read),
        archived[0].month if archived else None)


def month_returns(archive: Path, month: str | Month) -> list[Archived]:
    """The work lists archived for a month, oldest first."""
    return archived_returns(archive, "worklist", month)


def new_decisions(answers: pl.DataFrame, cases: pl.DataFrame, log: pl.DataFrame | None
                  ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``no_link`` decisions of the 非同一人 answers not yet in the decision log.

    Args:
        answers: ``Verification`` rows read from returned lists.
        cases: the ``mismatch_case`` table the lists were made from.
        log: the county's ``match_decision`` table, or None.

    Returns:
        (decisions to append, problems: 非同一人 answers naming no pair of records).
    """
    decisions, problems = not_same_person_decisions(answers, cases)
    if log is not None and log.height and decisions.height:
        seen = log.select(DECISION_KEY).cast(pl.String)
        decisions = decisions.join(seen, on=DECISION_KEY, how="anti", nulls_equal=True)
    return decisions.unique(DECISION_KEY, maintain_order=True).cast(
        polars_schema(MatchDecision)), problems


def township_table(cases: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """Per township: its name and its new, open, overdue, resolved and explained cases."""
    from pipelines.cases.counts import case_counts

    names = regions.select(township_code="code", township=pl.col("name"))
    counts = (case_counts(cases.with_columns(village_code=pl.coalesce(
        "township_code", pl.lit("(none)")))).drop("month")
              .rename({"village_code": "township_code"}))
    return (counts.join(names, on="township_code", how="left")
            .with_columns(township=pl.coalesce("township", "township_code"))
            .select("township", *(c for c in counts.columns if c != "township_code"))
            .sort("township"))
