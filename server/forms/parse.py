"""Turn a submitted HTML form (as rendered by ``render.py``) back into typed JSON data.

Parsing never rejects input: a value that does not convert (``"abc"`` for an integer) is
kept as text so that validation reports it next to the field instead of losing it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from server.forms.structure import (
    Schema,
    child_ui,
    choices,
    form_string,
    object_layout,
    resolve,
    schema_type,
    widget_kind,
)

_MISSING: Any = object()
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_submission(schema: Schema, ui_schema: Mapping[str, Any] | None, formdata: Any, *,
                     prefix: str = "f") -> dict[str, Any]:
    """Read ``{prefix}.…`` fields from `formdata` (a MultiDict or any mapping with getlist)."""
    parser = _Parser(schema, formdata, prefix)
    return parser.object(schema, ui_schema or {}, (), required=True)


class _Parser:
    def __init__(self, root: Schema, formdata: Any, prefix: str) -> None:
        self.root, self.formdata, self.prefix = root, formdata, prefix
        self.keys = [key for key in formdata.keys() if isinstance(key, str) and key.startswith(prefix + ".")]

    def name(self, path: tuple[str, ...]) -> str:
        return ".".join((self.prefix, *path))

    def getlist(self, name: str) -> list[str]:
        if hasattr(self.formdata, "getlist"):
            values = self.formdata.getlist(name)
        else:
            value = self.formdata.get(name)
            values = value if isinstance(value, list | tuple) else [] if value is None else [value]
        return [str(value) for value in values]

    def first(self, name: str) -> str | None:
        values = self.getlist(name)
        return values[0] if values else None

    def field(self, node: Any, ui: Mapping[str, Any], path: tuple[str, ...], required: bool) -> Any:
        node = resolve(node, self.root)
        kind = widget_kind(node, ui, self.root)
        name = self.name(path)
        if kind == "object":
            return self.object(node, ui, path, required)
        if kind == "rows":
            return self.rows(node, ui, path)
        if kind == "checkboxes":
            items = resolve(node.get("items"), self.root)
            items_ui = child_ui(ui, "items")
            values = [self.choice(items, items_ui, raw) for raw in self.getlist(name) if raw != ""]
            return values or _MISSING  # nothing ticked: omitted, so `required` applies
        if kind == "checkbox":
            values = self.getlist(name)
            return True if "true" in values else False if values else _MISSING
        raw = self.first(name)
        if raw is None:
            return _MISSING
        if kind in ("radio", "select"):
            return self.choice(node, ui, raw) if raw != "" else _MISSING
        if kind == "textarea":
            text = raw.replace("\r\n", "\n")
            return text if text.strip() else _MISSING
        return _scalar(node, raw.strip()) if raw.strip() else _MISSING

    def choice(self, node: Schema, ui: Mapping[str, Any], raw: str) -> Any:
        for option, _title in choices(node, ui) or []:
            if form_string(option) == raw:
                return option
        return _scalar(node, raw)  # not an option: validation reports it

    def object(self, node: Any, ui: Mapping[str, Any], path: tuple[str, ...], required: bool) -> Any:
        layout = object_layout(node, self.root)
        out: dict[str, Any] = {}
        for name, sub in layout.properties.items():
            value = self.field(sub, child_ui(ui, name), (*path, name), name in layout.required)
            if value is not _MISSING:
                out[name] = value
        # Without JavaScript every conditional part is visible and submitted; keep only
        # those whose condition holds for the submitted data. Dropping one can switch
        # off another that depends on it, hence the loop.
        changed = True
        while changed:
            changed = False
            for name, conditional in layout.conditional.items():
                if name in out and not conditional.applies(out, self.root):
                    del out[name]
                    changed = True
        if not out and not required:
            return _MISSING  # an optional group left empty is omitted, not {}
        return out

    def rows(self, node: Schema, ui: Mapping[str, Any], path: tuple[str, ...]) -> Any:
        start = self.name(path) + "."
        indexes = sorted({int(segment) for key in self.keys if key.startswith(start)
                          for segment in [key[len(start):].split(".", 1)[0]] if segment.isdigit()})
        items = resolve(node.get("items"), self.root)
        items_ui = child_ui(ui, "items")
        out = []
        for index in indexes:
            value = self.field(items, items_ui, (*path, str(index)), required=False)
            if not self.blank(items, items_ui, value):
                out.append(value)
        return out or _MISSING

    def blank(self, node: Schema, ui: Mapping[str, Any], value: Any) -> bool:
        """An untouched row: nothing typed or chosen (an unticked checkbox counts as untouched)."""
        if value is _MISSING:
            return True
        kind = widget_kind(node, ui, self.root)
        if kind == "object" and isinstance(value, dict):
            properties = object_layout(node, self.root).properties
            return all(self.blank(resolve(properties.get(key), self.root), child_ui(ui, key), item)
                       for key, item in value.items())
        if kind == "checkbox":
            return value is False
        return False


def _scalar(node: Schema, text: str) -> Any:
    kind = schema_type(node)
    if kind in ("integer", "number"):
        number = _number(text)
        if number is None:
            return text
        if kind == "integer" and isinstance(number, float) and number.is_integer():
            return int(number)
        return number
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _number(text: str) -> int | float | None:
    if _INTEGER.fullmatch(text):
        return int(text)
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as Indonesian users write it
    if not _DECIMAL.fullmatch(text):
        return None  # float() would also take "nan", "1_000" and non-ASCII digits
    number = float(text)
    return number if math.isfinite(number) else None
