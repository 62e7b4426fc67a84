"""Translatable content of form and workflow definitions, and Babel extractors for them.

``babel.cfg`` declares ``extract_forms`` and ``extract_bpmn`` under ``[extractors]`` so that
``pybabel extract`` puts the titles, descriptions, option labels and help texts of
``forms/*.schema.json`` (with the matching ``.uischema.json``) and the task, lane, event and gateway
names and documentation of ``workflows/*.bpmn`` into ``translations/messages.pot``.

``form_strings`` and ``bpmn_strings`` are the same walk over a definition held in memory: the
admin's coverage report and ``server.i18n_check`` use them, so the three can never disagree about
what counts as a translatable string. This module imports no part of the app (pybabel imports it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from lxml import etree

#: Schema keywords whose value is text shown to people.
_SCHEMA_TEXT = ("title", "description")
#: Schema keywords holding one sub-schema, a list of them, or a name → sub-schema map.
_SUBSCHEMA = ("items", "additionalItems", "contains", "not", "if", "then", "else", "propertyNames",
              "additionalProperties", "unevaluatedItems", "unevaluatedProperties")
_SUBSCHEMA_LISTS = ("oneOf", "anyOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
#: UI schema options (``ui:x`` or ``ui:options.x``) whose value is text shown to people.
_UI_TEXT = ("title", "description", "help", "placeholder")

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: BPMN elements whose ``name`` people read: the diagram, the inbox, the case page.
#: Messages, signals and errors are left out on purpose: their names are identifiers that
#: correlate events (``POST /api/v1/messages/{name}``) and must never change with the language.
_NAMED = {"process", "participant", "lane", "task", "subProcess", "transaction", "callActivity",
          "sequenceFlow", "textAnnotation"}
_NAMED_SUFFIXES = ("Task", "Event", "Gateway")


def form_strings(schema: Any, ui_schema: Any = None) -> list[tuple[str, str]]:
    """(text, where) for every translatable string of a form, in document order, duplicates kept."""
    found: list[tuple[str, str]] = []
    _walk_schema(schema, "", found)
    _walk_ui(ui_schema, "ui:", found)
    return found


def bpmn_strings(xml: bytes | str) -> list[tuple[str, str, int]]:
    """(text, where, line) for every translatable string of a BPMN document, in document order."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
                             remove_comments=True)
    root = etree.fromstring(data, parser)  # noqa: S320 - no DTD, no network; a DOCTYPE is refused below
    if root.getroottree().docinfo.doctype:
        # The workflow service refuses such uploads too; internal entities would still be expanded here.
        raise ValueError("DOCTYPE declarations are not allowed in BPMN files")
    found: list[tuple[str, str, int]] = []
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith("{" + BPMN_NS + "}"):
            continue
        local = element.tag.split("}", 1)[1]
        ident = element.get("id") or ""
        if local == "documentation" or (local == "text" and _local(element.getparent()) == "textAnnotation"):
            text = _clean(element.text)
            if text:
                owner = element.getparent()
                found.append((text, f"{_local(owner)} {owner.get('id') or ''} {local}".strip(),
                              element.sourceline or 0))
            continue
        if local in _NAMED or local.endswith(_NAMED_SUFFIXES):
            name = element.get("name") or ""
            if name.strip():  # kept as written: the Task row stores the name exactly like this
                found.append((name, f"{local} {ident}".strip(), element.sourceline or 0))
    return found


def unique(texts: Iterator[str] | list[str]) -> list[str]:
    """The strings once each, first occurrence first."""
    return list(dict.fromkeys(texts))


def form_texts(schema: Any, ui_schema: Any = None) -> list[str]:
    """The distinct translatable strings of a form."""
    return unique(text for text, _where in form_strings(schema, ui_schema))


def bpmn_texts(xml: bytes | str) -> list[str]:
    """The distinct translatable strings of a BPMN document."""
    return unique(text for text, _where, _line in bpmn_strings(xml))


# --- Babel extractors -------------------------------------------------------------------

def extract_forms(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                  options: Mapping[str, Any]) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor for ``*.schema.json``; reads the sibling ``*.uischema.json`` too."""
    raw = fileobj.read().decode("utf-8")
    schema = json.loads(raw)
    ui_schema: Any = {}
    ui_path = _ui_path(getattr(fileobj, "name", ""))
    if ui_path is not None and ui_path.exists():
        ui_schema = json.loads(ui_path.read_text(encoding="utf-8"))
    for text, where in form_strings(schema, ui_schema):
        if where.startswith("ui:"):  # the location Babel records is the schema file's
            yield 1, None, text, [f"{ui_path.name if ui_path else 'ui schema'} {where[3:]}"]
        else:
            yield _line_of(raw, text), None, text, [f"form {where}"]


def extract_bpmn(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                 options: Mapping[str, Any]) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor for ``*.bpmn``."""
    for text, where, line in bpmn_strings(fileobj.read()):
        yield line, None, text, [f"workflow {where}"]


# --- helpers ----------------------------------------------------------------------------

def _walk_schema(node: Any, where: str, found: list[tuple[str, str]]) -> None:
    if not isinstance(node, Mapping):
        return
    for key in _SCHEMA_TEXT:
        _add(found, node.get(key), f"{where}/{key}" if where else key)
    names = node.get("enumNames")
    if isinstance(names, list):
        for index, name in enumerate(names):
            _add(found, name, f"{where}/enumNames/{index}")
    for key in _SUBSCHEMA:
        _walk_schema(node.get(key), f"{where}/{key}", found)
    for key in _SUBSCHEMA_LISTS:
        items = node.get(key)
        if isinstance(items, list):
            for index, item in enumerate(items):
                _walk_schema(item, f"{where}/{key}/{index}", found)
    for key in _SUBSCHEMA_MAPS:
        members = node.get(key)
        if isinstance(members, Mapping):
            for name, member in members.items():
                _walk_schema(member, f"{where}/{key}/{name}", found)


def _walk_ui(node: Any, where: str, found: list[tuple[str, str]]) -> None:
    if not isinstance(node, Mapping):
        return
    options = node.get("ui:options") if isinstance(node.get("ui:options"), Mapping) else {}
    for key in _UI_TEXT:
        _add(found, node.get(f"ui:{key}"), f"{where}/ui:{key}")
        _add(found, options.get(key), f"{where}/ui:options/{key}")
    for names in (node.get("ui:enumNames"), options.get("enumNames")):
        if isinstance(names, list):
            for index, name in enumerate(names):
                _add(found, name, f"{where}/ui:enumNames/{index}")
    for key, child in node.items():
        if not key.startswith("ui:"):
            _walk_ui(child, f"{where}/{key}", found)


def _add(found: list[tuple[str, str]], text: Any, where: str) -> None:
    if isinstance(text, str) and text.strip():
        found.append((text, where))


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _local(element: Any) -> str:
    if element is None or not isinstance(element.tag, str):
        return ""
    return element.tag.split("}", 1)[-1]


def _ui_path(name: str) -> Path | None:
    if not name.endswith(".schema.json"):
        return None
    return Path(name[: -len(".schema.json")] + ".uischema.json")


def _line_of(source: str, text: str) -> int:
    """The line of the first occurrence of `text` as a JSON string literal (1 when not found)."""
    for literal in (json.dumps(text, ensure_ascii=False), json.dumps(text)):
        at = source.find(literal)
        if at >= 0:
            return source.count("\n", 0, at) + 1
    return 1
