"""The manager's dashboard, the breach list, a task's deadline page (pause, resume, reassign), bulk
reassignment, and the JSON API ``/api/v1/sla/summary`` and ``/api/v1/sla/breaches``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server import clock
from server.audit import service as audit
from server.auth.models import User
from server.auth.permissions import Permission, Role, requires
from server.db import unit_of_work
from server.errors import ConflictError, DomainError, NotFoundError, ValidationFailedError
from server.sla import charts, pausing, stats, trends
from server.sla import service as sla_service
from server.sla.models import TaskSla
from server.tasks import service as tasks_service
from server.web import client_ip, current_user_or_none

bp = Blueprint("sla", __name__, url_prefix="/sla")
api_bp = Blueprint("sla_api", __name__, url_prefix="/api/v1/sla")

STATE_LABELS = {"breached": _l("Late"), "at_risk": _l("At risk"), "on_track": _l("On track"),
                "paused": _l("Paused"), "none": _l("No deadline"), "met": _l("Met"), "missed": _l("Missed")}
CHART_STATES = ("breached", "at_risk", "on_track", "paused")


def _user() -> User:
    user = current_user_or_none()
    assert user is not None  # the permission guard ran
    return user


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError as exc:
        raise DomainError(_("%(name)s must be a whole number.", name=name), code="bad_parameter") from exc
    return max(lo, min(hi, value))


def _breach_filter() -> stats.BreachFilter:
    state = request.args.get("state", "breached")
    if state not in stats.BREACH_STATES:
        raise DomainError(_("state must be breached or missed."), code="bad_parameter")
    group = request.args.get("group_id")
    assignee = request.args.get("assignee_id")
    try:
        return stats.BreachFilter(
            state=state, bpmn_id=(request.args.get("step") or None),
            group_id=int(group) if group else None, assignee_id=int(assignee) if assignee else None,
            legal_only=request.args.get("legal") in ("1", "true", "yes"),
            since_days=_int_arg("days", 90, 1, 3660))
    except ValueError as exc:
        raise DomainError(_("group_id and assignee_id must be whole numbers."), code="bad_parameter") from exc


def _audit_view(session: Any, what: str, details: dict[str, Any] | None = None) -> None:
    audit.record(session, action=f"sla.{what}_viewed", actor=_user(), now=clock.utcnow(), object_type="sla",
                 ip=client_ip(), details=details or {})


# -- pages -------------------------------------------------------------------------------------------


@bp.get("/")
@requires(Permission.SLA_READ)
def dashboard() -> Any:
    now = clock.utcnow()
    days = _int_arg("days", 90, 1, 3660)
    with unit_of_work() as session:
        summary = stats.summary(session, user=_user(), now=now)
        top, breach_total = stats.breaches(session, user=_user(), now=now, flt=stats.BreachFilter(), per_page=10)
        steps = trends.step_times(session, user=_user(), now=now, days=days)
        stages = trends.open_by_stage(session, user=_user())
        years = trends.cases_per_year(session, user=_user(), now=now)
        _audit_view(session, "dashboard")
    return render_template("sla/dashboard.html", s=summary, top=top, breach_total=breach_total, steps=steps,
                           stages=stages, years=years, days=days, now=now, labels=STATE_LABELS,
                           charts=_charts(summary, steps, years))


def _charts(summary: stats.Summary, steps: list[dict[str, Any]], years: dict[str, Any]) -> dict[str, Any]:
    from server.reports import simfoni

    series = [(s, str(STATE_LABELS[s])) for s in CHART_STATES]
    return {
        "state": charts.bars(_("Open tasks by deadline status"),
                             [(str(STATE_LABELS[s]), summary.by_state[s], s) for s in CHART_STATES]),
        "step": charts.stacked_bars(_("Open tasks by step"),
                                    [(r["name"], r) for r in summary.by_step[:12]], series),
        "month": charts.stacked_bars(_("Open tasks by month due"),
                                     [(_month_label(r["month"]), r) for r in summary.by_month], series),
        "times": charts.ranges(_("Time to complete per step (hours)"),
                               [(r["name"], r["median_hours"], r["p90_hours"], r["sla_hours"]) for r in steps[:12]],
                               (_("Median"), _("90th percentile"), _("Deadline"))),
        "years": charts.columns(_("Cases per year by type"),
                                [(y, years["counts"][y]) for y in years["years"]],
                                [(t or "none", simfoni.case_type_label(t)) for t in years["types"]]),
    }


def _month_label(month: str) -> str:
    if month == "earlier":
        return _("Earlier")
    if month == "later":
        return _("Later")
    return month


@bp.get("/breaches")
@requires(Permission.SLA_READ)
def breaches() -> Any:
    now = clock.utcnow()
    flt = _breach_filter()
    page = _int_arg("page", 1, 1, 100000)
    with unit_of_work() as session:
        items, total = stats.breaches(session, user=_user(), now=now, flt=flt, page=page)
        _audit_view(session, "breaches", {"state": flt.state, "page": page})
    pages = max(1, (total + 24) // 25)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("sla/breaches.html", items=items, total=total, page=page, pages=pages, flt=flt,
                           args=args, now=now, labels=STATE_LABELS)


@bp.get("/tasks/<int:task_id>")
@requires(Permission.TASK_WORK)
def task_deadline(task_id: int) -> Any:
    now = clock.utcnow()
    with unit_of_work() as session:
        task = tasks_service.get_for(session, task_id=task_id, user=_user(), now=clock.utcnow(), ip=client_ip())
        sla = session.get(TaskSla, task.id)
        candidates = _candidates(session, task) if Role.MANAGER in _user().group_names else []
        holder = session.get(User, task.assignee_id) if task.assignee_id else None
    from flask_babel import get_locale

    return render_template("sla/task.html", task=task, sla=sla, now=now, candidates=candidates, holder=holder,
                           basis=sla_service.basis_text(sla, task.sla_basis, str(get_locale())),
                           late=sla_service.lateness(task, now), labels=STATE_LABELS,
                           pausable=sla is None or not (sla.never_suppress or sla.binding in sla_service.UNPAUSABLE))


def _candidates(session: Any, task: Any) -> list[User]:
    """People who may take the task: members of its group in the manager's office."""
    from server.auth.models import Group

    group = session.get(Group, task.group_id) if task.group_id else None
    if group is None:
        return []
    return sorted((u for u in group.users if u.is_active and u.unit_id in (None, _user().unit_id)),
                  key=lambda u: u.full_name or u.username)


@bp.post("/tasks/<int:task_id>/pause")
@requires(Permission.TASK_WORK)
def pause(task_id: int) -> Any:
    try:
        with unit_of_work() as session:
            pausing.pause(session, task_id=task_id, user=_user(), now=clock.utcnow(),
                              reason=request.form.get("reason", "")[:500])
        flash(_("Deadline paused."), "success")
    except ValidationFailedError:
        flash(_("Give a reason for pausing the deadline."), "error")
    except ConflictError as exc:
        flash(exc.message, "error")
    return redirect(url_for("sla.task_deadline", task_id=task_id))


@bp.post("/tasks/<int:task_id>/resume")
@requires(Permission.TASK_WORK)
def resume(task_id: int) -> Any:
    try:
        with unit_of_work() as session:
            pausing.resume(session, task_id=task_id, user=_user(), now=clock.utcnow(),
                               reason=request.form.get("reason", "")[:500])
        flash(_("Deadline running again."), "success")
    except ConflictError as exc:
        flash(exc.message, "error")
    return redirect(url_for("sla.task_deadline", task_id=task_id))


@bp.post("/tasks/<int:task_id>/assign")
@requires(Permission.TASK_ASSIGN)
def assign(task_id: int) -> Any:
    reason = request.form.get("reason", "").strip()[:500]
    if not reason:
        flash(_("Give a reason for the reassignment."), "error")
        return redirect(url_for("sla.task_deadline", task_id=task_id))
    user_id = request.form.get("assignee", type=int)
    try:
        with unit_of_work() as session:
            # only a task of the manager's own office (404 otherwise, as for reading it)
            tasks_service.get_for(session, task_id=task_id, user=_user(), now=clock.utcnow(), ip=client_ip())
            assignee = session.get(User, user_id) if user_id else None
            if assignee is None:
                tasks_service.unclaim(session, task_id=task_id, user=_user(), now=clock.utcnow())
            else:
                task = tasks_service.assign(session, task_id=task_id, assignee=assignee, user=_user(),
                                            now=clock.utcnow(), reason=reason)
                _notify_new_holder(session, assignee, [task])
        flash(_("Task reassigned."), "success")
    except (ValidationFailedError, ConflictError) as exc:
        flash(exc.message, "error")
    return redirect(url_for("sla.task_deadline", task_id=task_id))


def _notify_new_holder(session: Any, user: User, tasks: list[Any]) -> None:
    from server.notifications import service as notify

    now = clock.utcnow()
    for task in tasks:
        notify.notify(session, users=[user], kind="task_new", link=f"/tasks/{task.id}", now=now,
                      message=notify.notice_text("Task assigned to you: %(name)s", name=task.name), case_id=task.case_id,
                      task_id=task.id)


@bp.route("/people/<int:user_id>/reassign", methods=["GET", "POST"])
@requires(Permission.TASK_ASSIGN)
def reassign_person(user_id: int) -> Any:
    now = clock.utcnow()
    with unit_of_work() as session:
        person = session.get(User, user_id)
        if person is None or person.unit_id not in (None, _user().unit_id):
            raise NotFoundError()  # people of other offices are not the manager's to see
        flt = stats.BreachFilter(assignee_id=user_id)
        held, _total = _held_tasks(session, person)
        colleagues = _colleagues(session, person)
    if request.method == "POST":
        target_id = request.form.get("to", type=int)
        reason = request.form.get("reason", "")[:500]
        try:
            with unit_of_work() as session:
                target = session.get(User, target_id) if target_id else None
                from_user = session.get(User, user_id)
                result = tasks_service.reassign_all(session, from_user=from_user, to_user=target, user=_user(),
                                                    now=now, reason=reason)
                if target is not None and result.moved:
                    _notify_new_holder(session, target, result.moved)
            flash(_("%(moved)s tasks reassigned, %(returned)s returned to their group.",
                    moved=len(result.moved), returned=len(result.returned)), "success")
            return redirect(url_for("sla.dashboard"))
        except ValidationFailedError:
            flash(_("Give a reason for the reassignment."), "error")
    return render_template("sla/reassign.html", person=person, held=held, colleagues=colleagues, flt=flt, now=now,
                           labels=STATE_LABELS)


def _held_tasks(session: Any, person: User) -> tuple[list[Any], int]:
    from server.cases.models import Case
    from server.tasks.models import Task

    rows = session.execute(
        select(Task).join(Case, Case.id == Task.case_id)
        .options(selectinload(Task.case).load_only(Case.id, Case.reference))
        .where(Task.assignee_id == person.id, Task.status == "open", stats.unit_clause(_user()))
        .order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(200)
    ).scalars().all()
    return list(rows), len(rows)


def _colleagues(session: Any, person: User) -> list[User]:
    """Active people of the office who share a group with ``person`` (they can take the work over)."""
    groups = {g.id for g in person.groups}
    users = session.execute(select(User).where(User.is_active.is_(True), User.id != person.id)).scalars()
    return sorted((u for u in users if groups & {g.id for g in u.groups}
                   and u.unit_id in (None, _user().unit_id)), key=lambda u: u.full_name or u.username)


# -- JSON API ------------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@api_bp.get("/summary")
@requires(Permission.SLA_READ)
def api_summary() -> Any:
    now = clock.utcnow()
    with unit_of_work() as session:
        data = stats.summary(session, user=_user(), now=now).as_dict()
        _audit_view(session, "summary")
    data["unit"] = _user().unit.code if _user().unit else None
    return jsonify(data)


@api_bp.get("/breaches")
@requires(Permission.SLA_READ)
def api_breaches() -> Any:
    now = clock.utcnow()
    flt = _breach_filter()
    page = _int_arg("page", 1, 1, 100000)
    per_page = _int_arg("per_page", 25, 1, 100)
    with unit_of_work() as session:
        items, total = stats.breaches(session, user=_user(), now=now, flt=flt, page=page, per_page=per_page)
        _audit_view(session, "breaches", {"state": flt.state, "page": page})
    for item in items:
        item["due_at"], item["completed_at"] = _iso(item["due_at"]), _iso(item["completed_at"])
        item["case_url"] = url_for("cases.show", case_id=item["case_id"])
    return jsonify({"as_of": now.isoformat(), "state": flt.state, "items": items, "total": total, "page": page,
                    "per_page": per_page})


# -- wiring --------------------------------------------------------------------------------------------


def duration_text(value: timedelta | None) -> str:
    """"2 d 5 h", "3 h 20 min", "45 min" (for lateness and remaining time)."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=mins)
    return _("%(m)s min", m=mins)


def case_deadline(case: Any) -> dict[str, Any] | None:
    """Template helper for the case page: the whole case's deadline and its state now, if it has one."""
    from server.sla.models import CaseSla

    if case is None or current_user_or_none() is None:
        return None
    with unit_of_work() as session:
        row = session.get(CaseSla, case.id)
        if row is None:
            return None
        now = clock.utcnow()
        state = sla_service.case_state_at(row, status=case.status, closed_at=case.closed_at, now=now)
        end = case.closed_at if case.status != "open" else now
        late = end - row.due_at if end is not None and end > row.due_at else None
        return {"due_at": row.due_at, "state": state, "label": STATE_LABELS.get(state, state),
                "basis": row.basis, "late": duration_text(late) if late else ""}


def init_app(app: Flask) -> None:
    from server.api import openapi
    from server.extensions import csrf
    from server.reports import simfoni

    csrf.exempt(api_bp)
    app.jinja_env.filters["duration_text"] = duration_text
    app.jinja_env.filters["late_text"] = lambda seconds: duration_text(timedelta(seconds=seconds or 0))
    app.jinja_env.filters["sla_lateness"] = lambda task: duration_text(sla_service.lateness(task))
    app.jinja_env.globals["sla_state_labels"] = STATE_LABELS
    app.jinja_env.globals["case_deadline"] = case_deadline
    app.jinja_env.globals["case_type_label"] = simfoni.case_type_label
    breach_query = [
        ("state", {"type": "string", "enum": list(stats.BREACH_STATES)}), ("step", {"type": "string"}),
        ("group_id", {"type": "integer"}), ("assignee_id", {"type": "integer", "description": "0 = unassigned"}),
        ("legal", {"type": "boolean"}), ("days", {"type": "integer", "minimum": 1}),
        ("page", {"type": "integer", "minimum": 1}), ("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
    ]
    openapi.extra_meta("sla_api.api_summary", "Open tasks of the manager's office by SLA state, step, group, "
                       "person and month due; legal breaches; open cases (managers)")
    openapi.extra_meta("sla_api.api_breaches", "Late tasks (state=breached: open and past due; missed: closed "
                       "late), with the case to drill down to (managers)", query=breach_query)
