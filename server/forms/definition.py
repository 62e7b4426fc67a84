"""Checking a form definition: its JSON schema and its UI schema."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from server.forms.formats import FORMAT_CHECKERS, draft_class
from server.forms.schema import RESERVED_KEYS, validate
from server.forms.structure import (
    Schema,
    as_dict,
    as_list,
    choices,
    follow_ref,
    object_layout,
    resolve,
    schema_type,
    ui_option,
)

UI_WIDGETS = frozenset({
    "text", "textarea", "password", "tel", "email", "hidden", "select", "radio", "checkboxes", "checkbox",
})
UI_DIRECTIVES = frozenset({
    "ui:widget", "ui:order", "ui:help", "ui:placeholder", "ui:title", "ui:description", "ui:options",
    "ui:autocomplete", "ui:enumNames",
})

# Property names become HTML names (``f.a.b``) and variables in workflow scripts.
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class SchemaProblem:
    """A mistake in a form definition, located by a JSON pointer into the schema."""

    pointer: str
    message: str


def check_schema(schema: Schema) -> list[SchemaProblem]:
    """Return every problem in a form schema; an empty list means the form can be used."""
    if not isinstance(schema, dict):
        return [SchemaProblem("", "a form schema must be a JSON object")]
    cls = draft_class(schema)
    if cls is None:
        return [SchemaProblem("/$schema", "use draft 2020-12 (the default) or draft-07")]
    problems = []
    meta = cls(cls.META_SCHEMA, format_checker=FORMAT_CHECKERS[cls])
    for error in meta.iter_errors(schema):
        if error.validator == "format" and error.validator_value == "regex":
            continue  # reported with the exact re.error by the walk below
        problems.append(SchemaProblem(_pointer(error.absolute_path), error.message))
    if schema.get("type") != "object":
        problems.append(SchemaProblem("/type", 'the root of a form must have "type": "object"'))
    for name in sorted(RESERVED_KEYS.intersection(as_dict(schema.get("properties")))):
        problems.append(SchemaProblem(f"/properties/{name}", f"{name!r} is reserved for the server"))
    for node, pointer in _walk(schema, ""):
        problems.extend(_node_problems(node, pointer, schema))
    if problems:
        return problems
    for index, example in enumerate(as_list(schema.get("examples"))):
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
    for key in as_dict(node.get("patternProperties")):
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
        for name in as_list(node.get("required")):
            if isinstance(name, str) and name not in object_layout(node, root).properties:
                yield SchemaProblem(f"{pointer}/required", f"required property {name!r} is not defined")
    ref = node.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith("#"):
            yield SchemaProblem(f"{pointer}/$ref", "only references inside the form (#/...) are supported")
        elif follow_ref(root, ref) is None:
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


def _pointer(parts: Any) -> str:
    return "".join(f"/{_escape(str(part))}" for part in parts)


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
