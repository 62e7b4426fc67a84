"""Activation takes effect at once in every process: two app instances share one database, no restart."""

from __future__ import annotations

from typing import Any

from tests.admin import bpmn
from tests.admin.conftest import bearer


def _first_task_name(client: Any, headers: dict[str, str], key: str) -> tuple[str, int]:
    resp = client.post("/api/v1/cases", json={"workflow": key}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    case = resp.get_json()
    tasks = case.get("tasks") or case.get("open_tasks") or case.get("new_tasks")
    return tasks[0]["name"], case["id"]


def test_a_version_activated_in_one_process_is_used_by_the_other_at_once(two_apps: Any) -> None:
    first, second = two_apps
    admin, starter = first.test_client(), second.test_client()
    admin_h, starter_h = bearer(admin, "admin"), bearer(starter, "pendamping")
    v1 = bpmn.linear([("langkah", "Langkah lama")], process_id="dua_proses")
    v2 = bpmn.linear([("langkah", "Langkah baru")], process_id="dua_proses")
    assert admin.post("/api/v1/admin/workflows/dua_proses/versions", data=v1, headers=admin_h,
                      content_type="application/xml").status_code == 201
    # the second process starts a case (its parsed-definition cache is now warm with version 1)
    assert _first_task_name(starter, starter_h, "dua_proses")[0] == "Langkah lama"

    assert admin.post("/api/v1/admin/workflows/dua_proses/versions", data=v2, headers=admin_h,
                      content_type="application/xml").status_code == 201
    assert _first_task_name(starter, starter_h, "dua_proses")[0] == "Langkah lama"  # a draft changes nothing
    resp = admin.post("/api/v1/admin/workflows/dua_proses/versions/2/activate", headers=admin_h)
    assert resp.status_code == 200

    name, case_id = _first_task_name(starter, starter_h, "dua_proses")
    assert name == "Langkah baru"
    detail = starter.get(f"/api/v1/cases/{case_id}", headers=starter_h).get_json()
    assert (detail.get("case") or detail)["workflow_version"] == 2

    # and back again through the admin API's roll back, seen by the other process too
    assert admin.post("/api/v1/admin/workflows/dua_proses/rollback", headers=admin_h).get_json()["active_version"] == 1
    assert _first_task_name(starter, starter_h, "dua_proses")[0] == "Langkah lama"
