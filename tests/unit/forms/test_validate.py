"""validate, clean_submission and the messages they produce."""

from __future__ import annotations

import pytest

from server.forms import messages
from server.forms.schema import RESERVED_KEYS, FieldError, clean_submission, validate

from .helpers import COMPLAINT

VALID = {"reporter": "Sri", "incident_type": "physical", "incident_date": "2024-03-01"}

INDONESIAN = {
    "%(label)s is required.": "%(label)s wajib diisi.",
    "%(label)s must be a valid email address.": "%(label)s harus berupa alamat email yang valid.",
    "%(label)s (%(parent)s, row %(number)s)": "%(label)s (%(parent)s, baris %(number)s)",
    "Name": "Nama",
    "Perpetrators": "Pelaku",
    "Reporter name": "Nama pelapor",
}


def fake_gettext(text: str) -> str:
    return INDONESIAN.get(text, text)


def by_path(errors):
    return {error.path: error for error in errors}


def test_valid_data_has_no_errors():
    assert validate(COMPLAINT, VALID) == []
    assert validate(COMPLAINT, {**VALID, "incident_type": "other", "other_type": "neglect"}) == []


def test_required_errors_point_at_the_missing_field():
    errors = validate(COMPLAINT, {})
    assert [(e.path, e.keyword) for e in errors] == [
        ("reporter", "required"), ("incident_type", "required"), ("incident_date", "required")]
    assert errors[0].message == "Reporter name is required."
    assert errors[0].params == {"property": "reporter"}


def test_messages_are_translated_with_labels():
    errors = by_path(validate(COMPLAINT, {"email": "x", "perpetrators": [{}]}, translate=fake_gettext))
    assert errors["reporter"].message == "Nama pelapor wajib diisi."
    assert errors["email"].message == "Email harus berupa alamat email yang valid."
    assert errors["perpetrators/0/name"].message == "Nama (Pelaku, baris 1) wajib diisi."


def test_labels_argument_overrides_titles():
    errors = by_path(validate(COMPLAINT, {"perpetrators": [{}, {}]},
                              labels={"reporter": "Pelapor", "perpetrators/name": "Nama pelaku"}))
    assert errors["reporter"].message == "Pelapor is required."
    assert errors["perpetrators/1/name"].message == "Nama pelaku is required."


def test_label_falls_back_to_humanized_name():
    schema = {"type": "object", "required": ["date_of_birth"], "properties": {"date_of_birth": {"type": "string"}}}
    assert validate(schema, {})[0].message == "Date of birth is required."


def test_nested_and_array_paths():
    data = {**VALID, "perpetrators": [
        {"name": "A", "address": {"city": 5}},
        {"relation": "neighbour", "phones": ["1", 2]},
    ]}
    errors = by_path(validate(COMPLAINT, data))
    assert set(errors) == {"perpetrators/0/address/city", "perpetrators/1/name", "perpetrators/1/relation",
                           "perpetrators/1/phones/1"}
    assert errors["perpetrators/0/address/city"].message == "City (Perpetrators, row 1) must be text."
    assert errors["perpetrators/1/relation"].keyword == "enum"
    assert errors["perpetrators/1/phones/1"].message == "Phone (Phones, row 2) must be text."


def test_one_error_per_field_most_useful_first():
    schema = {"type": "object", "properties": {"nik": {"type": "string", "minLength": 16, "pattern": "^[0-9]+$"}}}
    errors = validate(schema, {"nik": "abc"})
    assert [(e.path, e.keyword) for e in errors] == [("nik", "minLength")]


def test_conditional_required_applies_only_when_condition_holds():
    assert validate(COMPLAINT, {**VALID, "incident_type": "other"})[0].path == "other_type"


@pytest.mark.parametrize(("fmt", "bad", "good"), [
    ("email", "budi@", "budi@example.org"),
    ("email", "budi example.org", "b.s+x@mail.example.id"),
    ("date", "2024-02-30", "2024-02-29"),
    ("date", "01/03/2024", "2024-03-01"),
    ("date-time", "2024-03-01", "2024-03-01T10:30"),
    ("date-time", "2024-13-01T10:00:00Z", "2024-03-01T10:30:00+07:00"),
    ("date-time", "2024-03-01T25:00", "2024-03-01T23:59:59Z"),
    ("time", "24:00", "08:15"),
    ("uri", "not a url", "https://kemenpppa.go.id"),
])
def test_format_checks(fmt, bad, good):
    schema = {"type": "object", "properties": {"v": {"type": "string", "format": fmt, "title": "Value"}}}
    errors = validate(schema, {"v": bad})
    assert [(e.path, e.keyword, e.params) for e in errors] == [("v", "format", {"format": fmt})]
    assert validate(schema, {"v": good}) == []


def test_format_messages_name_the_format():
    schema = {"type": "object", "properties": {"d": {"type": "string", "format": "date", "title": "Date"},
                                               "t": {"type": "string", "format": "date-time", "title": "When"}}}
    errors = by_path(validate(schema, {"d": "x", "t": "x"}))
    assert errors["d"].message == "Date must be a valid date (YYYY-MM-DD)."
    assert errors["t"].message == "When must be a valid date and time."


KEYWORD_CASES = [
    ({"type": "integer"}, "1.5", "type", "Field must be a whole number."),
    ({"type": "number"}, "x", "type", "Field must be a number."),
    ({"type": "integer", "minimum": 1}, 0, "minimum", "Field must be at least 1."),
    ({"type": "integer", "maximum": 10}, 11, "maximum", "Field must be at most 10."),
    ({"type": "number", "exclusiveMinimum": 0}, 0, "exclusiveMinimum", "Field must be greater than 0."),
    ({"type": "number", "exclusiveMaximum": 1.5}, 2, "exclusiveMaximum", "Field must be less than 1.5."),
    ({"type": "number", "multipleOf": 0.5}, 0.3, "multipleOf", "Field must be a multiple of 0.5."),
    ({"type": "string", "minLength": 1}, "", "minLength", "Field must not be empty."),
    ({"type": "string", "minLength": 3}, "ab", "minLength", "Field must be at least 3 characters long."),
    ({"type": "string", "maxLength": 2}, "abc", "maxLength", "Field must be at most 2 characters long."),
    ({"type": "string", "pattern": "^[0-9]{16}$"}, "12", "pattern", "Field is not in the expected format."),
    ({"enum": ["a", "b"]}, "c", "enum", "Field must be one of the listed options."),
    ({"oneOf": [{"const": "a", "title": "A"}, {"const": "b"}]}, "c", "enum",
     "Field must be one of the listed options."),
    ({"const": True}, False, "const", "Field must be ticked."),
    ({"const": "x"}, "y", "const", "Field must be x."),
    ({"type": "array", "minItems": 1}, [], "minItems", "Field needs at least one entry."),
    ({"type": "array", "minItems": 2}, [1], "minItems", "Field needs at least 2 entries."),
    ({"type": "array", "maxItems": 1}, [1, 2], "maxItems", "Field can have at most 1 entries."),
    ({"type": "array", "uniqueItems": True}, [1, 1], "uniqueItems", "Field contains the same entry more than once."),
    ({"anyOf": [{"type": "string", "minLength": 5}, {"type": "integer"}]}, "ab", "anyOf",
     "Field does not match any of the allowed options."),
    ({"oneOf": [{"type": "string"}, {"type": "string", "minLength": 1}]}, "ab", "oneOf",
     "Field does not match any of the allowed options."),
    ({"not": {"const": "x"}}, "x", "not", "Field has a value that is not allowed."),
]


@pytest.mark.parametrize(("rule", "value", "keyword", "message"), KEYWORD_CASES)
def test_message_per_keyword(rule, value, keyword, message):
    schema = {"type": "object", "properties": {"field": rule}}
    errors = validate(schema, {"field": value})
    assert [(e.path, e.keyword, e.message) for e in errors] == [("field", keyword, message)]


def test_additional_properties_in_nested_object():
    schema = {"type": "object", "properties": {"a": {"type": "object", "additionalProperties": False,
                                                     "properties": {"b": {"type": "string"}}}}}
    errors = validate(schema, {"a": {"b": "x", "zz": 1}})
    assert [(e.path, e.keyword, e.message) for e in errors] == [
        ("a/zz", "additionalProperties", "zz is not a field of this form.")]


def test_no_error_is_lost_when_its_field_cannot_be_found():
    # additionalProperties does not see properties added by then: jsonschema rejects "b"
    schema = {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "boolean"}},
              "if": {"properties": {"a": {"const": True}}}, "then": {"properties": {"b": {"type": "string"}}}}
    errors = validate(schema, {"a": True, "b": "x"})
    assert [(e.path, e.keyword) for e in errors] == [("b", "additionalProperties")]
    del schema["additionalProperties"]
    errors = validate({**schema, "unevaluatedProperties": False}, {"a": True, "b": "x", "c": 1})
    assert [(e.path, e.keyword) for e in errors] == [("c", "additionalProperties")]


def test_empty_title_is_not_sent_to_gettext():
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"title": ""}}}
    seen = []
    errors = validate(schema, {}, translate=lambda text: seen.append(text) or text)
    assert "" not in seen and errors[0].message == "A is required."


def test_dependent_required_points_at_the_missing_field():
    schema = {"type": "object", "properties": {"phone": {"title": "Phone"}, "phone_owner": {"title": "Owner"}},
              "dependentRequired": {"phone": ["phone_owner"]}}
    errors = validate(schema, {"phone": "0812"})
    assert [(e.path, e.keyword, e.message) for e in errors] == [
        ("phone_owner", "dependentRequired", "Owner is required when Phone is filled in.")]
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", **schema,
              "dependencies": {"phone": ["phone_owner"]}}
    del draft7["dependentRequired"]
    assert [e.path for e in validate(draft7, {"phone": "0812"})] == ["phone_owner"]


def test_invalid_regex_becomes_a_field_error_not_an_exception():
    schema = {"type": "object", "properties": {"nik": {"type": "string", "pattern": "(", "title": "NIK"}}}
    errors = validate(schema, {"nik": "123"})
    assert [(e.path, e.keyword) for e in errors] == [("nik", "invalidSchema")]
    assert "administrator" in errors[0].message
    broken = {"type": "object", "patternProperties": {"(": {}}, "additionalProperties": False}
    assert [e.keyword for e in validate(broken, {"x": 1})] == ["invalidSchema"]


def test_unresolvable_ref_is_a_clean_error():
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    assert [(e.path, e.keyword) for e in validate(schema, {"a": 1})] == [("", "invalidSchema")]


def test_root_type_error():
    errors = validate(COMPLAINT, ["not", "an", "object"])
    assert [(e.path, e.keyword, e.message) for e in errors] == [("", "type", "Complaint must be a group of fields.")]


def test_clean_submission_rejects_unknown_and_reserved_keys():
    data = {**VALID, "case_id": 5, "sinergi": {}, "hacker": True, "other_type": "allowed: conditional"}
    cleaned, errors = clean_submission(COMPLAINT, data)
    assert [(e.path, e.keyword) for e in errors] == [
        ("case_id", "reserved"), ("sinergi", "reserved"), ("hacker", "additionalProperties")]
    assert errors[0].message == "case_id is a reserved name and cannot be submitted."
    assert cleaned == {**VALID, "other_type": "allowed: conditional"}
    assert {"case_id", "case_reference", "case_unit", "started_by", "sinergi"} <= RESERVED_KEYS


def test_clean_submission_returns_data_unchanged_when_clean():
    cleaned, errors = clean_submission(COMPLAINT, VALID)
    assert cleaned == VALID and errors == []


def test_clean_submission_translates():
    _cleaned, errors = clean_submission(COMPLAINT, {"x": 1}, translate=lambda text: text.replace("form", "formulir"))
    assert errors[0].message == "x is not a field of this formulir."


def test_field_error_equality_ignores_params():
    assert FieldError("a", "required", "m", {"x": 1}) == FieldError("a", "required", "m")


# --- messages.py directly ---------------------------------------------------------------------

ALL_KEYWORDS = ["required", "dependentRequired", "type", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "format", "enum", "const",
                "minItems", "maxItems", "uniqueItems", "additionalProperties", "reserved", "oneOf", "anyOf", "not",
                "invalidSchema", "somethingNew"]


@pytest.mark.parametrize("keyword", ALL_KEYWORDS)
def test_every_message_names_the_label(keyword):
    params = {"limit": 2, "format": "email", "expected": "integer", "value": "x", "other": "Other"}
    assert "Label" in messages.message_for(keyword, params, "Label")
    assert messages.message_for(keyword, params, "Label", lambda text: text.upper()).startswith("Label")


@pytest.mark.parametrize("fmt", ["date", "date-time", "time", "email", "uri", "ipv4", "uuid", "hostname"])
def test_every_format_has_a_message(fmt):
    assert messages.message_for("format", {"format": fmt}, "X").startswith("X ")


def test_broken_translation_falls_back_to_english():
    # a translator that renamed the placeholder must not crash validation
    def broken(text):
        return text.replace("%(label)s", "%(nama)s")

    assert messages.message_for("required", {}, "Nama", broken) == "Nama is required."
    assert messages.row_label("A", "B", 1, broken) == "A (B, row 1)"


def test_display_of_limits():
    assert messages.message_for("minimum", {"limit": 5.0}, "X") == "X must be at least 5."
    assert messages.message_for("enum", {"allowed": ["a", True]}, "X") == "X must be one of the listed options."
    assert messages.humanize("date_of_birth") == "Date of birth"
