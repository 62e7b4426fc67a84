"""The worker: due timers fire once, failures back off, several workers share the work on PostgreSQL,
and a worker that dies mid-way loses nothing."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server import worker
from server.audit.models import AuditEvent
from server.cases.models import Case
from server.db import unit_of_work
from server.tasks.models import Task
from tests.conftest import PG_URL, T0, _fresh_database, make_app, prepare
from tests.sla import helpers as h


def _fired(s, case_ids):
    rows = s.execute(select(AuditEvent.case_id, func.count()).where(
        AuditEvent.action == "case.timer_fired", AuditEvent.case_id.in_(case_ids)).group_by(AuditEvent.case_id)).all()
    return Counter(dict(rows))


def _run(app, now):
    """Tick until a pass finds nothing more to fire (as ``run_forever`` does while work is left)."""
    fired = 0
    for _ in range(1000):
        result = worker.tick(app, now=now)
        fired += result.timers_fired
        if not result.more:
            return fired
    raise AssertionError("the worker never ran out of work")


def _cases(app, key, n, *, timer="PT1H"):
    with app.app_context(), unit_of_work() as s:
        h.install(s, key, T0, timer=timer)
        return [h.start(s, key, T0).case.id for _ in range(n)]


def test_tick_fires_each_due_timer_once_and_moves_sla_states(app, session):
    ids = _cases(app, "sla_tick", 3, timer="PT2H")
    _run(app, T0 + timedelta(hours=1, minutes=45))
    with app.app_context(), unit_of_work() as s:
        assert _fired(s, ids) == Counter()
        # the same pass moved SLA states: 105 of the task's 120 minutes are past its 75 % mark
        states = s.execute(select(Task.sla_state).where(Task.case_id.in_(ids))).scalars().all()
        assert states == ["at_risk"] * 3
    _run(app, T0 + timedelta(hours=3))
    _run(app, T0 + timedelta(hours=4))
    with app.app_context(), unit_of_work() as s:
        assert _fired(s, ids) == Counter(dict.fromkeys(ids, 1))
        assert all(s.get(Case, i).next_timer_at is None for i in ids)
        open_steps = Counter(b for (b,) in s.execute(select(Task.bpmn_id).where(Task.case_id.in_(ids),
                                                                                Task.status == "open")))
        assert open_steps == {"eskalasi": 3}


def test_a_failing_timer_is_backed_off_and_the_others_still_fire(app, session, monkeypatch):
    ids = _cases(app, "sla_fail", 2)
    broken = ids[0]
    real = worker.cases_service.load_instance

    def load(case):
        if case.id == broken:
            raise RuntimeError("corrupt engine state")
        return real(case)

    monkeypatch.setattr(worker.cases_service, "load_instance", load)
    now = T0 + timedelta(hours=2)
    _run(app, now)
    with app.app_context(), unit_of_work() as s:
        assert _fired(s, ids) == Counter({ids[1]: 1})
        assert s.get(Case, broken).next_timer_at == now + worker.BACKOFF
        failed = s.execute(select(AuditEvent).where(AuditEvent.action == "case.timer_failed",
                                                    AuditEvent.case_id == broken)).scalars().all()
        assert len(failed) == 1


# -- PostgreSQL: real commits, real row locks, several workers ------------------------------------------

pg = pytest.mark.skipif(not PG_URL, reason="needs SINERGI_TEST_DATABASE_URL (PostgreSQL): SQLite ignores row "
                                           "locks, so sharing timers between workers is proven on PostgreSQL")


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory):
    if not PG_URL:
        pytest.skip("needs SINERGI_TEST_DATABASE_URL (PostgreSQL)")
    gen = _fresh_database(tmp_path_factory, "slaworkers")
    url = next(gen)
    first = make_app(url)
    prepare(first)
    _dispose(first)
    yield url
    next(gen, None)


def _dispose(app):
    from server.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.mark.postgres
@pg
def test_two_workers_share_many_due_timers_and_each_fires_exactly_once(pg_url):
    apps = [make_app(pg_url), make_app(pg_url)]  # two workers: own app, own engine and connection pool
    try:
        ids = _cases(apps[0], "sla_two_workers", 200)
        now = T0 + timedelta(hours=1, minutes=5)
        fired = [0, 0]
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def work(i):
            try:
                barrier.wait()
                fired[i] = _run(apps[i], now)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors
        assert sum(fired) == 200
        with apps[0].app_context(), unit_of_work() as s:
            assert _fired(s, ids) == Counter(dict.fromkeys(ids, 1))
            steps = Counter((case_id, bpmn_id, status) for case_id, bpmn_id, status in s.execute(
                select(Task.case_id, Task.bpmn_id, Task.status).where(Task.case_id.in_(ids))))
            assert steps == Counter({**{(i, "tugas", "cancelled"): 1 for i in ids},
                                     **{(i, "eskalasi", "open"): 1 for i in ids}})
            assert s.execute(select(func.count()).select_from(Case).where(
                Case.id.in_(ids), Case.next_timer_at.is_not(None))).scalar_one() == 0
            from server.audit import service as audit_service

            assert audit_service.verify(s).ok  # the audit chain stayed whole under two writers
    finally:
        for app in apps:
            _dispose(app)


@pytest.mark.postgres
@pg
def test_a_timer_is_not_lost_when_a_worker_dies_mid_way(pg_url, monkeypatch):
    app = make_app(pg_url)
    ids = _cases(app, "sla_restart", 20)
    now = T0 + timedelta(hours=2)
    real = worker._fire

    def crash(session, case, at):
        real(session, case, at)  # the engine fired and the new state is written, but not committed...
        raise KeyboardInterrupt("worker killed")  # ...when the process dies

    monkeypatch.setattr(worker, "_fire", crash)
    with pytest.raises(KeyboardInterrupt):
        worker.tick(app, now=now)
    monkeypatch.setattr(worker, "_fire", real)
    _dispose(app)
    with make_app(pg_url).app_context(), unit_of_work() as s:
        assert _fired(s, ids) == Counter()
        assert s.execute(select(func.count()).select_from(Case).where(
            Case.id.in_(ids), Case.next_timer_at <= now)).scalar_one() == 20

    restarted = make_app(pg_url)  # a new worker process
    try:
        assert _run(restarted, now) >= 20
        with restarted.app_context(), unit_of_work() as s:
            assert _fired(s, ids) == Counter(dict.fromkeys(ids, 1))
            eskalasi = s.execute(select(func.count()).select_from(Task).where(
                Task.case_id.in_(ids), Task.bpmn_id == "eskalasi")).scalar_one()
            assert eskalasi == 20
    finally:
        _dispose(restarted)
