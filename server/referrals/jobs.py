"""The worker's referral job: tell the sender and the office's managers once when a partner has not
answered a referral by the date it was asked to (``batas_respon``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import i18n
from server.audit import service as audit
from server.auth.models import User
from server.notifications import service as notify
from server.referrals.models import Referral
from server.referrals.states import ReferralStatus

BATCH = 100


def tick(session: Session, *, now: datetime) -> int:
    """Notify about referrals that became overdue since the last pass; returns how many. Rows are claimed
    with SKIP LOCKED, so two workers never tell the same thing twice."""
    from server.sla import jobs as sla_jobs

    due = session.execute(
        select(Referral).where(Referral.status == ReferralStatus.SENT.value, Referral.answer_due_at <= now,
                               Referral.overdue_notified_at.is_(None))
        .order_by(Referral.answer_due_at, Referral.id).limit(BATCH)
        .with_for_update(skip_locked=True, key_share=True, of=Referral)
    ).scalars().all()
    for referral in due:
        sender = session.get(User, referral.sent_by_id) if referral.sent_by_id else None
        managers = sla_jobs.escalation_targets(session, group_name=None, unit_id=referral.case.unit_id)
        users = list({u.id: u for u in ([sender] if sender else []) + managers}.values())
        notify.notify(session, users=users, kind="referral_overdue", now=now, case_id=referral.case_id,
                      link=f"/referrals/{referral.id}",
                      message=notify.notice_text("Referral #%(id)s to %(partner)s has no answer yet (asked by %(day)s)",
                                      id=referral.id, partner=referral.agency_name, day=i18n.fmt_date(referral.respond_by)))
        referral.overdue_notified_at = now
        audit.record(session, action="referral.overdue", now=now, object_type="referral", object_id=referral.id,
                     case_id=referral.case_id, actor_name="system",
                     details={"respond_by": referral.respond_by, "notified": [u.id for u in users]})
    return len(due)
