"""Inbox and task pages: parse, authorize, call the service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import clock, i18n
from server.audit import service as audit
from server.auth.models import User
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.errors import ConflictError, NotFoundError, ValidationFailedError
from server.forms import parse as form_parse
from server.forms import readonly as form_readonly
from server.forms import render as form_render
from server.locale import service as locale_service
from server.tasks import service
from server.web import client_ip, current_user_or_none

bp = Blueprint("tasks", __name__)


def _user() -> User:
    user = current_user_or_none()
    assert user is not None  # the permission guard ran
    return user


def _translate() -> Any:
    """Form labels and task names in the user's language (an admin's translation first), UI text too."""
    from server.extensions import db

    return locale_service.translator(db.session, i18n.current_locale())


@bp.get("/")
@requires(Permission.AUTHENTICATED)
def home() -> Any:
    from server.auth.permissions import Role

    names = _user().group_names
    if Role.PARTNER in names and len(names) == 1:
        return redirect("/partner/")
    if Role.ADMIN in names and not names - {Role.ADMIN}:
        return redirect("/admin/")
    return redirect(url_for("tasks.inbox"))


@bp.get("/inbox")
@requires(Permission.TASK_WORK)
def inbox() -> Any:
    scope = request.args.get("scope", "all")
    sort = request.args.get("sort", "due_at")
    sla_state = request.args.get("sla") or None
    status = request.args.get("status", "open")
    page = request.args.get("page", 1, type=int) or 1
    due = request.args.get("due", "")
    now = clock.utcnow()
    with unit_of_work() as session:
        tasks, total = service.inbox(session, user=_user(), scope=scope, status=status, sort=sort,
                                     sla_state=sla_state, page=page, per_page=25, now=now,
                                     due_before=_due_before(due, now))
    pages = max(1, (total + 24) // 25)
    return render_template("tasks/inbox.html", tasks=tasks, total=total, page=page, pages=pages, scope=scope,
                           sort=sort, sla=sla_state or "", status=status, due=due, now=now)


def _due_before(due: str, now: Any) -> Any:
    """The inbox's due-date filter: overdue, due by the end of today, or within a week (office days)."""
    from datetime import datetime, time, timedelta

    from server.sla import service as sla_service

    today = now.astimezone(sla_service.office_zone()).date()
    ends = {"overdue": now,
            "today": datetime.combine(today + timedelta(days=1), time(0), sla_service.office_zone()),
            "week": datetime.combine(today + timedelta(days=8), time(0), sla_service.office_zone())}
    return ends.get(due)


def _render_task(task: Any, version: Any, data: dict[str, Any], errors: list[dict[str, Any]],
                 status: int = 200, review: list[tuple[Any, Any]] | None = None) -> Any:
    form_html = ""
    if version is not None:
        form_html = form_render.render_form(version.schema, version.ui_schema or {}, data, errors,
                                            translate=_translate())
    return render_template("tasks/task.html", task=task, version=version, form_html=form_html, errors=errors,
                           may_work=service.may_work(_user(), task), now=clock.utcnow(),
                           review=review or []), status


def _review(session: Any, task: Any) -> list[tuple[Any, Any]]:
    """The earlier answers the task shows for review, rendered read-only; the read is audited."""
    translate = _translate()
    shown = service.review_submissions(session, task)
    if shown:
        audit.record(session, action="submission.read", actor=_user(), now=clock.utcnow(), object_type="task",
                     object_id=task.id, case_id=task.case_id, ip=client_ip(),
                     details={"shown": [r.submission.id for r in shown], "for_review": True})
    return [(r, form_readonly.render_readonly(r.version.schema, r.version.ui_schema or {}, r.submission.data,
                                            translate=translate, formats=i18n.ANSWER_FORMATS) if r.version else "")
            for r in shown]


@bp.get("/tasks/<int:task_id>")
@requires(Permission.TASK_WORK)
def show(task_id: int) -> Any:
    with unit_of_work() as session:
        task = service.get_for(session, task_id=task_id, user=_user(), now=clock.utcnow(), ip=client_ip())
        version = service.form_version(session, task)
        data: dict[str, Any] = {}
        if task.status == "completed":
            from sqlalchemy import select

            from server.cases.models import Submission

            sub = session.execute(select(Submission).where(Submission.task_id == task.id)).scalar_one_or_none()
            data = sub.data if sub else {}
        elif service.may_work(_user(), task):
            data = service.prefill(task, version)
        review = _review(session, task)
    return _render_task(task, version, data, [], review=review)


@bp.post("/tasks/<int:task_id>")
@requires(Permission.TASK_WORK)
def complete(task_id: int) -> Any:
    with unit_of_work() as session:
        task = service.get(session, task_id)
        if not service.may_view(_user(), task):
            raise NotFoundError()
        version = service.form_version(session, task)
    data = form_parse.parse_submission(version.schema, version.ui_schema or {}, request.form) if version else {}
    try:
        with unit_of_work() as session:
            result = service.complete(session, task_id=task_id, user=_user(), data=data, now=clock.utcnow(),
                                      translate=_translate(), ip=client_ip())
    except ValidationFailedError as exc:
        flash(exc.message, "error")
        with unit_of_work() as session:
            review = _review(session, service.get(session, task_id))
        return _render_task(task, version, data, exc.details, 422, review=review)
    except ConflictError as exc:
        flash(exc.message, "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    flash(_("Task completed: %(name)s", name=_translate()(result.task.name)), "success")
    mine = [t for t in result.next_tasks if service.may_work(_user(), t)]
    if len(mine) == 1:
        return redirect(url_for("tasks.show", task_id=mine[0].id))
    return redirect(url_for("cases.show", case_id=result.task.case_id))


@bp.post("/tasks/<int:task_id>/claim")
@requires(Permission.TASK_WORK)
def claim(task_id: int) -> Any:
    try:
        with unit_of_work() as session:
            service.claim(session, task_id=task_id, user=_user(), now=clock.utcnow())
        flash(_("Task claimed."), "success")
    except ConflictError:
        flash(_("Someone else has already claimed this task."), "error")
    return redirect(request.form.get("next") or url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<int:task_id>/unclaim")
@requires(Permission.TASK_WORK)
def unclaim(task_id: int) -> Any:
    try:
        with unit_of_work() as session:
            service.unclaim(session, task_id=task_id, user=_user(), now=clock.utcnow())
        flash(_("Task returned to the group."), "success")
    except ConflictError:
        flash(_("This task is held by someone else."), "error")
    return redirect(url_for("tasks.inbox"))
