"""The inbox and the task lifecycle: claim, unclaim, assign, complete (one transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, lazyload

from server.audit import service as audit
from server.auth.models import User
from server.auth.permissions import Role
from server.cases import service as cases_service
from server.cases.models import Case, Submission
from server.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from server.forms import service as forms_service
from server.forms.models import FormVersion
from server.tasks.models import Task
from server.workflows import engine as engine_mod
from server.workflows import sandbox

SORTS = {"due_at", "-due_at", "created_at", "-created_at"}
SLA_STATES = ("on_track", "at_risk", "breached", "paused", "met", "missed")


def get(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError()
    return task


def _in_users_unit(user: User, task: Task) -> bool:
    """Group work is per office: a group's task belongs to the members of the case's unit."""
    return user.unit_id is None or task.case.unit_id is None or task.case.unit_id == user.unit_id


def may_work(user: User, task: Task) -> bool:
    """The user may act on the task: it is theirs, or unclaimed and in one of their groups (same unit)."""
    if task.assignee_id == user.id:
        return True
    return (task.assignee_id is None and task.group_id in {g.id for g in user.groups}
            and _in_users_unit(user, task))


def may_view(user: User, task: Task) -> bool:
    return (task.assignee_id == user.id or task.completed_by_id == user.id
            or (task.group_id in {g.id for g in user.groups} and _in_users_unit(user, task))
            or (Role.MANAGER in user.group_names and task.case.unit_id == user.unit_id))


def get_for(session: Session, *, task_id: int, user: User, now: datetime, ip: str = "") -> Task:
    task = get(session, task_id)
    if not may_view(user, task):
        raise NotFoundError()
    audit.record(session, action="task.read", actor=user, now=now, object_type="task", object_id=task.id,
                 case_id=task.case_id, ip=ip)
    return task


def lock_task(session: Session, task_id: int) -> Task:
    """The task row, locked FOR NO KEY UPDATE and read fresh; NotFoundError if there is none."""
    task = session.execute(
        select(Task).where(Task.id == task_id).with_for_update(key_share=True, of=Task).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if task is None:
        raise NotFoundError()
    return task


def claim(session: Session, *, task_id: int, user: User, now: datetime) -> Task:
    """Assign an open task to ``user``; raise if someone else holds it."""
    task = lock_task(session, task_id)
    if not may_view(user, task):
        raise NotFoundError()
    if task.status != "open":
        raise ConflictError(code="task_closed")
    if task.assignee_id not in (None, user.id):
        raise ConflictError(code="task_claimed")
    if task.group_id not in {g.id for g in user.groups}:
        raise PermissionDeniedError()
    task.assignee_id, task.claimed_at = user.id, now
    audit.record(session, action="task.claimed", actor=user, now=now, object_type="task", object_id=task.id,
                 case_id=task.case_id)
    return task


def unclaim(session: Session, *, task_id: int, user: User, now: datetime) -> Task:
    task = lock_task(session, task_id)
    if not may_view(user, task):
        raise NotFoundError()
    if task.status != "open":
        raise ConflictError(code="task_closed")
    if task.assignee_id != user.id and Role.MANAGER not in user.group_names:
        raise ConflictError(code="task_claimed")
    task.assignee_id, task.claimed_at = None, None
    audit.record(session, action="task.unclaimed", actor=user, now=now, object_type="task", object_id=task.id,
                 case_id=task.case_id)
    return task


def assign(session: Session, *, task_id: int, assignee: User, user: User, now: datetime, reason: str = "") -> Task:
    """A manager gives a task to a member of its group."""
    if Role.MANAGER not in user.group_names:
        raise PermissionDeniedError()
    task = lock_task(session, task_id)
    if task.status != "open":
        raise ConflictError(code="task_closed")
    if task.group_id not in {g.id for g in assignee.groups}:
        raise ValidationFailedError(details=[{"field": "assignee", "keyword": "group",
                                              "message": "assignee is not in the task's group"}])
    previous = task.assignee_id
    task.assignee_id, task.claimed_at = assignee.id, now
    audit.record(session, action="task.assigned", actor=user, now=now, object_type="task", object_id=task.id,
                 case_id=task.case_id, details={"from": previous, "to": assignee.id, "reason": reason})
    return task


@dataclass
class ReassignResult:
    moved: list[Task]
    returned: list[Task]


def reassign_all(session: Session, *, from_user: User, to_user: User | None, user: User, now: datetime,
                 reason: str) -> ReassignResult:
    """A manager moves every open task a person holds (leave, illness) to someone else, with a reason.

    Tasks the new person cannot work (not in the task's group), or all of them when ``to_user`` is None,
    go back to their group's queue rather than stay with someone who is away. Each move is audited.
    """
    if Role.MANAGER not in user.group_names:
        raise PermissionDeniedError()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailedError(details=[{"field": "reason", "keyword": "required",
                                              "message": "a reason is required"}])
    from server.cases.models import Case

    unit = Case.unit_id == user.unit_id if user.unit_id is not None else Case.unit_id.is_(None)
    tasks = session.execute(
        select(Task).join(Case, Case.id == Task.case_id)
        .where(Task.assignee_id == from_user.id, Task.status == "open", unit)
        .order_by(Task.id).with_for_update(key_share=True, of=Task).execution_options(populate_existing=True)
    ).scalars().all()
    target_groups = {g.id for g in to_user.groups} if to_user is not None else set()
    result = ReassignResult([], [])
    for task in tasks:
        to = to_user if to_user is not None and task.group_id in target_groups else None
        task.assignee_id, task.claimed_at = (to.id, now) if to else (None, None)
        (result.moved if to else result.returned).append(task)
        audit.record(session, action="task.assigned", actor=user, now=now, object_type="task", object_id=task.id,
                     case_id=task.case_id, details={"from": from_user.id, "to": to.id if to else None,
                                                    "reason": reason[:500], "bulk": True})
    return result


def prefill(task: Task, version: FormVersion | None) -> dict[str, Any]:
    """What an open task's form starts with: the form's defaults, overlaid with the case data the form
    asks for (a case moved from another path, or a complaint sent through the public page, arrives
    with answers already given)."""
    if version is None:
        return {}
    from server.forms import schema as form_schema

    data = form_schema.defaults(version.schema)
    if task.status != "open":
        return data
    keys = set((version.schema.get("properties") or {}).keys())
    current = cases_service.load_instance(task.case).task_data(task.engine_task_id)
    data.update({k: v for k, v in current.items() if k in keys})
    return data


def form_version(session: Session, task: Task) -> FormVersion | None:
    if task.form_version_id is None:
        return None
    return session.get(FormVersion, task.form_version_id)


@dataclass
class Reviewed:
    """The latest answers of an earlier task, shown on a task page for review (an approval shows the plan)."""

    task: Task
    submission: Submission
    version: FormVersion | None


def review_submissions(session: Session, task: Task) -> list[Reviewed]:
    """What the task shows for review: the latest submission of each user task named in its BPMN property
    ``reviewSubmissions``, in that order; for a closed task, as it stood when the task was closed."""
    from server.workflows import service as workflows_service
    from server.workflows import validation

    parsed = workflows_service.parsed(task.case.workflow_version)
    info = next((ut for ut in parsed.user_tasks if ut.bpmn_id == task.bpmn_id), None)
    ids = [i for i in validation.review_ids(info.properties) if i != task.bpmn_id] if info else []
    if not ids:
        return []
    stmt = (select(Submission, Task).join(Task, Task.id == Submission.task_id)
            .where(Submission.case_id == task.case_id, Task.bpmn_id.in_(ids))
            .order_by(Submission.submitted_at, Submission.id))
    if task.status != "open" and task.completed_at is not None:
        stmt = stmt.where(Submission.submitted_at <= task.completed_at)
    latest = {earlier.bpmn_id: (sub, earlier) for sub, earlier in session.execute(stmt).all()}
    return [Reviewed(latest[i][1], latest[i][0],
                     session.get(FormVersion, latest[i][0].form_version_id) if latest[i][0].form_version_id else None)
            for i in ids if i in latest]


#: The task row of a completion, locked, with its form version (built once: every completion runs it).
_LOCK_TASK_WITH_FORM = (
    select(Task, FormVersion).outerjoin(FormVersion, FormVersion.id == Task.form_version_id)
    .where(Task.id == bindparam("task_id")).options(lazyload(Task.case))
    .with_for_update(key_share=True, of=Task).execution_options(populate_existing=True)
)


@dataclass
class CompleteResult:
    task: Task
    next_tasks: list[Task]
    case_closed: bool


def complete(session: Session, *, task_id: int, user: User, data: Any, now: datetime,
             translate: Any = None, ip: str = "") -> CompleteResult:
    """Lock the case, check the user, validate, advance the engine, store everything; or change nothing."""
    from server.sla import service as sla_service

    # Lock the case first (every step of a case locks it first), then the task row with its form
    # version: two statements, nothing loaded twice.
    case, content_hash = cases_service.lock_task_case(session, task_id)
    row = session.execute(_LOCK_TASK_WITH_FORM, {"task_id": task_id}).one_or_none()
    if row is None:
        raise NotFoundError()
    task, version = row
    if not may_view(user, task):
        raise NotFoundError()
    if task.status != "open":
        raise ConflictError(code="task_closed")
    if not may_work(user, task):
        if task.assignee_id not in (None, user.id):
            raise ConflictError(code="task_claimed")
        raise PermissionDeniedError()
    cleaned = forms_service.validate_submission(version, data, translate=translate) if version else {}
    bad = sorted(set(cleaned) & cases_service.RESERVED_KEYS)
    if bad:
        raise ValidationFailedError(details=[{"field": k, "keyword": "reserved", "message": k} for k in bad])
    instance = cases_service.load_instance(case, content_hash)
    properties = task_properties(instance, task.bpmn_id)
    hooks = _completion_hooks()
    for module in hooks:
        if hasattr(module, "check_task_completion"):
            module.check_task_completion(session, task=task, case=case, data=cleaned, user=user, now=now,
                                         properties=properties)
    try:
        instance.complete_task(task.engine_task_id, cleaned, now)
    except sandbox.SandboxError as exc:
        from flask_babel import gettext

        raise ValidationFailedError(gettext("The workflow could not continue: %(error)s", error=str(exc)),
                                    code="workflow_error") from exc
    except engine_mod.EngineError as exc:
        raise ConflictError(str(exc), code="engine_conflict") from exc
    task.status = "completed"
    task.completed_at = now
    task.completed_by_id = user.id
    if task.assignee_id is None:
        task.assignee_id, task.claimed_at = user.id, now
    sla_service.on_task_closed(task=task, now=now)
    session.add(Submission(case_id=case.id, task_id=task.id, form_version_id=version.id if version else None,
                           data=cleaned, submitted_by_id=user.id, submitted_at=now))
    new_tasks = cases_service.save_instance(session, case=case, instance=instance, now=now)
    audit.record(session, action="task.completed", actor=user, now=now, object_type="task", object_id=task.id,
                 case_id=case.id, ip=ip, details={"bpmn_id": task.bpmn_id,
                                                  "form_version": version.number if version else None,
                                                  "fields": sorted(cleaned)})
    from server.notifications import service as notify

    notify.tasks_created(session, tasks=new_tasks, now=now)
    for module in hooks:
        if hasattr(module, "on_task_completed"):
            module.on_task_completed(session, task=task, case=case, data=cleaned, user=user, now=now,
                                     properties=properties, new_tasks=new_tasks)
    cases_service.handle_thrown(session, case=case, instance=instance, user=user, now=now)
    return CompleteResult(task, new_tasks, case.status != "open")


def task_properties(instance: Any, bpmn_id: str) -> dict[str, str]:
    """The BPMN extension properties of a task (form, SLA, ``referral`` …)."""
    for info in instance.definition.user_tasks:
        if info.bpmn_id == bpmn_id:
            return dict(info.properties)
    return {}


def _completion_hooks() -> list[Any]:
    """Domain services that check or react to task completions (``check_task_completion`` may raise a
    DomainError to refuse it, e.g. the consent gate of referrals; ``on_task_completed`` runs after the
    engine step, in the same transaction)."""
    from server.web import optional_modules

    return [m for m in optional_modules("service")
            if hasattr(m, "check_task_completion") or hasattr(m, "on_task_completed")]


def inbox(session: Session, *, user: User, scope: str = "all", status: str = "open", sort: str = "due_at",
          sla_state: str | None = None, page: int = 1, per_page: int = 25,
          workflow_version_ids: list[int] | None = None, due_before: datetime | None = None,
          now: datetime | None = None) -> tuple[list[Task], int]:
    """The user's tasks (scope mine), their groups' tasks (group) or both (all), paged.

    One statement gives the page and the total (a window count). The office check reads the office's cases
    (only its open ones when listing open tasks: open tasks belong to open cases), so on a national data set
    it scans two partial indexes of open work, not every case.
    """
    group_ids = [g.id for g in user.groups]
    in_groups = Task.group_id.in_(group_ids)
    if user.unit_id is not None:  # group work is per office (see _in_users_unit)
        office = select(Case.id).where(or_(Case.unit_id == user.unit_id, Case.unit_id.is_(None)))
        if status == "open":
            office = office.where(Case.status == "open")
        in_groups = and_(in_groups, Task.case_id.in_(office))
    stmt = select(Task, func.count().over().label("total"))
    if scope == "mine":
        stmt = stmt.where(Task.assignee_id == user.id)
    elif scope == "group":
        stmt = stmt.where(in_groups, Task.assignee_id.is_(None))
    else:
        stmt = stmt.where(or_(Task.assignee_id == user.id, in_groups))
    if status in ("open", "completed", "cancelled"):
        stmt = stmt.where(Task.status == status)
    if sla_state in SLA_STATES:
        if now is not None and status == "open" and sla_state in ("on_track", "at_risk", "breached", "paused"):
            from server.sla import service as sla_service

            # The state at this moment, not as of the worker's last sweep.
            stmt = stmt.where(sla_service.live_state_expr(now) == sla_state)
        else:
            stmt = stmt.where(Task.sla_state == sla_state)
    if due_before is not None:
        stmt = stmt.where(Task.due_at < due_before)
    if sort not in SORTS:
        sort = "due_at"
    column = Task.due_at if sort.lstrip("-") == "due_at" else Task.created_at
    nulls_last = sql_case((column.is_(None), 1), else_=0)
    order = [nulls_last, column.desc() if sort.startswith("-") else column.asc(), Task.id]
    per_page = max(1, min(per_page, 100))
    rows = session.execute(stmt.order_by(*order).offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    if rows:
        return [row[0] for row in rows], int(rows[0][1])
    if page <= 1:
        return [], 0
    # A page past the end: the window count has no row to ride on.
    total = session.execute(select(func.count()).select_from(
        stmt.with_only_columns(Task.id).order_by(None).subquery())).scalar_one()
    return [], int(total)
