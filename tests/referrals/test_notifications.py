"""Notifications: each user's choices, mail that carries only a link, the outbox's retries with backoff."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.errors import ValidationFailedError
from server.notifications import outbox
from server.notifications.models import Notification, OutboxMessage
from tests.conftest import T0
from tests.referrals import helpers as h


def _set_email(app: Any, username: str, email: str) -> None:
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        h.user(session, username).email = email


def _mail_to(app: Any, address: str) -> list[OutboxMessage]:
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as session:
        return list(session.execute(select(OutboxMessage).where(OutboxMessage.to_address == address)
                                    .order_by(OutboxMessage.id)).scalars())


class FailingSMTP:
    """An SMTP server that is down."""

    sent: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> FailingSMTP:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def send_message(self, msg: Any) -> None:
        raise smtplib.SMTPServerDisconnected("connection refused")


class WorkingSMTP(FailingSMTP):
    def send_message(self, msg: Any) -> None:
        WorkingSMTP.sent.append(msg)


def test_settings_page_shows_the_kinds_of_the_role_and_saves_choices(app, session, web, frozen):
    web.login("mitra")
    h.english(web)
    html = web.client.get("/notifications/settings").get_data(as_text=True)
    assert 'value="referral.app"' in html and 'value="task_new.app"' not in html  # partners: referrals only
    assert "no e-mail address" in html and 'value="referral.email"' in html and "disabled" in html
    resp = web.post_form("/notifications/settings", "/notifications/settings", {})  # nothing ticked
    assert resp.status_code == 302
    from server.db import unit_of_work
    from server.notifications import service as notify

    with app.app_context(), unit_of_work() as s:
        mitra = h.user(s, "mitra")
        assert notify.wants(mitra, "referral", "app") is False
        mitra.email = "ppa@polres.example"  # the e-mail choice was not stored: its default applies once set
        assert notify.wants(mitra, "referral", "email") is True
        mitra.email = None
    # With the in-app notification switched off, a new referral leaves no row for the partner.
    case = h.start(app)
    h.refer(app, case.case_id)
    with app.app_context(), unit_of_work() as s:
        mitra_id = h.user(s, "mitra").id
        assert not s.execute(select(Notification).where(Notification.user_id == mitra_id)).first()
    assert "notifications.preferences_saved" in _actions_of(app, "mitra")

    staff = app.test_client()
    from tests.conftest import Web

    Web(staff).login("pendamping")
    html = staff.get("/notifications/settings").get_data(as_text=True)
    assert 'value="task_new.app"' in html and 'value="referral_answer.email"' in html
    assert 'value="referral.app"' not in html


def _actions_of(app: Any, username: str) -> list[str]:
    from server.audit.models import AuditEvent
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        uid = h.user(s, username).id
        return [e.action for e in s.execute(select(AuditEvent).where(AuditEvent.actor_id == uid)).scalars()]


def test_mail_carries_a_link_and_no_case_details(app, session, monkeypatch, frozen):
    _set_email(app, "mitra", "ppa@polres.example")
    _set_email(app, "pendamping", "sari@uptd.example")
    case = h.start(app)
    sent = h.refer(app, case.case_id)
    from server.db import unit_of_work
    from server.referrals import service as referrals
    from server.referrals.states import ReferralStatus

    with app.app_context(), unit_of_work() as s:
        referrals.answer(s, referral_id=sent.id, status=ReferralStatus.REJECTED, user=h.user(s, "mitra"), now=T0,
                         note=f"Korban {h.VICTIM} sudah dilayani di Polsek.")
    to_partner, to_worker = _mail_to(app, "ppa@polres.example"), _mail_to(app, "sari@uptd.example")
    assert len(to_partner) == 1 and len(to_worker) >= 1
    details = (h.VICTIM, h.PHONE, h.STORY, h.SUMMARY, case.reference, "penegakan_hukum", "Polsek", "Rujuk ke mitra")
    for row in to_partner + to_worker:
        for detail in details:
            assert detail not in row.subject and detail not in row.body, (detail, row.subject, row.body)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example")
    monkeypatch.setitem(app.config, "BASE_URL", "https://sinergi.example/")
    monkeypatch.setattr(outbox.smtplib, "SMTP", WorkingSMTP)
    WorkingSMTP.sent = []
    with app.app_context():
        outbox.send_due(app, now=T0)
    delivered = {m["To"]: m for m in WorkingSMTP.sent}
    body = delivered["ppa@polres.example"].get_content()
    assert f"https://sinergi.example/partner/referrals/{sent.id}" in body
    assert all(d not in body for d in details)


def test_no_mail_when_the_step_is_refused(app, session):
    """Mail is queued in the step's transaction: a refused referral leaves none behind."""
    _set_email(app, "mitra", "ppa@polres.example")
    case = h.start(app, consent=())
    with pytest.raises(ValidationFailedError):
        h.refer(app, case.case_id)
    assert _mail_to(app, "ppa@polres.example") == []


def test_outbox_retries_with_backoff_then_gives_up(app, session, monkeypatch):
    from server.db import unit_of_work
    from server.notifications import service as notify

    _set_email(app, "kepala", "budi@uptd.example")
    with app.app_context(), unit_of_work() as s:
        notify.notify(s, users=[h.user(s, "kepala")], kind="transfer", message="x", link="/transfers", now=T0)
    [row] = _mail_to(app, "budi@uptd.example")
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example")
    monkeypatch.setattr(outbox.smtplib, "SMTP", FailingSMTP)

    def tick(at: Any) -> OutboxMessage:
        with app.app_context():
            outbox.send_due(app, now=at)
        return _mail_to(app, "budi@uptd.example")[0]

    now = T0
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS):
        row = tick(now)
        assert (row.status, row.attempts) == ("pending", attempt) and "connection refused" in row.last_error
        waits.append(row.next_attempt_at - now)
        assert tick(row.next_attempt_at - timedelta(seconds=1)).attempts == attempt  # not before it is due
        now = row.next_attempt_at
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]  # doubling
    assert all(w <= timedelta(hours=6) for w in waits)
    row = tick(now)
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert tick(now + timedelta(days=1)).attempts == outbox.MAX_ATTEMPTS  # given up: no more tries


def test_outbox_sends_once_the_server_is_back(app, session, monkeypatch):
    from server.db import unit_of_work
    from server.notifications import service as notify

    _set_email(app, "kepala", "budi@uptd.example")
    with app.app_context(), unit_of_work() as s:
        notify.notify(s, users=[h.user(s, "kepala")], kind="transfer", message="x", link="/transfers", now=T0)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example")
    monkeypatch.setattr(outbox.smtplib, "SMTP", FailingSMTP)
    with app.app_context():
        assert outbox.send_due(app, now=T0) == 0
    monkeypatch.setattr(outbox.smtplib, "SMTP", WorkingSMTP)
    WorkingSMTP.sent = []
    with app.app_context():
        assert outbox.send_due(app, now=T0 + timedelta(seconds=30)) == 1
        assert outbox.send_due(app, now=T0 + timedelta(hours=1)) == 0  # sent once
    [row] = _mail_to(app, "budi@uptd.example")
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, T0 + timedelta(seconds=30))
    assert [m["To"] for m in WorkingSMTP.sent] == ["budi@uptd.example"]
