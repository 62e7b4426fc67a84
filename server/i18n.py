"""Locale selection, and dates, times and numbers in the locale's format and the office's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import get_locale

LOCALE_COOKIE = "sinergi_locale"
#: The language forms and workflows are written in (their strings are the catalogs' msgids).
CONTENT_LOCALE = "id"
#: How Indonesians abbreviate their zones, in Indonesian and in English alike (tz names are English-only).
_ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
                       "Asia/Jayapura": "WIT"}


def select_locale() -> str:
    """User preference, then the cookie, then the site default, then the browser."""
    supported = current_app.config["LOCALES"]
    if not has_request_context():
        return str(current_app.config.get("DEFAULT_LOCALE") or "id")
    # The user's choice is read when the user is loaded (web._load_user), so an error page rendered after
    # a rollback (the database may be down) never reloads the user here.
    preferred = getattr(g, "user_locale", None)
    if preferred in supported:
        return str(preferred)
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in supported:
        return str(cookie)
    default = current_app.config.get("DEFAULT_LOCALE")
    if default in supported:
        return str(default)
    return request.accept_languages.best_match(supported) or "id"


def select_timezone() -> str:
    return str(current_app.config["OFFICE_TIMEZONE"])


def current_locale() -> str:
    """The locale of this request ("id" outside one)."""
    found = get_locale() if has_app_context() else None
    if found is not None:
        return str(found)
    if has_app_context():
        return str(current_app.config.get("DEFAULT_LOCALE") or "id")
    return "id"


def fmt_dt(value: datetime | None, style: str = "medium", *, locale: str | None = None,
           zone: str | None = None) -> str:
    """A moment in the office's zone: ``28 Nov 2026, 14.30 WIB`` (id), ``Nov 28, 2026, 2:30 PM WIB`` (en).

    ``style="date"`` gives the date alone.
    """
    if value is None:
        return ""
    zone_name = zone or _office_zone()
    local = _aware(value).astimezone(ZoneInfo(zone_name))
    babel_locale = Locale.parse(locale or current_locale())
    day = format_skeleton("yMMMd", local, locale=babel_locale)
    if style == "date":
        return str(day)
    # CLDR puts a narrow no-break space before AM/PM; a plain space survives CSV, e-mail and old fonts.
    clock_time = str(format_time(local, "short", locale=babel_locale)).replace("\u202f", " ")
    abbreviation = _ZONE_ABBREVIATIONS.get(zone_name) or local.tzname() or ""
    return f"{day}, {clock_time} {abbreviation}".rstrip()


def fmt_date(value: Any, *, locale: str | None = None) -> str:
    """A calendar date: ``28 Nov 2026`` (id), ``Nov 28, 2026`` (en). Accepts dates, datetimes and ISO text."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        return fmt_dt(value, "date", locale=locale)
    return str(format_skeleton("yMMMd", value, locale=Locale.parse(locale or current_locale())))


def fmt_number(value: Any, *, locale: str | None = None) -> str:
    """A number with the locale's separators: ``1.234,5`` (id), ``1,234.5`` (en)."""
    if value is None or value == "" or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        return str(format_decimal(value, locale=Locale.parse(locale or current_locale())))
    except (TypeError, ValueError):
        return str(value)


def _office_zone() -> str:
    if has_app_context():
        return str(current_app.config["OFFICE_TIMEZONE"])
    return "Asia/Jakarta"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def shown_date(text: str) -> str:
    """A submitted ``date`` as the reader's locale writes it: ``23 Nov 2026`` (id), ``Nov 23, 2026`` (en)."""
    try:
        return fmt_date(date.fromisoformat(text))
    except ValueError:
        return text  # kept from an older form version: shown as stored


def shown_moment(text: str) -> str:
    """A submitted ``date-time`` in the locale's format and the office's zone. Without an offset it is what a
    datetime-local input sent: the office's wall clock, not UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(_office_zone()))
    return fmt_dt(moment)


#: How submitted answers of a string format are shown (render_readonly's ``formats``).
ANSWER_FORMATS = {"date": shown_date, "date-time": shown_moment}
