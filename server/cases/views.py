"""Case pages: list, start, show."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import clock, i18n
from server.auth.models import User
from server.auth.permissions import Permission, Role, requires
from server.cases import service
from server.db import unit_of_work
from server.forms.models import FormVersion
from server.locale import service as locale_service
from server.tasks import service as tasks_service
from server.web import client_ip, current_user_or_none
from server.workflows import service as workflows_service

bp = Blueprint("cases", __name__)


def _user() -> User:
    user = current_user_or_none()
    assert user is not None
    return user




@bp.get("/cases")
@requires(Permission.CASE_READ)
def index() -> Any:
    page = request.args.get("page", 1, type=int) or 1
    status = request.args.get("status") or None
    query = (request.args.get("q") or "").strip()[:64] or None
    with unit_of_work() as session:
        cases, total = service.list_cases(session, user=_user(), status=status, query=query, page=page)
        rows = [(c, service.masked_summary(c, _user())) for c in cases]
    pages = max(1, (total + 24) // 25)
    return render_template("cases/index.html", rows=rows, total=total, page=page, pages=pages,
                           status=status or "", q=query or "")


@bp.route("/cases/new", methods=["GET", "POST"])
@requires(Permission.CASE_START)
def start() -> Any:
    with unit_of_work() as session:
        definitions = [d for d in workflows_service.list_definitions(session) if d.active_version_id]
    if request.method == "POST":
        key = request.form.get("workflow", "")
        if key not in {d.key for d in definitions}:
            flash(_("Choose a workflow."), "error")
            return render_template("cases/start.html", definitions=definitions), 422
        with unit_of_work() as session:
            result = service.start_case(session, workflow_key=key, user=_user(), now=clock.utcnow())
            from server.notifications import service as notify

            notify.tasks_created(session, tasks=result.new_tasks, now=clock.utcnow())
        flash(_("Case %(ref)s started.", ref=result.case.reference), "success")
        mine = [t for t in result.new_tasks if tasks_service.may_work(_user(), t)]
        if mine:
            return redirect(url_for("tasks.show", task_id=mine[0].id))
        return redirect(url_for("cases.show", case_id=result.case.id))
    return render_template("cases/start.html", definitions=definitions)


@bp.get("/cases/<int:case_id>")
@requires(Permission.CASE_READ)
def show(case_id: int) -> Any:
    from server.forms import readonly as form_readonly

    with unit_of_work() as session:
        case = service.get_case_for(session, case_id=case_id, user=_user(), now=clock.utcnow(), ip=client_ip())
        tasks = service.case_tasks(session, case.id)
        subs = service.submissions(session, case.id)
        by_task = {t.id: t for t in tasks}
        translate = locale_service.translator(session, i18n.current_locale())
        rendered = []
        for sub in subs:
            version = session.get(FormVersion, sub.form_version_id) if sub.form_version_id else None
            html = form_readonly.render_readonly(version.schema, version.ui_schema or {}, sub.data, translate=translate,
                                               formats=i18n.ANSWER_FORMATS) if version else ""
            rendered.append((sub, by_task.get(sub.task_id), version, html))
        timeline = service.timeline(session, case.id)
        access_log = []
        if Role.MANAGER in _user().group_names:
            from server.audit import service as audit_service

            access_log = audit_service.case_access_log(session, case_id=case.id, limit=50)
    return render_template("cases/show.html", case=case, tasks=tasks, submissions=rendered, timeline=timeline,
                           access_log=access_log, now=clock.utcnow())
