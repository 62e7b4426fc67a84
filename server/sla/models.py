"""SLA policies (overrides of what the BPMN says) and office-defined days of the working calendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class SlaPolicy(Base):
    """The deadline of one task of one workflow (``bpmn_id``), or of the whole case (``bpmn_id='*'``)."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("workflow_key", "bpmn_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_key: Mapped[str] = mapped_column(String(100))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    duration: Mapped[str] = mapped_column(String(50))
    start: Mapped[str] = mapped_column(String(100), default="task_created")
    warn_ratio: Mapped[float] = mapped_column(default=0.75)
    escalate_to: Mapped[str | None] = mapped_column(String(64))
    basis: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class OfficeDay(Base):
    """A day the office declares closed (cuti bersama, local closure) or open (a working Saturday)."""

    __tablename__ = "office_day"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_open: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(200), default="")
