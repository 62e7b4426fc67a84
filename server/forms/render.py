"""Accessible server-rendered HTML for a form's fields (the read-only view is in readonly.py).

The caller provides the ``<form>`` element and the submit button. Field names are
``{prefix}.path.to.field`` (``{prefix}.rows.0.name`` inside repeatable rows); ids are the
same with ``-``. Everything works without JavaScript; ``static/js/forms.js`` adds live
show/hide of conditional parts and adding/removing rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from server.forms.markup import EMPTY as _EMPTY
from server.forms.markup import html as _html
from server.forms.markup import join as _join
from server.forms.markup import tag as _tag
from server.forms.markup import translated as _translated
from server.forms.messages import Translate, humanize, identity
from server.forms.readonly import render_readonly
from server.forms.schema import defaults
from server.forms.structure import (
    Schema,
    child_ui,
    choices,
    display_order,
    form_string,
    object_layout,
    resolve,
    schema_type,
    ui_option,
    widget_kind,
)

#: Stands for the row index inside a row <template>; forms.js replaces it.
INDEX = "__INDEX__"

_FORMAT_TYPES = {"date": "date", "date-time": "datetime-local", "time": "time", "email": "email", "uri": "url",
                 "tel": "tel"}
_WIDGET_TYPES = {"text", "password", "tel", "email"}
_NATIVE = {  # what a browser's native control can show; anything else falls back to a text input
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "time": re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"),
    "datetime-local": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"),
}
_OFFSET = re.compile(r"(?:[Zz]|[+-]\d{2}:\d{2})$")


def render_form(schema: Schema, ui_schema: Mapping[str, Any] | None, data: Any, errors: Any, *,
                prefix: str = "f", translate: Translate | None = identity, readonly: bool = False,
                summary: bool = True) -> Markup:
    """Render the fields of a form (no <form> tag, no submit button) with inline errors.

    `data` of None means a new form: `default` values fill it. `errors` is a list of
    FieldError (or dicts with ``path``/``field`` and ``message``), or a path→message map.
    With `summary`, a linked list of all errors comes first; it is the only place where
    errors without a field of their own (the whole form, unknown keys) are shown.
    """
    translate = translate or identity
    if readonly:
        return render_readonly(schema, ui_schema, data, translate)
    form = _Form(schema, translate, prefix, _errors_by_path(errors), fresh=data is None)
    values = defaults(schema) if data is None else data
    body = form.object_fields(schema, ui_schema or {}, (), values)
    description = form.text_block(ui_option(ui_schema, "description") or schema.get("description"),
                                  "form-description", None)
    return (form.summary() if summary else _EMPTY) + description + body


def _errors_by_path(errors: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if not errors:
        return found
    if isinstance(errors, Mapping):
        pairs = [(path, message) for path, messages in errors.items()
                 for message in (messages if isinstance(messages, list) else [messages])]
    else:
        pairs = []
        for error in errors:
            if isinstance(error, Mapping):
                pairs.append((error.get("path", error.get("field", "")), error.get("message", "")))
            else:
                pairs.append((getattr(error, "path", ""), getattr(error, "message", "")))
    for path, message in pairs:
        found.setdefault(str(path or ""), []).append(str(message))
    return found


class _Form:
    def __init__(self, root: Schema, translate: Translate, prefix: str, errors: dict[str, list[str]],
                 fresh: bool) -> None:
        self.root, self.tr, self.prefix, self.errors = root, translate, prefix, errors
        self.fresh = fresh  # apply `default` to missing values (new forms only, never blank rows)
        self.placed: list[tuple[str, str]] = []  # (error path, id to link to), in render order

    # names and ids
    def name(self, path: tuple[str, ...]) -> str:
        return ".".join((self.prefix, *path))

    def ident(self, path: tuple[str, ...]) -> str:
        return "-".join((self.prefix.replace(".", "-"), *path))

    def fmt(self, translated: str, source: str, **values: Any) -> str:
        try:
            return translated % values
        except (KeyError, ValueError, TypeError):
            return source % values  # a broken translation falls back to English

    # shared pieces
    def label_text(self, node: Schema, ui: Mapping[str, Any], path: tuple[str, ...]) -> str:
        title = _translated(self.tr, ui_option(ui, "title")) or _translated(self.tr, node.get("title"))
        return title or (humanize(path[-1]) if path else "")

    def required_mark(self, required: bool) -> Markup:
        if not required:
            return _EMPTY
        _ = self.tr
        return _html('<span class="required-mark" aria-hidden="true">*</span>'
                     '<span class="visually-hidden"> {}</span>', _("(required)"))

    def text_block(self, text: Any, css: str, ident: str | None) -> Markup:
        translated = _translated(self.tr, text)
        if not translated:
            return _EMPTY
        return _tag("p", {"class": css, "id": ident}, translated)

    def error_block(self, path: tuple[str, ...], ident: str, anchor: str) -> Markup:
        if INDEX in path:
            return _EMPTY
        key = "/".join(path)
        messages = self.errors.get(key)
        if not messages:
            return _EMPTY
        self.placed.append((key, anchor))
        _ = self.tr
        return _html('<p class="field-error" id="{}-error"><span class="visually-hidden">{}</span> {}</p>',
                     ident, _("Error:"), " ".join(messages))

    def parts(self, node: Schema, ui: Mapping[str, Any], path: tuple[str, ...],
              anchor: str | None = None) -> tuple[Markup, Markup, Markup, str | None]:
        """Description, error and help blocks, and the ids for aria-describedby."""
        ident = self.ident(path)
        description = self.text_block(ui_option(ui, "description") or node.get("description"),
                                      "field-description", f"{ident}-description")
        error = self.error_block(path, ident, anchor or ident)
        help_text = self.text_block(ui_option(ui, "help"), "field-help", f"{ident}-help")
        ids = [f"{ident}-{part}" for part, block in (("error", error), ("description", description),
                                                     ("help", help_text)) if block]
        return description, error, help_text, " ".join(ids) or None

    # fields
    def field(self, node: Any, ui: Mapping[str, Any], path: tuple[str, ...], value: Any, required: bool,
              label: Any = None) -> Markup:
        node = resolve(node, self.root)
        if value is None and self.fresh and "default" in node:
            value = node["default"]
        kind = widget_kind(node, ui, self.root)
        label = label if label is not None else self.label_text(node, ui, path)
        if kind == "hidden":
            return _tag("input", {"type": "hidden", "id": self.ident(path), "name": self.name(path),
                                  "value": form_string(value)})
        if kind == "object":
            return self.fieldset(node, ui, path, value, required, label)
        if kind == "rows":
            return self.rows(node, ui, path, value, required, label)
        if kind in ("checkboxes", "radio"):
            return self.group(node, ui, path, value, required, label, kind)
        if kind == "checkbox":
            return self.checkbox(node, ui, path, value, required, label)
        return self.single(node, ui, path, value, required, label, kind)

    def object_fields(self, node: Any, ui: Mapping[str, Any], path: tuple[str, ...], value: Any) -> Markup:
        layout = object_layout(node, self.root)
        value = value if isinstance(value, Mapping) else {}
        out = []
        for name in display_order(layout, ui.get("ui:order")):
            conditional = layout.conditional.get(name)
            required = name in layout.required or bool(conditional and conditional.required)
            html = self.field(layout.properties[name], child_ui(ui, name), (*path, name), value.get(name), required)
            if conditional is not None:
                show_if = conditional.show_if()
                rule = None if show_if is None else json.dumps(
                    [[self.clause(path, clause) for clause in alternative] for alternative in show_if],
                    separators=(",", ":"), ensure_ascii=False)
                html = _tag("div", {"class": "form-conditional", "data-show-if": rule}, html)
            out.append(html)
        return _join(out)

    def clause(self, path: tuple[str, ...], clause: Mapping[str, Any]) -> dict[str, Any]:
        rendered = {key: value for key, value in clause.items() if key != "path"}
        rendered["field"] = self.name((*path, *clause["path"]))
        return rendered

    def fieldset(self, node: Schema, ui: Mapping[str, Any], path: tuple[str, ...], value: Any,
                 required: bool, label: Any) -> Markup:
        description, error, help_text, described = self.parts(node, ui, path)
        legend = _html('<legend class="field-label">{}{}</legend>', label, self.required_mark(required))
        return _tag("fieldset", {"class": "form-fieldset", "id": self.ident(path), "aria-describedby": described},
                    legend + description + error + self.object_fields(node, ui, path, value) + help_text)

    def single(self, node: Schema, ui: Mapping[str, Any], path: tuple[str, ...], value: Any, required: bool,
               label: Any, kind: str) -> Markup:
        ident = self.ident(path)
        description, error, help_text, described = self.parts(node, ui, path)
        attrs: dict[str, Any] = {"id": ident, "name": self.name(path), "aria-describedby": described,
                                 "aria-invalid": "true" if error else None,
                                 "aria-required": "true" if required else None}
        if kind == "select":
            control = self.select(node, ui, value, attrs)
        elif kind == "textarea":
            text = form_string(value)
            rows = ui_option(ui, "rows", 4)
            attrs.update({"rows": rows if isinstance(rows, int) else 4, "maxlength": node.get("maxLength"),
                          "placeholder": _translated(self.tr, ui_option(ui, "placeholder"))})
            # the HTML parser drops one leading newline inside <textarea>
            control = _tag("textarea", attrs, "\n" + text if text.startswith("\n") else text)
        else:
            attrs.update(self.input_attrs(node, ui, value, kind))
            control = _tag("input", attrs)
        label_html = _html('<label class="field-label" for="{}">{}{}</label>', ident, label,
                           self.required_mark(required))
        css = f"form-field form-field--{kind}" + (" has-error" if error else "")
        return _tag("div", {"class": css}, label_html + description + error + control + help_text)

    def input_attrs(self, node: Schema, ui: Mapping[str, Any], value: Any, kind: str) -> dict[str, Any]:
        widget, wanted = ui_option(ui, "widget"), ui_option(ui, "inputType")
        if kind == "number":
            input_type = "number"
        elif widget in _WIDGET_TYPES:
            input_type = widget
        elif wanted in _WIDGET_TYPES | set(_FORMAT_TYPES.values()):
            input_type = wanted
        else:
            input_type = _FORMAT_TYPES.get(str(node.get("format")), "text")
        text = form_string(value)
        if input_type in ("datetime-local", "time"):
            text = _OFFSET.sub("", text).replace(" ", "T").replace("t", "T")
        attrs: dict[str, Any] = {"type": input_type, "value": text,
                                 "placeholder": _translated(self.tr, ui_option(ui, "placeholder")),
                                 "autocomplete": ui_option(ui, "autocomplete", "off")}
        if input_type == "password":
            attrs["value"] = None  # never echo a password back into the page
        if input_type == "number":
            attrs.update(_number_attrs(node))
            if text and (isinstance(value, bool) or not isinstance(value, int | float)):
                # keep what was typed visible (a number input would blank it) so it can be fixed
                attrs.update({"type": "text", "inputmode": "decimal", "min": None, "max": None, "step": None})
            return attrs
        if input_type in _NATIVE and text and not _NATIVE[input_type].fullmatch(text):
            attrs["type"] = "text"  # same reason: show the unparseable value instead of a blank control
        if input_type not in _NATIVE:
            attrs["maxlength"] = node.get("maxLength")
        return attrs

    def select(self, node: Schema, ui: Mapping[str, Any], value: Any, attrs: dict[str, Any]) -> Markup:
        _ = self.tr
        current = form_string(value) if value is not None else None
        options = [_tag("option", {"value": ""}, _("Choose…"))]
        known = False
        for option, title in self.options(node, ui):
            selected = current is not None and form_string(option) == current
            known = known or selected
            options.append(_tag("option", {"value": form_string(option), "selected": selected}, title))
        if current and not known:
            options.append(_tag("option", {"value": current, "selected": True}, current))
        return _tag("select", attrs, _join(options))

    def options(self, node: Schema, ui: Mapping[str, Any]) -> list[tuple[Any, str]]:
        _ = self.tr
        found = choices(node, ui)
        if found is None and schema_type(node) == "boolean":
            return [(True, _("Yes")), (False, _("No"))]
        return [(option, self.tr(title)) for option, title in found or []]

    def group(self, node: Schema, ui: Mapping[str, Any], path: tuple[str, ...], value: Any, required: bool,
              label: Any, kind: str) -> Markup:
        ident, name = self.ident(path), self.name(path)
        if kind == "checkboxes":
            items = resolve(node.get("items"), self.root)
            options = self.options(items, child_ui(ui, "items"))
            chosen = {form_string(item) for item in value} if isinstance(value, list) else set()
            input_type = "checkbox"
        else:
            options = self.options(node, ui)
            chosen = {form_string(value)} if value is not None else set()
            input_type = "radio"
        description, error, help_text, described = self.parts(node, ui, path, anchor=f"{ident}-0")
        rows = []
        for index, (option, title) in enumerate(options):
            option_id = f"{ident}-{index}"
            control = _tag("input", {"type": input_type, "id": option_id, "name": name,
                                     "value": form_string(option), "checked": form_string(option) in chosen,
                                     "aria-invalid": "true" if error else None})
            rows.append(_html('<div class="form-option">{}<label for="{}">{}</label></div>', control, option_id,
                              title))
        legend = _html('<legend class="field-label">{}{}</legend>', label, self.required_mark(required))
        css = f"form-field form-group form-group--{kind}" + (" has-error" if error else "")
        body = legend + description + error + _html('<div class="form-options">{}</div>', _join(rows)) + help_text
        return _tag("fieldset", {"class": css, "id": ident, "aria-describedby": described}, body)

    def checkbox(self, node: Schema, ui: Mapping[str, Any], path: tuple[str, ...], value: Any, required: bool,
                 label: Any) -> Markup:
        ident, name = self.ident(path), self.name(path)
        description, error, help_text, described = self.parts(node, ui, path)
        # An unchecked box sends nothing; the hidden input before it makes that "false".
        fallback = _tag("input", {"type": "hidden", "name": name, "value": "false", "data-checkbox-fallback": True})
        box = _tag("input", {"type": "checkbox", "id": ident, "name": name, "value": "true", "checked": value is True,
                             "aria-describedby": described, "aria-invalid": "true" if error else None,
                             "aria-required": "true" if required else None})
        label_html = _html('<label class="field-label" for="{}">{}{}</label>', ident, label,
                           self.required_mark(required))
        css = "form-field form-field--checkbox" + (" has-error" if error else "")
        return _tag("div", {"class": css}, error + _html('<div class="form-option">{}{}{}</div>', fallback, box,
                                                          label_html) + description + help_text)

    def rows(self, node: Schema, ui: Mapping[str, Any], path: tuple[str, ...], value: Any, required: bool,
             label: Any) -> Markup:
        _ = self.tr
        items = resolve(node.get("items"), self.root)
        item_ui = child_ui(ui, "items")
        item_label = self.label_text(items, item_ui, ()) or label
        existing = value if isinstance(value, list) else []
        empty = ui_option(ui, "emptyRows", 1)
        empty = empty if isinstance(empty, int) and empty >= 0 else 1
        limit = node.get("maxItems") if isinstance(node.get("maxItems"), int) else None
        total = len(existing) + empty if limit is None else max(len(existing), min(limit, len(existing) + empty))
        rows = [self.row(items, item_ui, path, str(index), existing[index] if index < len(existing) else None,
                         item_label) for index in range(total)]
        template = self.row(items, item_ui, path, INDEX, None, item_label)
        description, error, help_text, described = self.parts(node, ui, path)
        legend = _html('<legend class="field-label">{}{}</legend>', label, self.required_mark(required))
        add = _html('<button type="button" class="form-row-add" data-add-row hidden>{}</button>',
                    self.fmt(_("Add %(label)s"), "Add %(label)s", label=item_label))
        body = (legend + description + error + _html('<div class="form-rows" data-rows>{}</div>', _join(rows))
                + _html("<template data-row-template>{}</template>", template) + add + help_text)
        return _tag("fieldset", {"class": "form-fieldset form-array", "id": self.ident(path),
                                 "aria-describedby": described, "data-array": True,
                                 "data-array-name": self.name(path), "data-max-rows": limit}, body)

    def row(self, items: Schema, item_ui: Mapping[str, Any], path: tuple[str, ...], index: str, value: Any,
            item_label: str) -> Markup:
        _ = self.tr
        row_path = (*path, index)
        number = "" if index == INDEX else str(int(index) + 1)
        numbered = _html('{} <span data-row-number>{}</span>', item_label, number)
        remove = _html('<button type="button" class="form-row-remove" data-remove-row hidden>{}'
                       '<span class="visually-hidden"> {}</span></button>', _("Remove"), numbered)
        attrs = {"class": "form-row", "id": self.ident(row_path), "data-row": True,
                 "data-row-prefix": self.name(row_path)}
        fresh, self.fresh = self.fresh, False  # blank and template rows stay blank so the parser drops them
        try:
            if widget_kind(items, item_ui, self.root) == "object":
                error = self.error_block(row_path, self.ident(row_path), self.ident(row_path))
                body = (_html('<legend class="field-label">{}</legend>', numbered) + error
                        + self.object_fields(items, item_ui, row_path, value) + remove)
                return _tag("fieldset", attrs, body)
            field = self.field(items, item_ui, row_path, value, False, numbered)
            return _tag("div", {**attrs, "id": None}, field + remove)  # the input has the row's id
        finally:
            self.fresh = fresh

    def summary(self) -> Markup:
        if not self.errors:
            return _EMPTY
        _ = self.tr
        anchors = dict(self.placed)
        order = [path for path, _anchor in self.placed]
        order += [path for path in self.errors if path not in anchors]
        items = []
        for path in dict.fromkeys(order):
            text = " ".join(self.errors[path])
            if path in anchors:
                items.append(_html('<li><a href="#{}">{}</a></li>', anchors[path], text))
            else:
                items.append(_html("<li>{}</li>", text))
        ident = f"{self.ident(())}-errors"
        return _html('<div class="form-error-summary" id="{0}" role="alert" tabindex="-1" '
                     'aria-labelledby="{0}-title" data-error-summary><p class="form-error-summary-title" '
                     'id="{0}-title">{1}</p><ul>{2}</ul></div>', ident, _("Please correct the following:"),
                     _join(items))


def _number_attrs(node: Schema) -> dict[str, Any]:
    integer = schema_type(node) == "integer"
    low, high = node.get("minimum"), node.get("maximum")
    if low is None and isinstance(node.get("exclusiveMinimum"), int | float):
        low = node["exclusiveMinimum"] + 1 if integer else node["exclusiveMinimum"]
    if high is None and isinstance(node.get("exclusiveMaximum"), int | float):
        high = node["exclusiveMaximum"] - 1 if integer else node["exclusiveMaximum"]
    step = node.get("multipleOf") or (1 if integer else "any")
    return {"min": form_string(low) if low is not None else None,
            "max": form_string(high) if high is not None else None,
            "step": form_string(step), "inputmode": "numeric" if integer else "decimal"}
