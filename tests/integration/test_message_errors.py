"""A message sent to a case that is not waiting for it: 409 with a message in the user's language that names
the message, and the case does not move."""

from __future__ import annotations

from typing import Any


def test_message_a_case_is_not_waiting_for_is_refused_in_indonesian_and_english(api: Any, client: Any) -> None:
    worker = api("pendamping")
    case = worker.post("/api/v1/cases", json={"workflow": "konsultasi"}).get_json()
    before = worker.get(f"/api/v1/cases/{case['id']}").get_json()
    assert before["tasks"]
    resp = worker.post("/api/v1/messages/izin_penyidik", json={"case_id": case["id"], "payload": {}})
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["code"] == "not_waiting"
    assert body["message"] == "Kasus tidak sedang menunggu pesan izin_penyidik."
    client.set_cookie("sinergi_locale", "en")
    resp = worker.post("/api/v1/messages/izin_penyidik", json={"case_id": case["id"], "payload": {}})
    assert resp.status_code == 409
    assert resp.get_json()["message"] == "The case is not waiting for the message izin_penyidik."
    after = worker.get(f"/api/v1/cases/{case['id']}").get_json()
    assert [t["id"] for t in after["tasks"]] == [t["id"] for t in before["tasks"]]
