"""Every setting once, with its default. Environment variables prefixed ``SINERGI_`` override them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Defaults. ``SINERGI_<NAME>`` in the environment overrides ``<NAME>`` (JSON-decoded where it parses).
DEFAULTS: dict[str, object] = {
    # Database; None means a SQLite file in the instance folder.
    "DATABASE_URL": None,
    # Office settings.
    "OFFICE_TIMEZONE": "Asia/Jakarta",
    "OFFICE_NAME": "UPTD PPA Kota Payakumbuh",
    "OFFICE_CODE": "PYK",
    "OFFICE_HOURS_START": 8,
    "OFFICE_HOURS_END": 16,
    # Languages.
    "DEFAULT_LOCALE": "id",
    "LOCALES": ["id", "en"],
    # Worker: run the timer/SLA/outbox loop inside the web process (the embedded SQLite default).
    "EMBEDDED_WORKER": None,  # None = on for SQLite, off otherwise
    "WORKER_POLL_SECONDS": 2.0,
    # Security.
    # A web session ends after this long without a request, and at the latest after SESSION_LIFETIME_MINUTES.
    "SESSION_IDLE_MINUTES": 60,
    "SESSION_LIFETIME_MINUTES": 480,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    # Failed logins from one client address within the lockout window before that address is refused
    # (web form and API token alike), whatever usernames it tries; 0 = no per-address limit.
    "LOGIN_MAX_FAILURES_PER_IP": 30,
    "API_TOKEN_HOURS": 12,
    "SECURE_COOKIES": False,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_JSON_BYTES": 1024 * 1024,
    "MAX_BPMN_BYTES": 2 * 1024 * 1024,
    "MAX_BPMN_ELEMENTS": 20000,
    "SANDBOX_TIME_LIMIT_SECONDS": 1.0,
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are believed. 0 = none: leave
    # it at 0 without a proxy, or clients can forge the address the audit log records.
    "TRUSTED_PROXIES": 0,
    # Attachments: None = <instance folder>/attachments (outside the static folder); the largest upload.
    "ATTACHMENT_DIR": None,
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    # Public complaint page.
    "PUBLIC_INTAKE_ENABLED": False,
    # Mail: None host means write mail to the log.
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_FROM": "sinergi@localhost",
    "BASE_URL": "http://127.0.0.1:5000",
    # Where shipped content lives.
    "CONTENT_DIR": str(Path(__file__).resolve().parent.parent),
}


def load_secret_key(instance_path: str) -> str:
    """Return the secret key kept in the instance folder, creating it on first run."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def database_url(config: dict[str, object], instance_path: str) -> str:
    """The database URL, defaulting to ``instance/sinergi.db``; postgres:// URLs use psycopg 3."""
    url = config.get("DATABASE_URL")
    if not url:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(instance_path) / 'sinergi.db'}"
    url = str(url)
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
