"""The partner portal's rules: a partner user sees and answers only their own agency's referrals, and of
those only what the referral shares. Everything else answers 404, as if it did not exist."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import PartnerAgency, User
from server.auth.permissions import Role
from server.errors import NotFoundError
from server.referrals import service as referrals
from server.referrals.models import Referral
from server.referrals.states import ReferralStatus


def agency_of(session: Session, user: User) -> PartnerAgency:
    """The user's agency; a partner account without one sees nothing."""
    if Role.PARTNER not in user.group_names or user.partner_id is None:
        raise NotFoundError()
    agency = session.get(PartnerAgency, user.partner_id)
    if agency is None:
        raise NotFoundError()
    return agency


def list_referrals(session: Session, *, user: User, status: str | None, page: int = 1,
                   per_page: int = 25) -> tuple[list[Referral], int]:
    agency = agency_of(session, user)
    return referrals.list_for_agency(session, agency_id=agency.id, status=status, page=page, per_page=per_page)


def get_referral(session: Session, *, referral_id: int, user: User, now: datetime, ip: str = "") -> Referral:
    """One of the agency's referrals; the read is audited on the case it belongs to."""
    agency = agency_of(session, user)
    referral = session.get(Referral, referral_id)
    if referral is None or referral.agency_id != agency.id:
        audit.record(session, action="referral.read_denied", actor=user, now=now, object_type="referral",
                     object_id=referral_id, ip=ip)
        raise NotFoundError()
    audit.record(session, action="referral.read", actor=user, now=now, object_type="referral", object_id=referral.id,
                 case_id=referral.case_id, ip=ip)
    return referral


def answer(session: Session, *, referral_id: int, user: User, status: ReferralStatus, now: datetime, note: str = "",
           officer: str = "", answered_on: str = "", ip: str = "") -> Referral:
    agency = agency_of(session, user)
    peek = session.get(Referral, referral_id)
    if peek is None or peek.agency_id != agency.id:
        raise NotFoundError()
    return referrals.answer(session, referral_id=referral_id, status=status, user=user, now=now, note=note,
                            officer=officer, answered_on=answered_on, ip=ip)
