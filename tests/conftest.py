"""Shared fixtures: a real database (SQLite file, or a fresh PostgreSQL database when
SINERGI_TEST_DATABASE_URL is set), the app, rolled-back sessions per test, and HTTP helpers."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from server import clock, create_app
from server.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("SINERGI_TEST_DATABASE_URL")
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """CI runs the suite twice (SQLite, then PostgreSQL); tests that never touch the database run once."""
    if not PG_URL:
        return
    skip = pytest.mark.skip(reason="database-independent: already ran in the SQLite pass")
    for item in items:
        if item.get_closest_marker("db_independent"):
            item.add_marker(skip)


def pytest_report_header(config: Any) -> str:
    return f"sinergi database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (set SINERGI_TEST_DATABASE_URL for PostgreSQL)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of our own: a temporary SQLite file, or a uniquely named PostgreSQL database."""
    yield from _fresh_database(tmp_path_factory, "main")


def _fresh_database(tmp_path_factory: pytest.TempPathFactory, tag: str) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db-' + tag) / 'sinergi.db'}"
        return
    base = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
                    if PG_URL.startswith("postgresql://") else PG_URL)
    name = f"sinergi_test_{tag}_{uuid.uuid4().hex[:10]}"
    # A fresh connection each time: the outage test restarts the PostgreSQL cluster mid-session,
    # which would leave a pooled admin connection dead for the teardown.
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def make_app(url: str, **extra: Any) -> Any:
    config = {"TESTING": True, "DATABASE_URL": url, "EMBEDDED_WORKER": False, "SECRET_KEY": "test-secret",
              "LOGIN_MAX_FAILURES": 5, **extra}
    return create_app(config)


def prepare(app: Any) -> None:
    """Migrate, load shipped content and demo users (not sample cases)."""
    from server.cli import init_database

    init_database(app, demo=False)
    from server import demo
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        demo.create_users(session, now=T0, unit_code=app.config["OFFICE_CODE"])


@pytest.fixture(scope="session")
def app(database_url: str) -> Any:
    application = make_app(database_url)
    prepare(application)
    return application


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.set_clock(None)


@pytest.fixture
def frozen() -> Any:
    """A controllable clock: ``frozen.now`` is returned by clock.utcnow(); ``frozen.advance(**delta)``."""

    class Frozen:
        def __init__(self) -> None:
            self.now = T0

        def advance(self, **delta: float) -> datetime:
            from datetime import timedelta

            self.now = self.now + timedelta(**delta)
            return self.now

    f = Frozen()
    clock.set_clock(lambda: f.now)
    return f


@pytest.fixture
def session(app: Any) -> Iterator[Any]:
    """Everything a test does runs in one outer transaction that is rolled back afterwards,
    including the commits made by the code under test (they become savepoints).

    Flask-SQLAlchemy's ``Session.get_bind`` picks the app's engine for every mapped table and ignores a
    ``bind`` given to the session, so the app's engine is swapped for one connection whose transaction
    is rolled back at the end. On SQLite an explicit BEGIN is needed too: pysqlite sends none before a
    SAVEPOINT, and releasing a savepoint opened outside a transaction would commit it.

    No app context stays pushed: each request pushes its own, as in production (a shared one would
    leak ``g`` between requests). Tests that call services directly use ``with app.app_context():``.
    """
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
    outer = connection.begin()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
    engines[None] = connection
    original = db.session
    db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint", "expire_on_commit": False})
    try:
        yield db.session
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        engines[None] = engine
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Any, session: Any) -> Any:
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


class Web:
    """Browser-like helper: log in through the form, post forms with their CSRF token."""

    def __init__(self, client: Any):
        self.client = client

    def login(self, username: str, password: str = "sinergi-demo") -> Any:
        page = self.client.get("/login")
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": csrf_from(page.get_data(as_text=True))})

    def post_form(self, page_url: str, action: str, data: dict[str, Any]) -> Any:
        page = self.client.get(page_url)
        token = csrf_from(page.get_data(as_text=True))
        return self.client.post(action, data={**data, "csrf_token": token})


@pytest.fixture
def web(client: Any) -> Web:
    return Web(client)


class Api:
    def __init__(self, client: Any):
        self.client = client
        self.headers: dict[str, str] = {}

    def login(self, username: str, password: str = "sinergi-demo") -> Api:
        resp = self.client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert resp.status_code == 201, resp.get_json()
        self.headers = {"Authorization": f"Bearer {resp.get_json()['token']}"}
        return self

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kw)


@pytest.fixture
def api(client: Any) -> Any:
    def make(username: str | None = None) -> Api:
        a = Api(client)
        return a.login(username) if username else a

    return make
