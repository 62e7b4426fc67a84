"""Every admin page: 200 for the admin, 403 for a caseworker, 401 for nobody; account changes are audited."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth import service as auth_service
from server.auth.models import ApiToken, Group, LaneMapping, PartnerAgency, Unit, User
from tests.conftest import csrf_from

PAGES = [
    "/admin/", "/admin/workflows/", "/admin/workflows/konsultasi/", "/admin/workflows/konsultasi/1/",
    "/admin/workflows/konsultasi/1/bpmn", "/admin/workflows/konsultasi/modeler",
    "/admin/workflows/konsultasi/compare?old=1&new=1", "/admin/workflows/konsultasi/migrate",
    "/admin/workflows/new?key=baru", "/admin/workflows/baru/blank.bpmn",
    "/admin/forms/", "/admin/forms/persetujuan/", "/admin/forms/persetujuan/1/",
    "/admin/users/", "/admin/users/new", "/admin/users/1/", "/admin/groups/", "/admin/units/", "/admin/partners/",
]


def _audit(session: Any, action: str) -> list[AuditEvent]:
    return list(session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_admin_pages_refuse_anonymous_users(client: Any) -> None:
    assert {url: client.get(url).status_code for url in PAGES} == {url: 401 for url in PAGES}


@pytest.mark.parametrize("username", ["pendamping", "kepala", "mitra"])
def test_admin_pages_refuse_other_roles(web: Any, username: str) -> None:
    web.login(username)
    assert {url: web.client.get(url).status_code for url in PAGES} == {url: 403 for url in PAGES}


def test_admin_pages_open_for_the_admin(web: Any) -> None:
    web.login("admin")
    assert {url: web.client.get(url).status_code for url in PAGES} == {url: 200 for url in PAGES}


def test_admin_writes_need_the_admin_role_too(web: Any) -> None:
    web.login("kepala")
    page = web.client.get("/notifications")
    token = csrf_from(page.get_data(as_text=True))
    for url in ["/admin/users/1/active", "/admin/users/1/password", "/admin/workflows/konsultasi/1/activate",
                "/admin/workflows/konsultasi/rollback", "/admin/forms/preview", "/admin/groups/"]:
        assert web.client.post(url, data={"csrf_token": token}).status_code == 403, url


def test_the_admin_api_is_for_admins_only(api: Any) -> None:
    assert api("pendamping").get("/api/v1/admin/workflows/konsultasi/migrations").status_code == 403
    assert api().get("/api/v1/admin/workflows/konsultasi/migrations").status_code == 401
    resp = api("admin").get("/api/v1/admin/workflows/konsultasi/compare?old=1&new=1")
    assert resp.status_code == 200 and resp.get_json()["changes"] == []


def test_create_user_with_groups_then_deactivate_and_reset_the_password(web: Any, session: Any, app: Any) -> None:
    web.login("admin")
    name = "petugas_" + uuid.uuid4().hex[:6]
    resp = web.post_form("/admin/users/new", "/admin/users/new", {
        "username": name, "password": "rahasia-panjang-1", "full_name": "Petugas Baru (fiktif)",
        "groups": ["pendamping", "profesional"]})
    assert resp.status_code == 302
    with app.app_context():
        user = session.execute(select(User).where(User.username == name)).scalar_one()
        assert user.group_names == {"pendamping", "profesional"}
        assert user.password_hash.startswith("$argon2")
        assert auth_service.check_password(user, "rahasia-panjang-1")
        user_id = user.id
    page = f"/admin/users/{user_id}/"
    assert web.post_form(page, page, {"full_name": "Petugas Baru (fiktif)", "groups": ["kepala_uptd"]}).status_code == 302
    assert web.post_form(page, f"/admin/users/{user_id}/active", {"active": "0"}).status_code == 302
    resp = web.post_form(page, f"/admin/users/{user_id}/password", {"password": ""})
    assert resp.status_code == 200
    generated = resp.get_data(as_text=True).split('class="secret">')[1].split("<")[0]
    with app.app_context():
        session.expire_all()
        user = session.get(User, user_id)
        assert user.group_names == {"kepala_uptd"} and not user.is_active
        assert auth_service.check_password(user, generated)
        actions = {e.action for e in session.execute(select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == str(user_id))).scalars()}
        assert actions == {"admin.user_created", "admin.user_updated", "admin.user_deactivated",
                           "admin.password_reset"}
        assert generated not in str([e.details for e in _audit(session, "admin.password_reset")])


def test_a_deactivated_user_loses_login_and_api_tokens(web: Any, api: Any, session: Any, app: Any) -> None:
    worker = api("profesional")
    assert worker.get("/api/v1/me").status_code == 200
    with app.app_context():
        user_id = session.execute(select(User.id).where(User.username == "profesional")).scalar_one()
    web.login("admin")
    page = f"/admin/users/{user_id}/"
    web.post_form(page, f"/admin/users/{user_id}/active", {"active": "0"})
    assert worker.get("/api/v1/me").status_code == 401
    with app.app_context():
        assert session.execute(select(ApiToken).where(ApiToken.user_id == user_id,
                                                      ApiToken.revoked_at.is_(None))).first() is None
    web.post_form(page, f"/admin/users/{user_id}/active", {"active": "1"})


def test_bad_input_is_shown_on_the_form(web: Any) -> None:
    web.login("admin")
    resp = web.post_form("/admin/users/new", "/admin/users/new", {"username": "x y", "password": "short",
                                                                   "full_name": "X"})
    assert resp.status_code == 422
    assert 'id="err-username"' in resp.get_data(as_text=True)


def test_an_admin_cannot_lock_themselves_out(web: Any, session: Any, app: Any) -> None:
    web.login("admin")
    with app.app_context():
        admin_id = session.execute(select(User.id).where(User.username == "admin")).scalar_one()
    page = f"/admin/users/{admin_id}/"
    web.post_form(page, f"/admin/users/{admin_id}/active", {"active": "0"})
    assert web.post_form(page, page, {"full_name": "Admin", "groups": ["pendamping"]}).status_code == 422
    with app.app_context():
        session.expire_all()
        admin = session.get(User, admin_id)
        assert admin.is_active and "admin" in admin.group_names


def test_groups_lanes_units_and_partners_are_saved_and_audited(web: Any, session: Any, app: Any) -> None:
    web.login("admin")
    tag = uuid.uuid4().hex[:6]
    assert web.post_form("/admin/groups/", "/admin/groups/", {"name": f"grup_{tag}", "title": "Grup uji"}).status_code == 302
    with app.app_context():
        group = session.execute(select(Group).where(Group.name == f"grup_{tag}")).scalar_one()
        group_id = group.id
    assert web.post_form("/admin/groups/", "/admin/groups/", {"kind": "lane", "lane": f"lajur_{tag}",
                                                              "group_id": str(group_id)}).status_code == 302
    assert web.post_form("/admin/units/", "/admin/units/", {"code": f"U{tag}", "name": "Unit uji"}).status_code == 302
    assert web.post_form("/admin/partners/", "/admin/partners/", {
        "code": f"polres_{tag}", "name": "Unit PPA Polres (uji)", "kind": "kepolisian",
        "group_id": str(group_id)}).status_code == 302
    with app.app_context():
        session.expire_all()
        mapping = session.execute(select(LaneMapping).where(LaneMapping.lane == f"lajur_{tag}")).scalar_one()
        assert mapping.group_id == group_id
        assert session.execute(select(Unit).where(Unit.code == f"U{tag}".upper())).scalar_one().name == "Unit uji"
        assert session.execute(select(PartnerAgency).where(PartnerAgency.code == f"polres_{tag}")).scalar_one().group_id \
            == group_id
        for action in ("admin.group_created", "admin.lane_mapped", "admin.unit_saved", "admin.partner_saved"):
            assert _audit(session, action), action
        mapping_id = mapping.id
    web.post_form("/admin/groups/", f"/admin/groups/lanes/{mapping_id}/delete", {})
    with app.app_context():
        session.expire_all()
        assert session.get(LaneMapping, mapping_id) is None
        assert _audit(session, "admin.lane_unmapped")


def test_admins_do_not_see_case_data(web: Any, api: Any) -> None:
    case = api("pendamping").post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    web.login("admin")
    assert web.client.get(f"/cases/{case['id']}").status_code == 403
    assert web.client.get(f"/cases/{case['id']}/diagram").status_code == 403
    assert api("admin").get(f"/api/v1/cases/{case['id']}").status_code == 403
    plan = api("admin").get("/api/v1/admin/workflows/konsultasi/migrations?target=1").get_json()
    assert all(set(item) <= {"case_id", "reference", "from_number", "to_number", "can_move", "reasons", "timers",
                             "reset", "moved"} for item in plan["cases"])


def test_xml_upload_and_download_on_the_workflow_pages(web: Any) -> None:
    import io

    from tests.admin import bpmn

    web.login("admin")
    key = "unggah_" + uuid.uuid4().hex[:6]
    good = bpmn.linear([("isi", "Isi")], process_id=key)
    resp = web.post_form("/admin/workflows/", "/admin/workflows/upload",
                         {"file": (io.BytesIO(good), f"{key}.bpmn"), "comment": "dari berkas"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/admin/workflows/{key}/1/")
    bad = bpmn.linear([("isi", "Isi")], process_id=key, forms={"isi": "tidak_ada.schema.json"})
    page = f"/admin/workflows/{key}/"
    resp = web.post_form(page, f"/admin/workflows/{key}/upload", {"file": (io.BytesIO(bad), "x.bpmn")})
    assert resp.status_code == 422
    assert 'data-element-id="isi" data-code="form_unknown"' in resp.get_data(as_text=True)
    download = web.client.get(f"/admin/workflows/{key}/1/bpmn?download=1")
    assert download.data == good and "attachment" in download.headers["Content-Disposition"]
    saved = web.client.post(f"/admin/workflows/{key}/save?comment=modeler", data=bad,
                            headers={"X-CSRFToken": csrf_from(web.client.get(page).get_data(as_text=True)),
                                     "Content-Type": "application/xml", "Accept": "application/json"})
    assert saved.status_code == 422 and saved.get_json()["details"][0]["element_id"] == "isi"
