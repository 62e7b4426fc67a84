"""Referrals: created when a referral task completes, answered by the partner (or for it by staff),
revoked by the manager. Every step goes to the waiting case as the ``jawaban_rujukan`` message, and only
from here: the generic ``POST /api/v1/messages/<name>`` refuses the messages this domain owns (see
``refuse_direct_message``), so a case never holds an answer its referral does not record.

Correlation: the workflows wait for the answer right after the referral task, so a new referral owns
the case's catch event (``awaiting_answer``). Its first answer is delivered to the engine; later steps
(done after accepted, revoked after accepted) only update the referral and notify people, because the
case has moved on and may by then wait for the answer to another referral.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.audit import service as audit
from server.auth.models import User
from server.auth.permissions import Role
from server.cases import access
from server.cases import service as cases_service
from server.cases.models import Case
from server.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from server.notifications import service as notify
from server.referrals import agencies, consent
from server.referrals.models import Referral
from server.referrals.states import (
    ACTIVE,
    MESSAGE_STATUS,
    REFERRAL_TRANSITIONS,
    ReferralStatus,
    transition,
)
from server.tasks.models import Task

MESSAGE = "jawaban_rujukan"
#: Messages only this domain delivers to a case: sent any other way, the referral would not know its answer.
OWNED_MESSAGES = frozenset({MESSAGE})
REFERRAL_PROPERTY = "referral"
#: Keys of the referral form that are the office's own bookkeeping, not for the partner.
PRIVATE_KEYS = frozenset({"persetujuan_berbagi_ok", consent.SHARE_FIELD})


def is_referral_task(properties: dict[str, str]) -> bool:
    return str(properties.get(REFERRAL_PROPERTY, "")).lower() == "true"


def _case_data(case: Case) -> dict[str, Any]:
    return cases_service.load_instance(case).data


# --- hooks called by tasks.service.complete ------------------------------------------------------------


def check_task_completion(session: Session, *, task: Task, case: Case, data: dict[str, Any], user: User,
                          now: datetime, properties: dict[str, str]) -> None:
    """The consent gate: refuse a referral that shares identity without consent or an override."""
    if not is_referral_task(properties) or not consent.shares_identity(data):
        return
    agency = agencies.by_code(session, str(data.get("ke_lembaga") or ""))
    decision = consent.decide(session, case=case, data=data, case_data=_case_data(case), agency=agency)
    if decision.basis is None:
        audit.record(session, action="referral.consent_refused", actor=user, now=now, object_type="task",
                     object_id=task.id, case_id=case.id, details={"agency": data.get("ke_lembaga"),
                                                                  "category": decision.category})
        raise consent.refuse(decision, data)


def on_task_completed(session: Session, *, task: Task, case: Case, data: dict[str, Any], user: User,
                      now: datetime, properties: dict[str, str], new_tasks: list[Task]) -> None:
    """A completed referral task becomes a referral to the chosen agency."""
    if is_referral_task(properties):
        create(session, task=task, case=case, data=data, user=user, now=now)


# --- lifecycle ------------------------------------------------------------------------------------------


def create(session: Session, *, task: Task, case: Case, data: dict[str, Any], user: User, now: datetime) -> Referral:
    """Record the referral, with the data it shares, and tell the agency."""
    code = str(data.get("ke_lembaga") or "lainnya")
    agency = agencies.by_code(session, code)
    case_data = _case_data(case)
    decision = consent.decide(session, case=case, data=data, case_data=case_data, agency=agency)
    if decision.basis is None:  # the gate ran before the engine step; this is a second line of defence
        raise consent.refuse(decision, data)
    shared: dict[str, Any] = {"form": {k: v for k, v in data.items() if k not in PRIVATE_KEYS}}
    identity = consent.shares_identity(data)
    if identity:
        shared["identity"] = {k: case_data[k] for k in consent.IDENTITY_KEYS if case_data.get(k) not in (None, "")}
    previous = session.execute(
        select(Referral).join(Task, Task.id == Referral.task_id)
        .where(Referral.case_id == case.id, Task.bpmn_id == task.bpmn_id).order_by(Referral.id.desc()).limit(1)
    ).scalar_one_or_none()
    # The same referral step runs again only after its wait ended (an answer delivered before the generic
    # message endpoint refused jawaban_rujukan may have ended it without the referral): no longer theirs.
    for other in session.execute(
        select(Referral).join(Task, Task.id == Referral.task_id)
        .where(Referral.case_id == case.id, Referral.awaiting_answer.is_(True), Task.bpmn_id == task.bpmn_id)
    ).scalars():
        other.awaiting_answer = False
    referral = Referral(
        case_id=case.id, task_id=task.id, agency_id=agency.id if agency else None, agency_code=code[:64],
        agency_name=(agency.name if agency else str(data.get("nama_lembaga") or code))[:200],
        service=str(data.get("layanan_diminta") or "")[:64], status=ReferralStatus.SENT.value, shared=shared,
        form_version_id=task.form_version_id, shares_identity=identity, consent_basis=decision.basis,
        override_id=decision.override.id if decision.override else None,
        previous_id=previous.id if previous is not None and previous.status in (
            ReferralStatus.REJECTED, ReferralStatus.REVOKED) else None,
        awaiting_answer=True, respond_by=str(data.get("batas_respon") or "")[:32] or None,
        answer_due_at=answer_due(data.get("batas_respon")), sent_by_id=user.id,
        sent_at=now, updated_at=now, reason="", note="", officer="")
    session.add(referral)
    session.flush()
    if decision.override is not None:
        decision.override.used_at = now
    audit.record(session, action="referral.sent", actor=user, now=now, object_type="referral",
                 object_id=referral.id, case_id=case.id,
                 details={"agency": code, "service": referral.service, "shares_identity": identity,
                          "consent": decision.basis, "override": referral.override_id,
                          "previous": referral.previous_id})
    notify.notify(session, users=agencies.members(session, referral.agency_id), kind="referral", now=now,
                  message=notify.notice_text("New referral #%(id)s for your agency", id=referral.id),
                  link=f"/partner/referrals/{referral.id}")
    return referral


def _locked(session: Session, referral_id: int) -> tuple[Referral, Case]:
    """Lock the case, then the referral (the order task completion uses too)."""
    peek = session.get(Referral, referral_id)
    if peek is None:
        raise NotFoundError()
    case = cases_service.lock_case(session, peek.case_id)
    referral = session.execute(
        select(Referral).where(Referral.id == referral_id).with_for_update(key_share=True, of=Referral)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return referral, case


def _advance(session: Session, *, referral: Referral, case: Case, to: ReferralStatus, user: User, now: datetime,
             note: str = "", reason: str = "", officer: str = "", answered_on: str = "",
             action: str, ip: str = "") -> None:
    transition(referral, to=to, table=REFERRAL_TRANSITIONS)
    referral.updated_at = now
    if to in (ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.DONE):
        referral.answered_at, referral.answered_by_id = now, user.id
        referral.officer = (officer or referral.officer)[:120]
    if to == ReferralStatus.ACCEPTED:
        referral.accepted_at = now
    if to != ReferralStatus.ACCEPTED:
        referral.closed_at = now
    if reason:
        referral.reason = reason[:4000]
    if note:
        referral.note = note[:4000]
    payload: dict[str, Any] = {"status": MESSAGE_STATUS[to], "mitra": referral.agency_code, "rujukan_id": referral.id}
    if reason:
        payload["alasan"] = reason
    if note or reason:
        payload["catatan"] = note or reason
    if officer:
        payload["petugas"] = officer
    if answered_on:
        payload["tanggal_jawaban"] = answered_on
    delivered = False
    if referral.awaiting_answer and case.status == "open":
        try:
            result = cases_service.deliver_message(session, name=MESSAGE, case_id=case.id, payload=payload, user=user,
                                                   now=now)
        except ConflictError as exc:
            if exc.code != "not_waiting":
                raise
        else:
            delivered = True
            notify.tasks_created(session, tasks=result.new_tasks, now=now)
    referral.awaiting_answer = False
    audit.record(session, action=action, actor=user, now=now, object_type="referral", object_id=referral.id,
                 case_id=case.id, ip=ip, details={"status": to.value, "agency": referral.agency_code,
                                                  "delivered": delivered, "reason": reason[:500] or None})


def answer(session: Session, *, referral_id: int, status: ReferralStatus, user: User, now: datetime,
           note: str = "", reason: str = "", officer: str = "", answered_on: str = "", ip: str = "") -> Referral:
    """The partner (or staff for it, on the phone) accepts, rejects with a reason, or reports the service done."""
    referral, case = _locked(session, referral_id)
    on_behalf = _check_answerer(session, referral=referral, case=case, user=user)
    if status not in (ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.DONE):
        raise ValidationFailedError(details=[{"field": "status", "keyword": "enum", "message": status}])
    reason = (reason or "").strip()
    note = (note or "").strip()
    if status == ReferralStatus.REJECTED:
        reason = reason or note
        note = ""
        if not reason:
            raise ValidationFailedError(details=[{"field": "catatan", "keyword": "required",
                                                  "message": gettext("Give the reason for rejecting the referral.")}])
    _advance(session, referral=referral, case=case, to=status, user=user, now=now, note=note, reason=reason,
             officer=(officer or "").strip(), answered_on=answered_on, ip=ip,
             action="referral.answered_for_partner" if on_behalf else "referral.answered")
    recipients = [u for u in (session.get(User, referral.sent_by_id) if referral.sent_by_id else None,) if u]
    notify.notify(session, users=recipients, kind="referral_answer", now=now,
                  message=notify.notice_text("Referral #%(id)s answered: %(status)s", id=referral.id,
                                  status=_status_label(status)),
                  link=f"/referrals/{referral.id}", case_id=case.id)
    return referral


def revoke(session: Session, *, referral_id: int, user: User, now: datetime, reason: str, ip: str = "") -> Referral:
    """The manager withdraws a referral that is still open, with a reason."""
    referral, case = _locked(session, referral_id)
    if not access.can_see_case(session, user, case):
        raise NotFoundError()
    if Role.MANAGER not in user.group_names:
        raise PermissionDeniedError()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailedError(details=[{"field": "reason", "keyword": "required",
                                              "message": gettext("Give the reason for revoking the referral.")}])
    _advance(session, referral=referral, case=case, to=ReferralStatus.REVOKED, user=user, now=now, reason=reason,
             action="referral.revoked", ip=ip)
    notify.notify(session, users=agencies.members(session, referral.agency_id), kind="referral", now=now,
                  message=notify.notice_text("Referral #%(id)s was withdrawn", id=referral.id),
                  link=f"/partner/referrals/{referral.id}")
    return referral


def _check_answerer(session: Session, *, referral: Referral, case: Case, user: User) -> bool:
    """A member of the referral's agency, or staff working the case (True: answering for the partner)."""
    if Role.PARTNER in user.group_names and user.partner_id is not None and user.partner_id == referral.agency_id:
        return False
    if user.group_names & {Role.CASEWORKER, Role.MANAGER} and access.can_see_case(session, user, case):
        return True
    raise NotFoundError()


def _status_label(status: ReferralStatus) -> str:
    from server.referrals.states import referral_label

    return referral_label(status)


class AnswerThroughReferralError(DomainError):
    """A referral answer sent as a bare message: it would move the case and leave the referral unanswered."""

    code = "use_referral_answer"  # 400: the request is wrong, not the case's state


def refuse_direct_message(session: Session, *, name: str, case_id: int) -> None:
    """Refuse a message this domain owns, naming the endpoint that records it on the referral (with the id of
    the case's referral that awaits an answer, when there is one)."""
    if name not in OWNED_MESSAGES:
        return
    waiting = session.execute(
        select(Referral.id).where(Referral.case_id == case_id, Referral.awaiting_answer.is_(True))
        .order_by(Referral.id.desc()).limit(1)
    ).scalar_one_or_none()
    endpoint = f"POST /api/v1/referrals/{waiting if waiting is not None else '<id>'}/answer"
    raise AnswerThroughReferralError(
        gettext("%(name)s is the answer to a referral: record it with %(endpoint)s (partners: "
                "POST /api/v1/partner/referrals/<id>/answer), so that the referral shows it.",
                name=name, endpoint=endpoint),
        details=[{"field": "name", "referral_id": waiting, "endpoint": endpoint}])


# --- reading ------------------------------------------------------------------------------------------


def partner_rule(user: User) -> ColumnElement[bool] | None:
    """For cases.access: the cases a partner user's agency has an active referral for."""
    if user.partner_id is None:
        return None
    return Case.id.in_(select(Referral.case_id).where(
        Referral.agency_id == user.partner_id, Referral.status.in_([s.value for s in ACTIVE])))


def get_for_staff(session: Session, *, referral_id: int, user: User, now: datetime, ip: str = "") -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None or not access.can_see_case(session, user, referral.case):
        raise NotFoundError()
    audit.record(session, action="referral.read", actor=user, now=now, object_type="referral",
                 object_id=referral.id, case_id=referral.case_id, ip=ip)
    return referral


def for_case(session: Session, case_id: int) -> list[Referral]:
    return list(session.execute(
        select(Referral).where(Referral.case_id == case_id).order_by(Referral.id)
    ).scalars())


def list_visible(session: Session, *, user: User, status: str | None = None, page: int = 1,
                 per_page: int = 25) -> tuple[list[Referral], int]:
    """Referrals of the cases a staff user may see, newest first."""
    stmt = select(Referral).join(Case, Case.id == Referral.case_id).where(access.visible_cases_clause(user))
    if status == "open":
        stmt = stmt.where(Referral.status.in_([s.value for s in ACTIVE]))
    elif status in {s.value for s in ReferralStatus}:
        stmt = stmt.where(Referral.status == status)
    return _page(session, stmt, page, per_page)


def list_for_agency(session: Session, *, agency_id: int, status: str | None = None, page: int = 1,
                    per_page: int = 25) -> tuple[list[Referral], int]:
    stmt = select(Referral).where(Referral.agency_id == agency_id)
    if status == "open":
        stmt = stmt.where(Referral.status.in_([s.value for s in ACTIVE]))
    elif status in {s.value for s in ReferralStatus}:
        stmt = stmt.where(Referral.status == status)
    return _page(session, stmt, page, per_page)


def _page(session: Session, stmt: Any, page: int, per_page: int) -> tuple[list[Referral], int]:
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    per_page = max(1, min(per_page, 100))
    rows = session.execute(stmt.order_by(Referral.sent_at.desc(), Referral.id.desc())
                           .offset((max(page, 1) - 1) * per_page).limit(per_page)).scalars().all()
    return list(rows), total


def summary(session: Session, *, case: Case, user: User) -> dict[str, Any]:
    """For the case page: its referrals, the consent on record, open overrides."""
    case_data = _case_data(case)
    allowed = case_data.get("persetujuan_berbagi_info")
    return {"referrals": for_case(session, case.id),
            "consent": list(allowed) if isinstance(allowed, list) else None,
            "overrides": consent.overrides(session, case.id),
            "is_manager": Role.MANAGER in user.group_names}


# -- answer deadlines -------------------------------------------------------------------------------


def answer_due(respond_by: Any) -> datetime | None:
    """When an answer asked for by ``respond_by`` (a date, the office's calendar) is late: the end of that
    day in the office's zone. None when no date (or no readable one) was given."""
    from datetime import date, time, timedelta

    from server.sla import service as sla_service

    try:
        day = date.fromisoformat(str(respond_by)[:10]) if respond_by else None
    except ValueError:
        return None
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time(0), sla_service.office_zone()).astimezone(UTC)


def is_overdue(referral: Referral, now: datetime) -> bool:
    """Sent, not answered yet, and its answer date has passed."""
    return (referral.status == ReferralStatus.SENT.value and referral.answer_due_at is not None
            and now >= referral.answer_due_at)
