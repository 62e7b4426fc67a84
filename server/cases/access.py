"""Need-to-know: who may see a case.

Staff with a case role see a case when they hold or held one of its tasks, registered it, belong to a
group with an open task in it (in their own unit), or manage its unit. Administrators see no case
through this path unless they also hold a case role. Partner agency users never see whole cases: they
see only what was referred to their agency, through rules the referrals domain registers here
(``register_partner_rule``); with no rule registered they see nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.auth.models import User
from server.auth.permissions import CASE_ROLES, Role
from server.cases.models import Case
from server.tasks.models import Task

#: A partner rule returns a SQL condition over ``Case`` that holds for cases with an active referral to
#: the user's agency, or None when it does not apply to that user.
PartnerRule = Callable[[User], "ColumnElement[bool] | None"]
_partner_rules: list[PartnerRule] = []


def register_partner_rule(rule: PartnerRule) -> None:
    """Let a domain (referrals) say which cases a partner user has an active referral for (idempotent)."""
    if rule not in _partner_rules:
        _partner_rules.append(rule)


def unregister_partner_rule(rule: PartnerRule) -> None:
    if rule in _partner_rules:
        _partner_rules.remove(rule)


def visible_cases_clause(user: User) -> ColumnElement[bool]:
    """SQL condition for the cases a staff user may see: held a task, group has an open task (same unit),
    manages its unit, or registered it. Admins and partners see no case through this path."""
    names = user.group_names
    if not names & CASE_ROLES:
        return Case.id.is_(None)
    group_ids = [g.id for g in user.groups]
    held = exists().where(Task.case_id == Case.id,
                          or_(Task.assignee_id == user.id, Task.completed_by_id == user.id))
    group_open = exists().where(Task.case_id == Case.id, Task.status == "open", Task.group_id.in_(group_ids))
    if user.unit_id is not None:
        # Groups are office-wide roles: in a multi-office deployment a caseworker of one unit must not
        # see another unit's cases just because a task there is waiting for "pendamping".
        group_open = and_(group_open, Case.unit_id == user.unit_id)
    clauses = [held, group_open, Case.created_by_id == user.id]
    if Role.MANAGER in names:
        clauses.append(Case.unit_id == user.unit_id if user.unit_id is not None else Case.unit_id.is_(None))
    return or_(*clauses)


def can_see_case(session: Session, user: User, case: Case) -> bool:
    return bool(session.execute(
        select(Case.id).where(Case.id == case.id, visible_cases_clause(user))
    ).first())


def partner_cases_clause(user: User) -> ColumnElement[bool]:
    """SQL condition for the cases a partner user has an active referral for (what they may see of
    them is decided by the referrals domain: only the referral's data)."""
    if Role.PARTNER not in user.group_names or user.partner_id is None:
        return false()
    clauses = [c for c in (rule(user) for rule in _partner_rules) if c is not None]
    return or_(*clauses) if clauses else false()


def partner_has_referral(session: Session, user: User, case_id: int) -> bool:
    """True when a partner user's agency has an active referral for the case."""
    return bool(session.execute(
        select(Case.id).where(Case.id == case_id, partner_cases_clause(user))
    ).first())
