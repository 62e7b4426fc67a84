"""Deadlines on tasks and cases: which policy applies, due dates, SLA states, pausing the clock.

Policy precedence for a task: an admin override (``SlaPolicy`` row) wins; then the BPMN task's
``slaPolicy`` (a key of ``policy.LEGAL_POLICIES``); then its ``slaDuration``/``slaStart``/... properties;
then an interrupting (else the shortest) boundary timer on the task. A whole case gets a deadline from
an admin policy with ``bpmn_id='*'``.
"""

from __future__ import annotations

import ast
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, literal, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, object_session

from server import generation
from server.auth.permissions import Role
from server.sla import policy as policy_mod
from server.sla.calendar import WorkingCalendar
from server.sla.models import CaseSla, OfficeDay, SlaPolicy, TaskSla
from server.tasks.models import Task

log = logging.getLogger("sinergi.sla")

#: The states of open work, in the order the dashboard shows them; ``none`` = no deadline.
OPEN_STATES = ("breached", "at_risk", "on_track", "paused", "none")
CLOSED_STATES = ("met", "missed")
#: Deadlines set by law or a clinical protocol: their clock cannot be paused (UU TPKS does not wait).
UNPAUSABLE = frozenset({policy_mod.Binding.LAW.value, policy_mod.Binding.CLINICAL.value})
CASE_WIDE = "*"
DEFAULT_ESCALATION = Role.MANAGER.value


@dataclass(frozen=True)
class CalendarSettings:
    timezone: str = "Asia/Jakarta"
    office_start_hour: int = 8
    office_end_hour: int = 16


_settings = CalendarSettings()
_cache_lock = threading.Lock()
_cache: dict[tuple[Any, ...], WorkingCalendar] = {}
_timer_cache: dict[str, dict[str, str]] = {}
_office_days = generation.Cache("office_days", size=4)


def configure(config: Any) -> None:
    """Called once by the app factory with the office's settings."""
    global _settings
    _settings = CalendarSettings(
        timezone=str(config.get("OFFICE_TIMEZONE", "Asia/Jakarta")),
        office_start_hour=int(config.get("OFFICE_HOURS_START", 8)),
        office_end_hour=int(config.get("OFFICE_HOURS_END", 16)),
    )


def office_zone() -> ZoneInfo:
    return ZoneInfo(_settings.timezone)


def calendar(session: Session) -> WorkingCalendar:
    """The office's working calendar: national holidays plus office-defined days (cached by content)."""
    days = _office_days.get(session, "days", lambda: tuple(session.execute(
        select(OfficeDay.day, OfficeDay.is_open, OfficeDay.name).order_by(OfficeDay.day)).all()))
    key = (_settings, days)
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


# -- which policy applies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectivePolicy:
    duration: str
    start: str
    warn_ratio: float
    escalate_to: str | None
    basis: str
    source: str = "bpmn"  # admin | legal | bpmn | timer
    policy_key: str | None = None
    binding: str | None = None
    never_suppress: bool = False


def _legal(properties: dict[str, str]) -> policy_mod.SlaPolicy | None:
    key = properties.get("slaPolicy")
    return policy_mod.LEGAL_POLICIES.get(key) if key else None


def policy_for(session: Session, *, workflow_key: str, bpmn_id: str, properties: dict[str, str],
               timer_durations: dict[str, str] | None = None,
               overrides: dict[str, Override] | None = None) -> EffectivePolicy | None:
    """An admin override wins; then a legal policy key, the task's ``sla*`` properties, a boundary timer.

    ``overrides`` (bpmn_id → row) saves the lookup when the caller already has the workflow's overrides.
    """
    legal = _legal(properties)
    legal_fields: dict[str, Any] = {}
    if legal is not None:
        legal_fields = {"policy_key": legal.key, "binding": legal.binding.value,
                        "never_suppress": legal.never_suppress}
    if overrides is None:
        overrides = _overrides(session, workflow_key)
    override = overrides.get(bpmn_id)
    if override is not None:
        # An office may tighten or relax a deadline, but a legal one stays flagged (never suppressed).
        return EffectivePolicy(override.duration, override.start, override.warn_ratio, override.escalate_to,
                               override.basis, source="admin", **legal_fields)
    if legal is not None:
        return EffectivePolicy(legal.duration, legal.start, legal.warn_ratio, properties.get("slaEscalateTo"),
                               legal.basis_id, source="legal", **legal_fields)
    duration = properties.get("slaDuration")
    if duration:
        try:
            warn_ratio = float(properties.get("slaWarnRatio", 0.75))
        except ValueError:
            warn_ratio = 0.75
        return EffectivePolicy(duration, properties.get("slaStart", policy_mod.TASK_CREATED), warn_ratio,
                               properties.get("slaEscalateTo"), properties.get("slaBasis", ""))
    timer = (timer_durations or {}).get(bpmn_id)
    if timer:
        return EffectivePolicy(timer, policy_mod.TASK_CREATED, 0.75, properties.get("slaEscalateTo"),
                               properties.get("slaBasis", ""), source="timer")
    return None


@dataclass(frozen=True)
class Override:
    """An admin's SLA policy row, as plain data (kept in a per-process cache)."""

    bpmn_id: str
    duration: str
    start: str
    warn_ratio: float
    escalate_to: str | None
    basis: str


_override_cache = generation.Cache("sla_overrides")


def _overrides(session: Session, workflow_key: str) -> dict[str, Override]:
    """The admin overrides of a workflow's tasks and of the whole case (``bpmn_id → Override``),
    cached per configuration generation."""

    def compute() -> dict[str, Override]:
        rows = session.execute(select(SlaPolicy).where(SlaPolicy.workflow_key == workflow_key)).scalars()
        return {row.bpmn_id: Override(row.bpmn_id, row.duration, row.start, row.warn_ratio, row.escalate_to,
                                      row.basis or "") for row in rows}

    return _override_cache.get(session, workflow_key, compute)


_version_keys: dict[str, str] = {}


def _workflow_key(version: Any) -> str:
    """The workflow key of a version, remembered by content hash (the XML names its process, so the hash
    determines the key; row ids can be reused after a rollback on SQLite). Saves a query per new task."""
    key = _version_keys.get(version.content_hash)
    if key is None:
        key = version.definition.key
        if len(_version_keys) > 4096:
            _version_keys.clear()
        _version_keys[version.content_hash] = key
    return key


def version_timer_durations(version: Any) -> dict[str, str]:
    """``boundary_timer_durations`` of a workflow version, reading its XML only on a cache miss."""
    with _cache_lock:
        cached = _timer_cache.get(version.content_hash)
    if cached is not None:
        return cached
    return boundary_timer_durations(version.bpmn_xml, version.content_hash)


def boundary_timer_durations(xml: str | Callable[[], str], content_hash: str) -> dict[str, str]:
    """``{task bpmn_id: ISO duration}`` of literal boundary timers (interrupting ones win, then the shortest).

    ``xml`` may be a callable, called only when the durations of ``content_hash`` are not cached yet.
    """
    with _cache_lock:
        cached = _timer_cache.get(content_hash)
    if cached is not None:
        return cached
    if callable(xml):
        xml = xml()
    from server.workflows import engine as engine_mod

    found: dict[str, tuple[bool, int, str]] = {}
    try:
        root = engine_mod.parse_xml(xml.encode("utf-8"))
    except engine_mod.EngineError:
        root = None
    ns = {"bpmn": engine_mod.BPMN_NS}
    for event in root.iterfind(".//bpmn:boundaryEvent", ns) if root is not None else ():
        node = event.find("bpmn:timerEventDefinition/bpmn:timeDuration", ns)
        attached = event.get("attachedToRef")
        if node is None or not attached or not (node.text or "").strip():
            continue
        try:
            # Timer expressions are Python; only a quoted literal is a fixed deadline.
            text = ast.literal_eval(node.text.strip())
            seconds = policy_mod.parse_duration(str(text)).seconds
        except (ValueError, SyntaxError):
            continue
        if not seconds:
            continue
        interrupting = event.get("cancelActivity", "true") != "false"
        rank = (not interrupting, seconds, str(text))
        if attached not in found or rank < found[attached]:
            found[attached] = rank
    result = {task_id: rank[2] for task_id, rank in found.items()}
    with _cache_lock:
        if len(_timer_cache) > 256:
            _timer_cache.clear()
        _timer_cache[content_hash] = result
    return result


def _start_time(start: str, *, case: Any, data: dict[str, Any], now: datetime) -> datetime:
    """Where a deadline's clock starts; a data field that is missing or unreadable falls back to ``now``."""
    if start == policy_mod.CASE_CREATED:
        return case.created_at
    if start in (policy_mod.TASK_CREATED, "", None):
        return now
    value = data.get(start)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return now
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=office_zone())
        return parsed.astimezone(UTC)
    return now


def _warn_at(start: datetime, due: datetime, base_due: datetime, warn_ratio: float) -> datetime:
    """The warning instant: the same share of the window before the (possibly extended) deadline."""
    window = base_due - start
    return due - window * (1 - warn_ratio)


# -- task hooks -------------------------------------------------------------------------------------


def on_task_created(*, session: Session, task: Any, case: Any, properties: dict[str, str],
                    data: dict[str, Any], now: datetime, definition: Any = None) -> None:
    """Give a new task its deadline and first SLA state (and the case its deadline, once).

    ``definition`` (the parsed workflow of the case) saves loading the case's version row.
    """
    if definition is not None:
        workflow_key = definition.process_id

        def xml() -> str:
            from server.workflows.models import WorkflowVersion

            return session.get(WorkflowVersion, case.workflow_version_id).bpmn_xml

        timers = boundary_timer_durations(xml, definition.content_hash)
    else:
        workflow_key = _workflow_key(case.workflow_version)
        timers = version_timer_durations(case.workflow_version)
    overrides = _overrides(session, workflow_key)
    if CASE_WIDE in overrides:
        _ensure_case_sla(session, case=case, row=overrides[CASE_WIDE], now=now)
    policy = policy_for(session, workflow_key=workflow_key, bpmn_id=task.bpmn_id, properties=properties,
                        timer_durations=timers, overrides=overrides)
    if policy is None:
        return
    try:
        duration = policy_mod.parse_duration(policy.duration)
    except ValueError:
        log.warning("task %s of %s: unreadable SLA duration %r", task.bpmn_id, workflow_key, policy.duration)
        return
    warn_ratio = policy.warn_ratio if 0 < policy.warn_ratio <= 1 else 0.75
    start = _start_time(policy.start, case=case, data=data, now=now)
    due = policy_mod.due_at(start, duration, calendar(session))
    task.due_at = due
    task.warn_at = _warn_at(start, due, due, warn_ratio)
    task.sla_basis = policy.basis[:300] if policy.basis else None
    task.sla_state = policy_mod.evaluate(start=start, due=due, now=now, warn_ratio=warn_ratio).state.value
    session.add(TaskSla(task=task, source=policy.source, policy_key=policy.policy_key, binding=policy.binding,
                        never_suppress=policy.never_suppress, duration=duration.text, start=policy.start or "",
                        start_at=start, warn_ratio=warn_ratio, escalate_to=policy.escalate_to))


def state_at(task: Any, now: datetime) -> str | None:
    """The SLA state of a task at ``now`` from its stored due and warn times."""
    if task.due_at is None:
        return None
    if task.status == "cancelled":
        return "missed" if (task.completed_at or now) >= task.due_at else None
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
    """Record met/missed on a completed task; a task cancelled by its own deadline (an interrupting
    timer) counts as missed, one cancelled earlier (the case moved on) has no SLA outcome."""
    if task.due_at is None:
        return
    if task.paused_since is not None:
        session = object_session(task)
        if session is not None:
            fold_pause(session, task, now)
    task.sla_state = state_at(task, now)


def lateness(task: Any, now: datetime | None = None) -> timedelta | None:
    """How late a task was finished (closed) or is (open); None when on time or without a deadline."""
    if task.due_at is None:
        return None
    end = task.completed_at if task.status != "open" else now
    if end is None or end <= task.due_at:
        return None
    return end - task.due_at


def live_state_expr(now: datetime) -> ColumnElement[str]:
    """SQL for a task's SLA state at ``now``, independent of when the worker last ran."""
    return sql_case(
        (Task.due_at.is_(None), literal("none")),
        (Task.paused_since.is_not(None), literal("paused")),
        (Task.due_at < now, literal("breached")),
        (Task.warn_at <= now, literal("at_risk")),
        else_=literal("on_track"),
    )


# -- pausing the clock (pause/resume in pausing.py) ----------------------------------------------


def paused_seconds_between(duration: policy_mod.Duration, cal: WorkingCalendar, since: datetime,
                           until: datetime) -> int:
    """Time a clock stood still, on the duration's own clock (elapsed, or office seconds)."""
    if until <= since:
        return 0
    if duration.kind is policy_mod.DurationKind.WORKING_DAYS:
        return cal.working_seconds_between(since, until)
    return int((until - since).total_seconds())


def fold_pause(session: Session, task: Task, now: datetime) -> int:
    """End the current pause: add its length to ``paused_seconds`` and recompute due/warn times."""
    since = task.paused_since
    assert since is not None
    task.paused_since = None
    sla = session.get(TaskSla, task.id)
    cal = calendar(session)
    if sla is None:  # a task from before deadline rows existed: shift by elapsed time
        added = int((now - since).total_seconds())
        task.paused_seconds = (task.paused_seconds or 0) + added
        if task.due_at is not None:
            task.due_at += timedelta(seconds=added)
        if task.warn_at is not None:
            task.warn_at += timedelta(seconds=added)
        return added
    duration = policy_mod.parse_duration(sla.duration)
    added = paused_seconds_between(duration, cal, since, now)
    task.paused_seconds = (task.paused_seconds or 0) + added
    base_due = policy_mod.due_at(sla.start_at, duration, cal)
    task.due_at = policy_mod.due_at(sla.start_at, duration, cal, paused_seconds=task.paused_seconds)
    task.warn_at = _warn_at(sla.start_at, task.due_at, base_due, sla.warn_ratio)
    return added


# -- case-wide deadlines ----------------------------------------------------------------------------


def _ensure_case_sla(session: Session, *, case: Any, row: Override, now: datetime) -> None:
    """Give the case its deadline from the whole-case policy ``row`` (once: at its first task)."""
    if case.id is None or session.get(CaseSla, case.id) is not None:
        return
    try:
        duration = policy_mod.parse_duration(row.duration)
    except ValueError:
        return
    start = _start_time(row.start or policy_mod.CASE_CREATED, case=case, data={}, now=case.created_at)
    due = policy_mod.due_at(start, duration, calendar(session))
    ratio = row.warn_ratio if 0 < row.warn_ratio <= 1 else 0.75
    state = policy_mod.evaluate(start=start, due=due, now=now, warn_ratio=ratio).state.value
    session.add(CaseSla(case_id=case.id, duration=duration.text, start_at=start, due_at=due,
                        warn_at=_warn_at(start, due, due, ratio), state=state, escalate_to=row.escalate_to,
                        basis=row.basis or ""))


def case_state_at(row: CaseSla, *, status: str, closed_at: datetime | None, now: datetime) -> str:
    if status != "open":
        end = closed_at or now
        return "met" if end <= row.due_at else "missed"
    if now > row.due_at:
        return "breached"
    if now >= row.warn_at:
        return "at_risk"
    return "on_track"


def basis_text(task_sla: TaskSla | None, fallback: str | None, locale: str) -> str:
    """The legal basis in the reader's language when the deadline comes from the shipped table."""
    if task_sla is not None and task_sla.policy_key in policy_mod.LEGAL_POLICIES and task_sla.source != "admin":
        legal = policy_mod.LEGAL_POLICIES[task_sla.policy_key]
        return legal.basis_en if locale.startswith("en") else legal.basis_id
    return fallback or ""
