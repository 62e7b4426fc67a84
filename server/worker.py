"""The worker: fires due engine timers, moves SLA states, sends the mail outbox.

Sharing the work (PostgreSQL, any number of worker processes):

* A case is claimed with ``SELECT ... FOR NO KEY UPDATE SKIP LOCKED`` on its row: the row lock is the
  lease. Another worker's claim skips it and takes the next due case, so workers never queue behind each
  other. NO KEY UPDATE, not UPDATE: rows that only reference the case (notifications and audit entries
  the SLA sweep writes) take KEY SHARE locks for their foreign keys; under FOR UPDATE they waited for a
  firing that was itself waiting for a task row the sweep held, a deadlock the benchmark hit.
* The lease lives exactly as long as the transaction that fires the timer, stores the engine state and
  the audit entry. A worker that dies mid-way (crash, kill, lost connection) rolls back: the case keeps
  its ``next_timer_at`` and the next claim by any worker fires it. Nothing is lost across restarts.
* Under the lock the case is re-read and re-checked (``next_timer_at <= now``): a timer that another
  worker fired a moment ago has moved ``next_timer_at`` on, so firing is idempotent and happens once.
* A case whose timer raises is backed off for five minutes (audited) so it cannot spin the loop.

With SQLite the same loop runs in a thread of the web process (the embedded default); SQLite ignores
``FOR UPDATE`` but has a single writer, and only one embedded worker runs per process.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from server import clock
from server.audit import service as audit
from server.cases import service as cases_service
from server.cases.models import Case
from server.db import unit_of_work
from server.extensions import db

log = logging.getLogger("sinergi.worker")

#: Most cases one tick fires before it turns to the SLA sweep and the outbox (then it comes straight back).
TIMER_BATCH = 200
#: SLA rows one sweep transaction handles; a tick runs up to SLA_ROUNDS of them.
SLA_BATCH = 500
SLA_ROUNDS = 10
BACKOFF = timedelta(minutes=5)


@dataclass
class TickResult:
    timers_fired: int = 0
    sla_changed: int = 0
    mails_sent: int = 0
    domain_jobs: int = 0
    errors: int = 0
    more: bool = False  # a batch limit was reached: run again without waiting


def _due(now: datetime) -> Select[tuple[int]]:
    return select(Case.id).where(Case.status == "open", Case.next_timer_at <= now)


def due_case_ids(*, now: datetime, limit: int = 100) -> list[int]:
    """Ids of cases with a due timer (no lock; for monitoring and tests)."""
    with unit_of_work() as session:
        return list(session.execute(_due(now).order_by(Case.next_timer_at).limit(limit)).scalars())


def _fire(session: Session, case: Case, now: datetime) -> None:
    """Fire the due timers of a case whose row this transaction holds locked."""
    instance = cases_service.load_instance(case)
    due_before = [d.isoformat() for d in instance.timer_due_times() if d <= now]
    instance.fire_timers(now)
    new_tasks = cases_service.save_instance(session, case=case, instance=instance, now=now)
    audit.record(session, action="case.timer_fired", now=now, object_type="case", object_id=case.id,
                 case_id=case.id, actor_name="system", details={"due": due_before,
                                                                "new_tasks": [t.bpmn_id for t in new_tasks]})
    from server.notifications import service as notify

    notify.tasks_created(session, tasks=new_tasks, now=now)
    cases_service.handle_thrown(session, case=case, instance=instance, user=None, now=now)


def _still_due(case: Case | None, now: datetime) -> bool:
    return (case is not None and case.status == "open" and case.next_timer_at is not None
            and case.next_timer_at <= now)


def fire_case(case_id: int, *, now: datetime) -> bool:
    """Fire the due timers of one case in its own transaction; False if another worker has it or did it."""
    with unit_of_work() as session:
        locked = session.execute(
            select(Case.id).where(Case.id == case_id).with_for_update(skip_locked=True, key_share=True)
        ).scalar_one_or_none()
        if locked is None:
            return False
        case = session.get(Case, case_id, populate_existing=True)
        if not _still_due(case, now):
            return False  # already fired by another worker
        assert case is not None
        _fire(session, case, now)
        return True


def fire_next_due(*, now: datetime) -> tuple[int | None, bool]:
    """Claim the earliest due case no other worker holds and fire it.

    Returns ``(case_id, ok)``; ``(None, True)`` when nothing due is free.
    """
    claimed: int | None = None
    try:
        with unit_of_work() as session:
            case = session.execute(
                select(Case).where(Case.status == "open", Case.next_timer_at <= now)
                .order_by(Case.next_timer_at, Case.id).limit(1)
                .with_for_update(skip_locked=True, key_share=True, of=Case).execution_options(populate_existing=True)
            ).scalar_one_or_none()
            if case is None:
                return None, True
            claimed = case.id
            if _still_due(case, now):  # re-checked on the locked row
                _fire(session, case, now)
    except Exception:  # one broken case must not stop the others
        if claimed is None:
            raise
        log.exception("timer of case %s failed", claimed)
        _postpone(claimed, now)
        return claimed, False
    return claimed, True


def fire_due_timers(*, now: datetime, limit: int = TIMER_BATCH) -> tuple[int, int]:
    """Fire due timers until none is left or ``limit`` cases were handled. Returns (fired, errors)."""
    fired = errors = 0
    for _ in range(limit):
        case_id, ok = fire_next_due(now=now)
        if case_id is None:
            break
        if ok:
            fired += 1
        else:
            errors += 1
    return fired, errors


def _postpone(case_id: int, now: datetime) -> None:
    """Back a failing case off so it does not spin the worker."""
    try:
        with unit_of_work() as session:
            case = session.get(Case, case_id, with_for_update={"key_share": True, "of": Case}, populate_existing=True)
            if case is not None and case.next_timer_at is not None and case.next_timer_at <= now:
                case.next_timer_at = now + BACKOFF
                audit.record(session, action="case.timer_failed", now=now, object_type="case",
                             object_id=case_id, case_id=case_id, actor_name="system")
    except Exception:
        log.exception("could not postpone case %s", case_id)


def refresh_sla(*, now: datetime) -> int:
    """Sweep SLA states in short transactions until nothing is left to move (bounded per tick)."""
    from server.sla import jobs as sla_jobs

    total = 0
    for _ in range(SLA_ROUNDS):
        with unit_of_work() as session:
            changed = sla_jobs.refresh_states(session, now=now, batch=SLA_BATCH)
        total += changed
        if changed == 0:
            break
    return total


def run_domain_jobs(*, now: datetime) -> int:
    """Each domain's ``jobs.tick(session, now=...)`` (e.g. overdue referrals), each in its own transaction."""
    from server.web import optional_modules

    done = 0
    for module in optional_modules("jobs"):
        if hasattr(module, "tick"):
            with unit_of_work() as session:
                done += int(module.tick(session, now=now) or 0)
    return done


def tick(app: Flask, now: datetime | None = None) -> TickResult:
    """One pass of every job."""
    from server.notifications import outbox

    now = now or clock.utcnow()
    result = TickResult()
    with app.app_context():
        try:
            result.timers_fired, result.errors = fire_due_timers(now=now)
        except Exception:
            result.errors += 1
            log.exception("timer pass failed")
        result.more = result.timers_fired + result.errors >= TIMER_BATCH
        try:
            result.sla_changed = refresh_sla(now=now)
        except Exception:
            result.errors += 1
            log.exception("SLA refresh failed")
        try:
            result.domain_jobs = run_domain_jobs(now=now)
        except Exception:
            result.errors += 1
            log.exception("domain jobs failed")
        try:
            result.mails_sent = outbox.send_due(app, now=now)
        except Exception:
            result.errors += 1
            log.exception("outbox failed")
        db.session.remove()
    return result


def run_forever(app: Flask, *, stop: threading.Event | None = None) -> None:
    """Tick every WORKER_POLL_SECONDS (at once again while work is left) until ``stop`` is set."""
    poll = float(app.config["WORKER_POLL_SECONDS"])
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # A deploy's SIGTERM lets the current transaction finish instead of cutting it off.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    log.info("worker started (poll %.1fs, pid %s)", poll, os.getpid())
    while not stop.is_set():
        more = False
        try:
            more = tick(app).more
        except Exception:
            log.exception("worker tick failed")
        if not more:
            stop.wait(poll)
    log.info("worker stopped")


_embedded: tuple[threading.Thread, threading.Event] | None = None


def start_embedded(app: Flask) -> threading.Event | None:
    """Run the worker loop in a daemon thread of this process (SQLite default); one per process.
    Returns the thread's stop event (None when it did not start); ``stop_embedded`` ends it."""
    global _embedded
    if (_embedded is not None and _embedded[0].is_alive()) or os.environ.get("SINERGI_NO_EMBEDDED_WORKER"):
        return None
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app,), kwargs={"stop": stop}, name="sinergi-worker",
                              daemon=True)
    _embedded = (thread, stop)
    thread.start()
    return stop


def stop_embedded(timeout: float = 30.0) -> bool:
    """Ask the embedded worker to stop after its current tick and wait for it; True once it has ended."""
    global _embedded
    if _embedded is None:
        return True
    thread, stop = _embedded
    stop.set()
    thread.join(timeout)
    if thread.is_alive():
        return False
    _embedded = None
    return True


def sleep(seconds: float) -> None:
    time.sleep(seconds)
