"""Transfers of a case to another unit: only with consent (or a manager's reason); ownership moves on acceptance."""

from __future__ import annotations

from typing import Any

import pytest

from server.errors import NotFoundError, ValidationFailedError
from server.referrals import transfers
from tests.conftest import T0, Web
from tests.referrals import helpers as h


def _other_unit(app: Any) -> int:
    """UPTD PPA Kabupaten Lima Puluh Kota, with its manager and caseworker."""
    from server.auth import service as auth_service
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        unit = auth_service.ensure_unit(s, "LPK", "UPTD PPA Kabupaten Lima Puluh Kota")
        auth_service.create_user(s, username="kepala_lpk", password="sinergi-demo", now=T0,  # noqa: S106
                                 groups=["kepala_uptd"], unit=unit)
        auth_service.create_user(s, username="pendamping_lpk", password="sinergi-demo", now=T0,  # noqa: S106
                                 groups=["pendamping"], unit=unit)
        return unit.id


def _request(app: Any, case_id: int, unit_id: int, by: str = "pendamping", **kw: Any) -> Any:
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        return transfers.request(s, case_id=case_id, to_unit_id=unit_id, user=h.user(s, by), now=T0,
                                 reason="Korban pindah domisili ke Kabupaten Lima Puluh Kota.", **kw)


def _act(app: Any, action: str, transfer_id: int, by: str, **kw: Any) -> Any:
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        return getattr(transfers, action)(s, transfer_id=transfer_id, user=h.user(s, by), now=T0, **kw)


def test_transfer_needs_consent_and_ownership_moves_on_acceptance(app, session, frozen):
    unit_id = _other_unit(app)
    case = h.start(app, consent=None)  # the case waits at its consent task, held by the caseworker
    from server.db import unit_of_work
    from server.tasks import service as tasks

    with app.app_context(), unit_of_work() as s:
        task = h.open_task(s, case.case_id, "informasi_hak")
        tasks.claim(s, task_id=task.id, user=h.user(s, "pendamping"), now=T0)
        task_id = task.id
    with pytest.raises(ValidationFailedError) as refused:
        _request(app, case.case_id, unit_id)
    assert refused.value.code == "consent_required"
    with pytest.raises(ValidationFailedError):
        _request(app, case.case_id, unit_id, override_reason="Darurat")  # only a manager may override
    row = _request(app, case.case_id, unit_id, consent_from="korban")
    assert row.status == "requested" and row.consent_basis == "consent:korban"

    other = app.test_client()
    Web(other).login("kepala_lpk")
    worker = app.test_client()
    Web(worker).login("pendamping_lpk")
    assert worker.get(f"/cases/{case.case_id}").status_code == 404
    # Before accepting, the receiving manager sees the request but not the case.
    page = other.get("/transfers").get_data(as_text=True)
    assert case.reference in page and h.VICTIM not in page
    assert other.get(f"/cases/{case.case_id}").status_code == 404
    with pytest.raises(NotFoundError):
        _act(app, "accept", row.id, "kepala")  # the sending unit cannot accept for the receiver
    _act(app, "accept", row.id, "kepala_lpk", note="Diterima, pendamping LPK menindaklanjuti.")

    with app.app_context(), unit_of_work() as s:
        from server.cases.models import Case
        from server.tasks.models import Task

        assert s.get(Case, case.case_id).unit_id == unit_id
        assert s.get(Task, task_id).assignee_id is None  # back to the group queue, now the new unit's
    assert h.VICTIM in other.get(f"/api/v1/cases/{case.case_id}", headers=_token(other, "kepala_lpk")).get_data(
        as_text=True)
    assert worker.get(f"/cases/{case.case_id}").status_code == 200  # an open task waits for their group
    actions = [a for a, _ in h.audit_actions(app, case.case_id)]
    assert "case.transfer_requested" in actions and "case.transferred" in actions


def _token(client: Any, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json={"username": username, "password": "sinergi-demo"}).get_json()
    return {"Authorization": f"Bearer {token['token']}"}


def test_consent_recorded_on_the_case_or_a_manager_override(app, session):
    unit_id = _other_unit(app)
    case = h.start(app)
    row = _request(app, case.case_id, unit_id, by="kepala", override_reason="Anak terancam; pelimpahan segera.")
    assert row.consent_basis == "override"
    assert [d for a, d in h.audit_actions(app, case.case_id) if a == "case.transfer_requested"][0][
        "override_reason"] == "Anak terancam; pelimpahan segera."
    with pytest.raises(Exception) as pending:
        _request(app, case.case_id, unit_id, consent_from="korban")
    assert getattr(pending.value, "code", "") == "transfer_pending"


def test_declined_with_a_reason_and_the_case_stays(app, session):
    unit_id = _other_unit(app)
    case = h.start(app)
    row = _request(app, case.case_id, unit_id, consent_from="orang_tua_wali")
    with pytest.raises(ValidationFailedError):
        _act(app, "decline", row.id, "kepala_lpk", note="")
    declined = _act(app, "decline", row.id, "kepala_lpk", note="Domisili korban masih di Payakumbuh.")
    assert declined.status == "declined"
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        from server.cases.models import Case

        assert s.get(Case, case.case_id).unit_id != unit_id
    # A new request is possible once the first was answered; the sender may also cancel it.
    again = _request(app, case.case_id, unit_id, consent_from="korban")
    assert _act(app, "cancel", again.id, "pendamping").status == "cancelled"
