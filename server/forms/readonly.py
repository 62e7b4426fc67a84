"""A read-only view of submitted form data: a definition list with labels and option titles."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup

from server.forms.markup import html, join, translated
from server.forms.messages import Translate, humanize, identity
from server.forms.structure import (
    Schema,
    child_ui,
    choices,
    display_order,
    form_string,
    object_layout,
    resolve,
    ui_option,
    widget_kind,
)


def render_readonly(schema: Schema, ui_schema: Mapping[str, Any] | None, data: Any,
                    translate: Translate | None = identity, *,
                    formats: Mapping[str, Callable[[str], str]] | None = None) -> Markup:
    """Show submitted data as a definition list, with labels and option titles.

    ``formats`` maps a string format (``date``, ``date-time``) to how the reader writes such a value;
    without one the stored text is shown.
    """
    view = _Readonly(schema, translate or identity, formats or {})
    content = view.object(schema, ui_schema or {}, data if isinstance(data, Mapping) else {})
    if not content:
        _ = view.tr
        return html('<p class="form-readonly-empty">{}</p>', _("No answers recorded."))
    return html('<dl class="form-readonly">{}</dl>', content)


class _Readonly:
    def __init__(self, root: Schema, translate: Translate,
                 formats: Mapping[str, Callable[[str], str]] | None = None) -> None:
        self.root, self.tr, self.formats = root, translate, formats or {}

    def object(self, node: Any, ui: Mapping[str, Any], data: Mapping[str, Any]) -> Markup:
        layout = object_layout(node, self.root)
        out = []
        for name in display_order(layout, ui.get("ui:order")):
            if name not in data:
                continue
            sub = resolve(layout.properties[name], self.root)
            sub_ui = child_ui(ui, name)
            if widget_kind(sub, sub_ui, self.root) == "hidden":
                continue
            title = translated(self.tr, ui_option(sub_ui, "title")) or translated(self.tr, sub.get("title"))
            out.append(html("<dt>{}</dt><dd>{}</dd>", title or humanize(name), self.value(sub, sub_ui, data[name])))
        for name, value in data.items():
            if name not in layout.properties:  # kept from an older version of the form
                out.append(html("<dt>{}</dt><dd>{}</dd>", name, form_string(value)))
        return join(out)

    def value(self, node: Schema, ui: Mapping[str, Any], value: Any) -> Markup:
        kind = widget_kind(node, ui, self.root)
        if kind == "object" and isinstance(value, Mapping):
            return html('<dl class="form-readonly-group">{}</dl>', self.object(node, ui, value))
        if kind in ("rows", "checkboxes") and isinstance(value, list):
            items = resolve(node.get("items"), self.root)
            item_ui = child_ui(ui, "items")
            tag = "ol" if kind == "rows" else "ul"
            entries = [html("<li>{}</li>", self.value(items, item_ui, item)) for item in value]
            return html('<{0} class="form-readonly-list">{1}</{0}>', tag, join(entries))
        if isinstance(value, Mapping | list):
            return html("{}", json.dumps(value, ensure_ascii=False))
        if ui_option(ui, "widget") == "password":
            return html("{}", "••••••")
        found = choices(node, ui)
        if found is not None:
            for option, title in found:
                if form_string(option) == form_string(value):
                    return html("{}", self.tr(title))
        if isinstance(value, bool):
            _ = self.tr
            return html("{}", _("Yes") if value else _("No"))
        text = form_string(value)
        shown = self.formats.get(str(node.get("format")))
        if shown is not None and isinstance(value, str):
            return html("{}", shown(value))
        if node.get("format") == "date-time":
            text = text.replace("T", " ", 1)
        return html("{}", text)
