"""A referral's answer date (``batas_respon``): past the end of that office day without an answer the
referral is overdue on every page that lists it, and the worker tells the sender and the office's
managers once; an answer in time (or later) ends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server import worker
from server.db import unit_of_work
from server.notifications.models import Notification
from server.referrals import service as referrals
from server.referrals.states import ReferralStatus
from tests.conftest import T0, csrf_from
from tests.referrals import helpers as h


def _overdue_notes(app, username):
    with app.app_context(), unit_of_work() as session:
        uid = h.user(session, username).id
        return list(session.execute(select(Notification).where(
            Notification.user_id == uid, Notification.kind == "referral_overdue")).scalars())


def test_an_unanswered_referral_turns_overdue_after_its_day_and_is_told_once(app, session, web, frozen):
    case = h.start(app)
    sent = h.refer(app, case.case_id, batas_respon="2026-11-24")  # Tuesday; T0 is Monday 09:00 WIB
    # The end of Tuesday in Payakumbuh (UTC+7) is Tuesday 17:00 UTC.
    assert sent.answer_due_at == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)

    frozen.now = datetime(2026, 11, 24, 16, 59, tzinfo=UTC)  # 23:59 WIB: still in time
    with app.app_context():
        assert worker.run_domain_jobs(now=frozen.now) == 0
    web.login("pendamping")
    page = web.client.get(f"/referrals/{sent.id}").get_data(as_text=True)
    assert "24 Nov 2026" in page and "Lewat tenggat" not in page

    frozen.now = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    with app.app_context():
        assert worker.run_domain_jobs(now=frozen.now) == 1
        assert worker.run_domain_jobs(now=frozen.now + timedelta(hours=1)) == 0  # told once
    page = web.client.get(f"/referrals/{sent.id}").get_data(as_text=True)
    assert "Lewat tenggat" in page
    assert "Lewat tenggat" in web.client.get(f"/cases/{case.case_id}").get_data(as_text=True)
    told = _overdue_notes(app, "pendamping")
    assert [n.link for n in told] == [f"/referrals/{sent.id}"] and "24 Nov 2026" in told[0].message
    assert _overdue_notes(app, "kepala")  # the office's manager too
    assert ("referral.overdue", {"respond_by": "2026-11-24",
                                 "notified": sorted({n.user_id for n in told} | {
                                     n.user_id for n in _overdue_notes(app, "kepala")})}) in [
        (a, {**d, "notified": sorted(d.get("notified", []))}) for a, d in h.audit_actions(app, case.case_id)]

    web.client.post("/logout", data={"csrf_token": csrf_from(page)})
    web.login("mitra")
    assert "Lewat tenggat" in web.client.get("/partner/").get_data(as_text=True)
    resp = web.post_form(f"/partner/referrals/{sent.id}", f"/partner/referrals/{sent.id}",
                         {"f.status": "diterima", "f.petugas": "Bripka Ani (fiktif)"})
    assert resp.status_code == 302
    assert "Lewat tenggat" not in web.client.get("/partner/").get_data(as_text=True)


def test_no_answer_date_means_no_deadline(app, session, frozen):
    case = h.start(app)
    sent = h.refer(app, case.case_id)
    assert sent.respond_by is None and sent.answer_due_at is None
    frozen.now = T0 + timedelta(days=60)
    with app.app_context():
        assert worker.run_domain_jobs(now=frozen.now) == 0
    assert not referrals.is_overdue(sent, frozen.now)


def test_an_answered_referral_is_never_overdue(app, session, frozen):
    case = h.start(app)
    sent = h.refer(app, case.case_id, batas_respon="2026-11-23")
    with app.app_context(), unit_of_work() as s:
        referrals.answer(s, referral_id=sent.id, status=ReferralStatus.ACCEPTED, user=h.user(s, "mitra"), now=T0)
    frozen.now = T0 + timedelta(days=3)
    with app.app_context():
        assert worker.run_domain_jobs(now=frozen.now) == 0
    assert not referrals.is_overdue(h.referral(app, sent.id), frozen.now)
