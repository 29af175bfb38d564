"""A steward's ``link`` over a township's 非同一人: refused unless said so, and recorded.

A township's 非同一人 answer on a case becomes ``no_link`` decisions whose note starts with
:data:`TOWNSHIP_NOTE` (``问题清单 <case_id> 核实: 非同一人``: :mod:`pipelines.cases.verify`).
A later ``link`` of the same two records by the steward would silently undo the township's
door-to-door answer (a later decision on a pair replaces the earlier one), so
:func:`township_no_link` finds that answer still standing and the decision is refused, naming
the case and who answered, unless the steward overrides it explicitly; the override is written
into the decision's note (:func:`override_note`), so the decision log says whose answer the
link replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

TOWNSHIP_NOTE = "问题清单 {case} 核实: 非同一人"
_TOWNSHIP_CASE = re.compile(r"^问题清单 (\S+) 核实: 非同一人")


@dataclass(frozen=True)
class TownshipAnswer:
    """A township's 非同一人 answer standing on a pair of records.

    Attributes:
        case_id: the case answered (问题编号).
        decided_by: the clerk and the returned file (``李干事(问题清单_城关镇_2026-10.xlsx)``).
        decided_at: when the decision was recorded.
    """

    case_id: str
    decided_by: str
    decided_at: str

    def describe(self) -> str:
        """``case C… answered 非同一人 by 李干事(…) on 2026-11-05T…``."""
        return (f"case {self.case_id} answered 非同一人 by {self.decided_by} "
                f"on {self.decided_at[:10]}")


def township_note(case_id: str, note: str | None = None) -> str:
    """The note of a ``no_link`` decision made from a township's 非同一人 answer."""
    return TOWNSHIP_NOTE.format(case=case_id) + (f"; {note}" if note else "")


def township_no_link(log: pl.DataFrame | None, a: str, b: str) -> TownshipAnswer | None:
    """The township's 非同一人 answer on records ``a`` and ``b`` no later ``link`` replaced.

    Args:
        log: the county's ``match_decision`` table (None: there is none yet).
        a: record key of one record.
        b: record key of the other (in either order).

    Returns:
        The standing answer (its latest), None when there is none.
    """
    if log is None or log.is_empty():
        return None
    left, right = sorted((a.strip(), b.strip()))
    pair = log.filter((pl.col("record_key_l") == left) & (pl.col("record_key_r") == right)
                      ).with_columns(pl.col("decided_at").cast(pl.String)).sort(
        "decided_at", nulls_last=False)
    township = pair.filter((pl.col("decision") == "no_link")
                           & pl.col("note").str.contains(_TOWNSHIP_CASE.pattern))
    if township.is_empty():
        return None
    last = township.row(-1, named=True)
    at = last["decided_at"] or ""
    if not pair.filter((pl.col("decision") == "link") & (pl.col("decided_at") >= at)).is_empty():
        return None  # the steward overrode it already
    found = _TOWNSHIP_CASE.match(last["note"])
    return TownshipAnswer(found[1] if found else "?", last["decided_by"] or "", at)


def override_note(answer: TownshipAnswer, note: str = "") -> str:
    """The note of a ``link`` that overrides the township's answer (the steward's note after)."""
    said = f"覆盖乡镇核实 / overrides the township: {answer.describe()}"
    return said + (f"; {note}" if note else "")


def refusal(answer: TownshipAnswer, flag: str) -> str:
    """Why a ``link`` is refused, in one line, with how to override."""
    return (f"not recorded: a township answered these two records are different people "
            f"({answer.describe()}); to link them anyway, pass {flag} (recorded in the "
            "decision's note)")
