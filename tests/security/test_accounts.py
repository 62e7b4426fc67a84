"""Accounts and sessions: lockout and unlock on the injected clock, cookie flags, idle and absolute session
expiry, logout that also kills copies of the cookie, API tokens that are hashed, expire and are revocable."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from server.extensions import db
from tests.conftest import make_app
from tests.security.helpers import signed_in


def _token(client, username, password="sinergi-demo"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_lockout_after_repeated_failures_and_unlock_after_the_period(app, client, frozen):
    limit, minutes = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_LOCKOUT_MINUTES"]
    for _ in range(limit):
        assert _token(client, "profesional", "tebakan").get_json()["code"] == "bad_credentials"
    locked = _token(client, "profesional")  # the right password no longer helps
    assert locked.status_code == 401
    assert locked.get_json()["code"] == "locked"
    frozen.advance(minutes=minutes - 1)
    assert _token(client, "profesional").get_json()["code"] == "locked"
    frozen.advance(minutes=1, seconds=1)
    assert _token(client, "profesional").status_code == 201
    # A success resets the count: the next failures start again from zero.
    assert _token(client, "profesional", "tebakan").get_json()["code"] == "bad_credentials"
    assert _token(client, "profesional").status_code == 201


def test_session_cookie_flags(database_url, session):
    secure = make_app(database_url, SECURE_COOKIES=True)
    client = secure.test_client()
    from tests.conftest import Web

    resp = Web(client).login("pendamping")
    assert resp.status_code == 302
    cookie = next(v for k, v in resp.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= flags
    assert "SameSite=Lax" in cookie


def _inbox(client):
    return client.get("/inbox").status_code


def test_web_session_expires_when_idle_and_after_its_lifetime(app, frozen, session):
    idle, lifetime = app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_LIFETIME_MINUTES"]
    client, _ = signed_in(app, "pendamping", now=frozen.now)
    assert _inbox(client) == 200
    frozen.advance(minutes=idle - 1)
    assert _inbox(client) == 200  # activity moves the idle deadline
    frozen.advance(minutes=idle + 1)
    assert _inbox(client) == 401
    assert "login" in client.get("/login").get_data(as_text=True).lower()

    client, _ = signed_in(app, "pendamping", now=frozen.now)
    start = frozen.now
    while frozen.now - start < timedelta(minutes=lifetime - idle):
        frozen.advance(minutes=idle - 5)
        assert _inbox(client) == 200
    frozen.advance(minutes=idle - 1)  # active all along, but past the absolute lifetime
    assert frozen.now - start > timedelta(minutes=lifetime)
    assert _inbox(client) == 401


def test_logout_ends_copies_of_the_session_cookie(app, web, client):
    assert web.login("pendamping").status_code == 302
    stolen = app.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    assert _inbox(stolen) == 200
    from tests.conftest import csrf_from

    page = client.get("/inbox").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert _inbox(stolen) == 401
    assert _inbox(client) == 401


def test_api_tokens_are_hashed_expire_and_can_be_revoked(app, client, frozen):
    from server.auth.models import ApiToken

    first = _token(client, "kepala").get_json()
    second = _token(client, "kepala").get_json()
    with app.app_context():
        stored = set(db.session.execute(select(ApiToken.token_hash)).scalars())
    assert first["token"] not in stored
    assert hashlib.sha256(first["token"].encode()).hexdigest() in stored

    def me(token):
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code

    assert me(first["token"]) == me(second["token"]) == 200
    frozen.advance(hours=app.config["API_TOKEN_HOURS"], seconds=1)
    assert me(first["token"]) == 401  # expired
    third = _token(client, "kepala").get_json()["token"]
    fourth = _token(client, "kepala").get_json()["token"]
    resp = client.post("/api/v1/auth/revoke-all", headers={"Authorization": f"Bearer {third}"})
    assert resp.status_code == 200 and resp.get_json()["revoked"] == 2
    assert me(third) == me(fourth) == 401


def test_revoke_all_also_ends_web_sessions(app, session):
    client, headers = signed_in(app, "kepala")
    assert _inbox(client) == 200
    assert client.post("/api/v1/auth/revoke-all", headers=headers).status_code == 200
    assert _inbox(client) == 401


def test_many_failures_from_one_address_are_throttled(app, client, frozen):
    from server.audit import service as audit
    from server.db import unit_of_work

    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    with app.app_context(), unit_of_work() as s:  # a password spray: one guess on each of many accounts
        for i in range(limit):
            audit.record(s, action="login.failed", now=frozen.now, ip="198.51.100.7", actor_name=f"user{i}")
    sprayer = app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    resp = _token(sprayer, "kepala")  # even the right password is not checked
    assert resp.status_code == 429
    assert resp.get_json()["code"] == "too_many_attempts"
    from tests.conftest import Web

    assert Web(sprayer).login("kepala").status_code == 429
    assert _token(client, "kepala").status_code == 201  # other addresses are not affected
    frozen.advance(minutes=app.config["LOGIN_LOCKOUT_MINUTES"], seconds=1)
    assert _token(sprayer, "kepala").status_code == 201


def test_an_admin_password_reset_ends_the_users_sessions_and_tokens(app, session):
    from server.audit.models import AuditEvent
    from server.auth.models import User
    from tests.conftest import Web, csrf_from

    worker = app.test_client()
    assert Web(worker).login("profesional").status_code == 302
    bearer = {"Authorization": f"Bearer {_token(worker, 'profesional').get_json()['token']}"}
    assert _inbox(worker) == 200 and worker.get("/api/v1/me", headers=bearer).status_code == 200
    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.username == "profesional")).scalar_one()

    admin, _ = signed_in(app, "admin")
    page = admin.get(f"/admin/users/{user_id}/").get_data(as_text=True)
    resp = admin.post(f"/admin/users/{user_id}/password",
                      data={"password": "rahasia-panjang-2", "csrf_token": csrf_from(page)})
    assert resp.status_code == 200

    gone = worker.get("/inbox")
    assert gone.status_code == 401
    assert 'action="/login?next=/inbox"' in gone.get_data(as_text=True)  # the login form, not the inbox
    assert worker.get("/api/v1/me", headers=bearer).status_code == 401
    assert admin.get("/admin/users/").status_code == 200  # the admin's own session is untouched
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action.in_(
            ("admin.password_reset", "sessions.ended")))).scalars().all()
    reset = [e for e in events if e.action == "admin.password_reset" and e.object_id == str(user_id)]
    assert reset and reset[-1].actor_name == "admin"
    ended = [e for e in events if e.action == "sessions.ended" and e.actor_id == user_id]
    assert ended and ended[-1].details == {"reason": "password_reset"}
    assert Web(app.test_client()).login("profesional", "rahasia-panjang-2").status_code == 302
