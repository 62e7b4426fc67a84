"""Untrusted input through the API: hostile BPMN, oversized JSON, form data that tries to overwrite what the
server owns, and form schemas with regular expressions Python cannot compile."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BPMN = (ROOT / "workflows" / "konsultasi.bpmn").read_text(encoding="utf-8")
_, _, BODY = BPMN.partition("\n")  # everything after the XML declaration

XXE = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
       + BODY.replace('name="Layanan Konsultasi" isExecutable', 'name="&x;" isExecutable'))
LAUGHS = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE d [<!ENTITY a "hahahahahahahahahaha">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
          + ']>\n' + BODY.replace('name="Layanan Konsultasi" isExecutable', 'name="&i;" isExecutable'))


def _upload(api, xml: bytes):
    return api("admin").post("/api/v1/admin/workflows/konsultasi/versions", data=xml,
                              content_type="application/xml")


@pytest.mark.parametrize("xml", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_hostile_bpmn_is_rejected_with_a_clear_message(api, xml):
    resp = _upload(api, xml.encode("utf-8"))
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == "definition_invalid"
    assert body["details"][0]["code"] == "doctype"
    assert "DOCTYPE" in body["details"][0]["message"]
    assert "root:" not in resp.get_data(as_text=True)


def test_doctype_in_utf16_is_rejected_too(api):
    xml = XXE.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace(
        'SYSTEM "file:///etc/passwd"', '"INJECTED"').encode("utf-16")
    resp = _upload(api, xml)
    assert resp.status_code == 422
    assert resp.get_json()["details"][0]["code"] in ("doctype", "encoding")


def test_oversized_bpmn_is_413(api, app):
    big = BPMN.replace("</bpmn:definitions>", "<!--" + "x" * int(app.config["MAX_BPMN_BYTES"]) + "-->"
                       "</bpmn:definitions>")
    resp = _upload(api, big.encode("utf-8"))
    assert resp.status_code == 413
    assert resp.get_json()["code"] == "too_large"


def test_oversized_json_is_413_even_without_a_length(api, app):
    a = api("pendamping")
    payload = b'{"workflow": "konsultasi", "data": {"x": "' + b"a" * int(app.config["MAX_JSON_BYTES"]) + b'"}}'
    resp = a.post("/api/v1/cases", data=payload, content_type="application/json")
    assert resp.status_code == 413
    assert resp.get_json()["code"] == "too_large"
    # Sent as a stream without Content-Length (chunked): the cap still applies while reading.
    resp = a.client.post("/api/v1/cases", headers=a.headers, input_stream=io.BytesIO(payload),
                         content_type="application/json", environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 413
    small = a.client.post("/api/v1/cases", headers=a.headers, content_type="application/json",
                          input_stream=io.BytesIO(b'{"workflow": "konsultasi"}'),
                          environ_overrides={"wsgi.input_terminated": True})
    assert small.status_code == 201


def test_submission_with_unknown_or_reserved_keys_is_422(api):
    a = api("pendamping")
    case = a.post("/api/v1/cases", json={"workflow": "konsultasi", "data": {"case_reference": "FAKE-1"}})
    assert case.status_code == 422
    assert case.get_json()["details"][0]["keyword"] == "reserved"
    case = a.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    task_id = case["tasks"][0]["id"]
    valid = {"topik": "hak_anak", "ringkasan": "Cukup panjang"}
    for extra in ({"zz_unknown": 1}, {"case_id": 999}, {"started_by": "admin"}, {"__class__": "x"}):
        resp = a.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {**valid, **extra}})
        assert resp.status_code == 422, extra
        assert resp.get_json()["details"], extra
    assert a.get(f"/api/v1/tasks/{task_id}").get_json()["status"] == "open"


def test_a_form_cannot_make_a_reserved_key_writable(api):
    """Even a form that declares a reserved key as a field cannot overwrite it."""
    admin = api("admin")
    schema = admin.get("/api/v1/forms/konsultasi_catatan").get_json()["schema"]
    schema["properties"]["case_reference"] = {"type": "string", "title": "Nomor"}
    schema.pop("examples", None)
    saved = admin.post("/api/v1/admin/forms/konsultasi_catatan/versions", json={"schema": schema})
    if saved.status_code == 422:  # refusing such a form at save time is just as good
        return
    assert saved.status_code == 201
    a = api("pendamping")
    task_id = a.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()["tasks"][0]["id"]
    resp = a.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {
        "topik": "hak_anak", "ringkasan": "Cukup panjang", "case_reference": "FAKE-2"}})
    assert resp.status_code == 422
    assert resp.get_json()["details"][0]["keyword"] == "reserved"


@pytest.mark.parametrize("fragment", [
    {"properties": {"x": {"type": "string", "pattern": "(?<=a+)b"}}},       # variable-width look-behind
    {"properties": {"x": {"type": "string", "pattern": "\\p{L}+"}}},        # ECMA class Python lacks
    {"properties": {"x": {"type": "string", "pattern": "([a-z]"}}},         # unbalanced
    {"patternProperties": {"(?P<x": {"type": "string"}}},
    {"properties": {"x": {"type": "object", "propertyNames": {"pattern": "*"}}}},
], ids=["lookbehind", "unicode-class", "unbalanced", "pattern-properties", "property-names"])
def test_form_schema_with_an_uncompilable_regex_is_a_clear_422(api, fragment):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Uji", "type": "object",
              **fragment}
    resp = api("admin").post("/api/v1/admin/forms/uji_regex/versions", json={"schema": schema})
    assert resp.status_code == 422, resp.get_data(as_text=True)[:500]
    body = resp.get_json()
    assert body["code"] == "form_invalid"
    assert any("pattern" in d["field"].lower() or "regular expression" in d["message"].lower()
               or "regex" in d["message"].lower() for d in body["details"]), body
