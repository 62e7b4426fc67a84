"""The inbox's deadline filters (state as of now, due date) and lateness on closed tasks."""

from __future__ import annotations

import re
from datetime import timedelta

from server.db import unit_of_work
from server.sla import pausing
from server.tasks import service as tasks_service
from tests.conftest import T0
from tests.sla import helpers as h


def _ids(html):
    return {int(i) for i in re.findall(r'data-task-id="(\d+)"', html)}


def test_inbox_filters_by_live_state_and_due_date_and_shows_lateness(app, session, web, frozen):
    with app.app_context(), unit_of_work() as s:
        office = h.Office(s, T0)
        h.install(s, "sla_inbox", T0, props={"slaDuration": "PT4H"}, timer=None)
        tasks = [h.start(s, "sla_inbox", T0 + timedelta(hours=i), username=office.pendamping.username).new_tasks[0]
                 for i in range(3)]
        konsultasi = h.start(s, "konsultasi", T0, username=office.pendamping.username).new_tasks[0]
        for t in (*tasks, konsultasi):
            tasks_service.claim(s, task_id=t.id, user=office.pendamping, now=T0)
        pausing.pause(s, task_id=tasks[2].id, user=office.pendamping, now=T0 + timedelta(hours=2), reason="x")
    # 4.5 h on: the first is late (due 4 h), the second at risk (due 5 h, warns at 4 h), the third paused;
    # the worker has not run, so the stored states still say on_track: the filter must not trust them.
    frozen.now = T0 + timedelta(hours=4, minutes=30)
    web.login(office.pendamping.username)
    inbox = "/inbox?scope=mine"
    assert _ids(web.client.get(f"{inbox}&sla=breached").get_data(as_text=True)) == {tasks[0].id}
    assert _ids(web.client.get(f"{inbox}&sla=at_risk").get_data(as_text=True)) == {tasks[1].id}
    assert _ids(web.client.get(f"{inbox}&sla=paused").get_data(as_text=True)) == {tasks[2].id}
    assert _ids(web.client.get(f"{inbox}&due=overdue").get_data(as_text=True)) == {tasks[0].id}
    # "1 hari kerja" from Monday is due Tuesday 16:00: not today, but within the week
    assert _ids(web.client.get(f"{inbox}&due=today").get_data(as_text=True)) == {t.id for t in tasks}
    assert konsultasi.id in _ids(web.client.get(f"{inbox}&due=week").get_data(as_text=True))

    page = f"/tasks/{tasks[0].id}"
    done = web.post_form(page, page, {"f.keputusan": "setuju"})
    assert done.status_code == 302, done.get_data(as_text=True)[-3000:]
    closed = web.client.get(f"{inbox}&status=completed").get_data(as_text=True)
    assert _ids(closed) == {tasks[0].id}
    assert "sla-missed" in closed and "30 min" in closed
    assert "30 min" in web.client.get(page).get_data(as_text=True)
