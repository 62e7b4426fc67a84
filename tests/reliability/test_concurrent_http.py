"""Many clients, several gunicorn processes, the same tasks: each task is completed exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from bench.harness import PAYLOADS, Http
from tests.reliability.helpers import (
    ACTOR,
    LONG,
    consistency_problems,
    requires_pg,
    start_case,
)

pytestmark = requires_pg

CLIENTS_PER_TASK = 8
CASES = 6
ROUNDS = 6 if LONG else 3


def _race(port: int, tokens: dict[str, str], tasks: list[dict[str, Any]], n: int) -> dict[int, list[tuple[int, Any]]]:
    """Fire ``n`` simultaneous completions at each task (all tasks at once); answers per task id."""
    answers: dict[int, list[tuple[int, Any]]] = {t["id"]: [] for t in tasks}
    lock = threading.Lock()
    barrier = threading.Barrier(n * len(tasks))
    conns = [Http(port, timeout=60) for _ in range(n * len(tasks))]
    for c in conns:  # connect before the barrier so the requests really are simultaneous
        c.request("GET", "/healthz")

    def one(conn: Http, task: dict[str, Any]) -> None:
        barrier.wait(timeout=60)
        status, body = conn.request("POST", f"/api/v1/tasks/{task['id']}/complete",
                                    {"data": PAYLOADS[task["bpmn_id"]]}, tokens[ACTOR[task["bpmn_id"]]])
        with lock:
            answers[task["id"]].append((status, body))

    threads = [threading.Thread(target=one, args=(conns[i * n + j], task))
               for i, task in enumerate(tasks) for j in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for c in conns:
        c.close()
    return answers


def test_every_task_completed_exactly_once_by_simultaneous_clients(live, tokens, checker, pg_database):
    """Issue 2 and 10: of N simultaneous completions of a task through the HTTP API of a multi-process
    server exactly one wins, every other one is answered 409, nothing is a 5xx or a deadlock."""
    cases = [start_case(live.port, tokens["pendamping"]) for _ in range(CASES)]
    tasks = [c["tasks"][0] for c in cases]
    winners: list[int] = []
    for _ in range(ROUNDS):
        answers = _race(live.port, tokens, tasks, CLIENTS_PER_TASK)
        next_tasks = []
        for task_id, got in answers.items():
            statuses = Counter(status for status, _ in got)
            assert statuses == Counter({200: 1, 409: CLIENTS_PER_TASK - 1}), (task_id, statuses, got)
            for status, body in got:
                if status == 409:
                    assert body["code"] in ("task_closed", "task_claimed", "engine_conflict"), body
                else:
                    next_tasks.append(body["next_tasks"][0])
            winners.append(task_id)
        tasks = next_tasks

    assert consistency_problems(checker, [c["id"] for c in cases]) == []
    from sqlalchemy import func, select

    from server.audit.models import AuditEvent
    from server.cases.models import Submission
    from server.extensions import db
    from server.tasks.models import Task

    with checker.app_context():
        try:
            rows = db.session.execute(select(Task).where(Task.id.in_(winners))).scalars().all()
            assert {t.status for t in rows} == {"completed"} and len(rows) == len(winners)
            subs = Counter(db.session.execute(select(Submission.task_id).where(Submission.task_id.in_(winners)))
                           .scalars())
            assert subs == Counter({t: 1 for t in winners})
            audits = db.session.execute(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "task.completed", AuditEvent.object_id.in_([str(t) for t in winners]))
            ).scalar_one()
            assert audits == len(winners)
        finally:
            db.session.remove()
    from tests.reliability.helpers import audit_verify

    audit_verify(pg_database)


@pytest.mark.parametrize("n", [8])
def test_simultaneous_case_starts_all_succeed_with_distinct_references(live, tokens, n):
    """Several intake officers starting cases at the same moment: each gets a case with its own reference
    (no 503 from a collision on the reference number)."""
    conns = [Http(live.port, timeout=60) for _ in range(n)]
    for c in conns:
        c.request("GET", "/healthz")
    barrier = threading.Barrier(n)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def one(conn: Http) -> None:
        barrier.wait(timeout=60)
        got = conn.request("POST", "/api/v1/cases", {"workflow": "konsultasi"}, tokens["pendamping"])
        with lock:
            answers.append(got)

    threads = [threading.Thread(target=one, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert Counter(s for s, _ in answers) == Counter({201: n}), [b for s, b in answers if s != 201][:2]
    references = [b["reference"] for _, b in answers]
    assert len(set(references)) == n
