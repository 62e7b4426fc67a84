"""SLA job: move open tasks and cases to at-risk and breached as time passes; notify and escalate.

Reminders are bounded: a task (or case) notifies at most once when it becomes at risk and once when it
becomes late, whatever happens in between (pauses, reassignments, several workers); an unclaimed task
tells its group only in a small office (``GROUP_NOTIFY_LIMIT``), otherwise its managers. The rows are taken
with ``FOR NO KEY UPDATE SKIP LOCKED`` so several workers share the sweep without doing anything twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, load_only, selectinload

from server.audit import service as audit
from server.auth import service as auth_service
from server.auth.models import Group, User
from server.cases.models import Case
from server.notifications import service as notify
from server.sla import service as sla_service
from server.sla.models import CaseSla, TaskSla
from server.tasks.models import Task

#: What the sweep needs of a task's case: never its engine state (a large column), 500 times per batch.
_CASE_BRIEF = selectinload(Task.case).load_only(Case.id, Case.reference, Case.unit_id, Case.workflow_version_id)

#: An unclaimed task's reminders go to its group's members in the office only when the group is this
#: small; in a bigger office the managers (the escalation) hand the work out instead of 200 people each
#: being told about every unclaimed task.
GROUP_NOTIFY_LIMIT = 25


def _workers(session: Session, task: Task) -> list[User]:
    """Whoever is expected to do the task: its assignee, else the members of its group in its office
    (none when that group is large; see GROUP_NOTIFY_LIMIT)."""
    if task.assignee_id is not None:
        user = session.get(User, task.assignee_id)
        return [user] if user else []
    group = session.get(Group, task.group_id) if task.group_id else None
    unit_id = task.case.unit_id
    members = [u for u in group.users if unit_id is None or u.unit_id in (None, unit_id)] if group else []
    return members if len(members) <= GROUP_NOTIFY_LIMIT else []


def escalation_targets(session: Session, *, group_name: str | None, unit_id: int | None) -> list[User]:
    """Members of the escalation group (default: the managers) who belong to the case's office."""
    group = auth_service.get_group(session, group_name or sla_service.DEFAULT_ESCALATION)
    if group is None and group_name:
        group = auth_service.get_group(session, sla_service.DEFAULT_ESCALATION)
    if group is None:
        return []
    return [u for u in group.users if unit_id is None or u.unit_id in (None, unit_id)]


def refresh_states(session: Session, *, now: datetime, batch: int = 500) -> int:
    """Advance SLA states of open tasks whose warn or due time has passed. Returns tasks changed."""
    rows = session.execute(
        select(Task).where(
            Task.status == "open", Task.due_at.is_not(None), Task.paused_since.is_(None),
            or_(and_(Task.sla_state == "on_track", Task.warn_at <= now),
                and_(Task.sla_state.in_(["on_track", "at_risk"]), Task.due_at < now)),
        ).order_by(Task.due_at).limit(batch).with_for_update(skip_locked=True, key_share=True, of=Task)
        .options(_CASE_BRIEF)
    ).scalars().all()
    changed = 0
    for task in rows:
        new_state = sla_service.state_at(task, now)
        if new_state == task.sla_state or new_state is None:
            continue
        old, task.sla_state = task.sla_state, new_state
        changed += 1
        _notify_task(session, task, new_state, now)
        audit.record(session, action="sla.state_changed", now=now, object_type="task", object_id=task.id,
                     case_id=task.case_id, actor_name="system", details={"from": old, "to": new_state})
    return changed + refresh_case_states(session, now=now, batch=batch)


def _notify_task(session: Session, task: Task, state: str, now: datetime) -> None:
    # Tasks from before deadline rows existed notify once per state change (the query only returns
    # tasks whose state must move), which is bounded too.
    sla = session.get(TaskSla, task.id) or TaskSla(never_suppress=False)
    link = f"/tasks/{task.id}"
    ref = task.case.reference
    if state == "at_risk" and sla.notified_at_risk_at is None:
        sla.notified_at_risk_at = now
        users = _workers(session, task)
        if sla.never_suppress or not users:  # a legal deadline, or nobody to tell: the managers hear of it
            users += escalation_targets(session, group_name=sla.escalate_to, unit_id=task.case.unit_id)
        notify.notify(session, users=_unique(users), kind="sla_at_risk", link=link, now=now,
                      message=notify.notice_text("Deadline approaching: %(name)s (%(ref)s)", name=task.name, ref=ref),
                      case_id=task.case_id, task_id=task.id)
    elif state == "breached" and sla.notified_breached_at is None:
        sla.notified_breached_at = now
        users = _workers(session, task) + escalation_targets(session, group_name=sla.escalate_to,
                                                             unit_id=task.case.unit_id)
        notify.notify(session, users=_unique(users), kind="sla_breached", link=link, now=now,
                      message=notify.notice_text("Deadline passed: %(name)s (%(ref)s)", name=task.name, ref=ref),
                      case_id=task.case_id, task_id=task.id)
        audit.record(session, action="sla.escalated", now=now, object_type="task", object_id=task.id,
                     case_id=task.case_id, actor_name="system",
                     details={"to": sla.escalate_to or sla_service.DEFAULT_ESCALATION})


def _unique(users: list[User]) -> list[User]:
    return list({u.id: u for u in users if u is not None}.values())


def refresh_case_states(session: Session, *, now: datetime, batch: int = 500) -> int:
    """Case-wide deadlines: move open ones on, and settle met/missed for cases that closed."""
    rows = session.execute(
        select(CaseSla, Case).join(Case, Case.id == CaseSla.case_id).where(
            CaseSla.state.in_(["on_track", "at_risk", "breached"]),
            or_(Case.status != "open",
                and_(CaseSla.state == "on_track", CaseSla.warn_at <= now),
                and_(CaseSla.state != "breached", CaseSla.due_at < now)),
        ).order_by(CaseSla.due_at).limit(batch).with_for_update(skip_locked=True, key_share=True, of=CaseSla)
        .options(load_only(Case.id, Case.reference, Case.status, Case.closed_at, Case.unit_id))
    ).all()
    changed = 0
    for row, case in rows:
        new_state = sla_service.case_state_at(row, status=case.status, closed_at=case.closed_at, now=now)
        if new_state == row.state:
            continue
        old, row.state = row.state, new_state
        changed += 1
        link = f"/cases/{case.id}"
        if new_state == "at_risk" and row.notified_at_risk_at is None:
            row.notified_at_risk_at = now
            notify.notify(session, users=escalation_targets(session, group_name=row.escalate_to,
                                                            unit_id=case.unit_id),
                          kind="sla_at_risk", link=link, now=now, case_id=case.id,
                          message=notify.notice_text("Case deadline approaching: %(ref)s", ref=case.reference))
        elif new_state == "breached" and row.notified_breached_at is None:
            row.notified_breached_at = now
            notify.notify(session, users=escalation_targets(session, group_name=row.escalate_to,
                                                            unit_id=case.unit_id),
                          kind="sla_breached", link=link, now=now, case_id=case.id,
                          message=notify.notice_text("Case deadline passed: %(ref)s", ref=case.reference))
        audit.record(session, action="sla.case_state_changed", now=now, object_type="case", object_id=case.id,
                     case_id=case.id, actor_name="system", details={"from": old, "to": new_state})
    return changed
