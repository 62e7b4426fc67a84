"""The human-task mirror: the inbox reads this table and never loads engine state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.cases.models import Case
from server.db import Base


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("case_id", "engine_task_id"),
        Index("ix_task_status_group_due", "status", "group_id", "due_at"),
        Index("ix_task_assignee_status_due", "assignee_id", "status", "due_at"),
        Index("ix_task_case_status", "case_id", "status"),
        Index("ix_task_status_sla", "status", "sla_state", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    engine_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    form_key: Mapped[str | None] = mapped_column(String(100))
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_version.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    sla_state: Mapped[str | None] = mapped_column(String(20))
    sla_basis: Mapped[str | None] = mapped_column(String(300))
    paused_since: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(default=0)
    case: Mapped[Case] = relationship(lazy="selectin")  # see Case.workflow_version
