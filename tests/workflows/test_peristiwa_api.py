"""The victim's withdrawal through the HTTP API as staff would record it: the message
``korban_mengundurkan_diri`` to an open violence case, the closing tasks, and the case's outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.workflows import data as D
from tests.workflows.runner import T0


def _open(api_user: Any, case_id: int) -> dict[str, dict[str, Any]]:
    case = api_user.get(f"/api/v1/cases/{case_id}").get_json()
    return {t["bpmn_id"]: t for t in case["tasks"] if t["status"] == "open"}


def _complete(api_user: Any, task: dict[str, Any], data: dict[str, Any]) -> None:
    resp = api_user.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    assert resp.status_code == 200, resp.get_json()


def test_withdrawal_message_closes_the_case_with_its_outcome(api: Any) -> None:
    intake, worker, head, data_officer = api("intake"), api("pendamping"), api("kepala"), api("data")
    case = intake.post("/api/v1/cases", json={"workflow": "ppa_kasus_kekerasan"}).get_json()
    case_id = case["id"]
    _complete(intake, _open(intake, case_id)["registrasi"], D.pengaduan())
    _complete(worker, _open(worker, case_id)["identifikasi"], D.identifikasi())
    assert set(_open(worker, case_id)) == {"informasi_hak", "fasilitasi_laporan_kdrt"}

    resp = worker.post("/api/v1/messages/korban_mengundurkan_diri",
                       json={"case_id": case_id, "payload": {"catatan": "Korban menelepon."}})
    assert resp.status_code == 200, resp.get_json()
    assert [t["bpmn_id"] for t in resp.get_json()["next_tasks"]] == ["catat_pengunduran_diri"]
    # a second withdrawal message while the first is being recorded is refused
    again = worker.post("/api/v1/messages/korban_mengundurkan_diri", json={"case_id": case_id, "payload": {}})
    assert again.status_code == 409 and again.get_json()["code"] == "not_waiting"

    _complete(worker, _open(worker, case_id)["catat_pengunduran_diri"],
              D.pengunduran_diri(T0 + timedelta(hours=5)))
    open_now = _open(head, case_id)
    assert set(open_now) == {"informasi_hak", "fasilitasi_laporan_kdrt", "persetujuan_korban_mundur"}
    assert open_now["persetujuan_korban_mundur"]["lane"] == "kepala_uptd"
    _complete(head, open_now["persetujuan_korban_mundur"], D.SETUJU)
    _complete(data_officer, _open(data_officer, case_id)["simfoni_korban_mundur"], D.simfoni("terminasi"))

    closed = worker.get(f"/api/v1/cases/{case_id}").get_json()
    assert closed["status"] == "closed" and closed["outcome"] == "selesai_korban_mundur"
    assert not [t for t in closed["tasks"] if t["status"] == "open"]
    late = worker.post("/api/v1/messages/ancaman_baru", json={"case_id": case_id, "payload": {}})
    assert late.status_code in (404, 409)
