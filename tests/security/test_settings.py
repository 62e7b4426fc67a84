"""Settings live in server/config.py and ``SINERGI_<NAME>`` environment variables override them, including the
ones the auth, attachments and proxy code read (idle timeout, per-address login limit, file store and cap,
trusted proxies)."""

from __future__ import annotations

import hashlib
import io

from server import config
from tests.conftest import make_app
from tests.security.helpers import seed_case, signed_in

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
MOVED = ("SESSION_IDLE_MINUTES", "LOGIN_MAX_FAILURES_PER_IP", "ATTACHMENT_DIR", "ATTACHMENT_MAX_BYTES",
         "TRUSTED_PROXIES")


def test_every_setting_has_its_default_in_config():
    assert set(MOVED) <= set(config.DEFAULTS)
    assert config.DEFAULTS["SESSION_IDLE_MINUTES"] == 60 and config.DEFAULTS["TRUSTED_PROXIES"] == 0


def test_environment_overrides_reach_the_behaviour(app, session, database_url, frozen, tmp_path, monkeypatch):
    files = tmp_path / "files"
    for name, value in (("SESSION_IDLE_MINUTES", "5"), ("LOGIN_MAX_FAILURES_PER_IP", "2"),
                        ("ATTACHMENT_DIR", str(files)), ("ATTACHMENT_MAX_BYTES", "1000"),
                        ("TRUSTED_PROXIES", "1")):
        monkeypatch.setenv(f"SINERGI_{name}", value)
    configured = make_app(database_url)
    assert configured.config["SESSION_IDLE_MINUTES"] == 5 and configured.config["ATTACHMENT_DIR"] == str(files)

    # Idle for 6 minutes: past the 5 set in the environment (the default is 60).
    client, headers = signed_in(configured, "pendamping", now=frozen.now)
    assert client.get("/inbox").status_code == 200
    frozen.advance(minutes=6)
    assert client.get("/inbox").status_code == 401

    # The proxy's X-Forwarded-For is believed, and two failures from that address are the limit.
    def token(address, password):
        return configured.test_client().post("/api/v1/auth/token", json={"username": "kepala", "password": password},
                                             headers={"X-Forwarded-For": address})

    assert token("203.0.113.50", "tebakan").status_code == 401
    assert token("203.0.113.50", "tebakan").status_code == 401
    assert token("203.0.113.50", "sinergi-demo").status_code == 429
    assert token("203.0.113.51", "sinergi-demo").status_code == 201

    # Uploads are capped at 1000 bytes and stored under the configured folder.
    case = seed_case(configured, now=frozen.now)
    client, headers = signed_in(configured, "pendamping", now=frozen.now)

    def upload(data):
        return client.post(f"/api/v1/cases/{case.case_id}/attachments", headers=headers,
                           data={"file": (io.BytesIO(data), "surat.pdf"), "kind": "lainnya"},
                           content_type="multipart/form-data")

    assert upload(PDF + b"0" * 1000).status_code == 413
    assert upload(PDF).status_code == 201
    digest = hashlib.sha256(PDF).hexdigest()
    assert (files / digest[:2] / digest[2:4] / digest).read_bytes() == PDF
