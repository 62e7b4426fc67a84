"""Admin pages for deadline overrides and office days: validated, audited, admins only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.db import unit_of_work
from server.sla.models import OfficeDay, SlaPolicy
from tests.conftest import T0
from tests.sla import helpers as h

POLICIES = "/admin/sla/policies/"
DAYS = "/admin/sla/days/"


def _audit(app, action, object_id):
    with app.app_context(), unit_of_work() as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == object_id)
                         .order_by(AuditEvent.id)).scalars().all()


def test_admin_overrides_a_task_deadline_and_removes_it_again(app, session, web):
    web.login("admin")
    page = web.client.get(POLICIES).get_data(as_text=True)
    assert "catat_konsultasi" in page and "1 hari kerja" in page  # what the BPMN says
    resp = web.post_form(POLICIES, POLICIES, {"workflow_key": "konsultasi", "bpmn_id": "catat_konsultasi",
                                              "duration": "2 working days", "start": "task_created",
                                              "warn_ratio": "0.5", "escalate_to": "kepala_uptd",
                                              "basis": "SOP UPTD PPA Payakumbuh"})
    assert resp.status_code == 302
    with app.app_context(), unit_of_work() as s:
        row = s.execute(select(SlaPolicy).where(SlaPolicy.workflow_key == "konsultasi")).scalar_one()
        assert (row.duration, row.warn_ratio, row.escalate_to) == ("2 hari kerja", 0.5, "kepala_uptd")
        task = h.start(s, "konsultasi", T0).new_tasks[0]
        assert task.sla_basis == "SOP UPTD PPA Payakumbuh"
        policy_id = row.id
    saved = _audit(app, "sla.policy_saved", "konsultasi/catat_konsultasi")
    assert saved[-1].details["after"]["duration"] == "2 hari kerja" and saved[-1].details["before"] is None
    web.post_form(POLICIES, f"{POLICIES}{policy_id}/delete", {})
    with app.app_context(), unit_of_work() as s:
        assert s.get(SlaPolicy, policy_id) is None
    assert len(_audit(app, "sla.policy_deleted", "konsultasi/catat_konsultasi")) == 1


def test_invalid_overrides_are_refused_with_the_reason(app, session, web):
    web.login("admin")
    cases = [({"duration": "soon"}, "not a duration"), ({"bpmn_id": "nope"}, "no user task"),
             ({"warn_ratio": "2"}, "between 0 and 1"), ({"escalate_to": "nobody"}, "no such group"),
             ({"workflow_key": "missing"}, "no such workflow")]
    for change, message in cases:
        form = {"workflow_key": "konsultasi", "bpmn_id": "catat_konsultasi", "duration": "PT24H",
                "start": "task_created", "warn_ratio": "0.75", "escalate_to": "", "basis": "", **change}
        resp = web.post_form(POLICIES, POLICIES, form)
        assert resp.status_code == 422 and message in resp.get_data(as_text=True), change
    with app.app_context(), unit_of_work() as s:
        assert s.execute(select(SlaPolicy).where(SlaPolicy.workflow_key == "konsultasi")).first() is None


def test_a_declared_closure_moves_working_day_deadlines(app, session, web):
    web.login("admin")
    html = web.client.get(f"{DAYS}?year=2026").get_data(as_text=True)
    assert "2026-12-25" in html  # Christmas, from the national holiday table
    # Tuesday 24 November 2026 declared closed: "1 hari kerja" from Monday ends on Wednesday.
    web.post_form(DAYS, DAYS, {"day": "2026-11-24", "is_open": "0", "name": "Libur daerah"})
    with app.app_context(), unit_of_work() as s:
        task = h.start(s, "konsultasi", T0).new_tasks[0]
        assert task.due_at.date() == date(2026, 11, 25)
        day = s.execute(select(OfficeDay).where(OfficeDay.day == date(2026, 11, 24))).scalar_one()
    assert _audit(app, "sla.office_day_saved", "2026-11-24")[-1].details["after"] == {"is_open": False,
                                                                                      "name": "Libur daerah"}
    refused = web.post_form(DAYS, DAYS, {"day": "2026-11-30", "is_open": "0", "name": ""})
    assert refused.status_code == 422
    web.post_form(DAYS, f"{DAYS}{day.id}/delete", {})
    assert len(_audit(app, "sla.office_day_deleted", "2026-11-24")) == 1


def test_deadline_admin_is_for_admins_only(app, session, web):
    web.login("kepala")
    assert web.client.get(POLICIES).status_code == 403
    assert web.client.get(DAYS).status_code == 403
