"""An approval shows what it approves: the task page of a reviewing task shows the latest answers of the
earlier tasks its BPMN names (``reviewSubmissions``), read-only and audited; a closed review keeps showing
what was approved then."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.db import unit_of_work
from tests.conftest import csrf_from


def _submit(web: Any, task_url: str, fields: dict[str, str]) -> str:
    page = web.client.get(task_url).get_data(as_text=True)
    resp = web.client.post(task_url, data={"csrf_token": csrf_from(page), **fields})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp.headers["Location"]


def _open_task(web: Any, case_url: str, name: str) -> str:
    page = web.client.get(case_url).get_data(as_text=True)
    page = page.split("Tugas selesai", 1)[0]  # the open tasks, not the finished ones listed below them
    found = re.findall(r'href="(/tasks/\d+)"[^>]*>\s*' + re.escape(name), page)
    assert found, f"no open task {name} on {case_url}"
    return found[-1]


def test_the_head_reviews_the_latest_notes_and_the_closed_review_keeps_what_it_saw(app: Any, web: Any) -> None:
    web.login("pendamping")
    resp = web.post_form("/cases/new", "/cases/new", {"workflow": "konsultasi"})
    first = resp.headers["Location"]
    case_url = _submit(web, first, {"f.topik": "hak_anak", "f.ringkasan": "Catatan pertama <i>miring</i>",
                                    "f.saran": "Rujuk ke LBH"})
    assert "/cases/" in case_url  # the review belongs to the head, not to the caseworker
    web.client.post("/logout", data={"csrf_token": csrf_from(web.client.get("/inbox").get_data(as_text=True))})

    web.login("kepala")
    review_url = _open_task(web, case_url, "Tinjau catatan konsultasi")
    page = web.client.get(review_url).get_data(as_text=True)
    assert "Untuk Anda tinjau" in page and "Catat konsultasi" in page
    assert "Catatan pertama &lt;i&gt;miring&lt;/i&gt;" in page  # shown, escaped
    _submit(web, review_url, {"f.keputusan": "kembalikan", "f.catatan": "Lengkapi kronologi"})
    web.client.post("/logout", data={"csrf_token": csrf_from(web.client.get("/inbox").get_data(as_text=True))})

    web.login("pendamping")
    again = _open_task(web, case_url, "Catat konsultasi")
    _submit(web, again, {"f.topik": "hak_anak", "f.ringkasan": "Catatan kedua, lengkap", "f.saran": "Rujuk"})
    web.client.post("/logout", data={"csrf_token": csrf_from(web.client.get("/inbox").get_data(as_text=True))})

    web.login("kepala")
    second_review = _open_task(web, case_url, "Tinjau catatan konsultasi")
    page = web.client.get(second_review).get_data(as_text=True)
    assert "Catatan kedua, lengkap" in page and "Catatan pertama" not in page
    closed = web.client.get(review_url).get_data(as_text=True)  # the first, closed review
    assert "Catatan pertama" in closed and "Catatan kedua" not in closed

    with app.app_context(), unit_of_work() as session:
        reads = session.execute(select(AuditEvent).where(AuditEvent.action == "submission.read",
                                                         AuditEvent.object_id == second_review.rsplit("/", 1)[1])
                                ).scalars().all()
        assert reads and reads[-1].actor_name == "kepala" and reads[-1].details["for_review"] is True


def test_a_task_without_review_shows_no_review_section(web: Any) -> None:
    web.login("pendamping")
    resp = web.post_form("/cases/new", "/cases/new", {"workflow": "konsultasi"})
    page = web.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Untuk Anda tinjau" not in page
