"""Structure helpers shared by render, parse and validation: references, types, choices, widgets,
and the layout of an object's base and conditional properties."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.forms.formats import matches

Schema = dict[str, Any]


def resolve(node: Any, root: Schema) -> Schema:
    """Follow local ``$ref``s; sibling keywords override the target's."""
    if not isinstance(node, dict):
        return {}
    for _depth in range(20):
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        target = follow_ref(root, ref)
        if target is None:
            return {key: value for key, value in node.items() if key != "$ref"}
        node = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
    return node


def follow_ref(root: Schema, ref: str) -> Schema | None:
    """The node a local ``#/...`` reference points to, or None."""
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
    parts = [node, *(resolve(part, root) for part in as_list(node.get("allOf")))]
    base: dict[str, Schema] = {}
    required: set[str] = set()
    for part in parts:
        for name, sub in as_dict(part.get("properties")).items():
            base.setdefault(name, sub if isinstance(sub, dict) else {})
        required.update(name for name in as_list(part.get("required")) if isinstance(name, str))
    branches: list[tuple[Schema, Condition, list[str]]] = []
    for part in parts:
        _collect_branches(part, root, (), [[]], branches)
    conditional: dict[str, ConditionalProperty] = {}
    for fragment, condition, controls in branches:
        fragment_required = {name for name in as_list(fragment.get("required")) if isinstance(name, str)}
        for name, sub in as_dict(fragment.get("properties")).items():
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
    dependents = dict(as_dict(part.get("dependentSchemas")))
    dependents.update((key, value) for key, value in as_dict(part.get("dependencies")).items()
                      if isinstance(value, dict))
    for key, dependent in dependents.items():
        if not isinstance(dependent, dict):
            continue
        dependent = resolve(dependent, root)
        present = (*when, {"required": [key]})
        _add_branch(dependent, root, present, _and(show, [[{"path": [key], "present": True}]]), [key], out)
        # react-jsonschema-form's "dynamic" dependencies: one branch per value of `key`
        for branch in as_list(dependent.get("oneOf")):
            branch = resolve(branch, root)
            selector = resolve(as_dict(branch.get("properties")).get(key), root)
            values = [selector["const"]] if "const" in selector else selector.get("enum")
            clause = {"path": [key], "in": [form_string(value) for value in values or []], "optional": False}
            _add_branch(branch, root, (*present, {"properties": {key: selector}}),
                        _and(show, [[clause]] if values else None), [key], out)


def _add_branch(fragment: Schema, root: Schema, when: tuple[Schema, ...], show: list[list[dict]] | None,
                controls: list[str], out: list[tuple[Schema, Condition, list[str]]]) -> None:
    out.append((fragment, Condition(when, show), controls))
    for part in [fragment, *(resolve(sub, root) for sub in as_list(fragment.get("allOf")))]:
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
    required = set(as_list(test.get("required")))
    clauses = []
    for name, sub in as_dict(test.get("properties")).items():
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


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
