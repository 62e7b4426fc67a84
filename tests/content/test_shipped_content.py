"""Every shipped BPMN and form file: parses, validates, resolves its forms, passes the upload rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.auth.permissions import Role
from server.forms import definition as form_definition
from server.forms import schema as form_schema
from server.setup_content import EXTRA_LANES
from server.workflows import engine as E
from server.workflows import sandbox, validation

ROOT = Path(__file__).resolve().parents[2]
BPMN_FILES = sorted((ROOT / "workflows").glob("*.bpmn"))
SCHEMA_FILES = sorted((ROOT / "forms").glob("*.schema.json"))
UI_FILES = sorted((ROOT / "forms").glob("*.uischema.json"))
LANES = {r.value for r in Role} | set(EXTRA_LANES)

pytestmark = pytest.mark.db_independent


def _form_schema(filename: str) -> dict | None:
    path = ROOT / "forms" / filename
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def test_there_is_content():
    assert BPMN_FILES and SCHEMA_FILES


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_workflow_parses_and_passes_upload_rules(path):
    parsed = E.parse_definition(path.read_bytes())
    assert parsed.process_id == path.stem, "process id must match the file name"
    problems = validation.validate(parsed, form_schema=_form_schema, lane_mapped=lambda lane: lane in LANES,
                                   key=path.stem)
    assert problems == []
    assert parsed.user_tasks, "a workflow without human tasks"
    for expr in parsed.expressions:
        assert sandbox.check(expr.text, expr.kind) == [], (expr.element_id, expr.text)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_form_schema_is_valid_and_its_examples_validate(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert form_definition.check_schema(schema) == []
    assert schema.get("title"), "forms need a title"
    examples = schema.get("examples") or []
    assert examples, "every form ships at least one example"
    for example in examples:
        assert form_schema.validate(schema, example) == []
    ui_path = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
    if ui_path.exists():
        assert form_definition.check_ui_schema(schema, json.loads(ui_path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_every_ui_schema_has_its_schema(path):
    assert path.with_name(path.name.replace(".uischema.json", ".schema.json")).exists()
