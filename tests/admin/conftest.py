"""Fixtures of the admin tests: one fresh, committed database shared by the tests that need real processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import _fresh_database, make_app, prepare


@pytest.fixture(scope="package")
def committed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app on a database of its own where commits stay (a real server, a second process). Tests using it
    work on their own workflow keys or on konsultasi, which only the browser test changes."""
    databases = _fresh_database(tmp_path_factory, "admin")
    url = next(databases)
    application = make_app(url)
    prepare(application)
    try:
        yield application
    finally:
        from server.extensions import db

        with application.app_context():
            db.engine.dispose()
        databases.close()


@pytest.fixture(scope="package")
def two_apps(committed_app: Any) -> Iterator[tuple[Any, Any]]:
    """A second app instance on the same committed database: another web or worker process."""
    second = make_app(committed_app.config["DATABASE_URL"])
    yield committed_app, second
    from server.extensions import db

    with second.app_context():
        db.engine.dispose()


def bearer(client: Any, username: str) -> dict[str, str]:
    """An API token header for a demo user (password sinergi-demo)."""
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": "sinergi-demo"})
    assert resp.status_code == 201
    return {"Authorization": "Bearer " + resp.get_json()["token"]}
