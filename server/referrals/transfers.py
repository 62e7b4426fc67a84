"""Transfers (pelimpahan) of a case to another unit of this deployment, e.g. another city's UPTD PPA.

The sending unit asks, with the victim's consent (recorded on the case, given at the request, or a
manager's override with a reason); the receiving unit's manager sees only the request (reference,
sender, reason) until accepting it. On acceptance the case belongs to the receiving unit: its staff
see it through the usual need-to-know rules, and open tasks held by the sending unit's people go back
to their group's queue.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import Group, Unit, User
from server.auth.permissions import Role
from server.cases import access
from server.cases import service as cases_service
from server.cases.models import Case
from server.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from server.notifications import service as notify
from server.referrals.models import CaseTransfer
from server.referrals.states import TRANSFER_TRANSITIONS, TransferStatus, transition
from server.tasks.models import Task

#: Who may give consent to a transfer when it is given at the request.
CONSENT_FROM = ("korban", "orang_tua_wali")
#: The ``pelimpahan`` form's consent field: consent recorded on the case.
CASE_CONSENT_KEY = "persetujuan_korban_pelimpahan"


def _required(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(details=[{"field": field, "keyword": "required", "message": message}])


def managers_of(session: Session, unit_id: int | None) -> list[User]:
    if unit_id is None:
        return []
    return list(session.execute(
        select(User).join(User.groups).where(Group.name == Role.MANAGER.value, User.unit_id == unit_id,
                                             User.is_active.is_(True))
    ).scalars().unique())


def open_transfer(session: Session, case_id: int) -> CaseTransfer | None:
    return session.execute(
        select(CaseTransfer).where(CaseTransfer.case_id == case_id,
                                   CaseTransfer.status == TransferStatus.REQUESTED.value)
    ).scalar_one_or_none()


def request(session: Session, *, case_id: int, to_unit_id: int, user: User, now: datetime, reason: str,
            consent_from: str = "", override_reason: str = "", ip: str = "") -> CaseTransfer:
    """Ask another unit to take the case over."""
    case = cases_service.lock_case(session, case_id)
    if not access.can_see_case(session, user, case):
        raise NotFoundError()
    if not user.group_names & {Role.CASEWORKER, Role.MANAGER}:
        raise PermissionDeniedError()
    if case.status != "open":
        raise ConflictError(gettext("Only an open case can be transferred."), code="case_closed")
    target = session.get(Unit, to_unit_id)
    if target is None or target.id == case.unit_id:
        raise _required("to_unit", gettext("Choose another unit."))
    reason = (reason or "").strip()
    if not reason:
        raise _required("reason", gettext("Say why the case is transferred."))
    if open_transfer(session, case.id) is not None:
        raise ConflictError(gettext("A transfer of this case is already waiting for an answer."),
                            code="transfer_pending")
    override_reason = (override_reason or "").strip()
    if cases_service.load_instance(case).data.get(CASE_CONSENT_KEY) is True:
        basis = "case_record"
    elif consent_from in CONSENT_FROM:
        basis = "consent"
    elif override_reason and Role.MANAGER in user.group_names:
        basis = "override"
    else:
        raise ValidationFailedError(
            gettext("A transfer needs the consent of the victim or guardian, or a manager's override with a reason."),
            code="consent_required",
            details=[{"field": "consent_from", "keyword": "consent", "message": gettext(
                "Record who gave consent to the transfer (or, as manager, give the reason to transfer without it).")}])
    row = CaseTransfer(case_id=case.id, from_unit_id=case.unit_id, to_unit_id=target.id,
                       status=TransferStatus.REQUESTED.value, reason=reason[:2000],
                       consent_basis=basis if basis != "consent" else f"consent:{consent_from}",
                       override_reason=override_reason[:2000] if basis == "override" else "",
                       requested_by_id=user.id, requested_at=now, decision_note="")
    session.add(row)
    session.flush()
    audit.record(session, action="case.transfer_requested", actor=user, now=now, object_type="case_transfer",
                 object_id=row.id, case_id=case.id, ip=ip,
                 details={"to_unit": target.code, "consent": row.consent_basis,
                          "override_reason": row.override_reason or None})
    notify.notify(session, users=managers_of(session, target.id), kind="transfer", now=now,
                  message=notify.notice_text("A case transfer is waiting for your decision"), link="/transfers")
    return row


def _locked(session: Session, transfer_id: int) -> tuple[CaseTransfer, Case]:
    peek = session.get(CaseTransfer, transfer_id)
    if peek is None:
        raise NotFoundError()
    case = cases_service.lock_case(session, peek.case_id)
    row = session.execute(
        select(CaseTransfer).where(CaseTransfer.id == transfer_id).with_for_update(key_share=True, of=CaseTransfer)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return row, case


def _receiving_manager(user: User, row: CaseTransfer) -> None:
    if Role.MANAGER not in user.group_names or user.unit_id != row.to_unit_id:
        raise NotFoundError()


def accept(session: Session, *, transfer_id: int, user: User, now: datetime, note: str = "",
           ip: str = "") -> CaseTransfer:
    """The receiving unit's manager takes the case over: ownership moves now."""
    row, case = _locked(session, transfer_id)
    _receiving_manager(user, row)
    if case.status != "open":
        raise ConflictError(gettext("Only an open case can be transferred."), code="case_closed")
    transition(row, to=TransferStatus.ACCEPTED, table=TRANSFER_TRANSITIONS)
    row.decided_by_id, row.decided_at, row.decision_note = user.id, now, (note or "").strip()[:2000]
    case.unit_id = row.to_unit_id
    case.updated_at = now
    released = []
    for task in session.execute(
        select(Task).where(Task.case_id == case.id, Task.status == "open", Task.assignee_id.is_not(None))
        .with_for_update(key_share=True, of=Task)
    ).scalars():
        holder = session.get(User, task.assignee_id)
        if holder is None or holder.unit_id != row.to_unit_id:
            task.assignee_id, task.claimed_at = None, None
            released.append(task.id)
    audit.record(session, action="case.transferred", actor=user, now=now, object_type="case_transfer",
                 object_id=row.id, case_id=case.id, ip=ip,
                 details={"from_unit": row.from_unit_id, "to_unit": row.to_unit_id, "released_tasks": released})
    requester = session.get(User, row.requested_by_id)
    notify.notify(session, users=[requester] if requester else [], kind="transfer", now=now,
                  message=notify.notice_text("Your case transfer was accepted"), link="/transfers")
    return row


def decline(session: Session, *, transfer_id: int, user: User, now: datetime, note: str, ip: str = "") -> CaseTransfer:
    row, case = _locked(session, transfer_id)
    _receiving_manager(user, row)
    note = (note or "").strip()
    if not note:
        raise _required("note", gettext("Say why the transfer is declined."))
    transition(row, to=TransferStatus.DECLINED, table=TRANSFER_TRANSITIONS)
    row.decided_by_id, row.decided_at, row.decision_note = user.id, now, note[:2000]
    audit.record(session, action="case.transfer_declined", actor=user, now=now, object_type="case_transfer",
                 object_id=row.id, case_id=case.id, ip=ip, details={"note": row.decision_note})
    requester = session.get(User, row.requested_by_id)
    notify.notify(session, users=[requester] if requester else [], kind="transfer", now=now,
                  message=notify.notice_text("Your case transfer was declined"), link="/transfers")
    return row


def cancel(session: Session, *, transfer_id: int, user: User, now: datetime, ip: str = "") -> CaseTransfer:
    """The sender withdraws a request that has not been answered."""
    row, case = _locked(session, transfer_id)
    if not access.can_see_case(session, user, case):
        raise NotFoundError()
    if row.requested_by_id != user.id and Role.MANAGER not in user.group_names:
        raise PermissionDeniedError()
    transition(row, to=TransferStatus.CANCELLED, table=TRANSFER_TRANSITIONS)
    row.decided_by_id, row.decided_at = user.id, now
    audit.record(session, action="case.transfer_cancelled", actor=user, now=now, object_type="case_transfer",
                 object_id=row.id, case_id=case.id, ip=ip)
    return row


def incoming(session: Session, *, user: User, limit: int = 100) -> list[CaseTransfer]:
    """Requests waiting for this manager's unit (no case data: reference, sender, reason)."""
    if Role.MANAGER not in user.group_names or user.unit_id is None:
        return []
    return list(session.execute(
        select(CaseTransfer).where(CaseTransfer.to_unit_id == user.unit_id)
        .order_by(CaseTransfer.status != TransferStatus.REQUESTED.value, CaseTransfer.requested_at.desc())
        .limit(limit)
    ).scalars())


def outgoing(session: Session, *, user: User, limit: int = 100) -> list[CaseTransfer]:
    """Transfers of cases the user may see (their unit's, or ones they asked for)."""
    stmt = select(CaseTransfer).join(Case, Case.id == CaseTransfer.case_id)
    if Role.MANAGER in user.group_names and user.unit_id is not None:
        stmt = stmt.where((CaseTransfer.from_unit_id == user.unit_id) | (CaseTransfer.requested_by_id == user.id))
    else:
        stmt = stmt.where(CaseTransfer.requested_by_id == user.id)
    return list(session.execute(stmt.order_by(CaseTransfer.requested_at.desc()).limit(limit)).scalars())


def for_case(session: Session, case_id: int) -> list[CaseTransfer]:
    return list(session.execute(
        select(CaseTransfer).where(CaseTransfer.case_id == case_id).order_by(CaseTransfer.id)
    ).scalars())


def units(session: Session, *, exclude: int | None) -> list[Unit]:
    return [u for u in session.execute(select(Unit).order_by(Unit.name)).scalars() if u.id != exclude]
