"""parse_submission: rendered form -> browser -> typed JSON, for every widget."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from server.forms.parse import parse_submission
from server.forms.render import render_form
from server.forms.schema import validate

from .helpers import COMPLAINT, COMPLAINT_UI, submit


def round_trip(schema, ui, data, changes=None, prefix="f"):
    html = render_form(schema, ui, data, [], prefix=prefix)
    return parse_submission(schema, ui, submit(html, changes), prefix=prefix)


FULL = {
    "reporter": "Sri Wahyuni",
    "age": 34,
    "email": "sri@example.org",
    "phone": "+62 812 3456",
    "incident_date": "2024-03-01",
    "reported_at": "2024-03-02T09:15",
    "incident_type": "other",
    "other_type": "Economic",
    "chronology": "First line\nSecond line",
    "consent": True,
    "needs": ["shelter", "medical"],
    "perpetrators": [
        {"name": "A", "relation": "partner", "known": True, "address": {"city": "Kupang"},
         "phones": ["0812", "0813"]},
        {"name": "B", "known": False},
    ],
}


def test_round_trip_every_widget_of_the_sample_form():
    assert round_trip(COMPLAINT, COMPLAINT_UI, FULL) == FULL
    assert validate(COMPLAINT, FULL) == []


@pytest.mark.parametrize(("schema", "ui", "value"), [
    ({"type": "string"}, None, "plain text"),
    ({"type": "string"}, {"ui:widget": "textarea"}, "a\nb\n"),
    ({"type": "string", "format": "date"}, None, "2024-01-31"),
    ({"type": "string", "format": "date-time"}, None, "2024-01-31T23:59"),
    ({"type": "string", "format": "time"}, None, "07:30"),
    ({"type": "string", "format": "email"}, None, "a@b.id"),
    ({"type": "string", "format": "uri"}, None, "https://example.org/a?b=c"),
    ({"type": "string"}, {"ui:widget": "tel"}, "0812"),
    ({"type": "string"}, {"ui:widget": "hidden"}, "hotline"),
    ({"type": "integer"}, None, -5),
    ({"type": "number"}, None, 2.75),
    ({"type": "integer"}, {"ui:widget": "hidden"}, 7),
    ({"type": "boolean"}, None, True),
    ({"type": "boolean"}, None, False),
    ({"type": "boolean"}, {"ui:widget": "radio"}, False),
    ({"type": "boolean"}, {"ui:widget": "select"}, True),
    ({"type": "string", "enum": ["a", "b"]}, None, "b"),
    ({"type": "string", "enum": ["a", "b"]}, {"ui:widget": "radio"}, "a"),
    ({"type": "integer", "enum": [1, 2, 3]}, None, 2),
    ({"oneOf": [{"const": 1.5, "title": "x"}, {"const": "1.5", "title": "y"}]}, None, 1.5),
    ({"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}}, None, [1, 3]),
    ({"type": "array", "items": {"type": "string"}}, None, ["x", "y"]),
    ({"type": "array", "items": {"type": "integer"}}, None, [4, 5]),
    ({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "object", "properties": {
        "c": {"type": "integer"}}}}}, None, {"a": "x", "b": {"c": 1}}),
])
def test_round_trip_per_widget(schema, ui, value):
    form = {"type": "object", "properties": {"v": schema}}
    assert round_trip(form, {"v": ui} if ui else {}, {"v": value}) == {"v": value}


def test_nested_arrays_of_objects_round_trip():
    schema = {"type": "object", "properties": {"households": {"type": "array", "items": {
        "type": "object", "properties": {
            "head": {"type": "string"},
            "members": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "age": {"type": "integer"}, "disabled": {"type": "boolean"}}}}}}}}}
    data = {"households": [
        {"head": "X", "members": [{"name": "a", "age": 1, "disabled": False}, {"name": "b", "disabled": True}]},
        {"head": "Y"},
    ]}
    assert round_trip(schema, {}, data) == data


def test_empty_strings_are_omitted_so_required_applies():
    data = parse_submission(COMPLAINT, COMPLAINT_UI, MultiDict({"f.reporter": "  ", "f.age": "", "f.chronology":
                                                                "\r\n", "f.incident_type": ""}))
    assert data == {}
    assert {error.path for error in validate(COMPLAINT, data)} == {"reporter", "incident_type", "incident_date"}


def test_unticked_checkbox_is_false_and_absent_checkbox_is_omitted():
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    assert parse_submission(schema, {}, MultiDict([("f.ok", "false")])) == {"ok": False}
    assert parse_submission(schema, {}, MultiDict([("f.ok", "false"), ("f.ok", "true")])) == {"ok": True}
    assert parse_submission(schema, {}, MultiDict()) == {}


@pytest.mark.parametrize(("kind", "raw", "parsed"), [
    ("integer", "42", 42), ("integer", "+7", 7), ("integer", "3.0", 3), ("integer", "3.5", 3.5),
    ("integer", "12a", "12a"), ("integer", "1_000", "1_000"), ("integer", "nan", "nan"),
    ("number", "2,5", 2.5), ("number", "-0.25", -0.25), ("number", "1e3", 1000.0), ("number", "inf", "inf"),
    ("number", "١٢", "١٢"), ("string", " padded ", "padded"),
])
def test_coercion_keeps_what_does_not_parse(kind, raw, parsed):
    schema = {"type": "object", "properties": {"v": {"type": kind}}}
    assert parse_submission(schema, {}, MultiDict({"f.v": raw})) == {"v": parsed}


def test_bad_number_is_reported_and_re_rendered():
    schema = {"type": "object", "properties": {"age": {"type": "integer", "title": "Age"}}}
    data = parse_submission(schema, {}, MultiDict({"f.age": "tiga"}))
    errors = validate(schema, data)
    assert [(e.path, e.keyword) for e in errors] == [("age", "type")]
    assert 'value="tiga"' in render_form(schema, {}, data, errors)


def test_choice_not_in_the_options_is_kept_for_validation():
    schema = {"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2]}}}
    data = parse_submission(schema, {}, MultiDict({"f.n": "9"}))
    assert data == {"n": 9}
    assert validate(schema, data)[0].keyword == "enum"


def test_blank_rows_are_dropped_and_rows_sorted_by_index():
    form = MultiDict([
        ("f.perpetrators.10.name", "ten"), ("f.perpetrators.10.known", "false"),
        ("f.perpetrators.2.name", ""), ("f.perpetrators.2.known", "false"),  # untouched row
        ("f.perpetrators.2.address.city", ""),
        ("f.perpetrators.3.name", "three"), ("f.perpetrators.3.known", "false"), ("f.perpetrators.3.known", "true"),
        ("f.perpetrators.__INDEX__.name", "template"),
        ("f.perpetrators.x.name", "junk"),
    ])
    data = parse_submission(COMPLAINT, {}, form)
    assert data == {"perpetrators": [{"name": "three", "known": True}, {"name": "ten", "known": False}]}


def test_blank_extra_row_from_the_rendered_page_is_dropped():
    html = render_form(COMPLAINT, {}, {"perpetrators": [{"name": "A"}]}, [])
    assert parse_submission(COMPLAINT, {}, submit(html))["perpetrators"] == [{"name": "A", "known": False}]


def test_extra_row_filled_in_without_javascript():
    html = render_form(COMPLAINT, {}, None, [])
    data = parse_submission(COMPLAINT, {}, submit(html, {"f.perpetrators.0.name": "New",
                                                          "f.perpetrators.0.phones.0": "0812"}))
    assert data["perpetrators"] == [{"name": "New", "known": False, "phones": ["0812"]}]


def test_row_answered_only_with_a_radio_no_is_kept():
    schema = {"type": "object", "properties": {"rows": {"type": "array", "items": {"type": "object", "properties": {
        "armed": {"type": "boolean"}}}}}}
    ui = {"rows": {"items": {"armed": {"ui:widget": "radio"}}}}
    assert parse_submission(schema, ui, MultiDict({"f.rows.0.armed": "false"})) == {"rows": [{"armed": False}]}


def test_all_rows_removed_omits_the_array():
    schema = {"type": "object", "required": ["kids"], "properties": {"kids": {"type": "array", "minItems": 1,
                                                                              "items": {"type": "string"}}}}
    data = parse_submission(schema, {}, MultiDict({"f.kids.0": ""}))
    assert data == {}
    assert validate(schema, data)[0].keyword == "required"


def test_empty_optional_group_is_omitted_but_required_group_kept():
    schema = {"type": "object", "required": ["b"], "properties": {
        "a": {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]},
        "b": {"type": "object", "properties": {"y": {"type": "string"}}, "required": ["y"]}}}
    data = parse_submission(schema, {}, MultiDict({"f.a.x": "", "f.b.y": ""}))
    assert data == {"b": {}}
    assert [e.path for e in validate(schema, data)] == ["b/y"]


def test_hidden_conditional_part_is_dropped():
    html = render_form(COMPLAINT, COMPLAINT_UI, None, [])
    base = {"f.reporter": "Sri", "f.incident_date": "2024-01-01", "f.other_type": "typed, then changed mind"}
    assert "other_type" not in parse_submission(COMPLAINT, COMPLAINT_UI,
                                                submit(html, {**base, "f.incident_type": "physical"}))
    kept = parse_submission(COMPLAINT, COMPLAINT_UI, submit(html, {**base, "f.incident_type": "other"}))
    assert kept["other_type"] == "typed, then changed mind"


def test_else_branch_and_chained_conditions():
    schema = {"type": "object", "properties": {"married": {"type": "boolean"}},
              "if": {"properties": {"married": {"const": True}}, "required": ["married"]},
              "then": {"properties": {"has_kids": {"type": "boolean"}},
                       "if": {"properties": {"has_kids": {"const": True}}, "required": ["has_kids"]},
                       "then": {"properties": {"kids": {"type": "integer"}}}},
              "else": {"properties": {"why": {"type": "string"}}}}
    form = MultiDict([("f.married", "false"), ("f.has_kids", "false"), ("f.has_kids", "true"), ("f.kids", "2"),
                      ("f.why", "young")])
    assert parse_submission(schema, {}, form) == {"married": False, "why": "young"}
    form.setlist("f.married", ["false", "true"])
    assert parse_submission(schema, {}, form) == {"married": True, "has_kids": True, "kids": 2}


def test_dependent_schema_parts_need_their_trigger():
    schema = {"type": "object", "properties": {"phone": {"type": "string"}},
              "dependentSchemas": {"phone": {"properties": {"owner": {"type": "string"}}}}}
    assert parse_submission(schema, {}, MultiDict({"f.phone": "", "f.owner": "me"})) == {}
    assert parse_submission(schema, {}, MultiDict({"f.phone": "1", "f.owner": "me"})) == {"phone": "1", "owner": "me"}


def test_rjsf_oneof_dependencies_keep_only_the_matching_branch():
    schema = {"type": "object", "properties": {"referral": {"enum": ["police", "hospital"]}},
              "dependencies": {"referral": {"oneOf": [
                  {"properties": {"referral": {"enum": ["police"]}, "station": {"type": "string"}}},
                  {"properties": {"referral": {"const": "hospital"}, "ward": {"type": "string"}}}]}}}
    form = MultiDict({"f.referral": "hospital", "f.station": "Polres", "f.ward": "ICU"})
    assert parse_submission(schema, {}, form) == {"referral": "hospital", "ward": "ICU"}


def test_plain_dict_formdata_and_other_prefixes_are_ignored():
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "tags": {
        "type": "array", "items": {"enum": ["x", "y"]}}}}
    data = parse_submission(schema, {}, {"f.a": "1", "f.tags": ["x", "y"], "csrf_token": "t", "g.a": "2"})
    assert data == {"a": "1", "tags": ["x", "y"]}
    assert round_trip(schema, {}, {"a": "z"}, prefix="task") == {"a": "z"}


def test_ref_definitions_render_and_parse():
    schema = {"type": "object", "$defs": {"person": {"type": "object", "properties": {
        "name": {"type": "string"}, "age": {"type": "integer"}}}},
        "properties": {"victim": {"$ref": "#/$defs/person"},
                       "witnesses": {"type": "array", "items": {"$ref": "#/$defs/person"}}}}
    data = {"victim": {"name": "V", "age": 9}, "witnesses": [{"name": "W"}]}
    assert round_trip(schema, {}, data) == data
    assert validate(schema, data) == []
