"""The worker: fires due engine timers, moves SLA states, sends the mail outbox.

On PostgreSQL several workers share the work: each due case is taken with ``FOR UPDATE SKIP LOCKED``
and re-checked under its lock, so a timer fires once. With SQLite the same loop runs in a thread of
the web process (the embedded default).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from server import clock
from server.audit import service as audit
from server.cases import service as cases_service
from server.cases.models import Case
from server.db import unit_of_work
from server.extensions import db

log = logging.getLogger("sinergi.worker")


@dataclass
class TickResult:
    timers_fired: int = 0
    sla_changed: int = 0
    mails_sent: int = 0
    errors: int = 0


def due_case_ids(*, now: datetime, limit: int = 100) -> list[int]:
    with unit_of_work() as session:
        return list(session.execute(
            select(Case.id).where(Case.status == "open", Case.next_timer_at <= now)
            .order_by(Case.next_timer_at).limit(limit)
        ).scalars())


def fire_case(case_id: int, *, now: datetime) -> bool:
    """Fire the due timers of one case in its own transaction; False if another worker has it."""
    with unit_of_work() as session:
        case = session.execute(
            select(Case).where(Case.id == case_id).with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if case is None or case.status != "open" or case.next_timer_at is None or case.next_timer_at > now:
            return False  # taken by another worker, or already fired
        instance = cases_service.load_instance(case)
        due_before = [d.isoformat() for d in instance.timer_due_times() if d <= now]
        instance.fire_timers(now)
        new_tasks = cases_service.save_instance(session, case=case, instance=instance, now=now)
        audit.record(session, action="case.timer_fired", now=now, object_type="case", object_id=case.id,
                     case_id=case.id, actor_name="system", details={"due": due_before,
                                                                    "new_tasks": [t.bpmn_id for t in new_tasks]})
        from server.notifications import service as notify

        notify.tasks_created(session, tasks=new_tasks, now=now)
        return True


def fire_due_timers(*, now: datetime, limit: int = 100) -> tuple[int, int]:
    fired = errors = 0
    for case_id in due_case_ids(now=now, limit=limit):
        try:
            if fire_case(case_id, now=now):
                fired += 1
        except Exception:  # one broken case must not stop the others
            errors += 1
            log.exception("timer of case %s failed", case_id)
            _postpone(case_id, now)
    return fired, errors


def _postpone(case_id: int, now: datetime) -> None:
    """Back a failing case off for five minutes so it does not spin the worker."""
    try:
        with unit_of_work() as session:
            case = session.get(Case, case_id)
            if case is not None:
                case.next_timer_at = now + timedelta(minutes=5)
                audit.record(session, action="case.timer_failed", now=now, object_type="case", object_id=case_id,
                             case_id=case_id, actor_name="system")
    except Exception:
        log.exception("could not postpone case %s", case_id)


def tick(app: Flask, now: datetime | None = None) -> TickResult:
    """One pass of every job."""
    from server.notifications import outbox
    from server.sla import jobs as sla_jobs

    now = now or clock.utcnow()
    result = TickResult()
    with app.app_context():
        result.timers_fired, result.errors = fire_due_timers(now=now)
        try:
            with unit_of_work() as session:
                result.sla_changed = sla_jobs.refresh_states(session, now=now)
        except Exception:
            result.errors += 1
            log.exception("SLA refresh failed")
        try:
            result.mails_sent = outbox.send_due(app, now=now)
        except Exception:
            result.errors += 1
            log.exception("outbox failed")
        db.session.remove()
    return result


def run_forever(app: Flask, *, stop: threading.Event | None = None) -> None:
    poll = float(app.config["WORKER_POLL_SECONDS"])
    stop = stop or threading.Event()
    log.info("worker started (poll %.1fs)", poll)
    while not stop.is_set():
        try:
            tick(app)
        except Exception:
            log.exception("worker tick failed")
        stop.wait(poll)


_embedded_started = False


def start_embedded(app: Flask) -> None:
    """Run the worker loop in a daemon thread of this process (SQLite default)."""
    global _embedded_started
    if _embedded_started or os.environ.get("SINERGI_NO_EMBEDDED_WORKER"):
        return
    _embedded_started = True
    thread = threading.Thread(target=run_forever, args=(app,), name="sinergi-worker", daemon=True)
    thread.start()


def sleep(seconds: float) -> None:
    time.sleep(seconds)
