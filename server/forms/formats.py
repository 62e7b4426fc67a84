"""Format checks and the jsonschema validator classes that forms use.

With server/forms/schema.py the only module that imports ``jsonschema``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing.exceptions import Unresolvable

_DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"
_DRAFT_07 = "http://json-schema.org/draft-07/schema"

# Our own checks for the formats forms use, so that behaviour does not depend on which
# optional jsonschema extras are installed. Date-times and times accept what browsers
# send from datetime-local and time inputs: minutes precision and no UTC offset.

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:[Zz]|[+-](\d{2}):(\d{2}))?")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_DATE_RE.fullmatch(value)) and dt.date.fromisoformat(value) is not None


def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _TIME_RE.fullmatch(value)
    if match is None:
        return False
    hour, minute, second, off_hour, off_minute = match.groups()
    dt.time(int(hour), int(minute), int(second or 0))
    if off_hour is not None:
        dt.time(int(off_hour), int(off_minute))
    return True


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    date_part, sep, time_part = value.replace("t", "T").partition("T")
    return bool(sep) and _is_date(date_part) and _is_time(time_part)


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL_RE.fullmatch(value))


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if any(char.isspace() for char in value):
        return False
    parts = urlsplit(value)
    return bool(_SCHEME_RE.fullmatch(parts.scheme)) and bool(parts.netloc or parts.path)


def _format_checker(cls: type[Validator]) -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers.update(cls.FORMAT_CHECKER.checkers)
    for name, func in (("date", _is_date), ("time", _is_time), ("date-time", _is_date_time),
                       ("email", _is_email), ("uri", _is_uri)):
        checker.checks(name, raises=ValueError)(func)
    return checker


def _pattern(validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    # jsonschema lets re.error escape from iter_errors; report it as a field error instead.
    if not validator.is_type(instance, "string"):
        return
    try:
        found = re.search(pattern, instance)
    except re.error as exc:
        yield ValidationError(f"invalid pattern {pattern!r}: {exc}", validator="invalidSchema",
                              validator_value=pattern)
        return
    if found is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_CLASSES: dict[str, type[Validator]] = {_DRAFT_2020: Draft202012Validator, _DRAFT_07: Draft7Validator}
CHECKING_CLASSES = {cls: extend(cls, {"pattern": _pattern}) for cls in _CLASSES.values()}
FORMAT_CHECKERS = {cls: _format_checker(cls) for cls in _CLASSES.values()}


def draft_class(schema: Mapping[str, Any]) -> type[Validator] | None:
    """The validator class for the schema's ``$schema`` (2020-12 when absent); None if unsupported."""
    uri = schema.get("$schema", _DRAFT_2020)
    if not isinstance(uri, str):
        return None
    uri = uri.rstrip("#").replace("https://json-schema.org/draft-07", "http://json-schema.org/draft-07")
    return _CLASSES.get(uri)


def matches(fragment: dict[str, Any], data: Any, root: dict[str, Any]) -> bool:
    """Whether `data` satisfies a schema fragment (an `if`, say) taken from `root`."""
    cls = draft_class(root) or Draft202012Validator
    document = {key: root[key] for key in ("$defs", "definitions") if key in root}
    document.update(fragment)
    try:
        return bool(cls(document, format_checker=FORMAT_CHECKERS[cls]).is_valid(data))
    except (re.error, Unresolvable):
        return True  # keep the data; validation reports the broken definition
