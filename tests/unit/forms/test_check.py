"""check_schema and check_ui_schema: what a form definition must satisfy before it is stored."""

from __future__ import annotations

import pytest

from server.forms.definition import check_schema, check_ui_schema
from server.forms.schema import defaults

from .helpers import COMPLAINT, COMPLAINT_UI


def pointers(problems):
    return [problem.pointer for problem in problems]


def test_sample_form_is_valid():
    assert check_schema(COMPLAINT) == []
    assert check_ui_schema(COMPLAINT, COMPLAINT_UI) == []


def test_draft_07_is_accepted():
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "properties": {"a": {"type": "string"}},
              "dependencies": {"a": {"properties": {"b": {"type": "string"}}}}}
    assert check_schema(schema) == []


def test_unknown_draft_is_rejected():
    assert pointers(check_schema({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"})) == [
        "/$schema"]


def test_metaschema_errors_name_the_pointer():
    problems = check_schema({"type": "object", "properties": {"age": {"type": "integr"}, "b": {"minLength": -1}}})
    assert set(pointers(problems)) == {"/properties/age/type", "/properties/b/minLength"}


def test_root_must_be_an_object():
    assert pointers(check_schema({"type": "string"})) == ["/type"]
    assert pointers(check_schema({"properties": {}})) == ["/type"]


def test_non_dict_schema():
    assert check_schema([]) and check_schema([])[0].pointer == ""  # type: ignore[arg-type]


@pytest.mark.parametrize("pattern", ["(", "[a-", "(?P<x>a)(?P<x>b)", r"\p{L}+"])
def test_bad_regex_is_reported_once_with_its_pointer(pattern):
    schema = {"type": "object", "properties": {"rows": {"type": "array", "items": {
        "type": "object", "properties": {"nik": {"type": "string", "pattern": pattern}}}}}}
    problems = check_schema(schema)
    assert pointers(problems) == ["/properties/rows/items/properties/nik/pattern"]
    assert "regular expression" in problems[0].message


def test_bad_pattern_properties_key():
    schema = {"type": "object", "patternProperties": {"(": {"type": "string"}}}
    assert pointers(check_schema(schema)) == ["/patternProperties"]


def test_a_property_called_pattern_is_not_a_regex():
    schema = {"type": "object", "properties": {"pattern": {"type": "string"}},
              "examples": [{"pattern": "("}]}
    assert check_schema(schema) == []


def test_property_names_must_be_identifiers():
    schema = {"type": "object", "properties": {"full name": {"type": "string"}, "a.b": {"type": "string"}}}
    assert pointers(check_schema(schema)) == ["/properties/full name", "/properties/a.b"]


def test_reserved_property_names_are_rejected():
    schema = {"type": "object", "properties": {"case_id": {"type": "string"}}}
    assert "/properties/case_id" in pointers(check_schema(schema))


def test_required_must_name_a_property():
    schema = {"type": "object", "required": ["nmae"], "properties": {"name": {"type": "string"}}}
    assert pointers(check_schema(schema)) == ["/required"]


def test_references_must_be_local_and_resolve():
    schema = {"type": "object", "$defs": {"person": {"type": "object", "properties": {"n": {"type": "string"}}}},
              "properties": {"a": {"$ref": "#/$defs/person"}, "b": {"$ref": "#/$defs/nobody"},
                             "c": {"$ref": "https://example.com/x.json"}}}
    assert pointers(check_schema(schema)) == ["/properties/b/$ref", "/properties/c/$ref"]


def test_examples_must_validate():
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}},
              "examples": [{"a": 1}, {"a": "x"}, {}]}
    problems = check_schema(schema)
    assert pointers(problems) == ["/examples/1", "/examples/2"]
    assert "'a'" in problems[0].message


def test_ui_schema_unknown_property_and_widget():
    ui = {"reporter": {"ui:widget": "slider"}, "repoter": {"ui:widget": "textarea"},
          "perpetrators": {"items": {"name": {"ui:help": "x"}, "nmae": {}}}}
    problems = check_ui_schema(COMPLAINT, ui)
    assert pointers(problems) == ["/reporter/ui:widget", "/repoter", "/perpetrators/items/nmae"]
    assert "slider" in problems[0].message


def test_ui_schema_unknown_directive_and_bad_order():
    ui = {"ui:autofocus": True, "ui:order": ["reporter", "nope", "reporter", "*"]}
    problems = check_ui_schema(COMPLAINT, ui)
    assert pointers(problems) == ["/ui:autofocus", "/ui:order", "/ui:order"]


@pytest.mark.parametrize(("field", "widget"), [("reporter", "checkboxes"), ("reporter", "radio"),
                                               ("consent", "textarea"), ("age", "checkbox")])
def test_ui_schema_widget_must_suit_the_field(field, widget):
    assert pointers(check_ui_schema(COMPLAINT, {field: {"ui:widget": widget}})) == [f"/{field}/ui:widget"]


def test_ui_schema_widget_in_ui_options_and_conditional_properties():
    ui = {"other_type": {"ui:options": {"widget": "textarea", "rows": 3}}, "consent": {"ui:widget": "radio"}}
    assert check_ui_schema(COMPLAINT, ui) == []
    assert pointers(check_ui_schema(COMPLAINT, {"perpetrators": {"ui:options": {"emptyRows": -1}}})) == [
        "/perpetrators/ui:options/emptyRows"]


def test_defaults_builds_initial_data():
    schema = {"type": "object", "properties": {
        "country": {"type": "string", "default": "ID"},
        "count": {"type": "integer"},
        "address": {"type": "object", "properties": {"city": {"type": "string", "default": "Kupang"}}},
        "tags": {"type": "array", "default": ["a"]}}}
    assert defaults(schema) == {"country": "ID", "address": {"city": "Kupang"}, "tags": ["a"]}
    assert defaults({"type": "object"}) == {}
    data = defaults(schema)
    data["tags"].append("b")
    assert schema["properties"]["tags"]["default"] == ["a"]
