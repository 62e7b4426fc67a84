"""User-facing validation messages, one per JSON Schema keyword.

Every message is a literal inside a ``_(...)`` call so that ``pybabel extract`` finds it;
``_`` is the ``translate`` callable the caller passes in (``gettext`` in a request,
identity in tests and in the English source).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Translate = Callable[[str], str]


def identity(text: str) -> str:
    """Return `text` unchanged: the translator used when none is given."""
    return text


def humanize(name: str) -> str:
    """Turn a property name such as ``date_of_birth`` into ``Date of birth``."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def display(value: Any) -> str:
    """Format a limit or an allowed value for a message: ``5`` rather than ``5.0``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(display(item) for item in value)
    return str(value)


def form_label(translate: Translate | None = None) -> str:
    """The label used for errors that belong to the whole form."""
    _ = translate or identity
    return _("The form")


def row_label(label: str, parent: str, number: int, translate: Translate | None = None) -> str:
    """Label of a field inside a repeatable row, e.g. ``Name (Perpetrators, row 2)``."""
    _ = translate or identity
    return _format(_("%(label)s (%(parent)s, row %(number)s)"), "%(label)s (%(parent)s, row %(number)s)",
                   {"label": label, "parent": parent, "number": number})


def row_title(parent: str, number: int, translate: Translate | None = None) -> str:
    """Label of a whole repeatable row, e.g. ``Perpetrators, row 2``."""
    _ = translate or identity
    return _format(_("%(parent)s, row %(number)s"), "%(parent)s, row %(number)s",
                   {"parent": parent, "number": number})


_TYPE_KEYWORDS = {"integer", "number", "string", "boolean", "array", "object"}


def message_for(keyword: str, params: Mapping[str, Any], label: str,
                translate: Translate | None = None) -> str:
    """Return the translated message for one failed `keyword` on the field called `label`."""
    _ = translate or identity
    values: dict[str, Any] = {key: display(value) for key, value in params.items()}
    values["label"] = label
    limit = params.get("limit")

    if keyword == "required":
        text = _("%(label)s is required.")
    elif keyword == "dependentRequired":
        text = _("%(label)s is required when %(other)s is filled in.")
    elif keyword == "type":
        text = _type_message(str(params.get("expected", "")), _)
    elif keyword == "minimum":
        text = _("%(label)s must be at least %(limit)s.")
    elif keyword == "maximum":
        text = _("%(label)s must be at most %(limit)s.")
    elif keyword == "exclusiveMinimum":
        text = _("%(label)s must be greater than %(limit)s.")
    elif keyword == "exclusiveMaximum":
        text = _("%(label)s must be less than %(limit)s.")
    elif keyword == "multipleOf":
        text = _("%(label)s must be a multiple of %(limit)s.")
    elif keyword == "minLength":
        text = _("%(label)s must not be empty.") if limit == 1 else _(
            "%(label)s must be at least %(limit)s characters long.")
    elif keyword == "maxLength":
        text = _("%(label)s must be at most %(limit)s characters long.")
    elif keyword == "pattern":
        text = _("%(label)s is not in the expected format.")
    elif keyword == "format":
        text = _format_message(str(params.get("format", "")), _)
    elif keyword == "enum":
        text = _("%(label)s must be one of the listed options.")
    elif keyword == "const":
        text = _("%(label)s must be ticked.") if params.get("value") is True else _(
            "%(label)s must be %(value)s.")
    elif keyword == "minItems":
        text = _("%(label)s needs at least one entry.") if limit == 1 else _(
            "%(label)s needs at least %(limit)s entries.")
    elif keyword == "maxItems":
        text = _("%(label)s can have at most %(limit)s entries.")
    elif keyword == "uniqueItems":
        text = _("%(label)s contains the same entry more than once.")
    elif keyword == "additionalProperties":
        text = _("%(label)s is not a field of this form.")
    elif keyword == "reserved":
        text = _("%(label)s is a reserved name and cannot be submitted.")
    elif keyword in ("oneOf", "anyOf"):
        text = _("%(label)s does not match any of the allowed options.")
    elif keyword == "not":
        text = _("%(label)s has a value that is not allowed.")
    elif keyword == "invalidSchema":
        text = _("%(label)s cannot be checked because the form definition is broken. "
                 "Please tell an administrator.")
    else:
        text = _("%(label)s is not valid.")
    try:
        return str(text) % values
    except (KeyError, ValueError, TypeError):
        # A broken translation (a placeholder renamed or removed) must not turn a
        # validation message into a server error, so fall back to the English source.
        if translate is None or translate is identity:
            raise
        return message_for(keyword, params, label, None)


def _type_message(expected: str, _: Translate) -> str:
    if expected == "integer":
        return _("%(label)s must be a whole number.")
    if expected == "number":
        return _("%(label)s must be a number.")
    if expected == "string":
        return _("%(label)s must be text.")
    if expected == "boolean":
        return _("%(label)s must be yes or no.")
    if expected == "array":
        return _("%(label)s must be a list.")
    if expected == "object":
        return _("%(label)s must be a group of fields.")
    return _("%(label)s has the wrong kind of value.")


def _format_message(fmt: str, _: Translate) -> str:
    if fmt == "date":
        return _("%(label)s must be a valid date (YYYY-MM-DD).")
    if fmt == "date-time":
        return _("%(label)s must be a valid date and time.")
    if fmt == "time":
        return _("%(label)s must be a valid time (HH:MM).")
    if fmt in ("email", "idn-email"):
        return _("%(label)s must be a valid email address.")
    if fmt in ("uri", "url", "iri"):
        return _("%(label)s must be a valid web address starting with https://.")
    if fmt in ("ipv4", "ipv6"):
        return _("%(label)s must be a valid IP address.")
    if fmt == "uuid":
        return _("%(label)s must be a valid identifier (UUID).")
    return _("%(label)s is not in the expected format.")


def _format(text: str, fallback: str, values: Mapping[str, Any]) -> str:
    # Same reasoning as in message_for: a broken translation falls back to English.
    try:
        return str(text) % values
    except (KeyError, ValueError, TypeError):
        return fallback % values
