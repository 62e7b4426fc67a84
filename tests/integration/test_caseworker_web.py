"""The caseworker path through the server-rendered UI: log in, start a case, fill forms, finish it."""

from __future__ import annotations

import re

from tests.conftest import csrf_from


def _task_id_from(location: str) -> int:
    match = re.search(r"/tasks/(\d+)", location)
    assert match, location
    return int(match.group(1))


def test_login_rejects_wrong_password_and_accepts_right_one(web):
    resp = web.login("pendamping", "wrong-password")
    assert resp.status_code == 401
    assert "salah" in resp.get_data(as_text=True).lower()  # Indonesian by default
    resp = web.login("pendamping")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/inbox")


def test_pages_need_login(client):
    resp = client.get("/inbox")
    assert resp.status_code == 401
    assert client.get("/cases/1").status_code == 401


def test_post_without_csrf_token_is_refused(web, client):
    web.login("pendamping")
    resp = client.post("/cases/new", data={"workflow": "konsultasi"})
    assert resp.status_code == 400
    assert "konsultasi" not in resp.get_data(as_text=True).lower() or "csrf" not in resp.get_data(as_text=True)


def test_caseworker_completes_a_case_end_to_end(web, client):
    web.login("pendamping")
    resp = web.post_form("/cases/new", "/cases/new", {"workflow": "konsultasi"})
    assert resp.status_code == 302
    task_url = resp.headers["Location"]
    assert _task_id_from(task_url)

    page = client.get(task_url).get_data(as_text=True)
    assert "Catat konsultasi" in page
    assert 'name="f.ringkasan"' in page

    # Invalid: required summary missing and a too-short one; entered data is kept, errors are inline.
    token = csrf_from(page)
    resp = client.post(task_url, data={"csrf_token": token, "f.topik": "lainnya", "f.ringkasan": "abc",
                                       "f.saran": "Saran <b>tebal</b>"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'aria-invalid="true"' in body
    assert "Saran &lt;b&gt;tebal&lt;/b&gt;" in body  # kept and escaped
    assert "Topik lainnya" in body

    resp = client.post(task_url, data={"csrf_token": token, "f.topik": "hak_anak",
                                       "f.ringkasan": "Ibu menanyakan hak asuh anak.", "f.saran": "Rujuk ke LBH"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    case_url = resp.headers["Location"]
    assert "/cases/" in case_url
    case_page = client.get(case_url).get_data(as_text=True)
    assert "Ibu menanyakan hak asuh anak." in case_page
    assert "Tinjau catatan konsultasi" in case_page

    # The manager approves.
    client.post("/logout", data={"csrf_token": csrf_from(case_page)})
    web.login("kepala")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Tinjau catatan konsultasi" in inbox
    review_id = int(re.search(r'href="/tasks/(\d+)">Tinjau catatan konsultasi', inbox).group(1))
    resp = web.post_form(f"/tasks/{review_id}", f"/tasks/{review_id}", {"f.keputusan": "setuju"})
    assert resp.status_code == 302

    # The caseworker finishes the follow-up; the case closes.
    web.client.post("/logout", data={"csrf_token": csrf_from(client.get("/inbox").get_data(as_text=True))})
    web.login("pendamping")
    inbox = client.get("/inbox").get_data(as_text=True)
    follow_id = int(re.search(r'href="/tasks/(\d+)">Tindak lanjut konsultasi', inbox).group(1))
    resp = web.post_form(f"/tasks/{follow_id}", f"/tasks/{follow_id}",
                         {"f.hasil": "Klien sudah ke LBH.", "f.dirujuk_ke": "lbh"})
    assert resp.status_code == 302
    case_page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Ditutup" in case_page or "Closed" in case_page
    assert case_page.count("versi formulir 1") + case_page.count("form version 1") >= 3


def test_task_held_by_someone_else_cannot_be_completed(web, client, api):
    kepala = api("kepala")
    case = kepala.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    task_id = case["tasks"][0]["id"]
    assert api("pendamping").post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    web.login("kepala")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)  # the unit's manager may look
    assert 'name="f.ringkasan"' not in page
    resp = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_from(page), "f.topik": "hak_anak",
                                                 "f.ringkasan": "Tidak boleh"})
    assert resp.status_code == 302
    follow = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Tidak boleh" not in follow
    detail = api("pendamping").get(f"/api/v1/tasks/{task_id}").get_json()
    assert detail["status"] == "open"
