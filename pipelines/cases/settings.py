"""The county's settings for cases and work lists: deadlines and whether lists show full IDs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipelines.domain.cases import DEFAULT_DEADLINE_DAYS


@dataclass(frozen=True)
class CaseSettings:
    """How long a township has for a case, and what its work list may show.

    Attributes:
        deadline_days: days after the last day of the month a case was opened in (found, or
            found again) by which the township should have it corrected; an open case past
            that day (its ``due``) counts as overdue.
        township_deadline_days: per township code, its own number of days.
        full_ids: work lists carry full identity numbers (only when the county decides so;
            masked ``410103********123X`` otherwise).

    Examples:
        >>> CaseSettings.from_mapping({"deadline_days": 20}).deadline_days
        20
    """

    deadline_days: int = DEFAULT_DEADLINE_DAYS
    township_deadline_days: Mapping[str, int] = field(default_factory=dict)
    full_ids: bool = False

    def __post_init__(self) -> None:
        """Refuse negative or non-integer deadlines."""
        for where, days in [("deadline_days", self.deadline_days),
                            *self.township_deadline_days.items()]:
            if not isinstance(days, int) or isinstance(days, bool) or days < 0:
                msg = f"case deadline for {where} must be a whole number of days >= 0, not {days!r}"
                raise ValueError(msg)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> CaseSettings:
        """Settings from a mapping (a YAML section): the attribute names, all optional.

        Raises:
            ValueError: for an unknown key or a bad value.
        """
        raw = dict(raw or {})
        unknown = sorted(set(raw) - {"deadline_days", "township_deadline_days", "full_ids"})
        if unknown:
            msg = (f"unknown case setting(s) {', '.join(unknown)} "
                   "(known: deadline_days, township_deadline_days, full_ids)")
            raise ValueError(msg)
        towns = {str(k): v for k, v in dict(raw.get("township_deadline_days") or {}).items()}
        return cls(deadline_days=raw.get("deadline_days", DEFAULT_DEADLINE_DAYS),
                   township_deadline_days=towns, full_ids=bool(raw.get("full_ids", False)))

    def days(self, township: pl.Expr) -> pl.Expr:
        """Each case's number of days, by its township code."""
        if not self.township_deadline_days:
            return pl.lit(self.deadline_days, pl.Int64)
        return township.replace_strict(dict(self.township_deadline_days),
                                       default=self.deadline_days, return_dtype=pl.Int64)
