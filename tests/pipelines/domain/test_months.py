"""``Month``: parsing, its days, its neighbours and windows (table-driven)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.domain.months import Month


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("2024-12", date(2024, 12, 1), date(2024, 12, 31)),
        (" 2026-01 ", date(2026, 1, 1), date(2026, 1, 31)),
    ],
)
def test_days_of_a_month(text: str, first: date, last: date) -> None:
    month = Month.parse(text)
    assert (month.first_day, month.last_day) == (first, last)


@pytest.mark.parametrize("text", ["2024/6", "2026-13", "2026-00", "202610", "", "26-10", "abcd-ef",
                                  "2026-1"])  # not January: a typo of 2026-10, 11 or 12?
def test_bad_months_are_refused_with_the_format(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        Month.parse(text)


@pytest.mark.parametrize(
    ("month", "shift", "expected"),
    [("2026-10", 1, "2026-11"), ("2026-12", 1, "2027-01"), ("2026-01", -1, "2025-12"),
     ("2026-10", -22, "2024-12"), ("2026-10", 0, "2026-10")],
)
def test_shift_crosses_years(month: str, shift: int, expected: str) -> None:
    assert str(Month.parse(month).shift(shift)) == expected


def test_window_start_is_the_first_day_of_the_twelve_months_ending_here() -> None:
    assert Month.parse("2026-10").window_start() == date(2025, 11, 1)
    assert Month.parse("2026-12").window_start() == date(2026, 1, 1)
    assert Month.parse("2026-10").window_start(1) == date(2026, 10, 1)


def test_current_month_is_read_in_the_county_time_zone() -> None:
    # 16:30 UTC on 31 October is already 1 November in Asia/Shanghai
    now = datetime(2026, 10, 31, 16, 30, tzinfo=ZoneInfo("UTC"))
    assert str(Month.current(now)) == "2026-11"


def test_months_order_and_parse_accepts_dates_and_months() -> None:
    assert Month.parse(date(2026, 3, 9)) == Month(2026, 3) < Month(2026, 4)
    assert Month.parse(Month(2026, 3)) == Month(2026, 3)
    assert Month.parse("2026-03") == Month(2026, 3)
    assert sorted([Month(2026, 1), Month(2025, 12), Month(2025, 2)]) == [
        Month(2025, 2), Month(2025, 12), Month(2026, 1)]
