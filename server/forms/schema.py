"""Form data: validating submitted data, clean submissions and defaults.

This module and server/forms/formats.py are the only ones in the project that import
``jsonschema``. Nothing here needs a database or a Flask app: callers pass a ``translate``
callable for user-facing text. Checking a form definition is in server/forms/definition.py,
the structure helpers shared by render and parse in server/forms/structure.py.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing.exceptions import Unresolvable

from server.forms import messages
from server.forms.formats import CHECKING_CLASSES, FORMAT_CHECKERS, draft_class
from server.forms.structure import Schema, as_dict, choices, object_layout, resolve, schema_type

Translate = Callable[[str], str]

#: Top-level data keys owned by the server; a form may neither define nor submit them.
RESERVED_KEYS = frozenset({
    "case_id", "case_reference", "case_unit", "case_status", "started_by", "started_at",
    "submitted_by", "submitted_at", "task_id", "sinergi",
})


@dataclass(frozen=True)
class FieldError:
    """One failing field: `path` is ``a/0/b`` ('' for the whole form)."""

    path: str
    keyword: str
    message: str
    params: dict[str, Any] = field(default_factory=dict, compare=False)


# When one field fails several keywords, show the most useful message first.
_PRIORITY = ("reserved", "additionalProperties", "required", "dependentRequired", "invalidSchema", "type",
             "enum", "const", "format", "minLength", "maxLength", "pattern", "minimum", "maximum",
             "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems")


def validate(schema: Schema, data: Any, *, translate: Translate | None = None,
             labels: Mapping[str, str] | None = None) -> list[FieldError]:
    """Validate `data` with format checks on; return one translated FieldError per failing field."""
    cls = draft_class(schema) or Draft202012Validator
    validator = CHECKING_CLASSES[cls](schema, format_checker=FORMAT_CHECKERS[cls])
    try:
        raw = list(validator.iter_errors(data))
    except (re.error, Unresolvable) as exc:
        # The definition is broken in a way check_schema would have reported.
        label = messages.form_label(translate)
        return [FieldError("", "invalidSchema", messages.message_for("invalidSchema", {}, label, translate),
                           {"detail": str(exc)})]
    found: dict[str, tuple[int, FieldError]] = {}
    for error in raw:
        for segments, keyword, params in _locate(error, schema):
            rank = _PRIORITY.index(keyword) if keyword in _PRIORITY else len(_PRIORITY)
            path = "/".join(segments)
            if path in found and found[path][0] <= rank:
                continue
            label = label_for(schema, segments, translate=translate, labels=labels)
            shown = dict(params)
            if "dependsOn" in params:
                shown["other"] = label_for(schema, [*segments[:-1], params["dependsOn"]], translate=translate,
                                           labels=labels)
            message = messages.message_for(keyword, shown, label, translate)
            found[path] = (rank, FieldError(path, keyword, message, params))
    return [error for _rank, error in found.values()]


def _locate(error: ValidationError, root: Schema) -> list[tuple[list[str], str, dict[str, Any]]]:
    """Turn one jsonschema error into (path segments, keyword, params) per failing field."""
    found = list(_fields_of(error, root))
    # never lose an error: if the fields cannot be pinned down, report it where it occurred
    return found or [([str(part) for part in error.absolute_path],
                      error.validator if isinstance(error.validator, str) else "not", {})]


def _fields_of(error: ValidationError, root: Schema) -> Iterator[tuple[list[str], str, dict[str, Any]]]:
    base = [str(part) for part in error.absolute_path]
    keyword = error.validator if isinstance(error.validator, str) else "not"
    value, instance = error.validator_value, error.instance
    if keyword == "required" and isinstance(instance, dict):
        for name in value:
            if name not in instance:
                yield [*base, name], "required", {"property": name}
    elif keyword in ("dependentRequired", "dependencies") and isinstance(instance, dict):
        for trigger, needed in value.items():
            if trigger in instance and isinstance(needed, list):
                for name in needed:
                    if name not in instance:
                        yield [*base, name], "dependentRequired", {"property": name, "dependsOn": trigger}
    elif keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        # additionalProperties sees only its own schema's properties; unevaluatedProperties
        # also those of allOf, then/else and dependent schemas.
        known = (as_dict(error.schema.get("properties")) if keyword == "additionalProperties"
                 else object_layout(error.schema, root).properties)
        patterns = list(as_dict(error.schema.get("patternProperties")))
        for name in instance:
            if name not in known and not any(re.search(pattern, name) for pattern in patterns):
                yield [*base, name], "additionalProperties", {"property": name}
    elif keyword in ("oneOf", "anyOf") and choices(error.schema, {}) is not None:
        yield base, "enum", {"allowed": [option for option, _title in choices(error.schema, {}) or []]}
    elif keyword == "type":
        expected = value if isinstance(value, str) else next((t for t in value if t != "null"), "null")
        yield base, "type", {"expected": expected}
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
                     "maxLength", "minItems", "maxItems"):
        yield base, keyword, {"limit": value}
    elif keyword == "format":
        yield base, "format", {"format": value}
    elif keyword == "enum":
        yield base, "enum", {"allowed": list(value)}
    elif keyword == "const":
        yield base, "const", {"value": value}
    elif keyword in ("pattern", "invalidSchema"):
        yield base, keyword, {"pattern": value}
    else:
        yield base, keyword, {}


def label_for(schema: Schema, segments: list[str], *, translate: Translate | None = None,
              labels: Mapping[str, str] | None = None) -> str:
    """The user-facing label of the field at `segments`: its title, else its humanized name."""
    path = "/".join(segments)
    if labels:
        generic = "/".join(part for part in segments if not part.isdigit())
        if path in labels or generic in labels:
            return labels.get(path) or labels[generic]
    if not segments:
        return _title(schema, translate) or messages.form_label(translate)
    node: Schema = schema
    label = ""
    row: tuple[str, int] | None = None  # the innermost repeatable row: (its array's label, number)
    for part in segments:
        node = resolve(node, schema)
        if part.isdigit() and schema_type(node) == "array":
            row = (label, int(part) + 1)
            node = resolve(node.get("items"), schema)
            label = _title(node, translate) or label
            continue
        properties = object_layout(node, schema).properties
        node = resolve(properties.get(part), schema)
        # a key the form does not define (an unknown key) is shown exactly as sent
        label = _title(node, translate) or (messages.humanize(part) if part in properties else part)
    if row is None:
        return label
    parent, number = row
    if segments[-1].isdigit() and not _title(node, translate):
        return messages.row_title(parent, number, translate)
    return messages.row_label(label, parent, number, translate)


def _title(node: Mapping[str, Any], translate: Translate | None) -> str:
    title = node.get("title")
    if not isinstance(title, str) or not title:
        return ""  # gettext("") would return the catalog header
    return (translate or messages.identity)(title)


def clean_submission(schema: Schema, data: Mapping[str, Any], *,
                     translate: Translate | None = None) -> tuple[dict[str, Any], list[FieldError]]:
    """Reject reserved and unknown top-level keys; return the data without them and the errors."""
    known = object_layout(schema, schema).properties
    kept: dict[str, Any] = {}
    errors = []
    for key, value in data.items():
        if key in RESERVED_KEYS:
            errors.append(FieldError(key, "reserved", messages.message_for("reserved", {"property": key}, key,
                                                                           translate), {"property": key}))
        elif key not in known:
            errors.append(FieldError(key, "additionalProperties", messages.message_for(
                "additionalProperties", {"property": key}, key, translate), {"property": key}))
        else:
            kept[key] = value
    return (dict(data) if not errors else kept), errors


def defaults(schema: Schema) -> dict[str, Any]:
    """Initial data for a new form, built from the `default` values in the schema."""
    value = _default_for(schema, schema)
    return value if isinstance(value, dict) else {}


_MISSING = object()


def _default_for(node: Any, root: Schema) -> Any:
    node = resolve(node, root)
    if "default" in node:
        return copy.deepcopy(node["default"])
    if schema_type(node) != "object":
        return _MISSING
    layout = object_layout(node, root)
    out = {}
    for name, sub in layout.properties.items():
        if name not in layout.conditional:
            value = _default_for(sub, root)
            if value is not _MISSING:
                out[name] = value
    return out or _MISSING
