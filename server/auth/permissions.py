"""Roles and permissions. Every endpoint declares one; an endpoint without a rule is refused."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Role(StrEnum):
    ADMIN = "admin"
    INTAKE = "penerima_pengaduan"
    CASEWORKER = "pendamping"
    MANAGER = "kepala_uptd"
    PROFESSIONAL = "profesional"
    DATA_OFFICER = "pengelola_data"
    PARTNER = "mitra"


CASE_ROLES = frozenset({Role.INTAKE, Role.CASEWORKER, Role.MANAGER, Role.PROFESSIONAL, Role.DATA_OFFICER})
STAFF_ROLES = CASE_ROLES | {Role.ADMIN}


class Permission(StrEnum):
    PUBLIC = "public"                # no login
    AUTHENTICATED = "authenticated"  # any logged-in user
    WORKFLOW_READ = "workflow.read"
    CASE_START = "case.start"
    CASE_READ = "case.read"          # plus the per-case need-to-know check in cases.access
    TASK_WORK = "task.work"
    TASK_ASSIGN = "task.assign"
    MESSAGE_SEND = "message.send"
    SLA_READ = "sla.read"
    REPORT_READ = "report.read"
    ADMIN = "admin"
    PARTNER = "partner"


GRANTS: dict[Permission, frozenset[str]] = {
    Permission.WORKFLOW_READ: frozenset(STAFF_ROLES),
    Permission.CASE_START: frozenset({Role.INTAKE, Role.CASEWORKER, Role.MANAGER}),
    Permission.CASE_READ: frozenset(CASE_ROLES),
    Permission.TASK_WORK: frozenset(CASE_ROLES),
    Permission.TASK_ASSIGN: frozenset({Role.MANAGER}),
    Permission.MESSAGE_SEND: frozenset({Role.CASEWORKER, Role.MANAGER}),
    Permission.SLA_READ: frozenset({Role.MANAGER}),
    Permission.REPORT_READ: frozenset({Role.MANAGER, Role.DATA_OFFICER}),
    Permission.ADMIN: frozenset({Role.ADMIN}),
    Permission.PARTNER: frozenset({Role.PARTNER}),
}

#: Roles whose holders may see victims' identifying fields unmasked in lists and exports.
UNMASKED_ROLES = frozenset({Role.CASEWORKER, Role.MANAGER, Role.INTAKE, Role.PROFESSIONAL})

ATTR = "_sinergi_permission"


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare the permission a view needs; the app's before_request hook enforces it."""

    def mark(fn: F) -> F:
        setattr(fn, ATTR, permission)
        return fn

    return mark


def has_permission(group_names: set[str], permission: Permission) -> bool:
    if permission in (Permission.PUBLIC, Permission.AUTHENTICATED):
        return True
    return bool(group_names & GRANTS[permission])
