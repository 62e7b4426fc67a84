"""Trends for the manager: time to complete per step (median, p90) against its SLA, open cases by the
stage they wait at, and cases registered per year by type. Scoped to the manager's office, months and
years in the office's zone, like ``stats``."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, extract, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from server.auth.models import User
from server.cases.models import Case
from server.sla import service as sla_service
from server.sla.models import TaskSla
from server.sla.stats import OPEN, _bucket_expr, _open_cases, _workflow_keys, unit_clause, year_edges
from server.tasks.models import Task

# -- time to complete per step ---------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolation percentile, the same as PostgreSQL's ``percentile_cont``."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lower = int(pos)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (pos - lower)


def step_times(session: Session, *, user: User, now: datetime, days: int = 90) -> list[dict[str, Any]]:
    """Per step, over tasks completed in the last ``days``: count, median and p90 hours, met/missed, and
    the SLA they ran under."""
    since = now - timedelta(days=max(1, days))
    base = and_(Task.status == "completed", Task.completed_at >= since, Task.case_id == Case.id, unit_clause(user))
    met = func.sum(sql_case((Task.sla_state == "met", 1), else_=0))
    missed = func.sum(sql_case((Task.sla_state == "missed", 1), else_=0))
    cols = [Case.workflow_version_id, Task.bpmn_id, Task.name]
    stats: dict[tuple[int, str, str], dict[str, Any]] = {}
    if session.get_bind().dialect.name == "postgresql":
        seconds = extract("epoch", Task.completed_at - Task.created_at)
        rows = session.execute(
            select(*cols, func.count(), func.percentile_cont(0.5).within_group(seconds),
                   func.percentile_cont(0.9).within_group(seconds), met, missed)
            .select_from(Task).join(Case, Case.id == Task.case_id).where(base).group_by(*cols)
        ).all()
        for vid, bpmn_id, name, n, p50, p90, n_met, n_missed in rows:
            stats[(vid, bpmn_id, name)] = {"count": n, "p50": float(p50), "p90": float(p90),
                                           "met": int(n_met or 0), "missed": int(n_missed or 0)}
    else:
        values: dict[tuple[int, str, str], list[float]] = defaultdict(list)
        outcome: dict[tuple[int, str, str], Counter[str]] = defaultdict(Counter)
        for vid, bpmn_id, name, created, completed, sla_state in session.execute(
            select(*cols, Task.created_at, Task.completed_at, Task.sla_state)
            .select_from(Task).join(Case, Case.id == Task.case_id).where(base)
        ):
            values[(vid, bpmn_id, name)].append((completed - created).total_seconds())
            outcome[(vid, bpmn_id, name)][sla_state or ""] += 1
        for key, secs in values.items():
            stats[key] = {"count": len(secs), "p50": percentile(secs, 0.5), "p90": percentile(secs, 0.9),
                          "met": outcome[key]["met"], "missed": outcome[key]["missed"]}
    durations = _sla_durations(session, user=user, since=since)
    keys = _workflow_keys(session, {k[0] for k in stats})
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for (vid, bpmn_id, name), s in stats.items():
        workflow = keys.get(vid, "")
        row = merged.setdefault((workflow, bpmn_id), {"workflow": workflow, "bpmn_id": bpmn_id, "name": name,
                                                      "count": 0, "met": 0, "missed": 0, "_parts": []})
        row["count"] += s["count"]
        row["met"] += s["met"]
        row["missed"] += s["missed"]
        row["_parts"].append(s)
    result = []
    for (_workflow, bpmn_id), row in merged.items():
        parts = row.pop("_parts")
        # Versions of one step are combined by count-weighted percentiles (exact when there is one version).
        row["median_hours"] = _hours(sum(p["p50"] * p["count"] for p in parts) / row["count"])
        row["p90_hours"] = _hours(sum(p["p90"] * p["count"] for p in parts) / row["count"])
        row["sla"] = durations.get(bpmn_id)
        row["sla_hours"] = _sla_hours(row["sla"])
        judged = row["met"] + row["missed"]
        row["met_pct"] = round(100 * row["met"] / judged, 1) if judged else None
        result.append(row)
    return sorted(result, key=lambda r: (r["workflow"], -(r["p90_hours"] or 0)))


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 1) if seconds is not None else None


def _sla_hours(text: str | None) -> float | None:
    """Calendar SLAs in hours (for the chart's target mark); working-day SLAs have no fixed length."""
    if not text:
        return None
    from server.sla import policy as policy_mod

    try:
        duration = policy_mod.parse_duration(text)
    except ValueError:
        return None
    return round(duration.seconds / 3600, 1) if duration.kind is policy_mod.DurationKind.CALENDAR else None


def _sla_durations(session: Session, *, user: User, since: datetime) -> dict[str, str]:
    """The SLA each step most often ran under in the period."""
    rows = session.execute(
        select(Task.bpmn_id, TaskSla.duration, func.count()).select_from(Task)
        .join(TaskSla, TaskSla.task_id == Task.id).join(Case, Case.id == Task.case_id)
        .where(Task.status == "completed", Task.completed_at >= since, unit_clause(user))
        .group_by(Task.bpmn_id, TaskSla.duration)
    ).all()
    best: dict[str, tuple[int, str]] = {}
    for bpmn_id, duration, n in rows:
        if bpmn_id not in best or n > best[bpmn_id][0]:
            best[bpmn_id] = (n, duration)
    return {k: v[1] for k, v in best.items()}


# -- cases ------------------------------------------------------------------------------------------------


def open_by_stage(session: Session, *, user: User) -> list[dict[str, Any]]:
    """Open cases per step they wait at (a case with parallel tasks counts at each); cases with no open
    task wait for a timer or a message."""
    rows = session.execute(
        select(Case.workflow_version_id, Task.bpmn_id, Task.name, func.count(func.distinct(Task.case_id)))
        .select_from(Task).join(Case, Case.id == Task.case_id)
        .where(Task.status == OPEN, Case.status == OPEN, unit_clause(user))
        .group_by(Case.workflow_version_id, Task.bpmn_id, Task.name)
    ).all()
    keys = _workflow_keys(session, {r[0] for r in rows})
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for vid, bpmn_id, name, n in rows:
        workflow = keys.get(vid, "")
        row = merged.setdefault((workflow, bpmn_id), {"workflow": workflow, "bpmn_id": bpmn_id, "name": name,
                                                      "cases": 0})
        row["cases"] += int(n)
    with_task = int(session.execute(
        select(func.count(func.distinct(Task.case_id))).select_from(Task).join(Case, Case.id == Task.case_id)
        .where(Task.status == OPEN, Case.status == OPEN, unit_clause(user))
    ).scalar_one())
    result = sorted(merged.values(), key=lambda r: (-r["cases"], r["workflow"], r["name"]))
    waiting = _open_cases(session, user=user) - with_task
    if waiting:
        result.append({"workflow": "", "bpmn_id": "", "name": "", "cases": waiting, "waiting": True})
    return result


def cases_per_year(session: Session, *, user: User, now: datetime, years: int = 10) -> dict[str, Any]:
    """Cases registered per office-zone year and case type (``jenis_kasus``), the last ``years`` years."""
    this_year = now.astimezone(sla_service.office_zone()).year
    first = this_year - years + 1
    edges = year_edges(first, this_year)
    year = _bucket_expr(Case.created_at, edges, "earlier", "later").label("year")
    rows = session.execute(
        select(year, Case.case_type, func.count()).where(unit_clause(user), Case.created_at >= edges[0][1])
        .group_by(year, Case.case_type)
    ).all()
    table: dict[str, dict[str, int]] = defaultdict(dict)
    types: set[str] = set()
    for y, case_type, n in rows:
        if y in ("earlier", "later"):
            continue
        key = (case_type or "").strip().lower()
        table[y][key] = table[y].get(key, 0) + int(n)
        types.add(key)
    present = sorted(table)
    if present:
        present = [str(y) for y in range(int(present[0]), this_year + 1)]
    return {"years": present, "types": sorted(types), "counts": {y: table.get(y, {}) for y in present}}
