"""Reports: every SLA dashboard table as an exportable table, and the period report of cases in
SIMFONI-PPA categories (one row per case, or counts per category).

Victims' identifying fields are masked for roles that may not see them (``UNMASKED_ROLES``); every
export is audited with what was exported and whether it was masked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from server.audit import service as audit
from server.auth.models import User
from server.auth.permissions import UNMASKED_ROLES
from server.cases import service as cases_service
from server.cases.models import Case, Submission
from server.errors import DomainError, NotFoundError
from server.reports import simfoni
from server.reports.export import Table
from server.sla import service as sla_service
from server.sla import stats, trends
from server.workflows.models import WorkflowDefinition, WorkflowVersion

STATE_COLUMNS = ("breached", "at_risk", "on_track", "paused", "none", "total")
TABLES = ("state", "steps", "groups", "people", "months", "breaches", "missed", "step_times", "stages", "years")
MAX_PERIOD_DAYS = 3660


def _state_headers() -> list[str]:
    return [_("Late"), _("At risk"), _("On track"), _("Paused"), _("No deadline"), _("Total")]


def dashboard_table(session: Session, *, key: str, user: User, now: datetime, days: int = 90) -> Table:
    """One table of the SLA dashboard, with the same numbers the page shows."""
    if key not in TABLES:
        raise NotFoundError()
    if key in ("state", "steps", "groups", "people", "months"):
        summary = stats.summary(session, user=user, now=now)
        if key == "state":
            return Table(key, _("Open tasks by deadline status"), [_("Status"), _("Tasks")],
                         [(s, summary.by_state[s]) for s in sla_service.OPEN_STATES])
        if key == "steps":
            return Table(key, _("Open tasks by step"), [_("Workflow"), _("Step id"), _("Step"), *_state_headers()],
                         [(r["workflow"], r["bpmn_id"], r["name"], *(r[c] for c in STATE_COLUMNS))
                          for r in summary.by_step])
        if key == "groups":
            return Table(key, _("Open tasks by group"), [_("Group"), *_state_headers()],
                         [(r["title"] or _("No group"), *(r[c] for c in STATE_COLUMNS)) for r in summary.by_group])
        if key == "people":
            return Table(key, _("Open tasks by person"), [_("User"), _("Name"), *_state_headers()],
                         [(r["username"] or "", r["full_name"] or _("Unassigned"), *(r[c] for c in STATE_COLUMNS))
                          for r in summary.by_assignee])
        return Table(key, _("Open tasks by month due"), [_("Month"), *_state_headers()],
                     [(r["month"], *(r[c] for c in STATE_COLUMNS)) for r in summary.by_month])
    if key in ("breaches", "missed"):
        items, _total = stats.breaches(session, user=user, now=now, per_page=50_000, max_per_page=50_000,
                                       flt=stats.BreachFilter(state="breached" if key == "breaches" else "missed",
                                                              since_days=days))
        return Table(key, _("Late tasks") if key == "breaches" else _("Tasks finished late"),
                     [_("Case"), _("Workflow"), _("Step"), _("Group"), _("Held by"), _("Due"), _("Finished"),
                      _("Hours late"), _("Legal deadline"), _("Basis")],
                     [(i["case_reference"], i["workflow"], i["name"], i["group"] or "", i["assignee"] or "",
                       i["due_at"], i["completed_at"], round(i["late_seconds"] / 3600, 1),
                       _("yes") if i["legal"] else "", i["basis"]) for i in items])
    if key == "step_times":
        rows = trends.step_times(session, user=user, now=now, days=days)
        return Table(key, _("Time to complete per step"),
                     [_("Workflow"), _("Step id"), _("Step"), _("Completed"), _("Median (hours)"),
                      _("90th percentile (hours)"), _("Deadline"), _("Met"), _("Missed"), _("Met (%)")],
                     [(r["workflow"], r["bpmn_id"], r["name"], r["count"], r["median_hours"], r["p90_hours"],
                       r["sla"] or "", r["met"], r["missed"], r["met_pct"]) for r in rows])
    if key == "stages":
        rows = trends.open_by_stage(session, user=user)
        return Table(key, _("Open cases by stage"), [_("Workflow"), _("Step"), _("Cases")],
                     [(r["workflow"], r["name"] or _("Waiting for a timer or message"), r["cases"]) for r in rows])
    years = trends.cases_per_year(session, user=user, now=now)
    return Table(key, _("Cases per year by type"),
                 [_("Year"), *(simfoni.case_type_label(t) for t in years["types"]), _("Total")],
                 [(y, *(years["counts"][y].get(t, 0) for t in years["types"]), sum(years["counts"][y].values()))
                  for y in years["years"]])


# -- the period report -------------------------------------------------------------------------------


@dataclass
class Period:
    start: date
    end: date  # inclusive

    def bounds(self) -> tuple[datetime, datetime]:
        zone = sla_service.office_zone()
        return (datetime.combine(self.start, time(0), zone).astimezone(UTC),
                datetime.combine(self.end + timedelta(days=1), time(0), zone).astimezone(UTC))


def parse_period(start: str | None, end: str | None, *, now: datetime) -> Period:
    """``from``/``to`` as YYYY-MM-DD (office dates, both included); default: this calendar year so far."""
    today = now.astimezone(sla_service.office_zone()).date()
    try:
        first = date.fromisoformat(start) if start else date(today.year, 1, 1)
        last = date.fromisoformat(end) if end else today
    except ValueError as exc:
        raise DomainError(_("Dates must be written as YYYY-MM-DD."), code="bad_date") from exc
    if last < first:
        raise DomainError(_("The end of the period is before its start."), code="bad_period")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise DomainError(_("The period is too long (at most ten years)."), code="bad_period")
    return Period(first, last)


def _merged_data(session: Session, cases: list[Case]) -> dict[int, dict[str, Any]]:
    """Each case's form data: its summary, then every submission in order (later answers win)."""
    merged = {c.id: dict(c.summary or {}) for c in cases}
    ids = list(merged)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for case_id, data in session.execute(
            select(Submission.case_id, Submission.data).where(Submission.case_id.in_(chunk))
            .order_by(Submission.submitted_at, Submission.id)
        ):
            if isinstance(data, dict):
                merged[case_id].update(data)
    return merged


def _display(value: Any, category: str) -> Any:
    if isinstance(value, list):
        return ", ".join(simfoni.value_label(category, v) for v in value)
    return simfoni.value_label(category, value) if value is not None else ""


def case_report(session: Session, *, user: User, period: Period, now: datetime, view: str = "cases",
                ip: str = "", fmt: str = "csv") -> list[Table]:
    """Cases registered in the period (the user's office): per case, or counted per SIMFONI category."""
    lo, hi = period.bounds()
    cases = list(session.execute(
        select(Case).options(load_only(Case.id, Case.reference, Case.workflow_version_id, Case.status,
                                       Case.case_type, Case.created_at, Case.closed_at, Case.summary))
        .where(stats.unit_clause(user), Case.created_at >= lo, Case.created_at < hi)
        .order_by(Case.created_at, Case.id)
    ).scalars())
    keys = dict(session.execute(
        select(WorkflowVersion.id, WorkflowDefinition.key)
        .join(WorkflowDefinition, WorkflowDefinition.id == WorkflowVersion.definition_id)
    ).all())
    data = _merged_data(session, cases)
    facts = {c.id: simfoni.facts(data[c.id]) for c in cases}
    unmasked = bool(user.group_names & UNMASKED_ROLES)
    tables = []
    if view in ("cases", "both"):
        tables.append(_case_rows(cases, facts, keys, unmasked))
    if view in ("summary", "both"):
        tables.append(_summary_rows(cases, facts))
    audit.record(session, action="report.exported", actor=user, now=now, object_type="report", object_id="cases",
                 ip=ip, details={"from": period.start.isoformat(), "to": period.end.isoformat(), "view": view,
                                 "format": fmt, "cases": len(cases), "masked": not unmasked})
    return tables


def _case_rows(cases: list[Case], facts: dict[int, simfoni.CaseFacts], keys: dict[int, str],
               unmasked: bool) -> Table:
    categories = list(simfoni.CATEGORIES)
    columns = [_("Case"), _("Registered"), _("Workflow"), _("Status"), _("Closed"), _("Case type"),
               *(str(simfoni.IDENTIFYING_LABELS[k]) for k in simfoni.IDENTIFYING), _("Age"),
               *(str(simfoni.CATEGORIES[c][0]) for c in categories)]
    rows = []
    for case in cases:
        f = facts[case.id]
        identifying = [f.identifying.get(k, "") if unmasked else cases_service.mask(f.identifying.get(k, ""))
                       for k in simfoni.IDENTIFYING]
        rows.append((case.reference, case.created_at, keys.get(case.workflow_version_id, ""), case.status,
                     case.closed_at, simfoni.case_type_label(case.case_type), *identifying, f.age,
                     *(_display(f.values.get(c), c) for c in categories)))
    return Table("cases", _("Cases"), columns, rows)


def _summary_rows(cases: list[Case], facts: dict[int, simfoni.CaseFacts]) -> Table:
    rows: list[tuple[Any, ...]] = [(_("Cases"), "total", _("All cases"), len(cases))]
    for status, n in sorted(Counter(c.status for c in cases).items()):
        rows.append((_("Status"), status, _("Open") if status == "open" else _("Closed"), n))
    for case_type, n in sorted(Counter((c.case_type or "").lower() for c in cases).items()):
        rows.append((_("Case type"), case_type, simfoni.case_type_label(case_type), n))
    for category, (label, _keys, _known) in simfoni.CATEGORIES.items():
        counts: Counter[str] = Counter()
        for f in facts.values():
            value = f.values.get(category)
            for v in value if isinstance(value, list) else [value]:
                counts[str(v) if v not in (None, "") else ""] += 1
        for value, n in sorted(counts.items()):
            rows.append((str(label), value, simfoni.value_label(category, value) if value else _("Not recorded"), n))
    return Table("summary", _("SIMFONI-PPA categories"), [_("Category"), _("Code"), _("Value"), _("Cases")], rows)


def audit_table_export(session: Session, *, user: User, key: str, fmt: str, now: datetime, ip: str = "") -> None:
    audit.record(session, action="report.exported", actor=user, now=now, object_type="report", object_id=key,
                 ip=ip, details={"format": fmt, "table": key})
