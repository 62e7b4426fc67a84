"""The BPMN element-count cap (MAX_BPMN_ELEMENTS): a file with more XML elements than configured is refused
with a message naming the limit, through the admin API, the workflow API's validator and the admin pages,
and no version is stored."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from lxml import etree

from tests.admin import bpmn
from tests.conftest import csrf_from


def _elements(xml: bytes) -> int:
    return sum(1 for _ in etree.fromstring(xml).iter())


@pytest.fixture
def capped(app: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[str, bytes, int]:
    """A fresh workflow key, a valid file for it, and a cap one element below that file's size."""
    key = "batas_" + uuid.uuid4().hex[:6]
    xml = bpmn.linear([("isi", "Isi"), ("periksa", "Periksa")], process_id=key)
    limit = _elements(xml) - 1
    monkeypatch.setitem(app.config, "MAX_BPMN_ELEMENTS", limit)
    return key, xml, limit


def _stored(app: Any, key: str) -> int:
    from server.errors import NotFoundError
    from server.extensions import db
    from server.workflows import service

    with app.app_context():
        try:
            return len(service.list_versions(db.session, key))
        except NotFoundError:
            return 0


def test_admin_api_refuses_a_file_over_the_cap_and_stores_nothing(app: Any, api: Any, session: Any,
                                                                  capped: tuple[str, bytes, int]) -> None:
    key, xml, limit = capped
    admin = api("admin")
    resp = admin.post(f"/api/v1/admin/workflows/{key}/versions", data=xml, content_type="application/xml")
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == "definition_invalid"
    assert body["details"][0]["code"] == "too_many_elements"
    assert str(limit) in body["details"][0]["message"]
    assert _stored(app, key) == 0
    # The same file within the cap is stored: the refusal is the cap, not the file.
    app.config["MAX_BPMN_ELEMENTS"] = limit + 1
    ok = admin.post(f"/api/v1/admin/workflows/{key}/versions", data=xml, content_type="application/xml")
    assert ok.status_code == 201 and ok.get_json()["number"] == 1
    assert _stored(app, key) == 1


def test_admin_api_refuses_a_new_version_over_the_cap_of_an_existing_workflow(
        app: Any, api: Any, session: Any, capped: tuple[str, bytes, int]) -> None:
    key, xml, limit = capped
    admin = api("admin")
    app.config["MAX_BPMN_ELEMENTS"] = limit + 1
    assert admin.post(f"/api/v1/admin/workflows/{key}/versions", data=xml,
                      content_type="application/xml").status_code == 201
    bigger = bpmn.linear([("isi", "Isi"), ("periksa", "Periksa"), ("tutup", "Tutup")], process_id=key)
    resp = admin.post(f"/api/v1/admin/workflows/{key}/versions", data=bigger, content_type="application/xml")
    assert resp.status_code == 422
    assert resp.get_json()["details"][0]["code"] == "too_many_elements"
    assert str(limit + 1) in resp.get_json()["details"][0]["message"]
    assert _stored(app, key) == 1


def test_workflow_api_validator_reports_the_cap(app: Any, api: Any, session: Any,
                                                capped: tuple[str, bytes, int]) -> None:
    key, xml, limit = capped
    resp = api("admin").post(f"/api/v1/admin/workflows/{key}/validate", data=xml, content_type="application/xml")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["valid"] is False
    assert [d["code"] for d in body["details"]] == ["too_many_elements"]
    assert str(limit) in body["details"][0]["message"]


def test_admin_pages_refuse_uploads_and_modeler_saves_over_the_cap(app: Any, web: Any, session: Any,
                                                                   capped: tuple[str, bytes, int]) -> None:
    key, xml, limit = capped
    web.login("admin")
    resp = web.post_form("/admin/workflows/", "/admin/workflows/upload",
                         {"file": (io.BytesIO(xml), f"{key}.bpmn"), "comment": "terlalu besar"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'data-code="too_many_elements"' in page and str(limit) in page
    assert _stored(app, key) == 0
    headers = {"X-CSRFToken": csrf_from(web.client.get("/admin/workflows/").get_data(as_text=True)),
               "Content-Type": "application/xml", "Accept": "application/json"}
    saved = web.client.post(f"/admin/workflows/{key}/save?comment=modeler", data=xml, headers=headers)
    assert saved.status_code == 422
    assert saved.get_json()["details"][0]["code"] == "too_many_elements"
    assert str(limit) in saved.get_json()["details"][0]["message"]
    checked = web.client.post(f"/admin/workflows/{key}/validate", data=xml, headers=headers)
    assert checked.status_code == 200
    assert [d["code"] for d in checked.get_json()["details"]] == ["too_many_elements"]
    assert _stored(app, key) == 0
