"""SLA policies (overrides of what the BPMN says), office-defined days of the working calendar, and the
deadline rows of tasks and cases (style H10: deadlines are rows)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import generation
from server.cases.models import Case
from server.db import Base
from server.tasks.models import Task


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


class TaskSla(Base):
    """How a task's deadline was set: enough to recompute it after a pause, and to notify only once.

    The task row keeps ``due_at``/``warn_at``/``sla_state`` for the inbox; this row keeps the why.
    """

    __tablename__ = "task_sla"
    __table_args__ = (
        # the few legal deadlines, for counting their breaches without reading every deadline row
        Index("ix_task_sla_legal", "task_id", postgresql_where=text("never_suppress"),
              sqlite_where=text("never_suppress")),
    )
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # admin | legal | bpmn | timer
    policy_key: Mapped[str | None] = mapped_column(String(64))  # a key of policy.LEGAL_POLICIES
    binding: Mapped[str | None] = mapped_column(String(1))  # policy.Binding value
    never_suppress: Mapped[bool] = mapped_column(default=False)
    duration: Mapped[str] = mapped_column(String(50))
    start: Mapped[str] = mapped_column(String(100))  # task_created | case_created | a data field
    start_at: Mapped[datetime]
    warn_ratio: Mapped[float] = mapped_column(default=0.75)
    escalate_to: Mapped[str | None] = mapped_column(String(64))
    notified_at_risk_at: Mapped[datetime | None]
    notified_breached_at: Mapped[datetime | None]
    task: Mapped[Task] = relationship()


class CaseSla(Base):
    """The deadline of a whole case (an admin policy with ``bpmn_id='*'``), e.g. "closed within 30 days"."""

    __tablename__ = "case_sla"
    __table_args__ = (Index("ix_case_sla_state_due", "state", "due_at"),)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    duration: Mapped[str] = mapped_column(String(50))
    start_at: Mapped[datetime]
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20))
    escalate_to: Mapped[str | None] = mapped_column(String(64))
    basis: Mapped[str] = mapped_column(Text, default="")
    notified_at_risk_at: Mapped[datetime | None]
    notified_breached_at: Mapped[datetime | None]
    case: Mapped[Case] = relationship()


# Indexes for the SLA queries, declared here next to the queries that need them (a change to SLA
# reporting touches only sla/). Open work is a small slice of a large history, so the dashboard reads
# partial indexes of open rows that carry every column it groups by (index-only scans on PostgreSQL).
Index("ix_task_open_due", Task.due_at,
      postgresql_where=Task.status == "open", sqlite_where=Task.status == "open",
      postgresql_include=["id", "case_id", "paused_since", "warn_at", "group_id", "assignee_id", "bpmn_id", "name"])
Index("ix_task_status_completed", Task.status, Task.completed_at)
Index("ix_case_open_unit", Case.unit_id,
      postgresql_where=Case.status == "open", sqlite_where=Case.status == "open",
      postgresql_include=["id", "workflow_version_id"])

# Hot paths cache what these hold (server/generation.py): every change renews the generation.
generation.watch(SlaPolicy, OfficeDay)
