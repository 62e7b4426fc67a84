"""Fixtures for the security tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def attachment_dir(request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Attachments go to a per-test folder, never the instance folder of the checkout (tests without the
    app, such as the sandbox probes, do not start it for this)."""
    root = tmp_path / "attachments"
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(root))
    yield root


@pytest.fixture
def session(app: Any) -> Iterator[Any]:
    """Like the suite's ``session`` fixture (one outer transaction per test, rolled back afterwards), but
    really bound to that transaction: Flask-SQLAlchemy's Session.get_bind ignores a session-level ``bind``
    and hands out the app's engine, so without this override every commit in a test is a real commit."""
    from flask_sqlalchemy.session import Session as FlaskSession

    from server.extensions import db

    class BoundSession(FlaskSession):
        def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
            if bind is None and self.bind is not None:
                return self.bind
            return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    with app.app_context():
        connection = db.engine.connect()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # pysqlite starts transactions lazily and would let RELEASE SAVEPOINT commit: take control of BEGIN.
        connection.connection.driver_connection.isolation_level = None
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    original = db.session
    db.session = db._make_scoped_session({"class_": BoundSession, "bind": connection,
                                          "join_transaction_mode": "create_savepoint", "expire_on_commit": False})
    try:
        yield db.session
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        outer.rollback()
        if sqlite:
            connection.connection.driver_connection.isolation_level = ""
        connection.close()
