"""Form schemas: checking, validation, and the structure helpers shared by render and parse.

This is the only module in the project that imports ``jsonschema`` (an import-linter
contract keeps it that way). Nothing here needs a database or a Flask app: callers pass
a ``translate`` callable for user-facing text.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing.exceptions import Unresolvable

from server.forms import messages

Schema = dict[str, Any]
Translate = Callable[[str], str]

#: Top-level data keys owned by the server; a form may neither define nor submit them.
RESERVED_KEYS = frozenset({
    "case_id", "case_reference", "case_unit", "case_status", "started_by", "started_at",
    "submitted_by", "submitted_at", "task_id", "sinergi",
})

UI_WIDGETS = frozenset({
    "text", "textarea", "password", "tel", "email", "hidden", "select", "radio", "checkboxes", "checkbox",
})
UI_DIRECTIVES = frozenset({
    "ui:widget", "ui:order", "ui:help", "ui:placeholder", "ui:title", "ui:description", "ui:options",
    "ui:autocomplete", "ui:enumNames",
})

# Property names become HTML names (``f.a.b``) and variables in workflow scripts.
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"
_DRAFT_07 = "http://json-schema.org/draft-07/schema"


@dataclass(frozen=True)
class SchemaProblem:
    """A mistake in a form definition, located by a JSON pointer into the schema."""

    pointer: str
    message: str


@dataclass(frozen=True)
class FieldError:
    """One failing field: `path` is ``a/0/b`` ('' for the whole form)."""

    path: str
    keyword: str
    message: str
    params: dict[str, Any] = field(default_factory=dict, compare=False)


# --- format checks -------------------------------------------------------------------
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


def _pattern(validator: Validator, pattern: str, instance: Any, schema: Schema) -> Iterator[ValidationError]:
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
_CHECKING = {cls: extend(cls, {"pattern": _pattern}) for cls in _CLASSES.values()}
_FORMATS = {cls: _format_checker(cls) for cls in _CLASSES.values()}


def _draft(schema: Mapping[str, Any]) -> type[Validator] | None:
    uri = schema.get("$schema", _DRAFT_2020)
    if not isinstance(uri, str):
        return None
    uri = uri.rstrip("#").replace("https://json-schema.org/draft-07", "http://json-schema.org/draft-07")
    return _CLASSES.get(uri)


# --- checking a form definition -------------------------------------------------------

def check_schema(schema: Schema) -> list[SchemaProblem]:
    """Return every problem in a form schema; an empty list means the form can be used."""
    if not isinstance(schema, dict):
        return [SchemaProblem("", "a form schema must be a JSON object")]
    cls = _draft(schema)
    if cls is None:
        return [SchemaProblem("/$schema", "use draft 2020-12 (the default) or draft-07")]
    problems = []
    meta = cls(cls.META_SCHEMA, format_checker=_FORMATS[cls])
    for error in meta.iter_errors(schema):
        if error.validator == "format" and error.validator_value == "regex":
            continue  # reported with the exact re.error by the walk below
        problems.append(SchemaProblem(_pointer(error.absolute_path), error.message))
    if schema.get("type") != "object":
        problems.append(SchemaProblem("/type", 'the root of a form must have "type": "object"'))
    for name in sorted(RESERVED_KEYS.intersection(_dict(schema.get("properties")))):
        problems.append(SchemaProblem(f"/properties/{name}", f"{name!r} is reserved for the server"))
    for node, pointer in _walk(schema, ""):
        problems.extend(_node_problems(node, pointer, schema))
    if problems:
        return problems
    for index, example in enumerate(_list(schema.get("examples"))):
        for error in validate(schema, example):
            where = f" at {error.path!r}" if error.path else ""
            problems.append(SchemaProblem(f"/examples/{index}", f"example is invalid{where}: {error.message}"))
    return problems


def _node_problems(node: Schema, pointer: str, root: Schema) -> Iterator[SchemaProblem]:
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as exc:
            yield SchemaProblem(f"{pointer}/pattern", f"pattern {pattern!r} is not a valid regular expression: {exc}")
    for key in _dict(node.get("patternProperties")):
        try:
            re.compile(key)
        except re.error as exc:
            yield SchemaProblem(f"{pointer}/patternProperties", f"{key!r} is not a valid regular expression: {exc}")
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name in properties:
            if not _NAME_RE.fullmatch(name):
                yield SchemaProblem(f"{pointer}/properties/{_escape(name)}",
                                    f"property name {name!r} must use only letters, digits and _")
        for name in _list(node.get("required")):
            if isinstance(name, str) and name not in object_layout(node, root).properties:
                yield SchemaProblem(f"{pointer}/required", f"required property {name!r} is not defined")
    ref = node.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith("#"):
            yield SchemaProblem(f"{pointer}/$ref", "only references inside the form (#/...) are supported")
        elif _follow(root, ref) is None:
            yield SchemaProblem(f"{pointer}/$ref", f"{ref!r} does not point to anything")


_SUBSCHEMA = ("items", "additionalProperties", "additionalItems", "contains", "propertyNames", "if", "then",
              "else", "not", "unevaluatedItems", "unevaluatedProperties")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")


def _walk(node: Any, pointer: str) -> Iterator[tuple[Schema, str]]:
    """Yield every subschema with its pointer; values such as `examples` are not entered."""
    if not isinstance(node, dict):
        return
    yield node, pointer
    for key in _SUBSCHEMA:
        yield from _walk(node.get(key), f"{pointer}/{key}")
    for key in _SUBSCHEMA_LISTS:
        value = node.get(key)
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _walk(item, f"{pointer}/{key}/{index}")
    for key in _SUBSCHEMA_MAPS:
        value = node.get(key)
        if isinstance(value, dict):
            for name, item in value.items():
                yield from _walk(item, f"{pointer}/{key}/{_escape(name)}")


def check_ui_schema(schema: Schema, ui_schema: Mapping[str, Any] | None) -> list[SchemaProblem]:
    """Return problems in a UI schema: unknown properties, directives and widgets."""
    problems: list[SchemaProblem] = []
    if ui_schema is not None:
        _check_ui(schema, ui_schema, schema, "", problems)
    return problems


def _check_ui(node: Schema, ui: Any, root: Schema, pointer: str, problems: list[SchemaProblem]) -> None:
    if not isinstance(ui, dict):
        problems.append(SchemaProblem(pointer, "UI schema entries must be objects"))
        return
    node = resolve(node, root)
    kind = schema_type(node)
    layout = object_layout(node, root) if kind == "object" else None
    for key, value in ui.items():
        here = f"{pointer}/{_escape(key)}"
        if key.startswith("ui:"):
            if key not in UI_DIRECTIVES:
                problems.append(SchemaProblem(here, f"unknown UI directive {key!r}"))
        elif layout is not None and key in layout.properties:
            _check_ui(layout.properties[key], value, root, here, problems)
        elif kind == "array" and key == "items" and isinstance(node.get("items"), dict):
            _check_ui(node["items"], value, root, here, problems)
        else:
            problems.append(SchemaProblem(here, f"{key!r} is not a property of the schema"))
    options = ui.get("ui:options", {})
    if not isinstance(options, dict):
        problems.append(SchemaProblem(f"{pointer}/ui:options", "ui:options must be an object"))
    else:
        for name in ("emptyRows", "rows"):
            value = options.get(name, 1)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(SchemaProblem(f"{pointer}/ui:options/{name}", f"{name} must be a whole number"))
    widget = ui_option(ui, "widget")
    if widget is not None:
        problem = _widget_problem(widget, node, ui, root)
        if problem:
            problems.append(SchemaProblem(f"{pointer}/ui:widget", problem))
    order = ui.get("ui:order")
    if order is not None:
        names = layout.properties if layout else {}
        if not isinstance(order, list) or not all(isinstance(name, str) for name in order):
            problems.append(SchemaProblem(f"{pointer}/ui:order", "ui:order must be a list of property names"))
        else:
            for name in order:
                if name != "*" and name not in names:
                    problems.append(SchemaProblem(f"{pointer}/ui:order", f"{name!r} is not a property"))
            if len(set(order)) != len(order):
                problems.append(SchemaProblem(f"{pointer}/ui:order", "ui:order lists a name twice"))


def _widget_problem(widget: Any, node: Schema, ui: Mapping[str, Any], root: Schema) -> str | None:
    if widget not in UI_WIDGETS:
        return f"unknown widget {widget!r}; use one of {', '.join(sorted(UI_WIDGETS))}"
    kind = schema_type(node)
    if widget == "checkboxes":
        items = node.get("items")
        if kind != "array" or not isinstance(items, dict) or choices(resolve(items, root), {}) is None:
            return "checkboxes needs an array whose items have enum or oneOf/const choices"
    elif widget in ("radio", "select"):
        if kind != "boolean" and choices(node, ui) is None:
            return f"{widget} needs enum or oneOf/const choices (or a boolean)"
    elif widget == "checkbox" and kind != "boolean":
        return "checkbox needs a boolean"
    elif widget in ("text", "textarea", "password", "tel", "email") and kind in ("object", "array", "boolean"):
        return f"{widget} needs a string or number"
    return None


# --- validating submitted data --------------------------------------------------------

# When one field fails several keywords, show the most useful message first.
_PRIORITY = ("reserved", "additionalProperties", "required", "dependentRequired", "invalidSchema", "type",
             "enum", "const", "format", "minLength", "maxLength", "pattern", "minimum", "maximum",
             "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems")


def validate(schema: Schema, data: Any, *, translate: Translate | None = None,
             labels: Mapping[str, str] | None = None) -> list[FieldError]:
    """Validate `data` with format checks on; return one translated FieldError per failing field."""
    cls = _draft(schema) or Draft202012Validator
    validator = _CHECKING[cls](schema, format_checker=_FORMATS[cls])
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
        known = (_dict(error.schema.get("properties")) if keyword == "additionalProperties"
                 else object_layout(error.schema, root).properties)
        patterns = list(_dict(error.schema.get("patternProperties")))
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


def matches(fragment: Schema, data: Any, root: Schema) -> bool:
    """Whether `data` satisfies a schema fragment (an `if`, say) taken from `root`."""
    cls = _draft(root) or Draft202012Validator
    document = {key: root[key] for key in ("$defs", "definitions") if key in root}
    document.update(fragment)
    try:
        return bool(cls(document, format_checker=_FORMATS[cls]).is_valid(data))
    except (re.error, Unresolvable):
        return True  # keep the data; validation reports the broken definition


# --- structure helpers shared by render and parse -------------------------------------

def resolve(node: Any, root: Schema) -> Schema:
    """Follow local ``$ref``s; sibling keywords override the target's."""
    if not isinstance(node, dict):
        return {}
    for _depth in range(20):
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        target = _follow(root, ref)
        if target is None:
            return {key: value for key, value in node.items() if key != "$ref"}
        node = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
    return node


def _follow(root: Schema, ref: str) -> Schema | None:
    if not ref.startswith("#"):
        return None
    node: Any = root
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node if isinstance(node, dict) else None


def schema_type(node: Mapping[str, Any]) -> str:
    """The main JSON type of a schema node ('null' is ignored in a list of types)."""
    declared = node.get("type")
    if isinstance(declared, list):
        declared = next((item for item in declared if item != "null"), "null")
    if isinstance(declared, str):
        return declared
    if "properties" in node:
        return "object"
    if "items" in node:
        return "array"
    values = [node["const"]] if "const" in node else node.get("enum")
    if not values:
        values = [option for option, _title in choices(node, {}) or []]
    if values:
        sample = values[0]
        if isinstance(sample, bool):
            return "boolean"
        if isinstance(sample, int):
            return "integer"
        if isinstance(sample, float):
            return "number"
    return "string"


def choices(node: Mapping[str, Any], ui: Mapping[str, Any]) -> list[tuple[Any, str]] | None:
    """(value, title) for an enum or a oneOf/anyOf of consts; None when the field is free input."""
    enum = node.get("enum")
    if isinstance(enum, list):
        names = node.get("enumNames") or ui_option(ui, "enumNames") or []
        return [(value, names[index] if index < len(names) and isinstance(names[index], str)
                 else form_string(value)) for index, value in enumerate(enum)]
    for key in ("oneOf", "anyOf"):
        options = node.get(key)
        if isinstance(options, list) and options and all(
                isinstance(option, dict) and "const" in option for option in options):
            return [(option["const"], option.get("title") if isinstance(option.get("title"), str)
                     else form_string(option["const"])) for option in options]
    return None


def form_string(value: Any) -> str:
    """How a JSON value is written in an HTML form (and in data-show-if conditions)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def ui_option(ui: Mapping[str, Any] | None, key: str, default: Any = None) -> Any:
    """Read ``ui:<key>``, or `key` inside ``ui:options`` (react-jsonschema-form treats both alike)."""
    if not isinstance(ui, Mapping):
        return default
    if f"ui:{key}" in ui:
        return ui[f"ui:{key}"]
    options = ui.get("ui:options")
    if isinstance(options, Mapping) and key in options:
        return options[key]
    return default


def child_ui(ui: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    """The UI schema of a property (or of ``items``)."""
    child = ui.get(key) if isinstance(ui, Mapping) else None
    return child if isinstance(child, Mapping) else {}


def widget_kind(node: Schema, ui: Mapping[str, Any], root: Schema) -> str:
    """Which control a field gets: hidden, object, checkboxes, rows, checkbox, radio, select, number,
    textarea or text. Render and parse both dispatch on this, so they always agree."""
    widget = ui_option(ui, "widget")
    if widget == "hidden":
        return "hidden"
    kind = schema_type(node)
    if kind == "object":
        return "object"
    if kind == "array":
        items = resolve(node.get("items"), root)
        return "checkboxes" if choices(items, child_ui(ui, "items")) is not None else "rows"
    if kind == "boolean":
        return widget if widget in ("radio", "select") else "checkbox"
    if choices(node, ui) is not None:
        return "radio" if widget == "radio" else "select"
    if widget == "textarea":
        return "textarea"
    return "number" if kind in ("integer", "number") else "text"


def ordered(names: list[str], order: Any) -> list[str]:
    """Apply ``ui:order`` (with its ``*`` wildcard) to property names; unlisted names go last."""
    if not isinstance(order, list):
        return list(names)
    order = [name for name in order if isinstance(name, str)]
    if "*" in order:
        star = order.index("*")
        head = [name for name in order[:star] if name in names]
        tail = [name for name in order[star + 1:] if name in names]
    else:
        head, tail = [name for name in order if name in names], []
    rest = [name for name in names if name not in head and name not in tail]
    return head + rest + tail


@dataclass
class Condition:
    """When a conditional property applies.

    `when` lists schemas the parent object must all match (the server's test);
    `show_if` is the same test for the browser as alternatives of clauses
    ({"path", "in" | "present", "optional", "not"}), or None when it cannot be expressed.
    """

    when: tuple[Schema, ...]
    show_if: list[list[dict[str, Any]]] | None


@dataclass
class ConditionalProperty:
    schema: Schema
    required: bool = False
    conditions: list[Condition] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)

    def show_if(self) -> list[list[dict[str, Any]]] | None:
        """Alternatives of clauses for data-show-if, or None if the browser cannot decide."""
        alternatives: list[list[dict[str, Any]]] = []
        for condition in self.conditions:
            if condition.show_if is None:
                return None
            alternatives.extend(condition.show_if)
        return alternatives

    def applies(self, data: Any, root: Schema) -> bool:
        return any(all(matches(when, data, root) for when in condition.when) for condition in self.conditions)


@dataclass
class ObjectLayout:
    """The properties an object renders (base first, conditional ones after what controls them)."""

    properties: dict[str, Schema]
    required: frozenset[str]
    conditional: dict[str, ConditionalProperty]


def object_layout(node: Any, root: Schema) -> ObjectLayout:
    """Collect base and conditional (if/then/else, dependentSchemas, dependencies) properties."""
    node = resolve(node, root)
    parts = [node, *(resolve(part, root) for part in _list(node.get("allOf")))]
    base: dict[str, Schema] = {}
    required: set[str] = set()
    for part in parts:
        for name, sub in _dict(part.get("properties")).items():
            base.setdefault(name, sub if isinstance(sub, dict) else {})
        required.update(name for name in _list(part.get("required")) if isinstance(name, str))
    branches: list[tuple[Schema, Condition, list[str]]] = []
    for part in parts:
        _collect_branches(part, root, (), [[]], branches)
    conditional: dict[str, ConditionalProperty] = {}
    for fragment, condition, controls in branches:
        fragment_required = {name for name in _list(fragment.get("required")) if isinstance(name, str)}
        for name, sub in _dict(fragment.get("properties")).items():
            if name in base:
                continue
            entry = conditional.setdefault(name, ConditionalProperty(sub if isinstance(sub, dict) else {}))
            entry.required = entry.required or name in fragment_required
            entry.conditions.append(condition)
            entry.controls.extend(control for control in controls if control not in entry.controls)
    names = _place_conditionals(list(base), conditional)
    properties = {name: base.get(name) or conditional[name].schema for name in names}
    return ObjectLayout(properties, frozenset(required), conditional)


def display_order(layout: ObjectLayout, order: Any) -> list[str]:
    """Property names in display order: ``ui:order`` first, then conditional fields that
    ``ui:order`` does not place go right after the field that controls them."""
    listed = set(order) if isinstance(order, list) else set()
    names = ordered([name for name in layout.properties if name not in layout.conditional or name in listed],
                    order)
    return _place_conditionals(names, {name: entry for name, entry in layout.conditional.items()
                                       if name not in names})


def _place_conditionals(names: list[str], conditional: Mapping[str, ConditionalProperty]) -> list[str]:
    # "Other, please specify" goes after its select; several fields behind one control
    # keep schema order.
    names = list(names)
    for name, entry in conditional.items():
        anchors = [names.index(control) for control in entry.controls if control in names]
        position = max(anchors) + 1 if anchors else len(names)
        while position < len(names) and names[position] in conditional:
            position += 1
        names.insert(position, name)
    return names


def _collect_branches(part: Schema, root: Schema, when: tuple[Schema, ...], show: list[list[dict]] | None,
                      out: list[tuple[Schema, Condition, list[str]]]) -> None:
    test = part.get("if")
    if isinstance(test, dict):
        test = resolve(test, root)
        clauses = _clauses(test)
        controls = [clause["path"][0] for clause in clauses or []]
        then, otherwise = part.get("then"), part.get("else")
        if isinstance(then, dict):
            _add_branch(resolve(then, root), root, (*when, test), _and(show, [clauses] if clauses else None),
                        controls, out)
        if isinstance(otherwise, dict):
            negated = [[{**clause, "not": True}] for clause in clauses] if clauses else None
            _add_branch(resolve(otherwise, root), root, (*when, {"not": test}), _and(show, negated), controls, out)
    dependents = dict(_dict(part.get("dependentSchemas")))
    dependents.update((key, value) for key, value in _dict(part.get("dependencies")).items()
                      if isinstance(value, dict))
    for key, dependent in dependents.items():
        if not isinstance(dependent, dict):
            continue
        dependent = resolve(dependent, root)
        present = (*when, {"required": [key]})
        _add_branch(dependent, root, present, _and(show, [[{"path": [key], "present": True}]]), [key], out)
        # react-jsonschema-form's "dynamic" dependencies: one branch per value of `key`
        for branch in _list(dependent.get("oneOf")):
            branch = resolve(branch, root)
            selector = resolve(_dict(branch.get("properties")).get(key), root)
            values = [selector["const"]] if "const" in selector else selector.get("enum")
            clause = {"path": [key], "in": [form_string(value) for value in values or []], "optional": False}
            _add_branch(branch, root, (*present, {"properties": {key: selector}}),
                        _and(show, [[clause]] if values else None), [key], out)


def _add_branch(fragment: Schema, root: Schema, when: tuple[Schema, ...], show: list[list[dict]] | None,
                controls: list[str], out: list[tuple[Schema, Condition, list[str]]]) -> None:
    out.append((fragment, Condition(when, show), controls))
    for part in [fragment, *(resolve(sub, root) for sub in _list(fragment.get("allOf")))]:
        if part is not fragment:
            out.append((part, Condition(when, show), controls))
        _collect_branches(part, root, when, show, out)


def _and(left: list[list[dict]] | None, right: list[list[dict]] | None) -> list[list[dict]] | None:
    if left is None or right is None:
        return None
    return [[*first, *second] for first in left for second in right]


_CLAUSE_KEYS = {"const", "enum", "contains", "type", "title", "description", "$comment"}


def _clauses(test: Schema) -> list[dict[str, Any]] | None:
    """Browser-checkable clauses for an `if` that only compares properties with const/enum."""
    if set(test) - {"properties", "required", "type", "title", "description", "$comment"}:
        return None
    required = set(_list(test.get("required")))
    clauses = []
    for name, sub in _dict(test.get("properties")).items():
        if not isinstance(sub, dict) or set(sub) - _CLAUSE_KEYS:
            return None
        source = sub.get("contains") if isinstance(sub.get("contains"), dict) else sub
        if "const" in source:
            values = [source["const"]]
        elif isinstance(source.get("enum"), list):
            values = source["enum"]
        else:
            return None
        clauses.append({"path": [name], "in": [form_string(value) for value in values],
                        "optional": name not in required})
    return clauses or None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pointer(parts: Any) -> str:
    return "".join(f"/{_escape(str(part))}" for part in parts)


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
