"""Need-to-know: who may see a case."""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.auth.models import User
from server.auth.permissions import CASE_ROLES, Role
from server.cases.models import Case
from server.tasks.models import Task


def visible_cases_clause(user: User) -> ColumnElement[bool]:
    """SQL condition for the cases a user may see: held a task, group has an open task, manages its unit,
    or registered it. Admins and partners see no case through this path."""
    names = user.group_names
    if not names & CASE_ROLES:
        return Case.id.is_(None)
    group_ids = [g.id for g in user.groups]
    held = exists().where(Task.case_id == Case.id,
                          or_(Task.assignee_id == user.id, Task.completed_by_id == user.id))
    group_open = exists().where(Task.case_id == Case.id, Task.status == "open", Task.group_id.in_(group_ids))
    clauses = [held, group_open, Case.created_by_id == user.id]
    if Role.MANAGER in names:
        clauses.append(Case.unit_id == user.unit_id if user.unit_id is not None else Case.unit_id.is_(None))
    return or_(*clauses)


def can_see_case(session: Session, user: User, case: Case) -> bool:
    return bool(session.execute(
        select(Case.id).where(Case.id == case.id, visible_cases_clause(user))
    ).first())
