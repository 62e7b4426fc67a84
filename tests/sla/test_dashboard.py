"""The manager's dashboard, breach list and SLA API: figures against work created through the services,
response shapes, permissions, reassignment."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.db import unit_of_work
from server.notifications.models import Notification
from server.sla import pausing, stats, trends
from server.sla import service as sla_service
from server.tasks import service as tasks_service
from server.tasks.models import Task
from tests.conftest import T0
from tests.sla import helpers as h

CATAT = {"topik": "hak_anak", "ringkasan": "Konsultasi contoh."}


def _scenario(app, frozen):
    """Work in a fresh office: 2 cases whose 2-hour task runs late, 3 consultations of which one is
    done, one paused; 3 hours later. Returns the office and the ids of the open tasks."""
    with app.app_context(), unit_of_work() as s:
        office = h.Office(s, T0)
        h.install(s, "sla_dash", T0, props={"slaDuration": "PT2H"}, timer=None)
        late = [h.start(s, "sla_dash", T0, username=office.pendamping.username).new_tasks[0] for _ in range(2)]
        tasks_service.claim(s, task_id=late[0].id, user=office.pendamping, now=T0)
        consults = [h.start(s, "konsultasi", T0, username=office.pendamping.username).new_tasks[0] for _ in range(3)]
        done = tasks_service.complete(s, task_id=consults[0].id, user=office.pendamping, data=CATAT,
                                      now=T0 + timedelta(hours=1))
        tasks_service.claim(s, task_id=consults[1].id, user=office.pendamping2, now=T0)
        pausing.pause(s, task_id=consults[1].id, user=office.pendamping2, now=T0 + timedelta(hours=2),
                          reason="menunggu korban")
        ids = [late[0].id, late[1].id, consults[1].id, consults[2].id, done.next_tasks[0].id]
    frozen.now = T0 + timedelta(hours=3)
    return office, ids


def _expected(app, ids, now):
    """The same figures computed in Python from the task rows, independently of the SQL."""
    with app.app_context(), unit_of_work() as s:
        tasks = [s.get(Task, i) for i in ids]
        return Counter(sla_service.state_at(t, now) or "none" for t in tasks), tasks


def test_dashboard_figures_match_the_work_created(app, session, web, frozen):
    office, ids = _scenario(app, frozen)
    expected, tasks = _expected(app, ids, frozen.now)
    assert expected == {"breached": 2, "on_track": 2, "paused": 1}  # the scenario is what we think it is
    with app.app_context(), unit_of_work() as s:
        summary = stats.summary(s, user=s.get(type(office.kepala), office.kepala.id), now=frozen.now)
    assert {k: v for k, v in summary.by_state.items() if v} == dict(expected)
    assert summary.open_cases == 5
    by_step = {r["bpmn_id"]: r for r in summary.by_step}
    assert by_step["tugas"]["breached"] == 2 and by_step["tugas"]["total"] == 2
    assert by_step["catat_konsultasi"]["on_track"] == 1 and by_step["catat_konsultasi"]["paused"] == 1
    assert by_step["tinjau_konsultasi"]["total"] == 1
    people = {r["user_id"]: r for r in summary.by_assignee}
    assert people[office.pendamping.id]["breached"] == 1
    assert people[office.pendamping2.id]["paused"] == 1
    assert people[None]["total"] == sum(1 for t in tasks if t.assignee_id is None) == 3
    groups = {r["group"]: r["total"] for r in summary.by_group}
    assert groups == dict(Counter(t.lane for t in tasks))
    assert sum(r["total"] for r in summary.by_month) == 5

    web.login(office.kepala.username)
    page = web.client.get("/sla/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    kpi = dict(re.findall(r'data-kpi="(\w+)"><span class="n">(\d+)</span>', html))
    assert (kpi["breached"], kpi["paused"], kpi["open_cases"]) == ("2", "1", "5")
    assert html.count('<svg class="chart"') >= 3
    # drill-down: the late tasks link to their cases
    for t in tasks:
        if sla_service.state_at(t, frozen.now) == "breached":
            assert f'href="/cases/{t.case_id}"' in html


def test_breach_list_pages_filters_and_orders_by_deadline(app, session, web, frozen):
    office, ids = _scenario(app, frozen)
    with app.app_context(), unit_of_work() as s:
        manager = s.get(type(office.kepala), office.kepala.id)
        items, total = stats.breaches(s, user=manager, now=frozen.now, flt=stats.BreachFilter())
        assert total == 2 and [i["task_id"] for i in items] == ids[:2]
        assert all(i["late_seconds"] == 3600 for i in items)
        mine, n = stats.breaches(s, user=manager, now=frozen.now,
                                 flt=stats.BreachFilter(assignee_id=office.pendamping.id))
        assert n == 1 and mine[0]["task_id"] == ids[0]
        nobody, n = stats.breaches(s, user=manager, now=frozen.now, flt=stats.BreachFilter(assignee_id=0))
        assert n == 1 and nobody[0]["task_id"] == ids[1]
        # finished late: the consultation completed after its deadline
        tasks_service.complete(s, task_id=ids[3], user=office.pendamping, data=CATAT, now=T0 + timedelta(days=3))
    with app.app_context(), unit_of_work() as s:
        missed, n = stats.breaches(s, user=s.get(type(office.kepala), office.kepala.id), now=T0 + timedelta(days=3),
                                   flt=stats.BreachFilter(state="missed"))
        assert n == 1 and missed[0]["task_id"] == ids[3] and missed[0]["late_seconds"] > 0
    web.login(office.kepala.username)
    html = web.client.get("/sla/breaches?step=tugas").get_data(as_text=True)
    assert html.count('class="badge sla-breached"') == 2


def test_step_times_median_and_p90_against_the_deadline(app, session, frozen):
    with app.app_context(), unit_of_work() as s:
        office = h.Office(s, T0)
        hours = [1, 2, 10, 30]
        for i, hrs in enumerate(hours):
            task = h.start(s, "konsultasi", T0 + timedelta(minutes=i), username=office.pendamping.username).new_tasks[0]
            tasks_service.complete(s, task_id=task.id, user=office.pendamping, data=CATAT,
                                   now=task.created_at + timedelta(hours=hrs))
    with app.app_context(), unit_of_work() as s:
        rows = trends.step_times(s, user=s.get(type(office.kepala), office.kepala.id), now=T0 + timedelta(days=3))
    row = next(r for r in rows if r["bpmn_id"] == "catat_konsultasi")
    seconds = [h_ * 3600 for h_ in hours]
    assert row["count"] == 4
    assert row["median_hours"] == round(trends.percentile(seconds, 0.5) / 3600, 1) == 6.0
    assert row["p90_hours"] == round(trends.percentile(seconds, 0.9) / 3600, 1) == 24.0
    assert row["sla"] == "1 hari kerja"
    # due Tuesday 16:00 WIB = 31 hours after Monday 09:00: the 30-hour one still met it
    assert (row["met"], row["missed"], row["met_pct"]) == (4, 0, 100.0)


def test_cases_open_by_stage_and_per_year_by_type(app, session, frozen):
    from datetime import UTC, datetime

    with app.app_context(), unit_of_work() as s:
        office = h.Office(s, T0)
        plan = {2024: ["KtP", "KtP", "KtA"], 2025: ["KtP"], 2026: ["TPPO", None]}
        for year, types in plan.items():
            for case_type in types:
                data = {"jenis_kasus": case_type} if case_type else {}
                # 1 January 06:00 WIB is still 31 December in UTC: the office's year counts
                h.start(s, "konsultasi", datetime(year - 1, 12, 31, 23, tzinfo=UTC), data=data,
                        username=office.pendamping.username)
    with app.app_context(), unit_of_work() as s:
        manager = s.get(type(office.kepala), office.kepala.id)
        years = trends.cases_per_year(s, user=manager, now=T0)
        stages = trends.open_by_stage(s, user=manager)
    assert years["years"] == ["2024", "2025", "2026"]
    assert years["counts"]["2024"] == {"ktp": 2, "kta": 1}
    assert years["counts"]["2025"] == {"ktp": 1}
    assert years["counts"]["2026"] == {"tppo": 1, "": 1}
    assert stages == [{"workflow": "konsultasi", "bpmn_id": "catat_konsultasi", "name": "Catat konsultasi",
                       "cases": 6}]


def test_summary_and_breaches_api_shapes(app, session, api, frozen, web):
    office, ids = _scenario(app, frozen)
    a = api(office.kepala.username)
    data = a.get("/api/v1/sla/summary").get_json()
    assert data["unit"] == office.code
    assert data["by_state"] == {"breached": 2, "at_risk": 0, "on_track": 2, "paused": 1, "none": 0, "total": 5}
    assert {"workflow", "bpmn_id", "name", "breached", "at_risk", "on_track", "paused", "none", "total"} \
        <= set(data["by_step"][0])
    assert data["by_step"][0]["bpmn_id"] == "tugas"  # most late first
    assert {"group_id", "group", "title", "total"} <= set(data["by_group"][0])
    assert {"user_id", "username", "full_name", "total"} <= set(data["by_assignee"][0])
    assert all(re.fullmatch(r"\d{4}-\d{2}|earlier|later", m["month"]) for m in data["by_month"])
    assert data["cases"]["open"] == 5 and data["legal_breached"] == 0

    late = a.get("/api/v1/sla/breaches?per_page=1").get_json()
    assert (late["total"], late["per_page"], len(late["items"])) == (2, 1, 1)
    item = late["items"][0]
    assert item["task_id"] == ids[0] and item["case_url"] == f"/cases/{item['case_id']}"
    assert item["late_seconds"] == 3600 and item["due_at"].endswith("+00:00")
    assert a.get("/api/v1/sla/breaches?state=nope").status_code == 400
    assert a.get("/api/v1/sla/breaches?page=x").get_json()["code"] == "bad_parameter"
    spec = a.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/sla/summary" in spec and "/api/v1/sla/breaches" in spec


def test_only_managers_see_the_dashboard(app, session, api, web):
    for username in ("pendamping", "data"):  # a caseworker, a data officer (who may export reports)
        a = api(username)
        assert a.get("/api/v1/sla/summary").status_code == 403
        assert a.get("/api/v1/sla/breaches").status_code == 403
    web.login("pendamping")
    assert web.client.get("/sla/").status_code == 403
    assert web.client.get("/sla/breaches").status_code == 403
    assert web.client.get("/sla/people/1/reassign").status_code == 403
    assert api("kepala").get("/api/v1/sla/summary").status_code == 200


def test_manager_reassigns_one_task_with_a_reason(app, session, web, frozen):
    office, ids = _scenario(app, frozen)
    web.login(office.kepala.username)
    page = f"/sla/tasks/{ids[1]}"
    assert web.client.get(page).status_code == 200
    refused = web.post_form(page, f"/sla/tasks/{ids[1]}/assign", {"assignee": office.pendamping2.id, "reason": ""})
    assert refused.status_code == 302
    web.post_form(page, f"/sla/tasks/{ids[1]}/assign", {"assignee": office.pendamping2.id, "reason": "beban kerja"})
    with app.app_context(), unit_of_work() as s:
        assert s.get(Task, ids[1]).assignee_id == office.pendamping2.id
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "task.assigned",
                                                    AuditEvent.object_id == str(ids[1]))).scalars().all()
        assert [(e.actor_id, e.details["reason"]) for e in events] == [(office.kepala.id, "beban kerja")]
        told = s.execute(select(Notification).where(Notification.task_id == ids[1],
                                                    Notification.user_id == office.pendamping2.id)).scalars().all()
        assert len(told) == 1


def test_manager_reassigns_everything_a_person_holds(app, session, web, frozen):
    office, ids = _scenario(app, frozen)
    with app.app_context(), unit_of_work() as s:
        from server.auth.models import Group, User

        # the caseworker also holds the manager-lane review: pendamping2 cannot take that one
        pendamping = s.get(User, office.pendamping.id)
        tasks_service.assign(s, task_id=ids[2], assignee=pendamping, user=office.kepala, now=frozen.now)
        pendamping.groups.append(s.execute(select(Group).where(Group.name == "kepala_uptd")).scalar_one())
        tasks_service.assign(s, task_id=ids[4], assignee=pendamping, user=office.kepala, now=frozen.now)
    web.login(office.kepala.username)
    page = f"/sla/people/{office.pendamping.id}/reassign"
    html = web.client.get(page).get_data(as_text=True)
    assert html.count('href="/sla/tasks/') == 3
    web.post_form(page, page, {"to": office.pendamping2.id, "reason": "cuti melahirkan"})
    with app.app_context(), unit_of_work() as s:
        holders = {i: s.get(Task, i).assignee_id for i in (ids[0], ids[2], ids[4])}
        assert holders == {ids[0]: office.pendamping2.id, ids[2]: office.pendamping2.id, ids[4]: None}
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "task.assigned",
                                                    AuditEvent.actor_id == office.kepala.id)
                           .order_by(AuditEvent.id)).scalars().all()
        bulk = [e for e in events if e.details.get("bulk")]
        assert sorted(int(e.object_id) for e in bulk) == sorted([ids[0], ids[2], ids[4]])
        assert {e.details["reason"] for e in bulk} == {"cuti melahirkan"}
        assert {e.details["to"] for e in bulk} == {office.pendamping2.id, None}


def test_a_manager_cannot_reach_another_office(app, session, web, frozen):
    office, ids = _scenario(app, frozen)
    with app.app_context(), unit_of_work() as s:
        other = h.Office(s, T0)
    web.login(other.kepala.username)
    assert web.client.get(f"/sla/people/{office.pendamping.id}/reassign").status_code == 404
    assert web.client.get(f"/sla/tasks/{ids[0]}").status_code == 404
    page = "/sla/"
    resp = web.post_form(page, f"/sla/tasks/{ids[1]}/assign", {"assignee": other.pendamping.id, "reason": "x"})
    assert resp.status_code == 404
    with app.app_context(), unit_of_work() as s:
        assert s.get(Task, ids[1]).assignee_id is None
        summary = stats.summary(s, user=s.get(type(other.kepala), other.kepala.id), now=frozen.now)
    assert summary.by_state == dict.fromkeys(sla_service.OPEN_STATES, 0)  # none of the other office's work
