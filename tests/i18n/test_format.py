"""Dates, times and numbers in the locale's format, always in the office's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from server import i18n

MOMENT = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)  # 14.30 in Jakarta


@pytest.mark.parametrize(("locale", "expected"), [
    ("id", "28 Nov 2026, 14.30 WIB"),
    ("en", "Nov 28, 2026, 2:30 PM WIB"),
])
def test_date_and_time_in_the_locale_format_and_office_zone(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert i18n.fmt_dt(MOMENT) == expected
    with app.app_context():
        assert i18n.fmt_dt(MOMENT, locale=locale) == expected


def test_month_names_and_other_zones():
    august = datetime(2026, 8, 5, 1, 5, tzinfo=UTC)
    assert i18n.fmt_dt(august, locale="id", zone="Asia/Makassar") == "5 Agu 2026, 09.05 WITA"
    assert i18n.fmt_dt(august, locale="en", zone="Asia/Jayapura") == "Aug 5, 2026, 10:05 AM WIT"
    assert i18n.fmt_dt(august, "date", locale="id") == "5 Agu 2026"
    # a late-evening UTC time is already the next day in the office
    assert i18n.fmt_dt(datetime(2026, 12, 31, 18, 0, tzinfo=UTC), locale="id") == "1 Jan 2027, 01.00 WIB"


def test_dates_and_numbers():
    assert i18n.fmt_date(date(2026, 5, 1), locale="id") == "1 Mei 2026"
    assert i18n.fmt_date("2026-05-01", locale="en") == "May 1, 2026"
    assert i18n.fmt_date("not a date", locale="en") == "not a date"
    assert i18n.fmt_number(1234567.5, locale="id") == "1.234.567,5"
    assert i18n.fmt_number(1234567.5, locale="en") == "1,234,567.5"
    assert i18n.fmt_dt(None) == "" and i18n.fmt_date(None) == "" and i18n.fmt_number(None) == ""
