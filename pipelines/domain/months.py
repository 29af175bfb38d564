"""``Month``: the reporting month as a value (``2026-10``), with its days and neighbours.

Every stage that reasons about months (rules as of the month's end, rolling 12-month windows,
the exchange's filing deadline, schedules, partitions) uses this one type instead of doing its
own date arithmetic on ``"YYYY-MM"`` strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pipelines.domain.county import TIMEZONE

_PATTERN = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month.

    Attributes:
        year: four-digit year.
        month: 1..12.

    Examples:
        >>> m = Month.parse("2026-10")
        >>> str(m), m.last_day.isoformat(), str(m.next())
        ('2026-10', '2026-10-31', '2026-11')
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        """Reject months that do not exist."""
        if not (1 <= self.month <= 12 and MIN_YEAR <= self.year <= MAX_YEAR):
            msg = f"no such month: {self.year}-{self.month:02d} (write YYYY-MM, e.g. 2026-10)"
            raise ValueError(msg)

    @classmethod
    def parse(cls, value: str | Month | date) -> Month:
        """A month from ``'YYYY-MM'``, a ``Month`` or any date in it.

        Args:
            value: the month.

        Returns:
            The month.

        Raises:
            ValueError: when the text is not ``YYYY-MM`` with a month 01..12.
        """
        if isinstance(value, Month):
            return value
        if isinstance(value, date):
            return cls(value.year, value.month)
        found = _PATTERN.match(str(value))
        if found is None:
            msg = f"month must look like YYYY-MM (e.g. 2026-10), not {value!r}"
            raise ValueError(msg)
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, day: date) -> Month:
        """The month a day falls in."""
        return cls(day.year, day.month)

    @classmethod
    def current(cls, now: datetime | None = None) -> Month:
        """The month it is now in the county's time zone (``TIMEZONE``)."""
        now = now or datetime.now(ZoneInfo(TIMEZONE))
        if now.tzinfo is not None:
            now = now.astimezone(ZoneInfo(TIMEZONE))
        return cls(now.year, now.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The month's last day."""
        return self.next().first_day - timedelta(days=1)

    def shift(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def next(self) -> Month:
        """The following month."""
        return self.shift(1)

    def previous(self) -> Month:
        """The month before."""
        return self.shift(-1)

    def window_start(self, months: int = 12) -> date:
        """First day of the ``months`` calendar months that end with this one."""
        return self.shift(1 - months).first_day

    def day(self, day: int) -> date:
        """A day of this month (``Month.parse('2026-11').day(5)`` is 5 November)."""
        return date(self.year, self.month, day)
