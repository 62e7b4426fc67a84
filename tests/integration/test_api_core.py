"""The JSON API's core paths: auth, reading definitions, cases, the inbox, completing with 422/409."""

from __future__ import annotations


def test_token_and_me(api, client):
    assert client.post("/api/v1/auth/token", json={"username": "pendamping", "password": "x"}).status_code == 401
    me = api("pendamping").get("/api/v1/me").get_json()
    assert me["username"] == "pendamping"
    assert me["roles"] == ["pendamping"]
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_revoked_token_stops_working(api):
    a = api("pendamping")
    assert a.post("/api/v1/auth/revoke").status_code == 204
    assert a.get("/api/v1/me").status_code == 401


def test_bad_bodies_get_clear_errors(api, client):
    a = api("pendamping")
    resp = a.post("/api/v1/cases", data="not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "invalid_json"
    resp = a.post("/api/v1/cases", json=[1, 2])
    assert resp.status_code == 400
    resp = a.post("/api/v1/cases", json={"workflow": "does_not_exist"})
    assert resp.status_code == 404
    assert resp.get_json()["code"] == "not_found"


def test_workflows_and_forms_are_readable(api):
    a = api("pendamping")
    wf = a.get("/api/v1/workflows/konsultasi").get_json()
    assert wf["active_version"] == 1
    assert wf["versions"][0]["hash"]
    form = a.get("/api/v1/forms/konsultasi_catatan").get_json()
    assert form["schema"]["required"] == ["topik", "ringkasan"]
    assert a.get("/api/v1/forms/nope").status_code == 404


def test_complete_validates_on_the_server_and_conflicts(api):
    a = api("pendamping")
    case = a.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    assert case["reference"].startswith("UPTDPPA-PYK-")
    task = case["tasks"][0]
    assert task["bpmn_id"] == "catat_konsultasi" and task["due_at"]

    bad = a.post(f"/api/v1/tasks/{task['id']}/complete",
                 json={"data": {"topik": "bukan_pilihan", "kontak_ulang": "31-12-2026"}})
    assert bad.status_code == 422
    fields = {d["field"]: d for d in bad.get_json()["details"]}
    assert {"topik", "ringkasan", "kontak_ulang"} <= set(fields)

    unknown = a.post(f"/api/v1/tasks/{task['id']}/complete",
                     json={"data": {"topik": "hak_anak", "ringkasan": "Cukup panjang", "case_id": 99}})
    assert unknown.status_code == 422

    ok = a.post(f"/api/v1/tasks/{task['id']}/complete",
                json={"data": {"topik": "hak_anak", "ringkasan": "Cukup panjang"}})
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    assert body["task"]["status"] == "completed"
    assert [t["bpmn_id"] for t in body["next_tasks"]] == ["tinjau_konsultasi"]

    again = a.post(f"/api/v1/tasks/{task['id']}/complete",
                   json={"data": {"topik": "hak_anak", "ringkasan": "Cukup panjang"}})
    assert again.status_code == 409

    detail = a.get(f"/api/v1/cases/{case['id']}").get_json()
    assert detail["submissions"][0]["form"] == "konsultasi_catatan"
    assert detail["submissions"][0]["form_version"] == 1
    assert [e["action"] for e in detail["timeline"]][:2] == ["case.started", "task.completed"]


def test_claimed_task_conflicts_for_others(api, app, session):
    from server.auth import service as auth_service
    from server.auth.models import User
    from server.db import unit_of_work
    from tests.conftest import T0

    with app.app_context(), unit_of_work() as s:
        auth_service.create_user(s, username="pendamping2", password="sinergi-demo", now=T0,
                                 groups=["pendamping"], unit=s.get(User, 1).unit)
    a = api("pendamping")
    b = api("pendamping2")
    case = a.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    tid = case["tasks"][0]["id"]
    assert a.post(f"/api/v1/tasks/{tid}/claim").status_code == 200
    assert b.post(f"/api/v1/tasks/{tid}/claim").status_code == 409
    resp = b.post(f"/api/v1/tasks/{tid}/complete", json={"data": {"topik": "hak_anak", "ringkasan": "abcdef"}})
    assert resp.status_code == 409
    inbox = b.get("/api/v1/tasks?scope=group").get_json()
    assert tid not in [t["id"] for t in inbox["items"]]
    mine = a.get("/api/v1/tasks?scope=mine").get_json()
    assert tid in [t["id"] for t in mine["items"]]


def test_inbox_is_sorted_by_due_date_and_paged(api):
    a = api("pendamping")
    for _ in range(3):
        a.post("/api/v1/cases", json={"workflow": "konsultasi"})
    page = a.get("/api/v1/tasks?scope=all&sort=due_at&per_page=2").get_json()
    assert page["per_page"] == 2 and len(page["items"]) == 2 and page["total"] >= 3
    dues = [t["due_at"] for t in page["items"]]
    assert dues == sorted(dues)
    assert a.get("/api/v1/tasks?page=abc").status_code == 400
    assert a.get("/api/v1/tasks?scope=everyone").status_code == 400


def test_openapi_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    described = {(p, m.upper()) for p, ops in spec["paths"].items() for m in ops}
    import re

    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in described, (path, method)


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": True}
