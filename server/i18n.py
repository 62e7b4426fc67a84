"""Locale selection and formatting in the office's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context, request
from flask_babel import format_datetime, get_locale

LOCALE_COOKIE = "sinergi_locale"


def select_locale() -> str:
    """User preference, then the cookie, then the site default, then the browser."""
    supported = current_app.config["LOCALES"]
    if not has_request_context():
        return str(current_app.config.get("DEFAULT_LOCALE") or "id")
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "locale", None) in supported:
        return str(user.locale)
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in supported:
        return str(cookie)
    default = current_app.config.get("DEFAULT_LOCALE")
    if default in supported:
        return str(default)
    return request.accept_languages.best_match(supported) or "id"


def select_timezone() -> str:
    return str(current_app.config["OFFICE_TIMEZONE"])


def fmt_dt(value: datetime | None, style: str = "medium") -> str:
    """28 Nov 2026, 14.30 WIB in Indonesian; the office's zone always."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["OFFICE_TIMEZONE"])
    local = value.astimezone(zone)
    if str(get_locale()) == "id":
        text = format_datetime(value, "d MMM yyyy, HH.mm")
        abbrev = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(
            current_app.config["OFFICE_TIMEZONE"], local.strftime("%Z"))
        return f"{text} {abbrev}"
    return str(format_datetime(value, "d MMM yyyy, HH:mm")) + " " + (local.tzname() or "")


def fmt_date(value: Any) -> str:
    from flask_babel import format_date

    if value is None:
        return ""
    return str(format_date(value, "d MMM yyyy"))
