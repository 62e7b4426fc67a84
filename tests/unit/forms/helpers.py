"""Shared by the forms engine tests: a sample form and a tiny "browser" that submits rendered HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

COMPLAINT = {
    "type": "object",
    "title": "Complaint",
    "required": ["reporter", "incident_type", "incident_date"],
    "properties": {
        "reporter": {"type": "string", "title": "Reporter name", "maxLength": 80},
        "age": {"type": "integer", "title": "Age", "minimum": 0, "maximum": 120},
        "email": {"type": "string", "format": "email", "title": "Email"},
        "phone": {"type": "string", "format": "tel", "title": "Phone"},
        "incident_date": {"type": "string", "format": "date", "title": "Incident date"},
        "reported_at": {"type": "string", "format": "date-time", "title": "Reported at"},
        "incident_type": {
            "type": "string",
            "title": "Type of violence",
            "oneOf": [
                {"const": "physical", "title": "Physical"},
                {"const": "sexual", "title": "Sexual"},
                {"const": "other", "title": "Other"},
            ],
        },
        "chronology": {"type": "string", "title": "Chronology"},
        "consent": {"type": "boolean", "title": "Victim consents"},
        "needs": {
            "type": "array",
            "title": "Needs",
            "uniqueItems": True,
            "items": {"type": "string", "enum": ["shelter", "legal", "medical"],
                      "enumNames": ["Shelter", "Legal aid", "Medical care"]},
        },
        "perpetrators": {
            "type": "array",
            "title": "Perpetrators",
            "items": {
                "type": "object",
                "title": "Perpetrator",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "title": "Name"},
                    "relation": {"type": "string", "enum": ["parent", "partner", "stranger"]},
                    "known": {"type": "boolean", "title": "Known to victim"},
                    "address": {"type": "object", "title": "Address",
                                "properties": {"city": {"type": "string", "title": "City"}}},
                    "phones": {"type": "array", "title": "Phones", "items": {"type": "string", "title": "Phone"}},
                },
            },
        },
    },
    "if": {"properties": {"incident_type": {"const": "other"}}, "required": ["incident_type"]},
    "then": {"properties": {"other_type": {"type": "string", "title": "Describe the violence"}},
             "required": ["other_type"]},
}

COMPLAINT_UI = {
    "ui:order": ["reporter", "incident_type", "*"],
    "chronology": {"ui:widget": "textarea"},
    "incident_type": {"ui:widget": "radio"},
}


class _Browser(HTMLParser):
    """Collects what a browser would submit: no <template> content, only ticked boxes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.form: MultiDict = MultiDict()
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._template_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "template":
            self._template_depth += 1
        if self._template_depth or "disabled" in attributes:
            return
        if tag == "input" and "name" in attributes:
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.form.add(attributes["name"], attributes.get("value") or "")
        elif tag == "select":
            self._select = attributes["name"]
        elif tag == "option" and self._select and "selected" in attributes:
            self.form.add(self._select, attributes.get("value") or "")
        elif tag == "textarea":
            self._textarea, self._text = attributes["name"], []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "template":
            self._template_depth -= 1
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.form.add(self._textarea, text[1:] if text.startswith("\n") else text)
            self._textarea = None


def submit(html: str, changes: dict[str, str | list[str]] | None = None) -> MultiDict:
    """The form data a browser sends for `html`, with `changes` (name -> value(s)) applied."""
    browser = _Browser()
    browser.feed(str(html))
    form = browser.form
    for name, value in (changes or {}).items():
        form.setlist(name, value if isinstance(value, list) else [value])
    return form


def fields(html: str) -> list[str]:
    """Names of every form control, in document order."""
    return re.findall(r'(?<![-\w])name="([^"]+)"', str(html))



def without_templates(html: str) -> str:
    """`html` without <template> elements (nested ones included): what the page shows."""
    html, previous = str(html), None
    while html != previous:
        previous = html
        html = re.sub(r"<template\b[^>]*>(?:(?!<template\b).)*?</template>", "", html, flags=re.S)
    return html
