"""Fixtures for the referral tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from server.extensions import db


@pytest.fixture
def session(app: Any) -> Iterator[Any]:
    """The root ``session`` fixture, made to really roll back.

    Flask-SQLAlchemy's ``Session.get_bind`` picks the app's engine for every mapped table and ignores a
    ``bind`` given to the session, so with the root fixture each unit of work commits for real and the
    next test sees it. Here the app's engine is swapped for one connection whose transaction is rolled
    back at the end; units of work become savepoints inside it. On SQLite an explicit BEGIN is needed
    too: pysqlite sends none before a SAVEPOINT, and releasing a savepoint opened outside a transaction
    commits it.
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
