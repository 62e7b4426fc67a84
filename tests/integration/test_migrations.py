"""Alembic migrations build exactly the schema the models declare (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.db import Base
from server.extensions import db


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], diff


def test_init_is_idempotent(app):
    from sqlalchemy import func, select

    from server.cli import init_database
    from server.workflows.models import WorkflowVersion

    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(WorkflowVersion)).scalar_one()
    init_database(app, demo=False)
    with app.app_context():
        after = db.session.execute(select(func.count()).select_from(WorkflowVersion)).scalar_one()
        db.session.remove()
    assert before == after
