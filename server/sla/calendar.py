"""The office's working calendar: which days count, and deadline arithmetic on them.

Pure code: no database, no Flask, and no reading of the wall clock. Every function takes the
instant it works from, so the SLA job and the tests can both say exactly what "now" is (style H10).

Days that are closed, in order of precedence:

1. ``extra_open_days`` are always working days. The office declares them, for example a Saturday
   worked in exchange for a cuti bersama, and the office knows better than any table.
2. ``extra_closed_days`` are never working days (cuti bersama, local closures).
3. Indonesian national holidays from the ``holidays`` package are closed, including the Islamic
   holidays whose dates the package only estimates (they carry "(perkiraan)" / "(estimated)" in
   their name). A deadline that turns out a day too generous is better than one that counts a day
   the office was shut.
4. Otherwise a day is a working day when its weekday is in ``working_weekdays``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

MONDAY_TO_FRIDAY: frozenset[int] = frozenset({0, 1, 2, 3, 4})

# The office closes for cuti bersama by decree (SKB 3 Menteri) every year; ``holidays`` ships those
# dates as its "government" category. Off by default because design.md makes them office-defined.
_PUBLIC = ("public",)
_PUBLIC_AND_CUTI_BERSAMA = ("public", "government")

# A calendar with no working day at all would loop forever; no office closes for ten years.
_MAX_SCAN_DAYS = 3660

_DEFAULT_CLOSURE_NAME = {"id": "Libur kantor", "en_US": "Office closure"}


def require_aware(dt: datetime, name: str = "datetime") -> datetime:
    """Return ``dt`` unchanged, or raise if it has no time zone (a naive time has no office date)."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
    return dt


class WorkingCalendar:
    """Working days and office hours of one office, with national holidays and its own closures."""

    def __init__(
        self,
        *,
        timezone: str = "Asia/Jakarta",
        office_start_hour: int = 8,
        office_end_hour: int = 16,
        working_weekdays: Iterable[int] = MONDAY_TO_FRIDAY,
        extra_closed_days: Mapping[date, str] | Iterable[date] = (),
        extra_open_days: Iterable[date] = (),
        include_cuti_bersama: bool = False,
        language: str = "id",
    ) -> None:
        """Build a calendar; ``extra_closed_days`` may map each date to its name (e.g. "Cuti bersama")."""
        if not 0 <= office_start_hour < office_end_hour <= 24:
            raise ValueError(
                f"office hours must satisfy 0 <= start < end <= 24, got {office_start_hour}-{office_end_hour}"
            )
        weekdays = frozenset(working_weekdays)
        if not weekdays or not weekdays <= frozenset(range(7)):
            raise ValueError(
                f"working_weekdays must be a non-empty subset of 0..6 (Monday=0), got {weekdays}"
            )
        closed: dict[date, str] = (
            dict(extra_closed_days)
            if isinstance(extra_closed_days, Mapping)
            else {d: _DEFAULT_CLOSURE_NAME.get(language, "Office closure") for d in extra_closed_days}
        )
        opened = frozenset(extra_open_days)
        both = sorted(opened & closed.keys())
        if both:
            raise ValueError(f"dates both closed and open: {', '.join(d.isoformat() for d in both)}")

        self.zone = ZoneInfo(timezone)
        self.office_start_hour = office_start_hour
        self.office_end_hour = office_end_hour
        self.working_weekdays = weekdays
        self.extra_closed_days: Mapping[date, str] = closed
        self.extra_open_days = opened
        self.include_cuti_bersama = include_cuti_bersama
        self.language = language
        # Filled one year at a time: a calendar that is only ever asked about 2026 never builds 1953.
        self._national: dict[int, dict[date, str]] = {}

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(timezone={self.zone.key!r}, office={self.office_start_hour}-"
            f"{self.office_end_hour}, weekdays={sorted(self.working_weekdays)}, "
            f"closed={len(self.extra_closed_days)}, open={len(self.extra_open_days)}, "
            f"cuti_bersama={self.include_cuti_bersama})"
        )

    # -- days -------------------------------------------------------------------------------------

    def _national_holidays(self, year: int) -> dict[date, str]:
        """National holidays of ``year`` as a plain dict, built once per year."""
        cached = self._national.get(year)
        if cached is None:
            # A plain dict, because a HolidayBase with expand=True silently grows when looked up
            # with another year, and that would bypass this cache.
            cached = dict(
                holidays.country_holidays(
                    "ID",
                    years=year,
                    language=self.language,
                    categories=_PUBLIC_AND_CUTI_BERSAMA if self.include_cuti_bersama else _PUBLIC,
                )
            )
            self._national[year] = cached
        return cached

    def national_holidays(self, year: int) -> dict[date, str]:
        """The national holidays of ``year`` with their names (a copy; for display)."""
        return dict(self._national_holidays(year))

    def holiday_name(self, d: date) -> str | None:
        """Name of the closure or national holiday on ``d``, or None.

        Answers even for a declared open day (the holiday still exists; the office just works);
        ``is_working_day`` is the authority on whether the day counts.
        """
        if d in self.extra_closed_days:
            return self.extra_closed_days[d]
        return self._national_holidays(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        """Whether the office is open on local date ``d`` (precedence in the module docstring)."""
        if d in self.extra_open_days:
            return True
        if d in self.extra_closed_days:
            return False
        if d in self._national_holidays(d.year):
            return False
        return d.weekday() in self.working_weekdays

    def _next_working_day(self, d: date, *, include_self: bool) -> date:
        """The first working day on or after (``include_self``) or strictly after ``d``."""
        candidate = d if include_self else d + timedelta(days=1)
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days after {d.isoformat()}")

    # -- instants ---------------------------------------------------------------------------------

    def local(self, dt: datetime) -> datetime:
        """``dt`` in the office's time zone; the local date decides which day a report belongs to."""
        return require_aware(dt).astimezone(self.zone)

    def _at_hour(self, d: date, hour: int) -> datetime:
        """The instant of ``hour``:00 local on ``d`` (hour 24 is the next midnight)."""
        midnight = datetime(d.year, d.month, d.day, tzinfo=self.zone)
        return midnight + timedelta(hours=hour)

    def office_hours(self, d: date) -> tuple[datetime, datetime]:
        """Opening and closing instants (office zone) of local date ``d``, working day or not."""
        return self._at_hour(d, self.office_start_hour), self._at_hour(d, self.office_end_hour)

    def _office_hours_utc(self, d: date) -> tuple[datetime, datetime]:
        opens, closes = self.office_hours(d)
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Deadline of "``n`` hari kerja" from ``start``, in UTC.

        Rule: the deadline is the END of office hours (``office_end_hour`` local) of the ``n``-th
        working day strictly after the local date of ``start``. The time of day of ``start`` does
        not matter: a report received at 07:00 or at 22:00 on a Friday with "3 hari kerja" is due
        at 16:00 local on the third working day after that Friday, skipping weekends, holidays and
        closures. Counting whole days is how Indonesian service standards state these limits, and
        it never gives staff less than ``n`` full office days.

        ``n == 0`` means "by close of business today", or of the next working day when ``start``
        falls on a closed day.
        """
        if n < 0:
            raise ValueError(f"number of working days must not be negative, got {n}")
        day = self.local(start).date()
        if n == 0:
            day = self._next_working_day(day, include_self=True)
        for _ in range(n):
            day = self._next_working_day(day, include_self=False)
        return self._at_hour(day, self.office_end_hour).astimezone(UTC)

    def add_calendar_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` plus exactly ``hours`` of elapsed time, in UTC; holidays do not stop this clock."""
        return require_aware(start, "start").astimezone(UTC) + timedelta(hours=hours)

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """The instant, in UTC, after ``seconds`` of office-hours time have run from ``start``.

        Used to push a working-day deadline back by the office time a clock was paused: time outside
        office hours and on closed days does not count, so 1 hour added to a 16:00 deadline lands at
        09:00 on the next working day.
        """
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        # Arithmetic happens in UTC: aware datetimes sharing a zone subtract by wall clock, which
        # is wrong across a DST change in zones that have one.
        cursor = require_aware(start, "start").astimezone(UTC)
        remaining = timedelta(seconds=seconds)
        if not remaining:
            return cursor
        day = self.local(cursor).date()
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                opens, closes = self._office_hours_utc(day)
                begin = max(cursor, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"no office time left within {_MAX_SCAN_DAYS} days after {start.isoformat()}")

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """Working days after ``a``'s local date up to and including ``b``'s; negative if ``b < a``.

        This is the inverse of ``add_working_days``: for any ``n >= 1``,
        ``working_days_between(start, add_working_days(start, n)) == n``.
        """
        start_day, end_day = self.local(a).date(), self.local(b).date()
        sign = 1
        if end_day < start_day:
            start_day, end_day, sign = end_day, start_day, -1
        count = 0
        day = start_day + timedelta(days=1)
        while day <= end_day:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return sign * count

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Whole seconds of office hours on working days between ``a`` and ``b``; negative if ``b < a``.

        Measures how much office time a paused clock lost, so the pause can be given back with
        ``add_working_seconds``.
        """
        lo = require_aware(a, "a").astimezone(UTC)
        hi = require_aware(b, "b").astimezone(UTC)
        sign = 1
        if hi < lo:
            lo, hi, sign = hi, lo, -1
        total = timedelta()
        day, last_day = self.local(lo).date(), self.local(hi).date()
        while day <= last_day:
            if self.is_working_day(day):
                opens, closes = self._office_hours_utc(day)
                begin, end = max(lo, opens), min(hi, closes)
                if begin < end:
                    total += end - begin
            day += timedelta(days=1)
        return sign * int(total.total_seconds())
