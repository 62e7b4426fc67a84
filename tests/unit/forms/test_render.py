"""render_form and render_readonly: accessible, escaped HTML for every widget."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from markupsafe import Markup

from server.forms.readonly import render_readonly
from server.forms.render import render_form
from server.forms.schema import FieldError, validate

from .helpers import COMPLAINT, COMPLAINT_UI, fields, without_templates


def one(name: str, schema: dict, ui: dict | None = None, data=None, errors=None, **kwargs) -> str:
    form = {"type": "object", "properties": {name: schema}}
    return str(render_form(form, {name: ui} if ui else {}, data, errors or [], **kwargs))


def tag(html: str, element: str, **attrs: str) -> str:
    """The first <name ...> tag carrying all `attrs`."""
    for found in re.findall(rf"<{element}\b[^>]*>", html):
        if all(f'{key.replace("_", "-")}="{value}"' in found for key, value in attrs.items()):
            return found
    raise AssertionError(f"no <{element}> with {attrs} in {html}")


def labelled(html: str, ident: str) -> str:
    match = re.search(rf'<label[^>]*for="{ident}"[^>]*>(.*?)</label>', html)
    assert match, f"no label for {ident}"
    return match.group(1)


def test_returns_markup_without_form_tag_or_submit():
    html = render_form(COMPLAINT, COMPLAINT_UI, None, [])
    assert isinstance(html, Markup)
    assert "<form" not in html and 'type="submit"' not in html


@pytest.mark.parametrize(("schema", "ui", "input_type"), [
    ({"type": "string"}, None, "text"),
    ({"type": "string", "format": "date"}, None, "date"),
    ({"type": "string", "format": "date-time"}, None, "datetime-local"),
    ({"type": "string", "format": "time"}, None, "time"),
    ({"type": "string", "format": "email"}, None, "email"),
    ({"type": "string", "format": "uri"}, None, "url"),
    ({"type": "string", "format": "tel"}, None, "tel"),
    ({"type": "string"}, {"ui:widget": "tel"}, "tel"),
    ({"type": "string"}, {"ui:widget": "password"}, "password"),
    ({"type": "string"}, {"ui:options": {"inputType": "tel"}}, "tel"),
    ({"type": "integer"}, None, "number"),
    ({"type": "number"}, None, "number"),
])
def test_input_types_have_id_name_and_label(schema, ui, input_type):
    html = one("value", {**schema, "title": "Value"}, ui)
    assert tag(html, "input", id="f-value", name="f.value", type=input_type)
    assert labelled(html, "f-value") == "Value"


def test_textarea():
    html = one("story", {"type": "string"}, {"ui:widget": "textarea", "ui:options": {"rows": 7}},
               data={"story": "\nline one\nline two"})
    assert tag(html, "textarea", id="f-story", name="f.story", rows="7")
    assert ">\n\nline one\nline two</textarea>" in html  # the parser eats one leading newline
    assert labelled(html, "f-story") == "Story"


def test_number_attributes():
    html = one("age", {"type": "integer", "minimum": 0, "exclusiveMaximum": 121})
    assert tag(html, "input", type="number", min="0", max="120", step="1")
    html = one("weight", {"type": "number", "multipleOf": 0.5})
    assert tag(html, "input", type="number", step="0.5")
    assert 'step="any"' in one("x", {"type": "number"})


def test_unparseable_number_is_kept_visible():
    html = one("age", {"type": "integer"}, data={"age": "12a"})
    assert tag(html, "input", name="f.age", type="text", value="12a", inputmode="decimal")


def test_unparseable_date_is_kept_visible():
    html = one("day", {"type": "string", "format": "date"}, data={"day": "31/12/2024"})
    assert tag(html, "input", name="f.day", type="text", value="31/12/2024")


def test_datetime_value_fits_datetime_local():
    html = one("at", {"type": "string", "format": "date-time"}, data={"at": "2024-03-01T10:30:00+07:00"})
    assert tag(html, "input", type="datetime-local", value="2024-03-01T10:30:00")


def test_password_is_not_echoed():
    html = one("pin", {"type": "string"}, {"ui:widget": "password"}, data={"pin": "1234"})
    assert "1234" not in html


def test_boolean_checkbox_with_hidden_fallback():
    html = one("consent", {"type": "boolean", "title": "Consent"}, data={"consent": True})
    hidden = tag(html, "input", type="hidden", name="f.consent", value="false")
    box = tag(html, "input", type="checkbox", id="f-consent", name="f.consent", value="true")
    assert "checked" in box
    assert html.index(hidden) < html.index(box)  # the checkbox value comes last and wins
    assert labelled(html, "f-consent") == "Consent"
    assert "checked" not in tag(one("consent", {"type": "boolean"}, data={"consent": False}), "input",
                                type="checkbox")


def test_boolean_as_radio_yes_no():
    html = one("ok", {"type": "boolean"}, {"ui:widget": "radio"}, data={"ok": False}, translate=str.upper)
    assert "checked" in tag(html, "input", type="radio", value="false")
    assert labelled(html, "f-ok-0") == "YES"


def test_enum_select_with_enum_names_and_selection():
    schema = {"type": "string", "enum": ["l", "p"], "enumNames": ["Laki-laki", "Perempuan"], "title": "Sex"}
    html = one("sex", schema, data={"sex": "p"})
    select = re.search(r'<select[^>]*id="f-sex"[^>]*>(.*?)</select>', html).group(1)
    assert re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select) == [
        ("", "", "Choose…"), ("l", "", "Laki-laki"), ("p", " selected", "Perempuan")]
    assert labelled(html, "f-sex") == "Sex"


def test_select_keeps_a_value_that_is_not_an_option():
    html = one("sex", {"enum": ["l", "p"]}, data={"sex": "x"})
    assert '<option value="x" selected>x</option>' in html


def test_oneof_const_titles_and_radio_group():
    schema = {"type": "integer", "title": "Level",
              "oneOf": [{"const": 1, "title": "Low"}, {"const": 2, "title": "High"}]}
    html = one("level", schema, {"ui:widget": "radio"}, data={"level": 2})
    assert re.search(r'<fieldset[^>]*id="f-level"[^>]*><legend[^>]*>Level</legend>', html)
    assert tag(html, "input", type="radio", id="f-level-0", name="f.level", value="1")
    assert "checked" in tag(html, "input", type="radio", id="f-level-1", value="2")
    assert labelled(html, "f-level-1") == "High"


def test_array_of_enum_is_checkboxes():
    html = str(render_form(COMPLAINT, {}, {"needs": ["legal", "medical"]}, []))
    boxes = re.findall(r'<input type="checkbox" id="(f-needs-\d)" name="f.needs" value="(\w+)"( checked)?>', html)
    assert boxes == [("f-needs-0", "shelter", ""), ("f-needs-1", "legal", " checked"),
                     ("f-needs-2", "medical", " checked")]
    assert labelled(html, "f-needs-1") == "Legal aid"
    assert re.search(r'<fieldset[^>]*id="f-needs"[^>]*><legend class="field-label">Needs</legend>', html)


def test_nested_object_is_a_fieldset_with_legend():
    html = str(render_form(COMPLAINT, {}, {"perpetrators": [{"address": {"city": "Kupang"}}]}, []))
    assert re.search(r'<fieldset class="form-fieldset" id="f-perpetrators-0-address"><legend class="field-label">'
                     r'Address</legend>', html)
    assert tag(html, "input", id="f-perpetrators-0-address-city", name="f.perpetrators.0.address.city",
               value="Kupang")


def test_every_visible_control_has_a_label():
    html = str(render_form(COMPLAINT, COMPLAINT_UI, None, []))
    html = without_templates(html)
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in control:
            continue
        ident = re.search(r'id="([^"]+)"', control).group(1)
        assert labelled(html, ident)


def test_ids_are_unique():
    html = str(render_form(COMPLAINT, COMPLAINT_UI, {"perpetrators": [{"phones": ["1", "2"]}, {}]}, []))
    html = without_templates(html)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_required_mark_is_hidden_from_screen_readers_with_a_word_for_them():
    html = one("name", {"type": "string", "title": "Name"}, translate=lambda text: {"(required)": "(wajib)"}.get(
        text, text))
    assert "*" not in html  # not required
    html = str(render_form({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
                           {}, None, [], translate=lambda text: {"(required)": "(wajib)"}.get(text, text)))
    assert labelled(html, "f-name") == ('Name<span class="required-mark" aria-hidden="true">*</span>'
                                        '<span class="visually-hidden"> (wajib)</span>')
    assert 'aria-required="true"' in tag(html, "input", id="f-name")
    assert " required" not in tag(html, "input", id="f-name")  # the server checks, in the user's language


def test_title_description_help_and_placeholder():
    html = one("nik", {"type": "string", "title": "NIK", "description": "16 digits"},
               {"ui:help": "On the ID card", "ui:placeholder": "3201…", "ui:title": "National ID"})
    assert labelled(html, "f-nik") == "National ID"
    assert '<p class="field-description" id="f-nik-description">16 digits</p>' in html
    assert '<p class="field-help" id="f-nik-help">On the ID card</p>' in html
    control = tag(html, "input", id="f-nik", placeholder="3201…")
    assert 'aria-describedby="f-nik-description f-nik-help"' in control


def test_titles_and_help_are_translated():
    translations = {"Reporter name": "Nama pelapor", "Physical": "Fisik", "Legal aid": "Bantuan hukum"}
    html = str(render_form(COMPLAINT, COMPLAINT_UI, None, [], translate=lambda t: translations.get(t, t)))
    assert labelled(html, "f-reporter") .startswith("Nama pelapor")
    assert labelled(html, "f-incident_type-0") == "Fisik"
    assert labelled(html, "f-needs-1") == "Bantuan hukum"


def test_errors_inline_with_aria_wiring_and_data_kept():
    data = {"reporter": "Sri", "age": 200, "email": "sri@", "incident_type": "physical"}
    errors = validate(COMPLAINT, data)
    html = str(render_form(COMPLAINT, COMPLAINT_UI, data, errors))
    control = tag(html, "input", id="f-age")
    assert 'aria-invalid="true"' in control and 'value="200"' in control
    assert 'aria-describedby="f-age-error"' in control
    assert '<p class="field-error" id="f-age-error"><span class="visually-hidden">Error:</span> ' \
           "Age must be at most 120.</p>" in html
    assert 'value="sri@"' in tag(html, "input", id="f-email", aria_invalid="true")
    assert 'value="Sri"' in tag(html, "input", id="f-reporter")
    assert 'aria-invalid' not in tag(html, "input", id="f-reporter")
    # the missing date has its error next to it too
    assert 'aria-invalid="true"' in tag(html, "input", id="f-incident_date")


def test_error_summary_links_to_fields_in_form_order():
    errors = [FieldError("age", "type", "Age is wrong."), FieldError("", "anyOf", "Form is wrong."),
              FieldError("reporter", "required", "Name is missing.")]
    html = str(render_form(COMPLAINT, COMPLAINT_UI, {}, errors))
    summary = re.search(r'<div class="form-error-summary".*?</div>', html).group(0)
    assert 'role="alert"' in summary
    assert re.findall(r"<li>(.*?)</li>", summary) == [
        '<a href="#f-reporter">Name is missing.</a>', '<a href="#f-age">Age is wrong.</a>', "Form is wrong."]


def test_summary_can_be_left_to_the_page():
    html = str(render_form(COMPLAINT, {}, {}, validate(COMPLAINT, {}), summary=False))
    assert "form-error-summary" not in html and 'id="f-reporter-error"' in html


def test_errors_given_as_dicts_or_a_mapping():
    html = one("a", {"type": "string"}, errors=[{"field": "a", "message": "Bad A"}])
    assert 'aria-invalid="true"' in tag(html, "input", id="f-a") and "Bad A" in html
    html = one("a", {"type": "string"}, errors={"a": "Bad A"})
    assert 'aria-invalid="true"' in tag(html, "input", id="f-a")


def test_group_error_is_linked_to_the_first_option():
    errors = validate(COMPLAINT, {})
    html = str(render_form(COMPLAINT, COMPLAINT_UI, {}, errors))
    assert '<a href="#f-incident_type-0">' in html
    assert re.search(r'<fieldset[^>]*id="f-incident_type" aria-describedby="f-incident_type-error"', html)
    assert 'aria-invalid="true"' in tag(html, "input", id="f-incident_type-0")


def test_everything_is_escaped():
    evil = "<script>alert(1)</script>"
    schema = {"type": "object", "title": evil, "description": evil, "properties": {
        "a": {"type": "string", "title": evil, "description": evil},
        "b": {"enum": ["x", evil], "enumNames": [evil, "y"]},
        "c": {"type": "array", "items": {"type": "object", "title": evil, "properties": {"d": {"type": "string"}}}},
    }}
    ui = {"a": {"ui:help": evil, "ui:placeholder": evil}}
    errors = [FieldError("a", "x", evil), FieldError("", "x", evil)]
    html = str(render_form(schema, ui, {"a": evil, "b": evil, "c": [{"d": evil}]}, errors, translate=lambda t: t))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    readonly = str(render_readonly(schema, ui, {"a": evil, "b": "x", "c": [{"d": evil}], evil: evil}))
    assert "<script>" not in readonly


def test_attribute_values_cannot_break_out():
    html = one("a", {"type": "string"}, data={"a": '" onfocus="alert(1)'})
    assert 'value="&#34; onfocus=&#34;alert(1)"' in html


def test_defaults_only_for_a_new_form():
    schema = {"type": "object", "properties": {"country": {"type": "string", "default": "Indonesia"},
                                               "n": {"type": "integer", "default": 1}}}
    assert 'value="Indonesia"' in str(render_form(schema, {}, None, []))
    # re-rendering submitted data must not put back a default the user cleared
    assert 'value="Indonesia"' not in str(render_form(schema, {}, {"n": 2}, []))


def test_ui_order_with_wildcard():
    names = [name for name in fields(render_form(COMPLAINT, COMPLAINT_UI, None, [])) if name.count(".") == 1]
    assert list(dict.fromkeys(names))[:4] == ["f.reporter", "f.incident_type", "f.other_type", "f.age"]
    ui = {"ui:order": ["*", "reporter"]}
    top = list(dict.fromkeys(n for n in fields(render_form(COMPLAINT, ui, None, [])) if n.count(".") == 1))
    assert top[-1] == "f.reporter" and top[0] == "f.age"
    ui = {"ui:order": ["email", "age"]}  # without "*", unlisted fields follow
    top = list(dict.fromkeys(n for n in fields(render_form(COMPLAINT, ui, None, [])) if n.count(".") == 1))
    assert top[:3] == ["f.email", "f.age", "f.reporter"]


def test_prefix():
    html = str(render_form(COMPLAINT, {}, None, [], prefix="intake"))
    assert tag(html, "input", id="intake-reporter", name="intake.reporter")


def test_hidden_widget():
    html = one("source", {"type": "string"}, {"ui:widget": "hidden"}, data={"source": "hotline"})
    assert '<input type="hidden" id="f-source" name="f.source" value="hotline">' in html
    assert "<label" not in html


def show_if(html: str, inner_name: str) -> list:
    for rule, content in re.findall(r'<div class="form-conditional" data-show-if="([^"]*)">(.*?)</div></div>',
                                    html, flags=re.S):
        if f'name="{inner_name}"' in content:
            return json.loads(unescape(rule))
    raise AssertionError(f"{inner_name} is not in a conditional container")


def test_if_then_property_is_rendered_in_a_conditional_container():
    html = str(render_form(COMPLAINT, COMPLAINT_UI, None, []))
    assert show_if(html, "f.other_type") == [[{"in": ["other"], "optional": False, "field": "f.incident_type"}]]
    assert "hidden" not in re.search(r'<div class="form-conditional"[^>]*>', html).group(0)  # visible without JS
    assert "*" in labelled(html, "f-other_type")  # required when shown


def test_else_and_enum_conditions():
    schema = {"type": "object", "properties": {"married": {"type": "boolean"}, "kind": {"enum": ["a", "b", "c"]}},
              "allOf": [
                  {"if": {"properties": {"married": {"const": True}}},
                   "then": {"properties": {"spouse": {"type": "string"}}},
                   "else": {"properties": {"single_reason": {"type": "string"}}}},
                  {"if": {"properties": {"kind": {"enum": ["a", "b"]}}, "required": ["kind"]},
                   "then": {"properties": {"detail": {"type": "string"}}}}]}
    html = str(render_form(schema, {}, None, []))
    assert show_if(html, "f.spouse") == [[{"in": ["true"], "optional": True, "field": "f.married"}]]
    assert show_if(html, "f.single_reason") == [[{"in": ["true"], "optional": True, "not": True,
                                                  "field": "f.married"}]]
    assert show_if(html, "f.detail") == [[{"in": ["a", "b"], "optional": False, "field": "f.kind"}]]
    assert fields(html) == ["f.married", "f.married", "f.spouse", "f.single_reason", "f.kind", "f.detail"]


def test_dependent_schemas_and_draft7_dependencies():
    schema = {"type": "object", "properties": {"phone": {"type": "string"}},
              "dependentSchemas": {"phone": {"properties": {"owner": {"type": "string"}}, "required": ["owner"]}}}
    html = str(render_form(schema, {}, None, []))
    assert show_if(html, "f.owner") == [[{"present": True, "field": "f.phone"}]]
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "properties": {"phone": {"type": "string"}},
              "dependencies": {"phone": {"properties": {"owner": {"type": "string"}}}}}
    assert show_if(str(render_form(draft7, {}, None, [])), "f.owner") == [[{"present": True, "field": "f.phone"}]]


def test_rjsf_oneof_dependencies():
    schema = {"type": "object", "properties": {"referral": {"enum": ["police", "hospital", "none"]}},
              "dependencies": {"referral": {"oneOf": [
                  {"properties": {"referral": {"enum": ["police"]}, "station": {"type": "string"}}},
                  {"properties": {"referral": {"const": "hospital"}, "station": {"type": "string"},
                                  "ward": {"type": "string"}}}]}}}
    html = str(render_form(schema, {}, None, []))
    assert show_if(html, "f.station") == [[{"in": ["police"], "optional": False, "field": "f.referral"}],
                                          [{"in": ["hospital"], "optional": False, "field": "f.referral"}]]
    assert show_if(html, "f.ward") == [[{"in": ["hospital"], "optional": False, "field": "f.referral"}]]


def test_condition_the_browser_cannot_check_has_no_rule():
    schema = {"type": "object", "properties": {"age": {"type": "integer"}},
              "if": {"properties": {"age": {"maximum": 17}}}, "then": {"properties": {"school": {"type": "string"}}}}
    html = str(render_form(schema, {}, None, []))
    assert '<div class="form-conditional">' in html  # always visible; the server decides


def test_repeatable_rows_with_template_and_blank_row():
    html = str(render_form(COMPLAINT, {}, {"perpetrators": [{"name": "A"}, {"name": "B"}]}, []))
    array = tag(html, "fieldset", id="f-perpetrators")
    assert "data-array" in array and 'data-array-name="f.perpetrators"' in array
    rows = re.findall(r'<fieldset class="form-row" id="(f-perpetrators-\d+)" data-row '
                      r'data-row-prefix="(f.perpetrators.\d+)">', html)
    assert rows == [("f-perpetrators-0", "f.perpetrators.0"), ("f-perpetrators-1", "f.perpetrators.1"),
                    ("f-perpetrators-2", "f.perpetrators.2")]  # one blank row for entry without JavaScript
    assert 'value="B"' in tag(html, "input", name="f.perpetrators.1.name")
    assert 'name="f.perpetrators.__INDEX__.name"' not in without_templates(html)
    template = html[html.index("<template data-row-template><fieldset"):]
    assert 'name="f.perpetrators.__INDEX__.name"' in template
    assert 'id="f-perpetrators-__INDEX__-name"' in template
    assert '<button type="button" class="form-row-add" data-add-row hidden>Add Perpetrator</button>' in html
    # three rows and the template, each with its remove button
    assert html.count('data-remove-row hidden>Remove<span class="visually-hidden"> Perpetrator <span') == 4
    assert re.search(r'<legend class="field-label">Perpetrator <span data-row-number>2</span></legend>', html)


def test_nested_arrays_get_their_own_template():
    html = str(render_form(COMPLAINT, {}, {"perpetrators": [{"phones": ["0812"]}]}, []))
    assert 'value="0812"' in tag(html, "input", name="f.perpetrators.0.phones.0")
    assert 'name="f.perpetrators.0.phones.__INDEX__"' in html
    assert 'name="f.perpetrators.__INDEX__.phones.__INDEX__"' in html
    assert labelled(html, "f-perpetrators-0-phones-0") == "Phone <span data-row-number>1</span>"


def test_empty_rows_option_and_max_items():
    schema = {"type": "object", "properties": {"kids": {"type": "array", "maxItems": 2,
                                                        "items": {"type": "string"}}}}
    assert fields(render_form(schema, {"kids": {"ui:options": {"emptyRows": 0}}}, None, [])) == [
        "f.kids.__INDEX__"]
    html = str(render_form(schema, {"kids": {"ui:options": {"emptyRows": 3}}}, {"kids": ["a"]}, []))
    assert 'data-max-rows="2"' in html
    assert [name for name in fields(html) if "INDEX" not in name] == ["f.kids.0", "f.kids.1"]


def test_blank_rows_do_not_get_defaults():
    schema = {"type": "object", "properties": {"rows": {"type": "array", "items": {
        "type": "object", "properties": {"country": {"type": "string", "default": "ID"}}}}}}
    assert 'value="ID"' not in str(render_form(schema, {}, None, []))


def test_row_errors_are_inline():
    data = {"perpetrators": [{"address": {"city": 5}}]}
    html = str(render_form(COMPLAINT, {}, data, validate(COMPLAINT, data)))
    assert 'aria-invalid="true"' in tag(html, "input", id="f-perpetrators-0-name")
    assert 'id="f-perpetrators-0-name-error"' in html
    assert "__INDEX__-name-error" not in html


def test_readonly_definition_list():
    data = {"reporter": "Sri", "incident_type": "sexual", "consent": False, "needs": ["legal"],
            "chronology": "line 1\nline 2",
            "perpetrators": [{"name": "A", "address": {"city": "Kupang"}, "phones": ["0812"]}],
            "reported_at": "2024-03-01T10:30"}
    html = str(render_readonly(COMPLAINT, COMPLAINT_UI, data, translate=lambda t: {"No": "Tidak"}.get(t, t)))
    assert html.startswith('<dl class="form-readonly">')
    assert "<dt>Reporter name</dt><dd>Sri</dd>" in html
    assert "<dt>Type of violence</dt><dd>Sexual</dd>" in html
    assert "<dt>Victim consents</dt><dd>Tidak</dd>" in html
    assert "<dt>Needs</dt><dd><ul class=\"form-readonly-list\"><li>Legal aid</li></ul></dd>" in html
    assert "<dt>City</dt><dd>Kupang</dd>" in html
    assert "<dt>Reported at</dt><dd>2024-03-01 10:30</dd>" in html
    assert "<dt>Email</dt>" not in html  # not answered
    assert "<input" not in html
    assert render_form(COMPLAINT, COMPLAINT_UI, data, [], readonly=True) == render_readonly(
        COMPLAINT, COMPLAINT_UI, data)


def test_readonly_keeps_unknown_keys_and_handles_empty():
    html = str(render_readonly(COMPLAINT, {}, {"legacy_field": "x"}, translate=None))
    assert "<dt>legacy_field</dt><dd>x</dd>" in html
    assert "No answers recorded." in render_readonly(COMPLAINT, {}, {}, translate=None)
