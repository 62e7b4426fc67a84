"""Public complaints: the receipt a reporter gets, and the per-address counter that throttles the form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class PublicComplaint(Base):
    """A complaint sent through the public page. The reporter keeps the receipt; nothing can be read back."""

    __tablename__ = "public_complaint"
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    created_at: Mapped[datetime]


class RateLimitHit(Base):
    """One attempt counted against a key (a keyed hash of the client address, never the address itself).
    Rows older than the window are deleted as new ones arrive."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_hit_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(index=True)
