"""The audit log: who, when, what and from where for logins, case reads, task completions and definition
changes; the hash chain finds an edited entry and a cut-off tail, through the service and the command."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from server.audit import service as audit
from server.audit.models import AuditEvent
from server.extensions import db
from tests.conftest import T0, _fresh_database, make_app, prepare

CLIENT_IP = "10.20.30.40"


def _events(app: Any, **where: Any) -> list[AuditEvent]:
    with app.app_context():
        stmt = select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
        return list(db.session.execute(stmt).scalars())


def _from(client: Any) -> Any:
    client.environ_base["REMOTE_ADDR"] = CLIENT_IP
    return client


def test_logins_failed_and_successful_are_audited_with_who_when_where(app, web, frozen):
    _from(web.client)
    assert web.login("pendamping", "salah-sandi").status_code == 401
    assert web.login("nobody-such", "x").status_code == 401
    assert web.login("pendamping").status_code == 302
    failed = _events(app, action="login.failed")
    assert [(e.actor_name, e.ip, e.at, e.details["reason"]) for e in failed[-2:]] == [
        ("pendamping", CLIENT_IP, T0, "bad_password"), ("nobody-such", CLIENT_IP, T0, "unknown_user")]
    assert failed[-2].actor_id is not None and failed[-1].actor_id is None
    ok = _events(app, action="login")[-1]
    assert (ok.actor_name, ok.ip, ok.at) == ("pendamping", CLIENT_IP, T0)
    # The API's token exchange is a login too.
    resp = _from(web.client).post("/api/v1/auth/token", json={"username": "kepala", "password": "nope"})
    assert resp.status_code == 401
    assert _events(app, action="login.failed")[-1].actor_name == "kepala"


def test_case_read_task_completion_and_definition_changes_are_audited(app, api, client, frozen, session):
    _from(client)
    a = api("pendamping")
    case = a.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    frozen.advance(minutes=5)
    assert a.get(f"/api/v1/cases/{case['id']}").status_code == 200
    read = _events(app, action="case.read", case_id=case["id"])[-1]
    assert (read.actor_name, read.ip, read.at, read.object_id) == ("pendamping", CLIENT_IP, frozen.now,
                                                                  str(case["id"]))
    task_id = case["tasks"][0]["id"]
    done = a.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"topik": "hak_anak", "ringkasan": "Cukup"}})
    assert done.status_code == 200
    completed = _events(app, action="task.completed", object_id=str(task_id))[-1]
    assert (completed.actor_name, completed.ip, completed.case_id) == ("pendamping", CLIENT_IP, case["id"])
    assert completed.details["fields"] == ["ringkasan", "topik"]  # names of what changed, not the values

    admin = api("admin")
    from tests.security.test_input_parsing import BPMN

    changed = BPMN.replace("Kepala UPTD meninjau catatan", "Kepala UPTD memeriksa catatan")
    created = admin.post("/api/v1/admin/workflows/konsultasi/versions?comment=uji", data=changed.encode(),
                         content_type="application/xml")
    assert created.status_code == 201, created.get_json()
    number = created.get_json()["number"]
    assert admin.post(f"/api/v1/admin/workflows/konsultasi/versions/{number}/activate").status_code == 200
    form = admin.get("/api/v1/forms/persetujuan").get_json()["schema"]
    form["properties"]["catatan"]["maxLength"] = 3000
    form.pop("examples", None)
    assert admin.post("/api/v1/admin/forms/persetujuan/versions", json={"schema": form}).status_code == 201
    for action, object_id in (("workflow.version_created", "konsultasi"), ("workflow.activated", "konsultasi"),
                              ("form.version_created", "persetujuan")):
        event = _events(app, action=action, object_id=object_id)[-1]
        assert (event.actor_name, event.ip, event.at) == ("admin", CLIENT_IP, frozen.now), action
    with app.app_context():
        assert audit.verify(db.session).ok


def _tamper_and_verify(app: Any) -> tuple[int, audit.VerifyResult]:
    with app.app_context():
        target = db.session.execute(
            select(AuditEvent.id).where(AuditEvent.action == "case.read").order_by(AuditEvent.id.desc())
        ).scalars().first()
        db.session.execute(text("UPDATE audit_event SET actor_name = 'someone-else' WHERE id = :i"), {"i": target})
        return target, audit.verify(db.session)


def test_an_edited_entry_and_a_cut_tail_are_found(app, api, session):
    a = api("pendamping")
    case = a.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    for _ in range(3):
        a.get(f"/api/v1/cases/{case['id']}")
    target, result = _tamper_and_verify(app)
    assert not result.ok
    assert result.first_broken_id == target
    assert "case.read" in result.reason
    with app.app_context():
        db.session.execute(text("UPDATE audit_event SET actor_name = 'pendamping' WHERE id = :i"), {"i": target})
        assert audit.verify(db.session).ok
        last = db.session.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalars().first()
        db.session.execute(text("DELETE FROM audit_event WHERE id > :i"), {"i": last - 2})
        result = audit.verify(db.session)
    assert not result.ok
    assert f"after entry {last - 2}" in result.reason and str(last) in result.reason


# --- the command, against a database of its own (it opens its own connection, so changes are committed)


@pytest.fixture(scope="module")
def committed_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    gen = _fresh_database(tmp_path_factory, "audit")
    url = next(gen)
    application = make_app(url)
    prepare(application)
    client = application.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "pendamping", "password": "sinergi-demo"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    case = client.post("/api/v1/cases", json={"workflow": "konsultasi"}, headers=headers).get_json()
    for _ in range(3):
        client.get(f"/api/v1/cases/{case['id']}", headers=headers)
    yield application, url
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    next(gen, None)


def _verify_command(url: str) -> Any:
    from server.cli import main

    return CliRunner().invoke(main, ["audit", "verify"], env={
        "SINERGI_DATABASE_URL": url, "SINERGI_SECRET_KEY": "test-secret", "SINERGI_EMBEDDED_WORKER": "false"})


def test_audit_verify_command_names_the_tampered_entry(committed_app):
    application, url = committed_app
    ok = _verify_command(url)
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            target, original = conn.execute(text(
                "SELECT id, details FROM audit_event WHERE action = 'case.read' ORDER BY id DESC LIMIT 1")).one()
            conn.execute(text("UPDATE audit_event SET at = at WHERE id = :i"), {"i": target})  # no-op stays valid
        assert _verify_command(url).exit_code == 0
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_event SET ip = '6.6.6.6' WHERE id = :i"), {"i": target})
        broken = _verify_command(url)
        assert broken.exit_code == 1
        assert f"entry {target}" in broken.output and "case.read" in broken.output
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_event SET ip = '127.0.0.1' WHERE id = :i"), {"i": target})
        assert _verify_command(url).exit_code == 0

        with engine.begin() as conn:
            last = conn.execute(text("SELECT max(id) FROM audit_event")).scalar_one()
            conn.execute(text("DELETE FROM audit_event WHERE id >= :i"), {"i": last - 1})
        cut = _verify_command(url)
        assert cut.exit_code == 1
        assert "removed" in cut.output and str(last) in cut.output
    finally:
        engine.dispose()
