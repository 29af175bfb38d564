"""Mismatch cases with a life: found, listed for the township, verified, corrected, closed.

The county's rule "发现一例，建档一例，治愈一例，销号一例" as tables and files:

- :func:`track_cases` — this month's ``mismatch_case`` from last month's, this month's
  ``mismatch`` rows and the answers received (:mod:`.lifecycle` states the life of a case);
- :func:`with_case_counts` / :func:`case_counts` — new, open, overdue, resolved and explained
  cases per village, summed up to township and county by ``pipelines.rollup``;
- :func:`write_worklists` — one printable work list (问题清单) per township and month;
- :func:`read_worklist` — a returned, filled work list as answers and reported problems;
  :func:`verifications_received` — every archived answer up to a month's end;
- :func:`not_same_person_decisions` — 非同一人 answers as steward ``no_link`` decisions;
- :class:`CaseSettings` — deadline days per township, full IDs on the lists or not.
"""

from pipelines.cases.counts import case_counts, with_case_counts
from pipelines.cases.keys import case_records
from pipelines.cases.lifecycle import track_cases
from pipelines.cases.returned import WorklistReturn, read_worklist, verifications_received
from pipelines.cases.settings import CaseSettings
from pipelines.cases.verify import (
    apply_verifications,
    not_same_person_decisions,
    steward_answer,
)
from pipelines.cases.worklist import household_heads, worklist_name, write_worklists

__all__ = [
    "CaseSettings", "WorklistReturn", "apply_verifications", "case_counts", "case_records",
    "household_heads", "not_same_person_decisions", "read_worklist", "steward_answer",
    "track_cases", "verifications_received", "with_case_counts", "worklist_name",
    "write_worklists",
]
