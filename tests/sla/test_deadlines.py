"""Deadlines on tasks and cases: where they come from, pausing the clock, states, bounded notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.db import unit_of_work
from server.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from server.notifications.models import Notification
from server.sla import jobs, pausing, settings
from server.sla import policy as policy_mod
from server.sla import service as sla_service
from server.sla.models import CaseSla, TaskSla
from server.tasks import service as tasks_service
from server.tasks.models import Task
from tests.conftest import T0
from tests.sla import helpers as h

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB).astimezone(UTC)


def _audits(s, action, object_id=None):
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return list(s.execute(stmt.order_by(AuditEvent.id)).scalars())


def test_bpmn_duration_in_working_days_sets_due_and_deadline_row(app, session):
    # T0 is Monday 2026-11-23 09:00 WIB; "1 hari kerja" ends at 16:00 on the next working day.
    with app.app_context(), unit_of_work() as s:
        task = h.start(s, "konsultasi", T0).new_tasks[0]
        sla = s.get(TaskSla, task.id)
        assert task.due_at == wib(2026, 11, 24, 16)
        assert task.warn_at == T0 + (task.due_at - T0) * 0.75
        assert task.sla_state == "on_track"
        assert (sla.source, sla.duration, sla.start_at, sla.never_suppress) == ("bpmn", "1 hari kerja", T0, False)


def test_boundary_timer_is_the_deadline_of_a_task_without_sla_properties(app, session):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_timer", T0, timer="PT2H")
        result = h.start(s, "sla_timer", T0)
        task = result.new_tasks[0]
        assert task.due_at == T0 + timedelta(hours=2) == result.case.next_timer_at
        assert s.get(TaskSla, task.id).source == "timer"


def test_legal_policy_key_gives_the_statutory_deadline_and_cannot_be_paused(app, session):
    legal = policy_mod.LEGAL_POLICIES["tpks_police_report"]
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_legal", T0, props={"slaPolicy": legal.key}, timer=None)
        task = h.start(s, "sla_legal", T0).new_tasks[0]
        assert task.due_at == T0 + timedelta(hours=72)
        assert task.warn_at == T0 + timedelta(hours=36)  # warns at half time
        assert task.sla_basis == legal.basis_id
        sla = s.get(TaskSla, task.id)
        assert (sla.source, sla.policy_key, sla.binding, sla.never_suppress) == ("legal", legal.key, "L", True)
        tasks_service.claim(s, task_id=task.id, user=h.user(s, "pendamping"), now=T0)
    with app.app_context(), pytest.raises(ConflictError) as err, unit_of_work() as s:
        pausing.pause(s, task_id=task.id, user=h.user(s, "pendamping"), now=T0, reason="menunggu korban")
    assert err.value.code == "sla_not_pausable"


def test_admin_override_wins_but_a_legal_deadline_stays_flagged(app, session):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_override", T0, props={"slaPolicy": "tpks_police_report"}, timer=None)
        settings.save_policy(s, workflow_key="sla_override", bpmn_id="tugas", duration="2 hari kerja",
                             start="task_created", warn_ratio="0.5", escalate_to="profesional", basis="SOP kota",
                             actor=h.user(s, "admin"), now=T0)
        task = h.start(s, "sla_override", T0).new_tasks[0]
        sla = s.get(TaskSla, task.id)
        assert task.due_at == wib(2026, 11, 25, 16)
        assert task.sla_basis == "SOP kota"
        assert (sla.source, sla.never_suppress, sla.escalate_to) == ("admin", True, "profesional")
    with app.app_context(), unit_of_work() as s:
        assert len(_audits(s, "sla.policy_saved", "sla_override/tugas")) == 1


def test_clock_can_start_at_a_date_field_of_the_case(app, session):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_field", T0, props={"slaDuration": "PT24H", "slaStart": "tanggal_laporan"}, timer=None)
        task = h.start(s, "sla_field", T0, data={"tanggal_laporan": "2026-11-22T20:00:00"}).new_tasks[0]
        # a naive time is the office's wall clock
        assert task.due_at == wib(2026, 11, 23, 20)
        assert s.get(TaskSla, task.id).start_at == wib(2026, 11, 22, 20)


def test_pause_and_resume_on_a_calendar_clock_move_the_deadline_by_the_time_paused(app, session):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_cal", T0, props={"slaDuration": "PT48H"}, timer=None)
        task = h.start(s, "sla_cal", T0).new_tasks[0]
        pendamping = h.user(s, "pendamping")
        tasks_service.claim(s, task_id=task.id, user=pendamping, now=T0)
        with pytest.raises(ValidationFailedError):
            pausing.pause(s, task_id=task.id, user=pendamping, now=T0, reason="  ")
        with pytest.raises(PermissionDeniedError):
            pausing.pause(s, task_id=task.id, user=h.user(s, "intake"), now=T0, reason="x")
        pausing.pause(s, task_id=task.id, user=pendamping, now=T0 + timedelta(hours=1), reason="menunggu korban")
        assert task.sla_state == "paused"
        with pytest.raises(ConflictError):
            pausing.pause(s, task_id=task.id, user=pendamping, now=T0 + timedelta(hours=2), reason="lagi")
        pausing.resume(s, task_id=task.id, user=pendamping, now=T0 + timedelta(hours=6))
        assert task.paused_seconds == 5 * 3600
        assert task.due_at == T0 + timedelta(hours=53)
        assert task.warn_at == task.due_at - timedelta(hours=12)  # the same 25 % of the window before the end
        assert task.sla_state == "on_track"
    with app.app_context(), unit_of_work() as s:
        paused, resumed = _audits(s, "task.sla_paused", task.id), _audits(s, "task.sla_resumed", task.id)
    assert [e.details["reason"] for e in paused] == ["menunggu korban"]
    assert resumed[0].details["paused_seconds"] == 5 * 3600
    assert resumed[0].details["due_after"] == (T0 + timedelta(hours=53)).isoformat()


def test_pause_on_a_working_day_clock_counts_office_hours_only(app, session):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_wd", T0, props={"slaDuration": "2 hari kerja"}, timer=None)
        task = h.start(s, "sla_wd", T0).new_tasks[0]
        assert task.due_at == wib(2026, 11, 25, 16)  # Wednesday close of business
        kepala = h.user(s, "kepala")  # a manager of the office may pause too
        pausing.pause(s, task_id=task.id, user=kepala, now=wib(2026, 11, 23, 15), reason="menunggu dokumen")
        pausing.resume(s, task_id=task.id, user=kepala, now=wib(2026, 11, 24, 10))
        # Monday 15-16 and Tuesday 08-10 are office time: 3 hours, added through office hours.
        assert task.paused_seconds == 3 * 3600
        assert task.due_at == wib(2026, 11, 26, 11)
        expected = policy_mod.due_at(T0, policy_mod.parse_duration("2 hari kerja"), sla_service.calendar(s),
                                     paused_seconds=3 * 3600)
        assert task.due_at == expected


def test_completing_a_paused_task_folds_the_pause_and_records_met(app, session):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_fold", T0, props={"slaDuration": "PT2H"}, timer=None)
        task = h.start(s, "sla_fold", T0).new_tasks[0]
        pendamping = h.user(s, "pendamping")
        tasks_service.claim(s, task_id=task.id, user=pendamping, now=T0)
        pausing.pause(s, task_id=task.id, user=pendamping, now=T0 + timedelta(hours=1), reason="menunggu")
        done = tasks_service.complete(s, task_id=task.id, user=pendamping, data={"keputusan": "setuju"},
                                      now=T0 + timedelta(hours=4))
        assert done.task.paused_since is None
        assert done.task.due_at == T0 + timedelta(hours=5)
        assert done.task.sla_state == "met"
        assert sla_service.lateness(done.task) is None


def test_closed_tasks_record_missed_with_their_lateness(app, session):
    with app.app_context(), unit_of_work() as s:
        task = h.start(s, "konsultasi", T0).new_tasks[0]
        late_at = task.due_at + timedelta(hours=3, minutes=20)
        done = tasks_service.complete(s, task_id=task.id, user=h.user(s, "pendamping"), now=late_at,
                                      data={"topik": "hak_anak", "ringkasan": "Konsultasi contoh."})
        assert done.task.sla_state == "missed"
        assert sla_service.lateness(done.task) == timedelta(hours=3, minutes=20)


def test_interrupting_timer_fires_and_the_cancelled_task_counts_as_missed(app, session):
    from server import worker

    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_fire", T0, timer="PT2H")
        result = h.start(s, "sla_fire", T0)
        case_id, task_id = result.case.id, result.new_tasks[0].id
    with app.app_context():
        assert worker.fire_case(case_id, now=T0 + timedelta(hours=1)) is False  # not due yet
        assert worker.fire_case(case_id, now=T0 + timedelta(hours=2, minutes=1)) is True
        assert worker.fire_case(case_id, now=T0 + timedelta(hours=2, minutes=2)) is False  # fired once
        with unit_of_work() as s:
            cancelled = s.get(Task, task_id)
            assert (cancelled.status, cancelled.sla_state) == ("cancelled", "missed")
            open_now = s.execute(select(Task.bpmn_id).where(Task.case_id == case_id, Task.status == "open")).all()
            assert [r[0] for r in open_now] == ["eskalasi"]


def sweep(s, now):
    """Run the SLA job until nothing is left to move (other tests' tasks may share the database)."""
    for _ in range(100):
        if not jobs.refresh_states(s, now=now):
            return


def _notes(s, kind, task_id):
    return list(s.execute(select(Notification).where(Notification.kind == kind, Notification.task_id == task_id))
                .scalars())


def test_states_move_on_and_each_notifies_once_with_escalation(app, session):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_notify", T0, props={"slaDuration": "PT4H", "slaEscalateTo": "profesional"}, timer=None)
        task = h.start(s, "sla_notify", T0).new_tasks[0]
        pendamping, profesional, kepala = (h.user(s, u) for u in ("pendamping", "profesional", "kepala"))
        tasks_service.claim(s, task_id=task.id, user=pendamping, now=T0)
    steps = [(1, "on_track"), (3, "at_risk"), (3.25, "at_risk"),
             ("pause", 3.5), ("resume", 5.5),  # the clock stood still for 2 h: due at 6 h, warning from 5 h
             (5.75, "at_risk"), (6.5, "breached"), (8, "breached")]
    for hours, state in steps:
        with app.app_context(), unit_of_work() as s:
            if hours == "pause":
                pausing.pause(s, task_id=task.id, user=pendamping, now=T0 + timedelta(hours=state), reason="x")
            elif hours == "resume":
                pausing.resume(s, task_id=task.id, user=pendamping, now=T0 + timedelta(hours=state))
            else:
                sweep(s, T0 + timedelta(hours=hours))
                assert s.get(Task, task.id).sla_state == state, hours
    with app.app_context(), unit_of_work() as s:
        assert s.get(Task, task.id).due_at == T0 + timedelta(hours=6)
        at_risk = _notes(s, "sla_at_risk", task.id)
        breached = _notes(s, "sla_breached", task.id)
        assert [n.user_id for n in at_risk] == [pendamping.id]
        assert sorted(n.user_id for n in breached) == sorted([pendamping.id, profesional.id])
        assert kepala.id not in {n.user_id for n in breached}  # the policy escalates to profesional
        assert len(_audits(s, "sla.escalated", task.id)) == 1
        changes = [(e.details["from"], e.details["to"]) for e in _audits(s, "sla.state_changed", task.id)]
        assert changes == [("on_track", "at_risk"), ("at_risk", "breached")]


def test_breach_of_an_unclaimed_task_tells_its_group_and_the_managers_of_its_office(app, session):
    with app.app_context(), unit_of_work() as s:
        office = h.Office(s, T0)
        h.install(s, "sla_group", T0, props={"slaDuration": "PT1H"}, timer=None)
        task = h.start(s, "sla_group", T0, username=office.pendamping.username).new_tasks[0]
    with app.app_context(), unit_of_work() as s:
        sweep(s, T0 + timedelta(hours=2))
        users = {n.user_id for n in _notes(s, "sla_breached", task.id)}
        # the demo office's caseworker and manager are in the same groups, but not in this office
        assert users == {office.pendamping.id, office.pendamping2.id, office.kepala.id}


def test_case_wide_deadline_is_set_at_start_and_settled_when_the_case_closes(app, session):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_casewide", T0, timer=None)
        settings.save_policy(s, workflow_key="sla_casewide", bpmn_id="*", duration="P1D", start="case_created",
                             warn_ratio="0.5", escalate_to="", basis="SOP", actor=h.user(s, "admin"), now=T0)
        case = h.start(s, "sla_casewide", T0).case
        row = s.get(CaseSla, case.id)
        assert (row.due_at, row.warn_at, row.state) == (T0 + timedelta(days=1), T0 + timedelta(hours=12), "on_track")
    with app.app_context(), unit_of_work() as s:
        sweep(s, T0 + timedelta(hours=30))
        assert s.get(CaseSla, case.id).state == "breached"
        kepala = h.user(s, "kepala")
        n = s.execute(select(func.count()).select_from(Notification).where(
            Notification.case_id == case.id, Notification.kind == "sla_breached",
            Notification.user_id == kepala.id, Notification.task_id.is_(None))).scalar_one()
        assert n == 1
