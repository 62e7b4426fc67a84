"""The embedded worker: on SQLite the web process runs the timer/SLA loop in a thread of its own. A case whose
timer is already due moves on without any separate worker process, and the thread stops cleanly."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server import clock
from tests.conftest import make_app, prepare

KEY = "uji_worker_tertanam"
XML = (Path(__file__).resolve().parents[1] / "reliability" / "timer_wait.bpmn").read_text(encoding="utf-8") \
    .replace("rel_timer", KEY).encode("utf-8")

pytestmark = pytest.mark.db_independent  # its own SQLite file whatever the suite's database


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sinergi-worker" and t.is_alive()]


def _start_waiting_case(app: Any) -> int:
    """A case of a one-timer workflow started two hours ago: its one-hour timer is overdue now."""
    from server.auth.models import User
    from server.cases import service as cases_service
    from server.db import unit_of_work
    from server.workflows import service as workflows_service

    now = clock.utcnow()
    with app.app_context(), unit_of_work() as session:
        workflows_service.create_version(session, key=KEY, xml=XML, now=now, comment="test", activate=True)
        user = session.execute(select(User).where(User.username == "pendamping")).scalar_one()
        started = cases_service.start_case(session, workflow_key=KEY, user=user, now=now - timedelta(hours=2))
        return started.case.id


def _open_tasks(app: Any, case_id: int) -> list[str]:
    from server.extensions import db
    from server.tasks.models import Task

    with app.app_context():
        try:
            return list(db.session.execute(
                select(Task.bpmn_id).where(Task.case_id == case_id, Task.status == "open")).scalars())
        finally:
            db.session.remove()


def test_embedded_worker_fires_a_due_timer_and_stops_cleanly(tmp_path: Path) -> None:
    from server import worker
    from server.extensions import db

    assert _worker_threads() == []
    url = f"sqlite:///{tmp_path / 'sinergi.db'}"
    setup = make_app(url)  # like `sinergi init`: no worker in this one
    prepare(setup)
    case_id = _start_waiting_case(setup)
    assert _open_tasks(setup, case_id) == []  # waiting at the timer
    assert _worker_threads() == []

    web = make_app(url, EMBEDDED_WORKER=True, WORKER_POLL_SECONDS=0.2)
    second = None
    try:
        assert len(_worker_threads()) == 1
        second = make_app(url, EMBEDDED_WORKER=True)
        assert len(_worker_threads()) == 1  # one embedded worker per process
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _open_tasks(web, case_id):
            time.sleep(0.1)
        assert _open_tasks(web, case_id) == ["setelah_timer"]
    finally:
        assert worker.stop_embedded(timeout=10)
    assert _worker_threads() == []
    assert worker.stop_embedded() is True  # stopping again is harmless
    for application in (setup, web, second):
        with application.app_context():
            db.engine.dispose()
