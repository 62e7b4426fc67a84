"""The form editor (live preview by the caseworkers' renderer, metaschema, sample data, versions), old
submissions with their own version, the read-only case diagram, and the migration API."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from server.forms import service as forms_service
from tests.conftest import csrf_from

SCHEMA = {"type": "object", "title": "Formulir uji", "required": ["nama"],
          "properties": {"nama": {"type": "string", "title": "Nama lengkap"},
                         "usia": {"type": "integer", "title": "Usia", "minimum": 0}}}


def _preview(web: Any, body: dict[str, Any]) -> Any:
    page = web.client.get("/admin/forms/persetujuan/")
    token = csrf_from(page.get_data(as_text=True))
    return web.client.post("/admin/forms/preview", json=body, headers={"X-CSRFToken": token})


def test_preview_renders_with_the_server_renderer_and_checks_sample_data(web: Any) -> None:
    web.login("admin")
    resp = _preview(web, {"schema": json.dumps(SCHEMA), "ui_schema": "{}", "data": json.dumps({"usia": -1})})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["problems"] == []
    assert "Nama lengkap" in body["html"] and 'name="f.nama"' in body["html"]
    assert {e["path"] for e in body["errors"]} == {"nama", "usia"}  # required, minimum
    ok = _preview(web, {"schema": json.dumps(SCHEMA), "ui_schema": "{}", "data": json.dumps({"nama": "Fiktif"})})
    assert ok.get_json()["errors"] == []


def test_preview_reports_metaschema_and_json_problems(web: Any) -> None:
    web.login("admin")
    broken = _preview(web, {"schema": json.dumps({"type": "object", "properties": {"x": {"type": "teks"}}}),
                            "ui_schema": "{}"}).get_json()
    assert broken["problems"] and broken["html"] == ""
    assert "/properties/x" in broken["problems"][0]["pointer"]
    typo = _preview(web, {"schema": '{"type": "object",', "ui_schema": "{}"}).get_json()
    assert typo["problems"] and "JSON" in typo["problems"][0]["message"]


def test_saving_in_the_editor_creates_a_new_version(web: Any, session: Any, app: Any) -> None:
    web.login("admin")
    key = "uji_" + uuid.uuid4().hex[:6]
    page = f"/admin/forms/{key}/"
    assert web.client.get(page).status_code == 200  # a new form starts from a blank schema
    first = web.post_form(page, page, {"schema": json.dumps(SCHEMA), "ui_schema": "{}", "data": "{}",
                                       "comment": "pertama"})
    assert first.status_code == 302
    changed = dict(SCHEMA, title="Formulir uji (v2)")
    assert web.post_form(page, page, {"schema": json.dumps(changed), "ui_schema": "{}", "data": "{}"}).status_code == 302
    bad = web.post_form(page, page, {"schema": json.dumps({"type": "object", "properties": {"x": {"type": "teks"}}}),
                                     "ui_schema": "{}", "data": "{}"})
    assert bad.status_code == 422
    with app.app_context():
        definition = forms_service.get_definition(session, key)
        assert [v.number for v in definition.versions] == [1, 2]
        assert definition.active_version.schema["title"] == "Formulir uji (v2)"
        assert definition.versions[0].comment == "pertama"


def test_old_submissions_render_with_the_form_version_they_were_made_with(web: Any, api: Any, session: Any,
                                                                          app: Any) -> None:
    worker = api("pendamping")
    case = worker.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    task = case["tasks"][0]
    done = worker.post(f"/api/v1/tasks/{task['id']}/complete",
                       json={"data": {"topik": "hak_anak", "ringkasan": "Contoh (fiktif)."}})
    assert done.status_code == 200, done.get_json()
    with app.app_context():
        current = forms_service.get_active(session, "konsultasi_catatan")
        old_title = current.schema["properties"]["ringkasan"]["title"]
        schema = json.loads(json.dumps(current.schema))
        schema["properties"]["ringkasan"]["title"] = "Ringkasan BARU"
        forms_service.create_version(session, key="konsultasi_catatan", schema=schema, ui_schema=current.ui_schema,
                                     now=current.created_at)
        session.commit()
    web.login("pendamping")
    html = web.client.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert old_title in html and "Ringkasan BARU" not in html


def test_the_case_diagram_marks_current_and_completed_steps(web: Any, api: Any) -> None:
    worker = api("pendamping")
    case = worker.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    web.login("pendamping")
    page = web.client.get(f"/cases/{case['id']}/diagram")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    progress = json.loads(html.split('data-progress="')[1].split('"')[0].replace("&#34;", '"').replace("&quot;", '"'))
    assert progress == {"done": ["start"], "active": ["catat_konsultasi"]}
    xml = web.client.get(f"/cases/{case['id']}/diagram.bpmn")
    assert xml.status_code == 200 and b'id="catat_konsultasi"' in xml.data
    assert f"/cases/{case['id']}/diagram" in web.client.get(f"/cases/{case['id']}").get_data(as_text=True)


def test_the_case_diagram_follows_need_to_know(web: Any, api: Any) -> None:
    case = api("pendamping").post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    web.login("profesional")  # a case role, but nothing to do with this case
    assert web.client.get(f"/cases/{case['id']}/diagram").status_code == 404
    assert web.client.get(f"/cases/{case['id']}/diagram.bpmn").status_code == 404


def test_migration_through_the_api_dry_run_then_one_case(api: Any, session: Any, app: Any) -> None:
    from server.workflows import service as workflows_service

    admin, worker = api("admin"), api("pendamping")
    key = "api_" + uuid.uuid4().hex[:6]
    from tests.admin import bpmn

    v1 = bpmn.linear([("satu", "Satu"), ("dua", "Dua")], process_id=key)
    v2 = bpmn.linear([("satu", "Satu"), ("dua", "Dua (ubah)")], process_id=key)
    assert admin.post(f"/api/v1/admin/workflows/{key}/versions", data=v1, content_type="application/xml").status_code == 201
    case = worker.post("/api/v1/cases", json={"workflow": key}).get_json()
    assert admin.post(f"/api/v1/admin/workflows/{key}/versions", data=v2, content_type="application/xml").status_code == 201
    plan = admin.get(f"/api/v1/admin/workflows/{key}/migrations?target=2").get_json()
    assert [(c["case_id"], c["can_move"]) for c in plan["cases"]] == [(case["id"], True)]
    moved = admin.post(f"/api/v1/admin/cases/{case['id']}/migrate", json={"target": 2})
    assert moved.status_code == 200 and moved.get_json()["moved"] is True
    again = admin.post(f"/api/v1/admin/cases/{case['id']}/migrate", json={"target": 2})
    assert again.status_code == 409  # already on version 2
    assert admin.post(f"/api/v1/admin/cases/{case['id']}/migrate", json={"target": "2"}).status_code == 422
    with app.app_context():
        from server.cases.models import Case

        assert session.execute(select(Case.workflow_version_id).where(Case.id == case["id"])).scalar_one() == \
            workflows_service.get_version(session, key, 2).id
