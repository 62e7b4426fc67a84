"""Helpers of the reliability tests: the real server (``sinergi serve --workers 3``, gunicorn) on a PostgreSQL database of
their own, driven over HTTP on 127.0.0.1 by many client threads.

PostgreSQL only (several processes need a database that several processes can share). Each test is
bounded (seconds to ~60 s); ``SINERGI_LONG_TESTS=1`` runs the longer variants.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from bench.harness import CATAT, PAYLOADS, Database, Http, run_cli

PG_URL = os.environ.get("SINERGI_TEST_DATABASE_URL")
LONG = os.environ.get("SINERGI_LONG_TESTS") == "1"
HERE = Path(__file__).resolve().parent
ACTOR = {"catat_konsultasi": "pendamping", "tinjau_konsultasi": "kepala"}

requires_pg = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="needs SINERGI_TEST_DATABASE_URL (PostgreSQL): the reliability tests "
                                          "run several server processes on one shared database"),
]


# --------------------------------------------------------------------------------------------------
# Clients


def start_case(port: int, tok: str, workflow: str = "konsultasi") -> dict[str, Any]:
    status, body = Http(port).request("POST", "/api/v1/cases", {"workflow": workflow}, tok)
    assert status == 201, (status, body)
    return body


@dataclass
class Outcome:
    task_id: int
    bpmn_id: str
    status: int | str  # HTTP status, or the exception name when no answer came back


@dataclass
class Recorder:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def statuses(self) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        return counts

    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 200]


def work_case(port: int, tokens: dict[str, str], first_task: dict[str, Any], rec: Recorder,
              stop: threading.Event, on_error: Callable[[BaseException], bool] | None = None) -> None:
    """Complete the konsultasi loop of one case until ``stop`` is set, recording every answer."""
    http = Http(port, timeout=30)
    task = (first_task["id"], first_task["bpmn_id"])
    while not stop.is_set():
        task_id, bpmn_id = task
        try:
            status, body = http.request("POST", f"/api/v1/tasks/{task_id}/complete", {"data": PAYLOADS[bpmn_id]},
                                        tokens[ACTOR[bpmn_id]])
        except (OSError, HTTPException) as exc:  # refused, reset, or cut off mid-answer (kill -9)
            rec.add(Outcome(task_id, bpmn_id, type(exc).__name__))
            if on_error is None or not on_error(exc):
                return
            continue
        rec.add(Outcome(task_id, bpmn_id, status))
        if status == 200:
            nxt = body["next_tasks"][0]
            task = (nxt["id"], nxt["bpmn_id"])
        elif status != 503:
            return  # 4xx: stop this client; the test looks at the record


def open_task(port: int, tok: str, case_id: int) -> dict[str, Any] | None:
    status, body = Http(port).request("GET", f"/api/v1/cases/{case_id}", token=tok)
    assert status == 200, (status, body)
    for t in body["tasks"]:
        if t["status"] == "open":
            return t
    return None


# --------------------------------------------------------------------------------------------------
# Checks on the stored data


def consistency_problems(app: Any, case_ids: list[int] | None = None, *, strict: bool = True) -> list[str]:
    """Every case: the open task rows are exactly the engine's READY human tasks; every completed task has
    its submission, its audit entry and a COMPLETED engine task; no submission without a completed task.
    ``strict=False`` tolerates completed task rows whose engine task is gone (finished subprocesses)."""
    from sqlalchemy import func, select

    from server.audit.models import AuditEvent
    from server.cases import service as cases_service
    from server.cases.models import Case, Submission
    from server.extensions import db
    from server.tasks.models import Task
    from server.workflows import engine

    problems: list[str] = []
    with app.app_context():
        session = db.session
        try:
            stmt = select(Case).order_by(Case.id)
            if case_ids is not None:
                stmt = stmt.where(Case.id.in_(case_ids))
            for case in session.execute(stmt).scalars():
                instance = cases_service.load_instance(case)
                ready = {t.id for t in instance.ready_human_tasks()}
                rows = list(session.execute(select(Task).where(Task.case_id == case.id)).scalars())
                open_rows = {t.engine_task_id for t in rows if t.status == "open"}
                if ready != open_rows:
                    problems.append(f"case {case.id}: engine READY {sorted(ready)} != open task rows "
                                    f"{sorted(open_rows)}")
                subs: dict[int, int] = dict(session.execute(
                    select(Submission.task_id, func.count()).where(Submission.case_id == case.id)
                    .group_by(Submission.task_id)).all())
                audits: dict[str, int] = dict(session.execute(
                    select(AuditEvent.object_id, func.count()).where(AuditEvent.case_id == case.id,
                                                                     AuditEvent.action == "task.completed")
                    .group_by(AuditEvent.object_id)).all())
                completed = [t for t in rows if t.status == "completed"]
                for t in completed:
                    if subs.get(t.id) != 1:
                        problems.append(f"case {case.id} task {t.id}: {subs.get(t.id, 0)} submissions")
                    if audits.get(str(t.id)) != 1:
                        problems.append(f"case {case.id} task {t.id}: {audits.get(str(t.id), 0)} audit entries")
                    try:  # looks in subprocesses too
                        engine_task = instance.workflow.get_task_from_id(UUID(t.engine_task_id))
                    except Exception:  # noqa: BLE001 - not found
                        engine_task = None
                    if engine_task is None:
                        if strict:  # a finished subprocess may be dropped by the library with its tasks
                            problems.append(f"case {case.id} task {t.id}: engine task not found")
                    elif engine_task.state != engine.TaskState.COMPLETED:
                        problems.append(f"case {case.id} task {t.id} ({t.bpmn_id}): engine task is "
                                        f"{engine.TaskState.get_name(engine_task.state)}, not COMPLETED")
                done_ids = {t.id for t in completed}
                for task_id in subs:
                    if task_id not in done_ids:
                        problems.append(f"case {case.id}: submission for task {task_id} that is not completed")
        finally:
            session.remove()
    return problems


def acknowledged_missing(app: Any, accepted: list[Outcome]) -> list[str]:
    """Each completion answered 200 is stored: task completed, one submission, one audit entry."""
    from sqlalchemy import func, select

    from server.audit.models import AuditEvent
    from server.cases.models import Submission
    from server.extensions import db
    from server.tasks.models import Task

    missing = []
    with app.app_context():
        session = db.session
        try:
            for o in accepted:
                task = session.get(Task, o.task_id)
                n_sub = session.execute(select(func.count()).select_from(Submission)
                                        .where(Submission.task_id == o.task_id)).scalar_one()
                n_aud = session.execute(select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.action == "task.completed", AuditEvent.object_id == str(o.task_id))).scalar_one()
                if task is None or task.status != "completed" or n_sub != 1 or n_aud != 1:
                    missing.append(f"task {o.task_id}: status {getattr(task, 'status', None)}, {n_sub} submissions, "
                                   f"{n_aud} audit entries")
        finally:
            session.remove()
    return missing


def audit_verify(db: Database) -> None:
    """``sinergi audit verify`` in a process of its own."""
    result = run_cli(db.url, "audit", "verify", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "intact" in result.stdout


def audit_intact(app: Any) -> None:
    """The same check in-process (cheaper than a new Python process)."""
    from server.audit import service as audit_service
    from server.extensions import db

    with app.app_context():
        try:
            result = audit_service.verify(db.session)
        finally:
            db.session.remove()
    assert result.ok, result


__all__ = ["CATAT", "LONG", "HERE", "requires_pg", "start_case", "work_case", "open_task", "Recorder", "Outcome",
           "consistency_problems", "acknowledged_missing", "audit_verify"]
