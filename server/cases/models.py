"""Cases (workflow instances with their data) and form submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base
from server.workflows.models import WorkflowVersion


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_status_next_timer", "status", "next_timer_at"),
        Index("ix_case_unit_status", "unit_id", "status"),
        Index("ix_case_type_created", "case_type", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    workflow_version_id: Mapped[int] = mapped_column(ForeignKey("workflow_version.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    title: Mapped[str] = mapped_column(String(200), default="")
    case_type: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    next_timer_at: Mapped[datetime | None]
    engine_state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # selectin, not joined: a joined eager load would make FOR UPDATE on a case lock its version row too
    # (PostgreSQL refuses FOR UPDATE on the nullable side of an outer join, and an inner join would
    # serialise every case of the same version).
    workflow_version: Mapped[WorkflowVersion] = relationship(lazy="selectin")


class Submission(Base):
    __tablename__ = "submission"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), unique=True)
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_version.id"))
    data: Mapped[dict[str, Any]]
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime]
