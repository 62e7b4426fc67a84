"""The case page shows the deadlines of the work already done (met, or missed and by how much) and the
whole case's deadline with its state, in the reader's language."""

from __future__ import annotations

from server.db import unit_of_work
from server.sla import settings
from server.tasks import service as tasks_service
from tests.conftest import T0
from tests.sla import helpers as h


def test_finished_tasks_show_met_or_missed_and_the_case_deadline_its_state(app, session, web, frozen):
    with app.app_context(), unit_of_work() as s:
        h.install(s, "sla_halaman", T0, timer=None, props={"slaDuration": "PT2H", "slaBasis": "SOP dua jam"})
        settings.save_policy(s, workflow_key="sla_halaman", bpmn_id="*", duration="P1D", start="case_created",
                             warn_ratio="0.5", escalate_to="", basis="SOP kasus sehari", actor=h.user(s, "admin"),
                             now=T0)
        started = h.start(s, "sla_halaman", T0)
        case_id, task_id = started.case.id, started.new_tasks[0].id
    web.login("pendamping")
    page = web.client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Tenggat kasus" in page and "SOP kasus sehari" in page and 'data-sla="on_track"' in page
    assert "Tugas selesai" not in page

    frozen.advance(hours=3, minutes=30)  # the task's 2 h pass: it is finished 1 h 30 min late
    with app.app_context(), unit_of_work() as s:
        tasks_service.complete(s, task_id=task_id, user=h.user(s, "pendamping"), now=frozen.now,
                               data={"keputusan": "setuju"})
    web.login("pendamping")  # hours later: the idle session has ended
    page = web.client.get(f"/cases/{case_id}").get_data(as_text=True)
    done = page[page.index("Tugas selesai"):]
    assert "Tugas dengan tenggat" in done and 'data-sla="missed"' in done
    assert "terlambat 1 j 30 mnt" in done

    details = page[page.index("Tenggat kasus"):]
    assert details.index('data-sla="met"') < details.index("SOP kasus sehari")  # closed within its day
