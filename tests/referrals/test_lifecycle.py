"""Each path of a referral's life, and that every step reaches the waiting case as ``jawaban_rujukan``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from server.referrals import service as referrals
from server.referrals.states import REFERRAL_TRANSITIONS, InvalidTransitionError, ReferralStatus, transition
from tests.conftest import T0
from tests.referrals import helpers as h


def _answer(app, referral_id, status, by="mitra", **kw):
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        return referrals.answer(session, referral_id=referral_id, status=status, user=h.user(session, by), now=T0,
                                **kw)


def _notifications(app, username, kind):
    from server.db import unit_of_work
    from server.notifications.models import Notification

    with app.app_context(), unit_of_work() as session:
        uid = h.user(session, username).id
        return list(session.execute(select(Notification).where(Notification.user_id == uid,
                                                               Notification.kind == kind)).scalars())


def test_transition_table_is_the_only_way():
    class Row:
        status = "done"

    with pytest.raises(InvalidTransitionError):
        transition(Row(), to=ReferralStatus.ACCEPTED, table=REFERRAL_TRANSITIONS)
    row = Row()
    row.status = "sent"
    transition(row, to=ReferralStatus.ACCEPTED, table=REFERRAL_TRANSITIONS)
    assert row.status == "accepted"
    assert all(not REFERRAL_TRANSITIONS[s] for s in (ReferralStatus.REJECTED, ReferralStatus.DONE,
                                                      ReferralStatus.REVOKED))


def test_sent_accepted_done_through_the_portal_and_the_api(app, session, web, api, frozen):
    case = h.start(app)
    sent = h.refer(app, case.case_id)
    assert sent.status == "sent" and sent.agency_code == "polres_unit_ppa" and sent.awaiting_answer
    assert sent.consent_basis == "consent" and sent.shares_identity
    assert sent.shared["identity"]["nama_korban"] == h.VICTIM
    assert "persetujuan_berbagi_ok" not in sent.shared["form"] and "bagikan_identitas" not in sent.shared["form"]
    assert [n.link for n in _notifications(app, "mitra", "referral")] == [f"/partner/referrals/{sent.id}"]

    # The police officer accepts in the portal, through the jawaban_rujukan form.
    web.login("mitra")
    page = web.client.get(f"/partner/referrals/{sent.id}").get_data(as_text=True)
    assert h.VICTIM in page and h.SUMMARY in page
    resp = web.post_form(f"/partner/referrals/{sent.id}", f"/partner/referrals/{sent.id}",
                         {"f.status": "diterima", "f.petugas": "Bripka Ani (fiktif)"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    accepted = h.referral(app, sent.id)
    assert accepted.status == "accepted" and accepted.officer == "Bripka Ani (fiktif)" and not accepted.awaiting_answer
    data = h.case_data(app, case.case_id)
    assert data["jawaban_rujukan"]["status"] == "diterima" and data["jawaban_rujukan"]["mitra"] == "polres_unit_ppa"
    with app.app_context():
        assert h.open_task(session, case.case_id, "catat_layanan") is not None
    assert ("case.message", {"message": "jawaban_rujukan"}) in h.audit_actions(app, case.case_id)

    # Done with the service note, over the API; the case has moved on, so only the referral changes.
    partner = api("mitra")
    form = partner.get(f"/api/v1/partner/referrals/{sent.id}").get_json()
    assert form["status"] == "accepted" and form["shared"]["identity"]["nama_korban"] == h.VICTIM
    resp = partner.post(f"/api/v1/partner/referrals/{sent.id}/answer",
                        json={"status": "selesai", "catatan": "Laporan polisi diterima, LP/B/12 (fiktif)."})
    assert resp.status_code == 200, resp.get_json()
    done = h.referral(app, sent.id)
    assert done.status == "done" and done.note.startswith("Laporan polisi") and done.closed_at == T0
    actions = h.audit_actions(app, case.case_id)
    answered = [d for a, d in actions if a == "referral.answered"]
    assert [(d["status"], d["delivered"]) for d in answered] == [("accepted", True), ("done", False)]
    assert _notifications(app, "pendamping", "referral_answer")
    # Once closed, the partner no longer reads what the referral shared.
    assert "shared" not in partner.get(f"/api/v1/partner/referrals/{sent.id}").get_json()
    assert h.VICTIM not in web.client.get(f"/partner/referrals/{sent.id}").get_data(as_text=True)
    # A second answer to a closed referral is a conflict, not a change.
    with pytest.raises(ConflictError):
        _answer(app, sent.id, ReferralStatus.DONE)


def test_rejected_with_reason_then_a_new_referral(app, session, api, frozen):
    case = h.start(app)
    first = h.refer(app, case.case_id)
    partner = api("mitra")
    resp = partner.post(f"/api/v1/partner/referrals/{first.id}/answer", json={"status": "ditolak"})
    assert resp.status_code == 422  # a rejection needs its reason (the form's catatan)
    assert h.referral(app, first.id).status == "sent"
    resp = partner.post(f"/api/v1/partner/referrals/{first.id}/answer",
                        json={"status": "ditolak", "catatan": "Penyidik PPA sedang di luar kota."})
    assert resp.status_code == 200, resp.get_json()
    rejected = h.referral(app, first.id)
    assert rejected.status == "rejected" and rejected.reason == "Penyidik PPA sedang di luar kota."
    data = h.case_data(app, case.case_id)
    assert data["jawaban_rujukan"] == {"status": "ditolak", "mitra": "polres_unit_ppa", "rujukan_id": first.id,
                                       "alasan": "Penyidik PPA sedang di luar kota.",
                                       "catatan": "Penyidik PPA sedang di luar kota."}
    # Back at the referral step: the caseworker chooses the hospital instead, without identity.
    second = h.refer(app, case.case_id, to="rsud", identity=False, layanan_diminta="kesehatan")
    assert second.previous_id == first.id and second.agency_code == "rsud"
    assert second.consent_basis == "not_needed" and "identity" not in second.shared
    assert not h.referral(app, first.id).awaiting_answer
    # The police's partner user cannot see the hospital's referral.
    assert partner.get(f"/api/v1/partner/referrals/{second.id}").status_code == 404


def test_manager_revokes_with_a_reason(app, session, web, frozen):
    case = h.start(app)
    sent = h.refer(app, case.case_id)
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s, pytest.raises(PermissionDeniedError):
        referrals.revoke(s, referral_id=sent.id, user=h.user(s, "pendamping"), now=T0, reason="Salah kirim")
    web.login("kepala")
    page = f"/referrals/{sent.id}"
    assert web.client.get(page).status_code == 200
    resp = web.post_form(page, f"/referrals/{sent.id}/revoke", {"reason": ""})
    assert resp.status_code == 302 and h.referral(app, sent.id).status == "sent"
    resp = web.post_form(page, f"/referrals/{sent.id}/revoke", {"reason": "Korban menarik persetujuan."})
    assert resp.status_code == 302
    revoked = h.referral(app, sent.id)
    assert revoked.status == "revoked" and revoked.reason == "Korban menarik persetujuan."
    assert h.case_data(app, case.case_id)["jawaban_rujukan"]["status"] == "dicabut"
    with app.app_context():
        assert h.open_task(session, case.case_id, "rujukan") is not None  # choose another partner
    assert ("referral.revoked", "Korban menarik persetujuan.") in [
        (a, d.get("reason")) for a, d in h.audit_actions(app, case.case_id)]
    assert any("withdrawn" in n.message or "dicabut" in n.message for n in _notifications(app, "mitra", "referral"))


def test_revoking_an_accepted_referral_does_not_move_the_case(app, session):
    case = h.start(app)
    sent = h.refer(app, case.case_id)
    _answer(app, sent.id, ReferralStatus.ACCEPTED)
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        referrals.revoke(s, referral_id=sent.id, user=h.user(s, "kepala"), now=T0, reason="Layanan dialihkan.")
    assert h.referral(app, sent.id).status == "revoked"
    assert h.case_data(app, case.case_id)["jawaban_rujukan"]["status"] == "diterima"
    with app.app_context():
        assert h.open_task(session, case.case_id, "catat_layanan") is not None


def test_staff_record_an_answer_given_by_phone_for_an_agency_without_an_account(app, session, web, frozen):
    case = h.start(app, consent=("polisi", "lainnya"))
    sent = h.refer(app, case.case_id, to="disdik", identity=False, nama_lembaga="Dinas Pendidikan (fiktif)")
    assert sent.agency_id is None and sent.agency_name == "Dinas Pendidikan (fiktif)"
    web.login("pendamping")
    page = f"/referrals/{sent.id}"
    assert f'action="/referrals/{sent.id}/answer"' in web.client.get(page).get_data(as_text=True)
    resp = web.post_form(page, f"/referrals/{sent.id}/answer", {"f.status": "selesai", "f.catatan": "Korban pindah sekolah."})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    done = h.referral(app, sent.id)
    assert done.status == "done" and done.note == "Korban pindah sekolah."
    assert h.case_data(app, case.case_id)["jawaban_rujukan"]["status"] == "selesai"
    assert "referral.answered_for_partner" in [a for a, _ in h.audit_actions(app, case.case_id)]


def test_a_partner_cannot_answer_what_the_state_does_not_allow(app, session, api, frozen):
    case = h.start(app)
    sent = h.refer(app, case.case_id)
    _answer(app, sent.id, ReferralStatus.ACCEPTED)
    partner = api("mitra")
    resp = partner.post(f"/api/v1/partner/referrals/{sent.id}/answer", json={"status": "ditolak", "catatan": "x"})
    assert resp.status_code == 422  # an accepted referral can only be reported done
    assert h.referral(app, sent.id).status == "accepted"
    with pytest.raises(ValidationFailedError):
        _answer(app, sent.id, ReferralStatus.REVOKED)


def test_the_generic_message_endpoint_refuses_referral_answers(app, session, api, frozen):
    case = h.start(app)
    sent = h.refer(app, case.case_id)
    worker = api("pendamping")
    resp = worker.post("/api/v1/messages/jawaban_rujukan",
                       json={"case_id": case.case_id, "payload": {"status": "diterima", "mitra": "polres_unit_ppa"}})
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["code"] == "use_referral_answer"
    assert f"POST /api/v1/referrals/{sent.id}/answer" in body["message"]
    assert body["details"][0]["referral_id"] == sent.id
    # Nothing moved: the referral still awaits its answer and so does the case.
    still = h.referral(app, sent.id)
    assert still.status == "sent" and still.awaiting_answer
    assert "jawaban_rujukan" not in h.case_data(app, case.case_id)
    assert ("case.message", {"message": "jawaban_rujukan"}) not in h.audit_actions(app, case.case_id)
    # Messages the referrals domain does not own still go through the generic endpoint (this case waits for none).
    other = worker.post("/api/v1/messages/izin_penyidik", json={"case_id": case.case_id, "payload": {}})
    assert other.status_code == 409 and other.get_json()["code"] == "not_waiting"

    # The endpoint the error names records the answer on the referral and delivers it to the case.
    resp = worker.post(f"/api/v1/referrals/{sent.id}/answer", json={"status": "diterima", "petugas": "Bripka Ani"})
    assert resp.status_code == 200, resp.get_json()
    answered = h.referral(app, sent.id)
    assert answered.status == "accepted" and not answered.awaiting_answer and answered.officer == "Bripka Ani"
    assert h.case_data(app, case.case_id)["jawaban_rujukan"]["rujukan_id"] == sent.id
    assert ("case.message", {"message": "jawaban_rujukan"}) in h.audit_actions(app, case.case_id)
