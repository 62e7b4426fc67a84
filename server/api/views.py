"""The JSON API under /api/v1: parse, authorize, call the service, serialize."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _

from server import clock
from server.api import openapi
from server.api import schemas as s
from server.auth import service as auth_service
from server.auth.models import User
from server.auth.permissions import Permission, requires
from server.cases import service as cases_service
from server.db import unit_of_work
from server.errors import DomainError, NotFoundError, PayloadTooLargeError
from server.forms import service as forms_service
from server.forms.models import FormVersion
from server.referrals import service as referrals_service
from server.tasks import service as tasks_service
from server.web import client_ip, current_user_or_none
from server.workflows import service as workflows_service

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _user() -> User:
    user = current_user_or_none()
    assert user is not None
    return user


def _json_object(required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object, or a clear 400/413/415."""
    if (request.content_length or 0) > int(current_app.config["MAX_JSON_BYTES"]):
        raise PayloadTooLargeError()
    raw = request.get_data(cache=True)
    if not raw:
        if required:
            raise DomainError(_("A JSON object is required."), code="body_required")
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError(_("The body must be a JSON object."), code="invalid_json")
    return body


def _page() -> tuple[int, int]:
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = max(1, min(100, int(request.args.get("per_page", 25))))
    except ValueError as exc:
        raise DomainError(_("page and per_page must be whole numbers."), code="bad_paging") from exc
    return page, per_page


@bp.post("/auth/token")
@requires(Permission.PUBLIC)
def token() -> Any:
    body = _json_object()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise DomainError(_("username and password are required."), code="credentials_required")
    with unit_of_work() as session:
        now = clock.utcnow()
        try:
            user = auth_service.authenticate(
                session, username=username[:64], password=password[:200], now=now, ip=client_ip(),
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lockout_minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"],
                max_failures_per_ip=int(current_app.config["LOGIN_MAX_FAILURES_PER_IP"]))
        except DomainError as exc:
            failure = exc
        else:
            failure = None
            clear, row = auth_service.issue_token(session, user=user, now=now,
                                                  hours=int(current_app.config["API_TOKEN_HOURS"]))
    if failure is not None:
        raise failure
    return jsonify({"token": clear, "expires_at": s.iso(row.expires_at)}), 201


@bp.post("/auth/revoke")
@requires(Permission.AUTHENTICATED)
def revoke() -> Any:
    header = request.headers.get("Authorization", "")
    with unit_of_work() as session:
        auth_service.revoke_token(session, token=header[7:].strip(), now=clock.utcnow())
    return "", 204


@bp.get("/me")
@requires(Permission.AUTHENTICATED)
def me() -> Any:
    return jsonify(s.dump_user(_user()))


@bp.get("/workflows")
@requires(Permission.WORKFLOW_READ)
def workflows() -> Any:
    with unit_of_work() as session:
        items = [s.dump_workflow(d, workflows_service.running_case_counts(session, d))
                 for d in workflows_service.list_definitions(session)]
    return jsonify({"items": items})


@bp.get("/workflows/<key>")
@requires(Permission.WORKFLOW_READ)
def workflow(key: str) -> Any:
    with unit_of_work() as session:
        definition = workflows_service.get_definition(session, key)
        data = s.dump_workflow(definition, workflows_service.running_case_counts(session, definition))
    return jsonify(data)


@bp.get("/forms/<key>")
@requires(Permission.WORKFLOW_READ)
def form(key: str) -> Any:
    with unit_of_work() as session:
        version = forms_service.get_active(session, key)
        if version is None:
            raise NotFoundError()
        data = s.dump_form(version)
    return jsonify(data)


@bp.post("/admin/workflows/<key>/versions")
@requires(Permission.ADMIN)
def create_workflow_version(key: str) -> Any:
    xml = request.get_data(cache=False)
    if len(xml) > int(current_app.config["MAX_BPMN_BYTES"]):
        raise PayloadTooLargeError()
    if not xml:
        raise DomainError(_("The body must be a BPMN XML document."), code="body_required")
    with unit_of_work() as session:
        version = workflows_service.create_version(
            session, key=key, xml=xml, now=clock.utcnow(), author=_user(),
            comment=request.args.get("comment", "")[:500], max_bytes=int(current_app.config["MAX_BPMN_BYTES"]),
            max_elements=int(current_app.config["MAX_BPMN_ELEMENTS"]))
        data = {"key": key, "number": version.number, "hash": version.content_hash}
    return jsonify(data), 201


@bp.post("/admin/workflows/<key>/versions/<int:number>/activate")
@requires(Permission.ADMIN)
def activate_workflow_version(key: str, number: int) -> Any:
    with unit_of_work() as session:
        workflows_service.activate_version(session, key=key, number=number, now=clock.utcnow(), actor=_user())
        data = s.dump_workflow(workflows_service.get_definition(session, key))
    return jsonify(data)


@bp.post("/admin/forms/<key>/versions")
@requires(Permission.ADMIN)
def create_form_version(key: str) -> Any:
    body = _json_object()
    with unit_of_work() as session:
        version = forms_service.create_version(
            session, key=key, schema=body.get("schema"), ui_schema=body.get("ui_schema") or {},
            now=clock.utcnow(), author=_user(), comment=str(body.get("comment", ""))[:500])
        data = s.dump_form(version)
    return jsonify(data), 201


@bp.post("/cases")
@requires(Permission.CASE_START)
def start_case() -> Any:
    body = _json_object()
    key = body.get("workflow")
    data = body.get("data") or {}
    if not isinstance(key, str) or not isinstance(data, dict):
        raise DomainError(_("workflow (text) is required; data must be an object."), code="invalid_body")
    with unit_of_work() as session:
        result = cases_service.start_case(session, workflow_key=key, user=_user(), now=clock.utcnow(), data=data)
        from server.notifications import service as notify

        notify.tasks_created(session, tasks=result.new_tasks, now=clock.utcnow())
        out = s.dump_case(result.case)
        out["tasks"] = [s.dump_task(t) for t in result.new_tasks]
    return jsonify(out), 201


@bp.get("/cases")
@requires(Permission.CASE_READ)
def list_cases() -> Any:
    page, per_page = _page()
    status = request.args.get("status") or None
    with unit_of_work() as session:
        cases, total = cases_service.list_cases(session, user=_user(), status=status,
                                                workflow=request.args.get("workflow") or None,
                                                query=(request.args.get("q") or None), page=page,
                                                per_page=per_page)
        items = [s.dump_case(c, summary=cases_service.masked_summary(c, _user())) for c in cases]
    return jsonify({"items": items, "total": total, "page": page, "per_page": per_page})


@bp.get("/cases/<int:case_id>")
@requires(Permission.CASE_READ)
def get_case(case_id: int) -> Any:
    with unit_of_work() as session:
        case = cases_service.get_case_for(session, case_id=case_id, user=_user(), now=clock.utcnow(),
                                          ip=client_ip())
        out = s.dump_case(case)
        out["tasks"] = [s.dump_task(t) for t in cases_service.case_tasks(session, case.id)]
        out["submissions"] = [
            s.dump_submission(sub, session.get(FormVersion, sub.form_version_id) if sub.form_version_id else None)
            for sub in cases_service.submissions(session, case.id)]
        out["timeline"] = [{"at": s.iso(e.at), "actor": e.actor_name, "action": e.action, "details": e.details}
                           for e in cases_service.timeline(session, case.id)]
    return jsonify(out)


@bp.get("/tasks")
@requires(Permission.TASK_WORK)
def list_tasks() -> Any:
    page, per_page = _page()
    scope = request.args.get("scope", "all")
    if scope not in ("mine", "group", "all"):
        raise DomainError(_("scope must be mine, group or all."), code="bad_scope")
    with unit_of_work() as session:
        tasks, total = tasks_service.inbox(session, user=_user(), scope=scope,
                                           status=request.args.get("status", "open"),
                                           sort=request.args.get("sort", "due_at"),
                                           sla_state=request.args.get("sla_state") or None, page=page,
                                           per_page=per_page)
        items = [s.dump_task(t) for t in tasks]
    return jsonify({"items": items, "total": total, "page": page, "per_page": per_page})


@bp.get("/tasks/<int:task_id>")
@requires(Permission.TASK_WORK)
def get_task(task_id: int) -> Any:
    with unit_of_work() as session:
        task = tasks_service.get_for(session, task_id=task_id, user=_user(), now=clock.utcnow(), ip=client_ip())
        out = s.dump_task(task)
        version = tasks_service.form_version(session, task)
        out["form"] = s.dump_form(version) if version else None
        out["data"] = tasks_service.prefill(task, version) if tasks_service.may_work(_user(), task) else {}
    return jsonify(out)


def _task_action(task_id: int, action: str) -> Any:
    with unit_of_work() as session:
        if action == "claim":
            task = tasks_service.claim(session, task_id=task_id, user=_user(), now=clock.utcnow())
        else:
            task = tasks_service.unclaim(session, task_id=task_id, user=_user(), now=clock.utcnow())
        out = s.dump_task(task)
    return jsonify(out)


@bp.post("/tasks/<int:task_id>/claim")
@requires(Permission.TASK_WORK)
def claim(task_id: int) -> Any:
    return _task_action(task_id, "claim")


@bp.post("/tasks/<int:task_id>/unclaim")
@requires(Permission.TASK_WORK)
def unclaim(task_id: int) -> Any:
    return _task_action(task_id, "unclaim")


@bp.post("/tasks/<int:task_id>/assign")
@requires(Permission.TASK_ASSIGN)
def assign(task_id: int) -> Any:
    body = _json_object()
    username = body.get("username")
    if not isinstance(username, str):
        raise DomainError(_("username is required."), code="username_required")
    with unit_of_work() as session:
        from sqlalchemy import select

        assignee = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if assignee is None:
            raise NotFoundError(_("No such user."))
        task = tasks_service.assign(session, task_id=task_id, assignee=assignee, user=_user(), now=clock.utcnow(),
                                    reason=str(body.get("reason", ""))[:500])
        out = s.dump_task(task)
    return jsonify(out)


@bp.post("/tasks/<int:task_id>/complete")
@requires(Permission.TASK_WORK)
def complete(task_id: int) -> Any:
    body = _json_object()
    data = body.get("data", {})
    with unit_of_work() as session:
        result = tasks_service.complete(session, task_id=task_id, user=_user(), data=data, now=clock.utcnow(),
                                        translate=_, ip=client_ip())
        out = {"task": s.dump_task(result.task), "case_closed": result.case_closed,
               "next_tasks": [s.dump_task(t) for t in result.next_tasks]}
    return jsonify(out)


@bp.post("/messages/<name>")
@requires(Permission.MESSAGE_SEND)
def message(name: str) -> Any:
    body = _json_object()
    case_id = body.get("case_id")
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise DomainError(_("case_id (a number) is required."), code="case_id_required")
    payload = body.get("payload", {})
    with unit_of_work() as session:
        case = cases_service.get_case(session, case_id)
        cases_service.require_visible(session, _user(), case)
        referrals_service.refuse_direct_message(session, name=name, case_id=case_id)
        result = cases_service.deliver_message(session, name=name[:100], case_id=case_id, payload=payload,
                                               user=_user(), now=clock.utcnow())
        out = {"case": s.dump_case(result.case), "next_tasks": [s.dump_task(t) for t in result.new_tasks]}
    return jsonify(out)


@bp.get("/openapi.json")
@requires(Permission.PUBLIC)
def openapi_json() -> Any:
    return jsonify(openapi.build(current_app))
