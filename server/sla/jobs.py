"""SLA job: move open tasks to at-risk and breached as time passes; notify and escalate once each."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth import service as auth_service
from server.auth.models import Group, User
from server.notifications import service as notify
from server.sla import service as sla_service
from server.tasks.models import Task


def _recipients(session: Session, task: Task) -> list[User]:
    if task.assignee_id is not None:
        user = session.get(User, task.assignee_id)
        return [user] if user else []
    group = session.get(Group, task.group_id) if task.group_id else None
    return list(group.users) if group else []


def _escalation_targets(session: Session, task: Task) -> list[User]:
    from server.sla.service import policy_for

    props: dict[str, str] = {}
    target = None
    policy = policy_for(session, workflow_key=task.case.workflow_version.definition.key, bpmn_id=task.bpmn_id,
                        properties=props)
    if policy is not None:
        target = policy.escalate_to
    group = auth_service.get_group(session, target or "kepala_uptd")
    return list(group.users) if group else []


def refresh_states(session: Session, *, now: datetime, batch: int = 500) -> int:
    """Advance SLA states of open tasks whose warn or due time has passed. Returns tasks changed."""
    rows = session.execute(
        select(Task).where(
            Task.status == "open", Task.due_at.is_not(None), Task.paused_since.is_(None),
            or_(and_(Task.sla_state == "on_track", Task.warn_at <= now),
                and_(Task.sla_state.in_(["on_track", "at_risk"]), Task.due_at < now)),
        ).order_by(Task.due_at).limit(batch).with_for_update(skip_locked=True)
    ).scalars().all()
    for task in rows:
        new_state = sla_service.state_at(task, now)
        if new_state == task.sla_state or new_state is None:
            continue
        old = task.sla_state
        task.sla_state = new_state
        link = f"/tasks/{task.id}"
        if new_state == "at_risk":
            message = gettext("Deadline approaching: %(name)s (%(ref)s)", name=task.name, ref=task.case.reference)
            notify.notify(session, users=_recipients(session, task), kind="sla_at_risk", message=message,
                          link=link, now=now, case_id=task.case_id, task_id=task.id)
        elif new_state == "breached":
            message = gettext("Deadline passed: %(name)s (%(ref)s)", name=task.name, ref=task.case.reference)
            users = {u.id: u for u in _recipients(session, task) + _escalation_targets(session, task)}
            notify.notify(session, users=list(users.values()), kind="sla_breached", message=message, link=link,
                          now=now, case_id=task.case_id, task_id=task.id)
        audit.record(session, action="sla.state_changed", now=now, object_type="task", object_id=task.id,
                     case_id=task.case_id, actor_name="system", details={"from": old, "to": new_state})
    return len(rows)
