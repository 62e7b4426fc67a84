"""Deadlines on tasks: policy lookup (admin override, else BPMN properties), due dates, SLA states."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.sla import policy as policy_mod
from server.sla.calendar import WorkingCalendar
from server.sla.models import OfficeDay, SlaPolicy


@dataclass(frozen=True)
class CalendarSettings:
    timezone: str = "Asia/Jakarta"
    office_start_hour: int = 8
    office_end_hour: int = 16


_settings = CalendarSettings()
_cache_lock = threading.Lock()
_cache: dict[tuple[Any, ...], WorkingCalendar] = {}


def configure(config: Any) -> None:
    """Called once by the app factory with the office's settings."""
    global _settings
    _settings = CalendarSettings(
        timezone=str(config.get("OFFICE_TIMEZONE", "Asia/Jakarta")),
        office_start_hour=int(config.get("OFFICE_HOURS_START", 8)),
        office_end_hour=int(config.get("OFFICE_HOURS_END", 16)),
    )


def calendar(session: Session) -> WorkingCalendar:
    """The office's working calendar: national holidays plus office-defined days (cached by content)."""
    days = session.execute(select(OfficeDay.day, OfficeDay.is_open, OfficeDay.name).order_by(OfficeDay.day)).all()
    key = (_settings, tuple(days))
    with _cache_lock:
        cal = _cache.get(key)
        if cal is None:
            cal = WorkingCalendar(
                timezone=_settings.timezone, office_start_hour=_settings.office_start_hour,
                office_end_hour=_settings.office_end_hour,
                extra_closed_days={d.day: d.name or "Libur kantor" for d in days if not d.is_open},
                extra_open_days=[d.day for d in days if d.is_open],
            )
            if len(_cache) > 16:
                _cache.clear()
            _cache[key] = cal
    return cal


@dataclass(frozen=True)
class EffectivePolicy:
    duration: str
    start: str
    warn_ratio: float
    escalate_to: str | None
    basis: str


def policy_for(session: Session, *, workflow_key: str, bpmn_id: str,
               properties: dict[str, str]) -> EffectivePolicy | None:
    """An admin override wins; otherwise the BPMN task's ``sla*`` properties; otherwise none."""
    override = session.execute(
        select(SlaPolicy).where(SlaPolicy.workflow_key == workflow_key, SlaPolicy.bpmn_id == bpmn_id)
    ).scalar_one_or_none()
    if override is not None:
        return EffectivePolicy(override.duration, override.start, override.warn_ratio, override.escalate_to,
                               override.basis)
    legal_key = properties.get("slaPolicy")
    if legal_key and legal_key in policy_mod.LEGAL_POLICIES:
        legal = policy_mod.LEGAL_POLICIES[legal_key]
        return EffectivePolicy(legal.duration, legal.start, legal.warn_ratio,
                               properties.get("slaEscalateTo"), legal.basis_id)
    duration = properties.get("slaDuration")
    if not duration:
        return None
    return EffectivePolicy(duration, properties.get("slaStart", "task_created"),
                           float(properties.get("slaWarnRatio", 0.75)), properties.get("slaEscalateTo"),
                           properties.get("slaBasis", ""))


def _start_time(start: str, *, task: Any, case: Any, data: dict[str, Any], now: datetime) -> datetime:
    if start == "case_created":
        return case.created_at
    if start in ("task_created", "", None):
        return now
    value = data.get(start)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return now
        if parsed.tzinfo is None:
            from zoneinfo import ZoneInfo

            parsed = parsed.replace(tzinfo=ZoneInfo(_settings.timezone))
        return parsed.astimezone(UTC)
    return now


def on_task_created(*, session: Session, task: Any, case: Any, properties: dict[str, str],
                    data: dict[str, Any], now: datetime) -> None:
    """Give a new task its deadline and first SLA state."""
    workflow_key = case.workflow_version.definition.key
    policy = policy_for(session, workflow_key=workflow_key, bpmn_id=task.bpmn_id, properties=properties)
    if policy is None:
        return
    try:
        duration = policy_mod.parse_duration(policy.duration)
    except ValueError:
        return
    start = _start_time(policy.start, task=task, case=case, data=data, now=now)
    cal = calendar(session)
    task.due_at = policy_mod.due_at(start, duration, cal)
    window = task.due_at - start
    task.warn_at = start + window * policy.warn_ratio
    task.sla_basis = policy.basis[:300] if policy.basis else None
    task.sla_state = policy_mod.evaluate(start=start, due=task.due_at, now=now,
                                         warn_ratio=policy.warn_ratio).state.value


def state_at(task: Any, now: datetime) -> str | None:
    """The SLA state of a task at ``now`` from its stored due and warn times."""
    if task.due_at is None:
        return None
    if task.status != "open":
        end = task.completed_at or now
        return "met" if end <= task.due_at else "missed"
    if task.paused_since is not None:
        return "paused"
    if now > task.due_at:
        return "breached"
    if task.warn_at is not None and now >= task.warn_at:
        return "at_risk"
    return "on_track"


def on_task_closed(*, task: Any, now: datetime) -> None:
    if task.due_at is not None:
        task.sla_state = state_at(task, now) if task.status == "completed" else None
