"""Pausing a task's SLA clock (e.g. waiting for the victim) and starting it again; both audited.

Legal and clinical deadlines cannot be paused: UU TPKS does not stop its 72 hours while the office waits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import User
from server.auth.permissions import Role
from server.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from server.sla.models import TaskSla
from server.sla.service import UNPAUSABLE, fold_pause, state_at
from server.tasks import service as tasks_service
from server.tasks.models import Task


def _may_pause(user: User, task: Task) -> bool:
    if task.assignee_id == user.id:
        return True
    return Role.MANAGER in user.group_names and task.case.unit_id == user.unit_id


def pause(session: Session, *, task_id: int, user: User, now: datetime, reason: str) -> Task:
    """Stop a task's SLA clock (e.g. waiting for the victim); legal and clinical clocks cannot stop."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailedError(details=[{"field": "reason", "keyword": "required",
                                              "message": "a reason is required"}])
    task = tasks_service.lock_task(session, task_id)
    if not _may_pause(user, task):
        raise PermissionDeniedError()
    if task.status != "open" or task.due_at is None:
        raise ConflictError(code="sla_not_running")
    if task.paused_since is not None:
        raise ConflictError(code="sla_already_paused")
    sla = session.get(TaskSla, task.id)
    if sla is not None and (sla.binding in UNPAUSABLE or sla.never_suppress):
        from flask_babel import gettext

        raise ConflictError(gettext("A legal deadline cannot be paused."), code="sla_not_pausable")
    task.paused_since = now
    task.sla_state = "paused"
    audit.record(session, action="task.sla_paused", actor=user, now=now, object_type="task", object_id=task.id,
                 case_id=task.case_id, details={"reason": reason[:500], "due_at": task.due_at.isoformat()})
    return task


def resume(session: Session, *, task_id: int, user: User, now: datetime, reason: str = "") -> Task:
    """Restart a paused clock: the time spent paused (office time for working-day deadlines) moves
    the deadline back."""
    task = tasks_service.lock_task(session, task_id)
    if not _may_pause(user, task):
        raise PermissionDeniedError()
    if task.status != "open" or task.paused_since is None:
        raise ConflictError(code="sla_not_paused")
    before = task.due_at
    added = fold_pause(session, task, now)
    task.sla_state = state_at(task, now)
    audit.record(session, action="task.sla_resumed", actor=user, now=now, object_type="task", object_id=task.id,
                 case_id=task.case_id, details={"reason": (reason or "")[:500], "paused_seconds": added,
                                                "due_before": before.isoformat() if before else None,
                                                "due_after": task.due_at.isoformat() if task.due_at else None})
    return task
