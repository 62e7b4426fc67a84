"""The public complaint page: off by default; no account, CSRF, honeypot, throttling per address; a receipt."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.cases.models import Case
from server.public.models import PublicComplaint
from tests.conftest import csrf_from

STORY = "Anak tetangga sering dipukul ayah tirinya di rumah sebelah."
REPORT = {"f.kronologi": STORY, "f.nama_korban": "Putri (fiktif)", "f.usia_korban": "9",
          "f.jenis_kelamin_korban": "perempuan", "f.kecamatan": "Payakumbuh Timur"}


@pytest.fixture
def enabled(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_INTAKE_ENABLED", True)
    monkeypatch.setitem(app.config, "PUBLIC_INTAKE_MAX_PER_HOUR", 3)


def _post(client: Any, data: dict[str, str], ip: str = "203.0.113.7", token: bool = True) -> Any:
    page = client.get("/pengaduan", environ_base={"REMOTE_ADDR": ip})
    form = dict(data)
    if token:
        form["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post("/pengaduan", data=form, environ_base={"REMOTE_ADDR": ip})


def _count(app: Any, model: Any) -> int:
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_off_by_default(app, client):
    assert app.config["PUBLIC_INTAKE_ENABLED"] is False
    assert client.get("/pengaduan").status_code == 404
    assert client.post("/pengaduan", data={}).status_code in (400, 404)


def test_a_complaint_starts_a_case_in_the_intake_inbox_and_gives_a_receipt(app, client, enabled, frozen):
    page = client.get("/pengaduan")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="website"' in html and 'name="f.kronologi"' in html
    assert 'name="f.cara_pengaduan"' not in html and 'name="f.tgl_pengaduan"' not in html  # the office's fields
    cases_before = _count(app, Case)
    resp = _post(client, REPORT)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body
    from server.db import unit_of_work
    from server.tasks.models import Task

    with app.app_context(), unit_of_work() as session:
        row = session.execute(select(PublicComplaint)).scalars().one()
        assert row.receipt in body and row.receipt.startswith("PGD-")
        assert STORY not in body  # nothing the reporter wrote is shown back
        case = session.get(Case, row.case_id)
        task = session.execute(select(Task).where(Task.case_id == case.id, Task.status == "open")).scalar_one()
        assert task.bpmn_id == "registrasi" and task.group_id is not None
        from server.auth.models import Group, User

        assert session.get(Group, task.group_id).name == "penerima_pengaduan"
        creator = session.get(User, case.created_by_id)
        assert not creator.is_active and not creator.groups
        from server.cases import service as cases

        data = cases.load_instance(case).data
        assert data["kronologi"] == STORY and data["no_tanda_terima"] == row.receipt
        assert data["cara_pengaduan"] == "lainnya" and data["tgl_pengaduan"].startswith("2026-11-23T09:00")
        from server.notifications.models import Notification

        intake = session.execute(select(User).where(User.username == "intake")).scalar_one()
        assert session.execute(select(Notification).where(Notification.user_id == intake.id)).first()
    assert _count(app, Case) == cases_before + 1
    # The intake officer finds the case in the inbox, with the reporter's answers as the task's data.
    from tests.conftest import Api

    api = Api(client).login("intake")
    detail = api.get(f"/api/v1/tasks/{task.id}").get_json()
    assert detail["data"]["kronologi"] == STORY
    # No route can read a complaint back by its receipt.
    assert not [r for r in app.url_map.iter_rules() if r.endpoint.startswith("public.") and r.arguments]


def test_csrf_is_required(app, client, enabled):
    resp = _post(client, REPORT, token=False)
    assert resp.status_code == 400
    assert _count(app, PublicComplaint) == 0


def test_the_honeypot_stores_nothing_and_looks_like_success(app, client, enabled, frozen):
    cases_before = _count(app, Case)
    resp = _post(client, {**REPORT, "website": "http://spam.example"})
    assert resp.status_code == 200 and "PGD-" in resp.get_data(as_text=True)
    assert _count(app, PublicComplaint) == 0 and _count(app, Case) == cases_before


def test_invalid_answers_come_back_with_errors_and_start_nothing(app, client, enabled, frozen):
    resp = _post(client, {"f.nama_korban": "X (fiktif)", "f.usia_korban": "sembilan"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'value="X (fiktif)"' in html  # what was typed stays in the form
    assert _count(app, PublicComplaint) == 0


def test_throttled_per_address_and_the_window_passes(app, client, enabled, frozen):
    assert _post(client, REPORT).status_code == 200
    assert _post(client, {"f.usia_korban": "sembilan"}).status_code == 422  # invalid attempts count too
    frozen.advance(minutes=30)
    assert _post(client, REPORT).status_code == 200
    refused = _post(client, REPORT)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert _count(app, PublicComplaint) == 2
    # Another address is not affected.
    assert _post(client, REPORT, ip="198.51.100.9").status_code == 200
    frozen.advance(minutes=31)  # the first two attempts leave the window, the third is still in it
    assert _post(client, REPORT).status_code == 200
    assert _post(client, REPORT).status_code == 200
    assert _post(client, REPORT).status_code == 429
    assert _count(app, PublicComplaint) == 5
    # The counter keeps no address in clear.
    from server.db import unit_of_work
    from server.public.models import RateLimitHit

    with app.app_context(), unit_of_work() as session:
        keys = [k for k in session.execute(select(RateLimitHit.key)).scalars()]
    assert keys and not any("203.0.113.7" in k or "198.51.100.9" in k for k in keys)
    # Three hits of this address and one of the other are in the window; the two older ones were deleted.
    assert len(keys) == 4 and len(set(keys)) == 2


def test_everyone_together_is_throttled_too(app, client, enabled, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_INTAKE_MAX_TOTAL_PER_HOUR", 2)
    assert _post(client, REPORT, ip="192.0.2.1").status_code == 200
    assert _post(client, REPORT, ip="192.0.2.2").status_code == 200
    assert _post(client, REPORT, ip="192.0.2.3").status_code == 429
