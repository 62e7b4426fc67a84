"""WorkingCalendar on real Indonesian dates, checked against what `holidays` 0.109 says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.sla.calendar import WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")


def wib(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=WIB)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# Every holiday the deadline tests below depend on. If a `holidays` upgrade moves one of these,
# this table fails first and says which date changed.
@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 12, 25), "Hari Raya Natal"),
        (date(2026, 1, 1), "Tahun Baru Masehi"),
        (date(2026, 3, 19), "Hari Suci Nyepi"),
        (date(2026, 3, 21), "Hari Raya Idul Fitri"),
        (date(2026, 3, 22), "Hari kedua dari Hari Raya Idul Fitri"),
    ],
)
def test_national_holidays_relied_on(cal: WorkingCalendar, day: date, name: str) -> None:
    assert cal.holiday_name(day) == name
    assert not cal.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [date(2025, 12, 31), date(2026, 1, 2), date(2026, 2, 6), date(2026, 3, 20), date(2026, 3, 23)],
)
def test_ordinary_weekdays_are_working_days(cal: WorkingCalendar, day: date) -> None:
    assert cal.holiday_name(day) is None
    assert cal.is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 2, 7), date(2026, 2, 8)])
def test_weekend_is_closed_without_being_a_holiday(cal: WorkingCalendar, day: date) -> None:
    assert cal.holiday_name(day) is None
    assert not cal.is_working_day(day)


def test_holiday_names_follow_the_language() -> None:
    assert WorkingCalendar(language="en_US").holiday_name(date(2026, 3, 21)) == "Eid al-Fitr"


def test_estimated_islamic_holiday_is_still_closed(cal: WorkingCalendar) -> None:
    # `holidays` only estimates Idul Fitri 2027 (Wednesday 10 March); it must still stop the clock.
    assert cal.holiday_name(date(2027, 3, 10)) == "Hari Raya Idul Fitri (perkiraan)"
    assert not cal.is_working_day(date(2027, 3, 10))
    assert cal.add_working_days(wib(2027, 3, 9, 10), 1) == wib(2027, 3, 12, 16)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Friday before Idul Fitri 2026: Sat 21 / Sun 22 are Lebaran and weekend -> Mon 23, Tue 24, Wed 25.
        (wib(2026, 3, 20, 10), 3, wib(2026, 3, 25, 16)),
        # Wednesday before Nyepi (Thu 19): Fri 20, Mon 23, Tue 24.
        (wib(2026, 3, 18, 10), 3, wib(2026, 3, 24, 16)),
        (wib(2026, 3, 16, 9), 3, wib(2026, 3, 20, 16)),
        # Year end: Thu 1 Jan 2026 is New Year's Day -> Fri 2, Mon 5, Tue 6.
        (wib(2025, 12, 31, 9), 3, wib(2026, 1, 6, 16)),
        (wib(2025, 12, 31, 15, 59), 1, wib(2026, 1, 2, 16)),
        # Christmas Eve: Thu 25 Dec is closed -> Fri 26, Mon 29, Tue 30.
        (wib(2025, 12, 24, 11), 3, wib(2025, 12, 30, 16)),
        # Plain Friday and weekend.
        (wib(2026, 2, 6, 14), 3, wib(2026, 2, 11, 16)),
        (wib(2026, 2, 6, 14), 1, wib(2026, 2, 9, 16)),
        # The time of day does not matter, early or late.
        (wib(2026, 2, 6, 0, 1), 1, wib(2026, 2, 9, 16)),
        (wib(2026, 2, 6, 22, 45), 1, wib(2026, 2, 9, 16)),
        # Received on a Saturday: counting starts on the next working day.
        (wib(2026, 2, 7, 9), 1, wib(2026, 2, 9, 16)),
        # n = 0: close of business today, or of the next working day.
        (wib(2026, 2, 6, 9), 0, wib(2026, 2, 6, 16)),
        (wib(2026, 2, 7, 9), 0, wib(2026, 2, 9, 16)),
    ],
)
def test_add_working_days(cal: WorkingCalendar, start: datetime, n: int, due: datetime) -> None:
    result = cal.add_working_days(start, n)
    assert result == due
    assert result.tzinfo is UTC
    if n:
        assert cal.working_days_between(start, result) == n


def test_office_cuti_bersama_is_skipped() -> None:
    # Cuti bersama Idul Fitri 2026 (Mon 23, Tue 24 March) given by the office.
    cal = WorkingCalendar(
        extra_closed_days={
            date(2026, 3, 23): "Cuti bersama Idul Fitri",
            date(2026, 3, 24): "Cuti bersama Idul Fitri",
        }
    )
    assert cal.holiday_name(date(2026, 3, 23)) == "Cuti bersama Idul Fitri"
    assert cal.add_working_days(wib(2026, 3, 20, 10), 3) == wib(2026, 3, 27, 16)


def test_closed_days_given_as_a_set_get_a_generic_name() -> None:
    cal = WorkingCalendar(extra_closed_days={date(2026, 3, 23)})
    assert cal.holiday_name(date(2026, 3, 23)) == "Libur kantor"
    assert not cal.is_working_day(date(2026, 3, 23))


def test_cuti_bersama_from_the_holidays_package() -> None:
    cal = WorkingCalendar(include_cuti_bersama=True)
    for day in (date(2026, 3, 20), date(2026, 3, 23), date(2026, 3, 24)):
        assert cal.holiday_name(day) == "Cuti Bersama Hari Raya Idul Fitri"
        assert not cal.is_working_day(day)
    # A report on the cuti bersama Friday still counts from the next working day: Wed 25, Thu 26, Fri 27.
    assert cal.add_working_days(wib(2026, 3, 20, 10), 3) == wib(2026, 3, 27, 16)


def test_declared_open_saturday_counts() -> None:
    cal = WorkingCalendar(extra_open_days={date(2026, 2, 7)})
    assert cal.is_working_day(date(2026, 2, 7))
    # Fri 6 Feb -> Sat 7 (open), Mon 9, Tue 10.
    assert cal.add_working_days(wib(2026, 2, 6, 14), 3) == wib(2026, 2, 10, 16)


def test_declared_open_day_beats_a_national_holiday() -> None:
    cal = WorkingCalendar(extra_open_days={date(2026, 3, 19)})
    assert cal.holiday_name(date(2026, 3, 19)) == "Hari Suci Nyepi"
    assert cal.is_working_day(date(2026, 3, 19))


@pytest.mark.parametrize(
    ("start_utc", "local_day", "due"),
    [
        # 23:30 WIB Monday is 16:30 UTC Monday: after office hours in UTC terms, but still Monday locally.
        (datetime(2026, 2, 9, 16, 30, tzinfo=UTC), date(2026, 2, 9), wib(2026, 2, 10, 16)),
        # 00:30 WIB Tuesday is 17:30 UTC *Monday*: the local date is Tuesday.
        (datetime(2026, 2, 9, 17, 30, tzinfo=UTC), date(2026, 2, 10), wib(2026, 2, 11, 16)),
    ],
)
def test_local_date_decides_the_day(
    cal: WorkingCalendar, start_utc: datetime, local_day: date, due: datetime
) -> None:
    assert cal.local(start_utc).date() == local_day
    assert cal.add_working_days(start_utc, 1) == due
    assert cal.add_working_days(start_utc, 1) == datetime(due.year, due.month, due.day, 9, tzinfo=UTC)


def test_calendar_hours_ignore_holidays(cal: WorkingCalendar) -> None:
    start = wib(2026, 3, 20, 10)  # across Lebaran weekend
    due = cal.add_calendar_hours(start, 72)
    assert due == wib(2026, 3, 23, 10)
    assert due - start == timedelta(hours=72)
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (wib(2026, 3, 20, 10), wib(2026, 3, 25, 16), 3),
        (wib(2026, 3, 25, 16), wib(2026, 3, 20, 10), -3),
        (wib(2026, 3, 20, 8), wib(2026, 3, 20, 23), 0),
        (wib(2025, 12, 31, 9), wib(2026, 1, 2, 9), 1),
        (wib(2026, 3, 18, 9), wib(2026, 3, 22, 9), 1),  # only Fri 20: Nyepi, Lebaran weekend
    ],
)
def test_working_days_between(cal: WorkingCalendar, a: datetime, b: datetime, expected: int) -> None:
    assert cal.working_days_between(a, b) == expected


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        (wib(2026, 2, 9, 9), wib(2026, 2, 9, 12), 3),
        (wib(2026, 2, 9, 6), wib(2026, 2, 9, 20), 8),  # clipped to 08-16
        (wib(2026, 2, 6, 15), wib(2026, 2, 9, 9), 2),  # Friday hour + Monday hour
        (wib(2026, 3, 18, 15), wib(2026, 3, 20, 9), 2),  # Nyepi contributes nothing
        (wib(2026, 2, 9, 17), wib(2026, 2, 10, 7), 0),  # overnight
        (wib(2026, 2, 9, 12), wib(2026, 2, 9, 9), -3),
    ],
)
def test_working_seconds_between(cal: WorkingCalendar, a: datetime, b: datetime, hours: int) -> None:
    assert cal.working_seconds_between(a, b) == hours * 3600


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        (wib(2026, 2, 11, 16), 3600, wib(2026, 2, 12, 9)),  # a 16:00 deadline + 1 h -> 09:00 next day
        (wib(2026, 2, 6, 15), 7200, wib(2026, 2, 9, 9)),  # over the weekend
        (wib(2026, 3, 18, 16), 3600, wib(2026, 3, 20, 9)),  # over Nyepi
        (wib(2026, 2, 7, 10), 1800, wib(2026, 2, 9, 8, 30)),  # starting on a closed day
        (wib(2026, 2, 9, 10), 0, wib(2026, 2, 9, 10)),
    ],
)
def test_add_working_seconds(cal: WorkingCalendar, start: datetime, seconds: int, expected: datetime) -> None:
    assert cal.add_working_seconds(start, seconds) == expected
    assert cal.working_seconds_between(start, expected) == seconds


def test_holidays_are_cached_per_year() -> None:
    cal = WorkingCalendar()
    cal.is_working_day(date(2026, 5, 1))
    assert set(cal._national) == {2026}
    cal.is_working_day(date(2025, 12, 31))
    assert set(cal._national) == {2025, 2026}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"office_start_hour": 16, "office_end_hour": 8},
        {"office_start_hour": 8, "office_end_hour": 25},
        {"working_weekdays": []},
        {"working_weekdays": [7]},
        {"extra_closed_days": {date(2026, 2, 7)}, "extra_open_days": {date(2026, 2, 7)}},
    ],
)
def test_invalid_calendar_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(**kwargs)  # type: ignore[arg-type]


def test_naive_and_negative_inputs_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(datetime(2026, 2, 9, 10), 1)
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(wib(2026, 2, 9, 10), -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_seconds_between(datetime(2026, 2, 9, 10), wib(2026, 2, 9, 11))
