"""The security tests depend on each test's writes staying inside its own transaction (a case leaked from one
test would be visible to the roles the next test expects to see nothing)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

CODE = "ISOLATION-PROBE"


def _count_elsewhere(database_url: str) -> int:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM unit WHERE code = :c"), {"c": CODE}).scalar_one())
    finally:
        engine.dispose()


def test_committed_writes_stay_inside_the_test(app, session, database_url):
    from server.auth import service as auth_service
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        auth_service.ensure_unit(s, CODE, "probe")
    with app.app_context():
        assert session.execute(text("SELECT count(*) FROM unit WHERE code = :c"), {"c": CODE}).scalar_one() == 1
    assert _count_elsewhere(database_url) == 0


def test_and_are_gone_afterwards(app, session, database_url):
    assert _count_elsewhere(database_url) == 0
