"""Fixtures of the reliability tests: a PostgreSQL database of their own initialised with
``sinergi init --demo``, the real server on it (``sinergi serve --workers 3``), an in-process app to check
what was stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.harness import Database, Server, run_cli, sqlalchemy_url, token
from tests.reliability.helpers import PG_URL


@pytest.fixture(scope="package")
def pg_database() -> Iterator[Database]:
    """A fresh, uniquely named PostgreSQL database initialised with ``sinergi init --demo``."""
    assert PG_URL
    db = Database.create("postgresql", PG_URL, tag="rel")
    try:
        result = run_cli(db.url, "init", "--demo", timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr[-4000:]
        yield db
    finally:
        db.drop()


@pytest.fixture(scope="package")
def live(pg_database: Database) -> Iterator[Server]:
    """``sinergi serve --workers 3`` on a free port of 127.0.0.1, shared by the tests (the crash and outage
    tests kill or starve it and start it again); stopped at the end, its log checked for deadlocks."""
    server = Server(pg_database.url, workers=3, threads=8).start(timeout=180)
    try:
        yield server
    finally:
        server.stop()
        problems = [line for line in server.log_text().splitlines() if "deadlock detected" in line]
        assert not problems, f"deadlocks in the server log: {problems[:3]}"


@pytest.fixture(scope="package")
def checker(pg_database: Database) -> Iterator[Any]:
    """An in-process app on the same database, for checking what the server stored."""
    from tests.conftest import make_app

    app = make_app(sqlalchemy_url(pg_database.url))
    yield app
    from server.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="package")
def tokens(live: Server) -> dict[str, str]:
    return {u: token(live.port, u) for u in ("pendamping", "kepala", "admin")}


