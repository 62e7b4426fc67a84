"""Configuration that hot paths cache per process (lane → group, deadline overrides, office days, active
form versions) takes effect at once in every process after an admin changes it, and a change that was
rolled back never does. Two app instances share one committed database, as two server processes would."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from server import clock, generation
from server.auth.models import Group, LaneMapping
from server.db import unit_of_work
from server.extensions import db
from server.sla.models import OfficeDay, SlaPolicy
from server.tasks.models import Task
from tests.admin.conftest import bearer
from tests.conftest import T0


def _first_task(app: Any, client: Any, headers: dict[str, str]) -> Task:
    resp = client.post("/api/v1/cases", json={"workflow": "konsultasi"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    task_id = resp.get_json()["tasks"][0]["id"]
    with app.app_context(), unit_of_work() as session:
        task = session.get(Task, task_id)
        session.expunge(task)
        return task


def test_admin_changes_reach_a_process_whose_caches_are_warm(two_apps: Any) -> None:
    first, second = two_apps
    clock.set_clock(lambda: T0)  # Monday 09:00 in the office
    starter = second.test_client()
    headers = bearer(starter, "pendamping")
    before = _first_task(second, starter, headers)  # the second process has cached everything now
    assert before.group_id is not None and before.due_at is not None and before.form_version_id is not None
    try:
        with first.app_context(), unit_of_work() as session:  # the first process: an admin's changes
            other = Group(name="tim_cadangan", title="Tim cadangan")
            session.add(other)
            session.flush()
            mapping = session.execute(select(LaneMapping).where(LaneMapping.lane == before.lane)).scalar_one()
            mapping.group_id = other.id
            session.add(SlaPolicy(workflow_key="konsultasi", bpmn_id=before.bpmn_id, duration="P3D",
                                  start="task_created", warn_ratio=0.5, basis="SOP baru", updated_at=T0))
            other_id = other.id

        after = _first_task(second, starter, headers)
        assert after.group_id == other_id
        assert after.sla_basis == "SOP baru"
        assert after.due_at == T0 + timedelta(days=3)

        with first.app_context(), unit_of_work() as session:
            policy = session.execute(select(SlaPolicy).where(SlaPolicy.workflow_key == "konsultasi")).scalar_one()
            policy.duration = "2 working days"
        with_days = _first_task(second, starter, headers)
        assert with_days.due_at is not None and with_days.due_at.date() == date(2026, 11, 25)  # Wednesday

        with first.app_context(), unit_of_work() as session:  # the office closes on Tuesday
            session.add(OfficeDay(day=date(2026, 11, 24), is_open=False, name="Libur kantor"))
        closed = _first_task(second, starter, headers)
        assert closed.due_at is not None and closed.due_at.date() == date(2026, 11, 26)
    finally:  # the shared database goes back to the shipped configuration for the other tests
        with first.app_context(), unit_of_work() as session:
            mapping = session.execute(select(LaneMapping).where(LaneMapping.lane == before.lane)).scalar_one()
            mapping.group_id = before.group_id
            for row in session.execute(select(SlaPolicy).where(SlaPolicy.workflow_key == "konsultasi")).scalars():
                session.delete(row)
            for day in session.execute(select(OfficeDay).where(OfficeDay.day == date(2026, 11, 24))).scalars():
                session.delete(day)
        back = _first_task(second, starter, headers)
        assert back.group_id == before.group_id and back.due_at == before.due_at


def test_a_change_that_was_rolled_back_is_never_served_from_a_cache(two_apps: Any) -> None:
    first, _ = two_apps
    with first.app_context():
        session = db.session()
        try:
            day = date(2026, 12, 1)
            session.add(OfficeDay(day=day, is_open=False, name="Dibatalkan"))
            session.flush()
            from server.sla import service as sla_service

            assert not sla_service.calendar(session).is_working_day(day)  # seen inside its transaction
            token_inside = generation.current(session)
        finally:
            session.rollback()
            db.session.remove()
    with first.app_context(), unit_of_work() as session:
        from server.sla import service as sla_service

        assert generation.current(session) != token_inside
        assert sla_service.calendar(session).is_working_day(date(2026, 12, 1))


def test_writes_that_are_not_configuration_keep_the_caches(two_apps: Any) -> None:
    first, _ = two_apps
    client = first.test_client()
    headers = bearer(client, "pendamping")
    with first.app_context(), unit_of_work() as session:
        token = generation.current(session)
    assert client.post("/api/v1/cases", json={"workflow": "konsultasi"}, headers=headers).status_code == 201
    with first.app_context(), unit_of_work() as session:
        assert generation.current(session) == token
