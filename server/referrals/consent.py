"""The consent gate: identifying data leaves the office only with the victim's recorded consent, or on a
manager's override with a reason (audited, used up by one referral)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import PartnerAgency, User
from server.auth.permissions import Role
from server.cases import access
from server.cases.models import Case
from server.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from server.referrals import agencies
from server.referrals.models import ConsentOverride

#: Case data keys that identify the victim; a referral that shares identity copies these.
IDENTITY_KEYS = ("nama_korban", "nik_korban", "tgl_lahir_korban", "usia_korban", "jenis_kelamin_korban",
                 "alamat_korban", "kelurahan", "kecamatan", "telepon_korban")
#: The optional ``rujukan`` field that asks to share the victim's identity with the partner.
SHARE_FIELD = "bagikan_identitas"
MIN_REASON = 10


def shares_identity(data: dict[str, Any]) -> bool:
    """The referral shares identifying data: the identity itself, or identity documents sent along."""
    documents = data.get("dokumen_dikirim")
    return data.get(SHARE_FIELD) is True or (isinstance(documents, list) and "identitas" in documents)


def consent_on_record(case_data: dict[str, Any], category: str) -> bool:
    """The victim (or guardian) agreed to share information with this kind of agency (form informasi_hak)."""
    allowed = case_data.get("persetujuan_berbagi_info")
    return isinstance(allowed, list) and category in allowed


def open_override(session: Session, *, case_id: int, code: str) -> ConsentOverride | None:
    """An unused manager override that covers a referral of this case to ``code``."""
    return session.execute(
        select(ConsentOverride).where(
            ConsentOverride.case_id == case_id, ConsentOverride.used_at.is_(None),
            or_(ConsentOverride.agency_code == code, ConsentOverride.agency_code.is_(None)))
        .order_by(ConsentOverride.agency_code.is_(None), ConsentOverride.id)
    ).scalars().first()


@dataclass
class Decision:
    basis: str | None  # consent | override | not_needed; None = refused
    category: str
    override: ConsentOverride | None = None


def decide(session: Session, *, case: Case, data: dict[str, Any], case_data: dict[str, Any],
           agency: PartnerAgency | None) -> Decision:
    """May this referral submission leave the office, and on what basis?"""
    code = str(data.get("ke_lembaga") or "")
    category = agencies.consent_category(agency, code)
    if not shares_identity(data):
        return Decision("not_needed", category)
    if consent_on_record(case_data, category):
        return Decision("consent", category)
    override = open_override(session, case_id=case.id, code=code)
    if override is not None:
        return Decision("override", category, override)
    return Decision(None, category)


def refuse(decision: Decision, data: dict[str, Any]) -> ValidationFailedError:
    """The 422 the caseworker sees when the gate is closed."""
    from server.referrals.states import CONSENT_LABELS

    field = SHARE_FIELD if data.get(SHARE_FIELD) is True else "dokumen_dikirim"
    message = gettext(
        "This referral shares the victim's identity, but no consent to share with %(kind)s is recorded on the "
        "case. Record the consent (rights and consent form), send it without identifying data, or ask the "
        "manager for an override.", kind=str(CONSENT_LABELS.get(decision.category, decision.category)))
    return ValidationFailedError(message, code="consent_required",
                                 details=[{"field": field, "keyword": "consent", "message": message}])


def create_override(session: Session, *, case_id: int, user: User, now: datetime, reason: str,
                    agency_code: str | None = None, ip: str = "") -> ConsentOverride:
    """A manager allows one referral of the case to share identity without recorded consent."""
    case = session.get(Case, case_id)
    if case is None or not access.can_see_case(session, user, case):
        raise NotFoundError()
    if Role.MANAGER not in user.group_names:
        raise PermissionDeniedError()
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailedError(details=[{"field": "reason", "keyword": "minLength", "message": gettext(
            "Give the reason (at least %(n)s characters): the legal duty or the risk to the victim.", n=MIN_REASON)}])
    code = (agency_code or "").strip() or None
    row = ConsentOverride(case_id=case.id, agency_code=code, reason=reason[:2000], created_by_id=user.id,
                          created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, action="referral.consent_override", actor=user, now=now, object_type="consent_override",
                 object_id=row.id, case_id=case.id, ip=ip, details={"agency": code, "reason": row.reason})
    return row


def overrides(session: Session, case_id: int) -> list[ConsentOverride]:
    return list(session.execute(
        select(ConsentOverride).where(ConsentOverride.case_id == case_id).order_by(ConsentOverride.id)
    ).scalars())
