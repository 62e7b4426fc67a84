"""Referrals to partner agencies, manager overrides of the consent gate, and transfers between units."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import PartnerAgency, Unit
from server.cases.models import Case
from server.db import Base


class ConsentOverride(Base):
    """A manager's decision to share identifying data without the victim's recorded consent.

    It allows one referral (to ``agency_code``, or to any agency when empty) and is used up by it.
    """

    __tablename__ = "consent_override"
    __table_args__ = (Index("ix_consent_override_case_used", "case_id", "used_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    agency_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Referral(Base):
    """A piece of a case sent to a partner agency: only the data the referral form shares."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_agency_status", "agency_id", "status"),
        Index("ix_referral_case_status", "case_id", "status"),
        Index("ix_referral_status_answer_due", "status", "answer_due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    #: The referral task whose submission created this referral (one referral per completed task).
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), unique=True)
    #: None when the chosen agency has no portal account: staff record its answers.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agency.id"))
    agency_code: Mapped[str] = mapped_column(String(64))
    agency_name: Mapped[str] = mapped_column(String(200), default="")
    service: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(20), default="sent")
    #: What the partner may read: the referral form's answers and, with consent, the victim's identity.
    shared: Mapped[dict[str, Any]] = mapped_column(default=dict)
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_version.id"))
    shares_identity: Mapped[bool] = mapped_column(default=False)
    #: consent | override | not_needed
    consent_basis: Mapped[str] = mapped_column(String(20), default="not_needed")
    override_id: Mapped[int | None] = mapped_column(ForeignKey("consent_override.id"))
    #: The rejected referral this one replaces (the caseworker chose another partner).
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    #: True while the case's message catch event belongs to this referral: its next answer goes to the
    #: engine; later answers (done after accepted) only update the referral.
    awaiting_answer: Mapped[bool] = mapped_column(default=True)
    respond_by: Mapped[str | None] = mapped_column(String(32))
    #: The end of the office day ``respond_by`` names (UTC): a referral still unanswered then is overdue.
    answer_due_at: Mapped[datetime | None]
    #: When the sender and the office's managers were told it is overdue (once).
    overdue_notified_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    accepted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: Why the partner rejected it or the manager revoked it.
    reason: Mapped[str] = mapped_column(Text, default="")
    #: The partner's note when done (the service given), or on acceptance.
    note: Mapped[str] = mapped_column(Text, default="")
    officer: Mapped[str] = mapped_column(String(120), default="")
    case: Mapped[Case] = relationship(lazy="selectin")
    agency: Mapped[PartnerAgency | None] = relationship(lazy="selectin")


class CaseTransfer(Base):
    """A case handed to another unit (another city's UPTD PPA); ownership moves when that unit accepts."""

    __tablename__ = "case_transfer"
    __table_args__ = (
        Index("ix_case_transfer_to_status", "to_unit_id", "status"),
        Index("ix_case_transfer_case_status", "case_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(20), default="requested")
    reason: Mapped[str] = mapped_column(Text, default="")
    #: case_record | consent:<who> (given at the request) | override (a manager's reason)
    consent_basis: Mapped[str] = mapped_column(String(40))
    override_reason: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    case: Mapped[Case] = relationship(lazy="selectin")
    from_unit: Mapped[Unit | None] = relationship(foreign_keys=[from_unit_id], lazy="selectin")
    to_unit: Mapped[Unit] = relationship(foreign_keys=[to_unit_id], lazy="selectin")
