"""The manager's figures: open work by SLA state, step, group, person and month; the breach list; time
to complete per step against its SLA; cases open by stage; cases per year by type.

Every query is scoped to the manager's office (``case.unit_id``), reads only the task and case tables
(never engine state), and aggregates in the database; states are computed at ``now`` in SQL, so the
figures do not depend on when the worker last ran. Months and years are counted in the office's zone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from server.auth.models import Group, User
from server.cases.models import Case
from server.sla import service as sla_service
from server.sla.models import CaseSla, TaskSla
from server.tasks.models import Task
from server.workflows.models import WorkflowDefinition, WorkflowVersion

OPEN_STATES = sla_service.OPEN_STATES
BREACH_STATES = ("breached", "missed")
#: 'open' written into the SQL rather than bound, so PostgreSQL matches the partial indexes of open rows
#: even with a generic (prepared) plan.
OPEN = literal("open", literal_execute=True)


def unit_clause(user: User) -> ColumnElement[bool]:
    """Cases of the manager's office (managers without an office see cases without one)."""
    return Case.unit_id == user.unit_id if user.unit_id is not None else Case.unit_id.is_(None)


def _zero() -> dict[str, int]:
    return dict.fromkeys(OPEN_STATES, 0)


def _with_total(counts: dict[str, int]) -> dict[str, int]:
    return {**counts, "total": sum(counts[s] for s in OPEN_STATES)}


# -- month and year buckets in the office's zone ------------------------------------------------------


def month_start(dt: datetime, months: int = 0) -> datetime:
    """First instant (UTC) of the office-zone month of ``dt`` shifted by ``months``."""
    local = dt.astimezone(sla_service.office_zone())
    index = local.year * 12 + local.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=sla_service.office_zone()).astimezone(UTC)


def _bucket_expr(column: Any, edges: list[tuple[str, datetime]], before: str, after: str) -> ColumnElement[str]:
    """SQL label of the bucket ``column`` falls in; ``edges`` are (label, start) in ascending order."""
    whens = [(column < edges[0][1], literal(before))]
    for (label, _start), (_next_label, end) in zip(edges, edges[1:], strict=False):
        whens.append((column < end, literal(label)))
    return sql_case(*whens, else_=literal(after))


def month_edges(now: datetime, back: int = 12, ahead: int = 3) -> list[tuple[str, datetime]]:
    """(``YYYY-MM``, start) for ``back`` months before the current one through ``ahead`` after, plus the
    end edge labelled ``later``."""
    edges = []
    for m in range(-back, ahead + 1):
        start = month_start(now, m)
        local = start.astimezone(sla_service.office_zone())
        edges.append((f"{local.year:04d}-{local.month:02d}", start))
    edges.append(("later", month_start(now, ahead + 1)))
    return edges


def year_edges(first_year: int, last_year: int) -> list[tuple[str, datetime]]:
    zone = sla_service.office_zone()
    return [(str(y), datetime(y, 1, 1, tzinfo=zone).astimezone(UTC)) for y in range(first_year, last_year + 2)]


# -- open work -----------------------------------------------------------------------------------------


@dataclass
class Summary:
    as_of: datetime
    by_state: dict[str, int]
    by_step: list[dict[str, Any]]
    by_group: list[dict[str, Any]]
    by_assignee: list[dict[str, Any]]
    by_month: list[dict[str, Any]]
    legal_breached: int
    open_cases: int
    case_deadlines: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "by_state": _with_total(self.by_state), "by_step": self.by_step,
            "by_group": self.by_group, "by_assignee": self.by_assignee, "by_month": self.by_month,
            "legal_breached": self.legal_breached,
            "cases": {"open": self.open_cases, "deadlines": self.case_deadlines},
        }


def _workflow_keys(session: Session, version_ids: set[int]) -> dict[int, str]:
    if not version_ids:
        return {}
    rows = session.connection().execute(
        select(WorkflowVersion.id, WorkflowDefinition.key).join(
            WorkflowDefinition, WorkflowDefinition.id == WorkflowVersion.definition_id
        ).where(WorkflowVersion.id.in_(version_ids))
    ).all()
    return dict(rows)


def _open_tasks(user: User) -> Any:
    """Open tasks of the office's open cases (a closed case has none: closing cancels them). Both halves
    match the partial indexes of open rows."""
    return and_(Task.status == OPEN, Case.status == OPEN, unit_clause(user))


def summary(session: Session, *, user: User, now: datetime) -> Summary:
    """Open tasks of the office by SLA state, step, group, person and due month (two grouped queries).

    Aggregates are read through Core (``session.connection()``): thousands of grouped rows need no ORM."""
    state = sla_service.live_state_expr(now).label("state")
    rows = session.connection().execute(
        select(Case.workflow_version_id, Task.bpmn_id, Task.name, Task.group_id, Task.assignee_id, state,
               func.count().label("n"))
        .select_from(Task).join(Case, Case.id == Task.case_id).where(_open_tasks(user))
        .group_by(Case.workflow_version_id, Task.bpmn_id, Task.name, Task.group_id, Task.assignee_id, state)
    ).all()
    keys = _workflow_keys(session, {r[0] for r in rows})
    by_state = _zero()
    steps: dict[tuple[int, str], dict[str, Any]] = {}
    groups: dict[int | None, dict[str, int]] = defaultdict(_zero)
    people: dict[int | None, dict[str, int]] = defaultdict(_zero)
    for version_id, bpmn_id, name, group_id, assignee_id, st, n in rows:  # thousands of rows: keep it lean
        by_state[st] += n
        step = steps.get((version_id, bpmn_id))
        if step is None:
            step = steps[(version_id, bpmn_id)] = {"workflow": keys.get(version_id, ""), "bpmn_id": bpmn_id,
                                                   "name": name, **_zero()}
        step[st] += n
        groups[group_id][st] += n
        people[assignee_id][st] += n
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for step in steps.values():  # versions of one workflow count as one step
        into = merged.get((step["workflow"], step["bpmn_id"]))
        if into is None:
            merged[(step["workflow"], step["bpmn_id"])] = step
        else:
            for k in OPEN_STATES:
                into[k] += step[k]
    steps = merged  # type: ignore[assignment]
    group_rows = {g.id: g for g in session.connection().execute(
        select(Group.id, Group.name, Group.title).where(Group.id.in_([g for g in groups if g is not None])))}
    user_rows = _people(session, user, {p for p in people if p is not None})
    by_step = sorted((_with_total(s) for s in steps.values()),
                     key=lambda s: (-s["breached"], -s["at_risk"], -s["total"], s["name"]))
    by_group = sorted((
        {"group_id": gid, "group": group_rows[gid].name if gid in group_rows else None,
         "title": (group_rows[gid].title or group_rows[gid].name) if gid in group_rows else None,
         **_with_total(counts)} for gid, counts in groups.items()),
        key=lambda g: (-g["breached"], -g["total"], g["group"] or ""))
    by_assignee = sorted((
        {"user_id": uid, "username": user_rows[uid].username if uid in user_rows else None,
         "full_name": user_rows[uid].full_name if uid in user_rows else None, **_with_total(counts)}
        for uid, counts in people.items()),
        key=lambda p: (-p["breached"], -p["total"], p["username"] or ""))
    return Summary(as_of=now, by_state=by_state, by_step=by_step, by_group=by_group, by_assignee=by_assignee,
                   by_month=_by_month(session, user=user, now=now), legal_breached=_legal_breached(
                       session, user=user, now=now), open_cases=_open_cases(session, user=user),
                   case_deadlines=_case_deadlines(session, user=user, now=now))


def _people(session: Session, user: User, ids: set[int]) -> dict[int, Any]:
    """Names of the assignees: the office's staff in one plain query (an office has hundreds; an ``IN`` of hundreds
    of ids costs more), then whoever else holds one of its tasks."""
    office = User.unit_id == user.unit_id if user.unit_id is not None else User.unit_id.is_(None)
    rows = {u.id: u for u in session.connection().execute(
        select(User.id, User.username, User.full_name).where(office)) if u.id in ids}
    missing = ids - rows.keys()
    if missing:
        rows.update({u.id: u for u in session.connection().execute(
            select(User.id, User.username, User.full_name).where(User.id.in_(sorted(missing))))})
    return rows


def _by_month(session: Session, *, user: User, now: datetime) -> list[dict[str, Any]]:
    """Open tasks by the office-zone month they are (or were) due."""
    edges = month_edges(now)
    bucket = _bucket_expr(Task.due_at, edges, "earlier", "later").label("month")
    state = sla_service.live_state_expr(now).label("state")
    rows = session.connection().execute(
        select(bucket, state, func.count().label("n")).select_from(Task).join(Case, Case.id == Task.case_id)
        .where(_open_tasks(user), Task.due_at.is_not(None)).group_by(bucket, state)
    ).all()
    counts: dict[str, dict[str, int]] = defaultdict(_zero)
    for r in rows:
        counts[r.month][r.state] += r.n
    order = ["earlier"] + [label for label, _ in edges[:-1]] + ["later"]
    return [{"month": m, **_with_total(counts[m])} for m in order if m in counts]


def _legal_breached(session: Session, *, user: User, now: datetime) -> int:
    return int(session.connection().execute(
        select(func.count()).select_from(Task).join(Case, Case.id == Task.case_id)
        .join(TaskSla, TaskSla.task_id == Task.id)
        .where(_open_tasks(user), Task.paused_since.is_(None), Task.due_at < now, TaskSla.never_suppress)
    ).scalar_one())


def _open_cases(session: Session, *, user: User) -> int:
    return int(session.connection().execute(
        select(func.count(Case.id)).where(Case.status == OPEN, unit_clause(user))
    ).scalar_one())


def _case_deadlines(session: Session, *, user: User, now: datetime) -> dict[str, int]:
    state = sql_case((CaseSla.due_at < now, literal("breached")), (CaseSla.warn_at <= now, literal("at_risk")),
                     else_=literal("on_track")).label("state")
    rows = session.connection().execute(
        select(state, func.count()).select_from(CaseSla).join(Case, Case.id == CaseSla.case_id)
        .where(Case.status == OPEN, unit_clause(user)).group_by(state)
    ).all()
    return {s: int(n) for s, n in rows}


# -- breaches -------------------------------------------------------------------------------------------


@dataclass
class BreachFilter:
    state: str = "breached"  # breached (open, late) | missed (closed late)
    bpmn_id: str | None = None
    group_id: int | None = None
    assignee_id: int | None = None
    legal_only: bool = False
    since_days: int = 90  # for missed: completed within the last N days


def breaches(session: Session, *, user: User, now: datetime, flt: BreachFilter, page: int = 1,
             per_page: int = 25, max_per_page: int = 100) -> tuple[list[dict[str, Any]], int]:
    """Late work of the office, the latest deadline first missed at the top (paged)."""
    conds: list[ColumnElement[bool]] = [unit_clause(user)]
    if flt.state == "missed":
        since = now - timedelta(days=max(1, flt.since_days))
        conds += [Task.status.in_(["completed", "cancelled"]), Task.sla_state == "missed",
                  Task.completed_at >= since]
        order = [Task.completed_at.desc(), Task.id.desc()]
    else:
        conds += [Task.status == OPEN, Case.status == OPEN, Task.paused_since.is_(None), Task.due_at < now]
        order = [Task.due_at.asc(), Task.id.asc()]
    if flt.bpmn_id:
        conds.append(Task.bpmn_id == flt.bpmn_id)
    if flt.group_id is not None:
        conds.append(Task.group_id == flt.group_id)
    if flt.assignee_id is not None:  # 0 means "nobody holds it"
        conds.append(Task.assignee_id == flt.assignee_id if flt.assignee_id else Task.assignee_id.is_(None))
    if flt.legal_only:
        conds.append(TaskSla.never_suppress)

    def joined(stmt: Any, *, deadline_rows: bool = True) -> Any:
        stmt = stmt.join(Case, Case.id == Task.case_id)
        if deadline_rows:
            stmt = stmt.outerjoin(TaskSla, TaskSla.task_id == Task.id)
        return stmt.where(*conds)

    # the count needs the deadline rows only to filter on them
    total = int(session.execute(joined(select(func.count(Task.id)).select_from(Task),
                                       deadline_rows=flt.legal_only)).scalar_one())
    per_page = max(1, min(per_page, max_per_page))
    # Columns, not entities: a case row carries its engine state, which a list must never read.
    rows = session.execute(
        joined(select(Task.id, Task.case_id, Case.reference, Case.workflow_version_id, Task.bpmn_id, Task.name,
                      Task.status, Task.group_id, Task.assignee_id, Task.due_at, Task.completed_at,
                      Task.sla_basis, TaskSla.policy_key, TaskSla.binding, TaskSla.never_suppress))
        .order_by(*order).offset((max(page, 1) - 1) * per_page).limit(per_page)
    ).all()
    user_ids = {r.assignee_id for r in rows if r.assignee_id}
    group_ids = {r.group_id for r in rows if r.group_id}
    names = {u.id: u for u in session.execute(
        select(User.id, User.username, User.full_name).where(User.id.in_(user_ids)))} if user_ids else {}
    groups = dict(session.execute(select(Group.id, Group.name).where(Group.id.in_(group_ids))).all()) \
        if group_ids else {}
    keys = _workflow_keys(session, {r.workflow_version_id for r in rows})
    items = []
    for r in rows:
        end = r.completed_at if flt.state == "missed" and r.completed_at else now
        assignee = names.get(r.assignee_id) if r.assignee_id else None
        items.append({
            "task_id": r.id, "case_id": r.case_id, "case_reference": r.reference,
            "workflow": keys.get(r.workflow_version_id, ""), "bpmn_id": r.bpmn_id, "name": r.name,
            "status": r.status, "group": groups.get(r.group_id) if r.group_id else None,
            "assignee": assignee.username if assignee else None,
            "assignee_name": assignee.full_name if assignee else None,
            "due_at": r.due_at, "completed_at": r.completed_at,
            "late_seconds": int((end - r.due_at).total_seconds()) if r.due_at else 0,
            "basis": r.sla_basis or "", "policy_key": r.policy_key, "binding": r.binding,
            "legal": bool(r.never_suppress),
        })
    return items, total
