"""Response hardening from the request guard: security headers, CSP nonce, no caching behind a login, HSTS over
HTTPS, trusted proxies, and out-of-range numbers answered as client errors instead of server errors."""

from __future__ import annotations

import re

from tests.conftest import make_app
from tests.security.helpers import signed_in


def test_security_headers_on_every_page(app, client):
    first, second = client.get("/login"), client.get("/login")
    for resp in (first, second):
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert re.search(r"script-src 'self' 'nonce-[\w-]{16,}'", csp)
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP: the browser would ignore it
    nonce = re.compile(r"'nonce-([^']+)'")
    assert nonce.search(first.headers["Content-Security-Policy"]).group(1) != \
        nonce.search(second.headers["Content-Security-Policy"]).group(1)
    assert client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"].startswith(
        "max-age=")


def test_pages_behind_a_login_are_not_cached(app, session):
    client, headers = signed_in(app, "pendamping")
    assert client.get("/inbox").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me", headers=headers).headers["Cache-Control"] == "no-store"


def test_out_of_range_numbers_are_client_errors(app, session):
    client, headers = signed_in(app, "pendamping")
    huge = str(10**30)
    assert client.get(f"/api/v1/cases/{huge}", headers=headers).status_code == 404
    assert client.get(f"/cases/{huge}").status_code == 404
    assert client.get(f"/api/v1/tasks/{huge}", headers=headers).status_code == 404
    resp = client.get(f"/api/v1/cases?page={huge}", headers=headers)
    assert resp.status_code == 400  # (a service bounding its paging would be fine too: then 200)
    assert resp.get_json()["code"] == "out_of_range"


def test_client_address_behind_a_trusted_proxy(database_url, session):
    from sqlalchemy import select

    from server.audit.models import AuditEvent
    from server.extensions import db

    proxied = make_app(database_url, TRUSTED_PROXIES=1)
    client = proxied.test_client()
    client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"},
                headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    with proxied.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "login.failed")
                                   .order_by(AuditEvent.id.desc())).scalars().first()
    assert event.ip == "203.0.113.9"
    # Without the setting the header is not believed.
    direct = make_app(database_url).test_client()
    direct.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"},
                headers={"X-Forwarded-For": "203.0.113.9"})
    with proxied.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "login.failed")
                                   .order_by(AuditEvent.id.desc())).scalars().first()
    assert event.ip == "127.0.0.1"
