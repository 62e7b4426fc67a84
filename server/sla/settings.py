"""What the admin edits: SLA policy overrides per workflow task (or per case) and office days (cuti
bersama, local closures, worked Saturdays). Every change is validated here and audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth import service as auth_service
from server.errors import NotFoundError, ValidationFailedError
from server.sla import policy as policy_mod
from server.sla import service as sla_service
from server.sla.models import OfficeDay, SlaPolicy
from server.workflows import service as workflows_service

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,99}")


def _invalid(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(message, details=[{"field": field, "keyword": "invalid", "message": message}])


@dataclass
class TaskRule:
    """One user task of an active workflow with the deadline its BPMN gives and the office override."""

    workflow_key: str
    bpmn_id: str
    name: str
    from_bpmn: str  # e.g. "PT72H (tpks_police_report)" or ""
    override: SlaPolicy | None


def list_policies(session: Session) -> list[SlaPolicy]:
    return list(session.execute(select(SlaPolicy).order_by(SlaPolicy.workflow_key, SlaPolicy.bpmn_id)).scalars())


def task_rules(session: Session) -> list[TaskRule]:
    """Every user task of every active workflow (plus the whole-case row), for the policy page."""
    overrides = {(p.workflow_key, p.bpmn_id): p for p in list_policies(session)}
    rules: list[TaskRule] = []
    for definition in workflows_service.list_definitions(session):
        version = definition.active_version
        if version is None:
            continue
        parsed = workflows_service.parsed(version)
        timers = sla_service.version_timer_durations(version)
        rules.append(TaskRule(definition.key, sla_service.CASE_WIDE, "", "",
                              overrides.pop((definition.key, sla_service.CASE_WIDE), None)))
        for task in parsed.user_tasks:
            rules.append(TaskRule(definition.key, task.bpmn_id, task.name,
                                  _bpmn_text(task.properties, timers.get(task.bpmn_id)),
                                  overrides.pop((definition.key, task.bpmn_id), None)))
    for (key, bpmn_id), row in sorted(overrides.items()):  # overrides of tasks no active version has
        rules.append(TaskRule(key, bpmn_id, "", "", row))
    return rules


def _bpmn_text(properties: dict[str, str], timer: str | None) -> str:
    key = properties.get("slaPolicy")
    if key and key in policy_mod.LEGAL_POLICIES:
        return f"{policy_mod.LEGAL_POLICIES[key].duration} ({key})"
    if properties.get("slaDuration"):
        return str(properties["slaDuration"])
    return f"{timer} (timer)" if timer else ""


def _user_task_ids(session: Session, workflow_key: str) -> set[str]:
    definition = workflows_service.get_definition(session, workflow_key)
    ids: set[str] = set()
    for version in definition.versions:
        ids |= {t.bpmn_id for t in workflows_service.parsed(version).user_tasks}
    return ids


def save_policy(session: Session, *, workflow_key: str, bpmn_id: str, duration: str, start: str,
                warn_ratio: Any, escalate_to: str | None, basis: str, actor: Any, now: datetime) -> SlaPolicy:
    """Create or replace the override of one task (or ``*`` for the whole case)."""
    workflow_key, bpmn_id = workflow_key.strip(), bpmn_id.strip()
    try:
        tasks = _user_task_ids(session, workflow_key)
    except NotFoundError as exc:
        raise _invalid("workflow_key", "no such workflow") from exc
    if bpmn_id != sla_service.CASE_WIDE and bpmn_id not in tasks:
        raise _invalid("bpmn_id", "the workflow has no user task with this id")
    try:
        parsed = policy_mod.parse_duration(duration)
    except ValueError as exc:
        raise _invalid("duration", str(exc)) from exc
    start = (start or policy_mod.TASK_CREATED).strip()
    if not _FIELD_NAME.fullmatch(start):
        raise _invalid("start", "task_created, case_created or the name of a date field")
    try:
        ratio = float(warn_ratio)
    except (TypeError, ValueError) as exc:
        raise _invalid("warn_ratio", "a number between 0 and 1") from exc
    if not 0 < ratio <= 1:
        raise _invalid("warn_ratio", "a number between 0 and 1")
    escalate_to = (escalate_to or "").strip() or None
    if escalate_to and auth_service.get_group(session, escalate_to) is None:
        raise _invalid("escalate_to", "no such group")
    row = session.execute(
        select(SlaPolicy).where(SlaPolicy.workflow_key == workflow_key, SlaPolicy.bpmn_id == bpmn_id)
    ).scalar_one_or_none()
    before = _policy_dict(row) if row is not None else None
    if row is None:
        row = SlaPolicy(workflow_key=workflow_key, bpmn_id=bpmn_id, updated_at=now)
        session.add(row)
    row.duration, row.start, row.warn_ratio = parsed.text, start, ratio
    row.escalate_to, row.basis = escalate_to, (basis or "").strip()[:2000]
    row.updated_at, row.updated_by_id = now, getattr(actor, "id", None)
    session.flush()
    audit.record(session, action="sla.policy_saved", actor=actor, now=now, object_type="sla_policy",
                 object_id=f"{workflow_key}/{bpmn_id}", details={"before": before, "after": _policy_dict(row)})
    return row


def delete_policy(session: Session, *, policy_id: int, actor: Any, now: datetime) -> None:
    row = session.get(SlaPolicy, policy_id)
    if row is None:
        raise NotFoundError()
    audit.record(session, action="sla.policy_deleted", actor=actor, now=now, object_type="sla_policy",
                 object_id=f"{row.workflow_key}/{row.bpmn_id}", details={"before": _policy_dict(row)})
    session.delete(row)


def _policy_dict(row: SlaPolicy) -> dict[str, Any]:
    return {"duration": row.duration, "start": row.start, "warn_ratio": row.warn_ratio,
            "escalate_to": row.escalate_to, "basis": row.basis}


# -- office days --------------------------------------------------------------------------------------


@dataclass
class Holiday:
    day: date
    name: str


def office_days(session: Session, *, year: int) -> list[OfficeDay]:
    return list(session.execute(
        select(OfficeDay).where(OfficeDay.day >= date(year, 1, 1), OfficeDay.day <= date(year, 12, 31))
        .order_by(OfficeDay.day)
    ).scalars())


def national_holidays(session: Session, *, year: int) -> list[Holiday]:
    """The national holidays of ``year`` (from the ``holidays`` package), read-only, for reference."""
    cal = sla_service.calendar(session)
    return [Holiday(d, n) for d, n in sorted(cal.national_holidays(year).items())]


def save_office_day(session: Session, *, day: Any, is_open: bool, name: str, actor: Any,
                    now: datetime) -> OfficeDay:
    """Declare a day closed (cuti bersama, local closure) or open (a worked Saturday); replaces that day."""
    try:
        value = day if isinstance(day, date) else date.fromisoformat(str(day).strip())
    except ValueError as exc:
        raise _invalid("day", "a date written as YYYY-MM-DD") from exc
    name = (name or "").strip()[:200]
    if not is_open and not name:
        raise _invalid("name", "name the closure (e.g. Cuti bersama Idul Fitri)")
    row = session.execute(select(OfficeDay).where(OfficeDay.day == value)).scalar_one_or_none()
    before = {"is_open": row.is_open, "name": row.name} if row is not None else None
    if row is None:
        row = OfficeDay(day=value)
        session.add(row)
    row.is_open, row.name = bool(is_open), name
    session.flush()
    audit.record(session, action="sla.office_day_saved", actor=actor, now=now, object_type="office_day",
                 object_id=value.isoformat(), details={"before": before, "after": {"is_open": row.is_open,
                                                                                    "name": row.name}})
    return row


def delete_office_day(session: Session, *, day_id: int, actor: Any, now: datetime) -> date:
    row = session.get(OfficeDay, day_id)
    if row is None:
        raise NotFoundError()
    audit.record(session, action="sla.office_day_deleted", actor=actor, now=now, object_type="office_day",
                 object_id=row.day.isoformat(), details={"before": {"is_open": row.is_open, "name": row.name}})
    session.delete(row)
    return row.day
