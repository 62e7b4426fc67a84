"""The read-only diagram of a case, and the workflow administration API (validate, compare, roll back,
migrate running cases). The admin pages themselves are Flask-Admin views in server/admin/workflows.py."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from server import clock
from server.auth.models import User
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.errors import DomainError, PayloadTooLargeError, ValidationFailedError
from server.web import client_ip, current_user_or_none
from server.workflows import engine as engine_mod
from server.workflows import migration, service

bp = Blueprint("workflows", __name__)
api_bp = Blueprint("workflows_api", __name__, url_prefix="/api/v1")


def _user() -> User:
    user = current_user_or_none()
    assert user is not None  # the permission guard ran
    return user


# --- the case diagram -------------------------------------------------------------------------------

@bp.get("/cases/<int:case_id>/diagram")
@requires(Permission.CASE_READ)
def case_diagram(case_id: int) -> Any:
    """The case's workflow version with completed steps marked and current ones highlighted."""
    from server.cases import service as cases_service

    with unit_of_work() as session:
        case = cases_service.get_case_for(session, case_id=case_id, user=_user(), now=clock.utcnow(),
                                          ip=client_ip())
        done, active = engine_mod.instance_progress(cases_service.load_instance(case))
        version = case.workflow_version
    return render_template("workflows/case_diagram.html", case=case, version=version,
                           progress=json.dumps({"done": sorted(done), "active": sorted(active)}))


@bp.get("/cases/<int:case_id>/diagram.bpmn")
@requires(Permission.CASE_READ)
def case_diagram_xml(case_id: int) -> Any:
    from server.cases import service as cases_service

    with unit_of_work() as session:
        case = cases_service.get_case_for(session, case_id=case_id, user=_user(), now=clock.utcnow(),
                                          ip=client_ip())
        body = case.workflow_version.bpmn_xml
    return Response(body, mimetype="application/xml")


# --- admin API ------------------------------------------------------------------------------------------

def _xml() -> bytes:
    xml = request.get_data(cache=False)
    if len(xml) > int(current_app.config["MAX_BPMN_BYTES"]):
        raise PayloadTooLargeError()
    if not xml:
        raise DomainError(_("The body must be a BPMN XML document."), code="body_required")
    return xml


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise DomainError(_("The body must be a JSON object."), code="invalid_json")
    if body is not None and not isinstance(body, dict):
        raise DomainError(_("The body must be a JSON object."), code="invalid_json")
    return body or {}


def _int(value: Any, field: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailedError(details=[{"field": field, "message": _("A whole number is required.")}])
    return value


def _dump_move(move: migration.CaseMove) -> dict[str, Any]:
    return asdict(move)


@api_bp.post("/admin/workflows/<key>/validate")
@requires(Permission.ADMIN)
def validate(key: str) -> Any:
    xml = _xml()
    with unit_of_work() as session:
        _parsed, problems = service.check(session, xml, key=key, now=clock.utcnow(),
                                          max_bytes=int(current_app.config["MAX_BPMN_BYTES"]),
                                          max_elements=int(current_app.config["MAX_BPMN_ELEMENTS"]))
    return jsonify({"valid": not problems, "details": service.problems_as_details(problems)})


@api_bp.get("/admin/workflows/<key>/compare")
@requires(Permission.ADMIN)
def compare(key: str) -> Any:
    old, new = request.args.get("old", type=int), request.args.get("new", type=int)
    if old is None or new is None:
        raise ValidationFailedError(details=[{"field": "old", "message": _("Give two version numbers.")}])
    with unit_of_work() as session:
        changes = service.compare_versions(session, key=key, old=old, new=new)
    return jsonify({"key": key, "old": old, "new": new, "changes": [asdict(c) for c in changes]})


@api_bp.post("/admin/workflows/<key>/rollback")
@requires(Permission.ADMIN)
def rollback(key: str) -> Any:
    with unit_of_work() as session:
        version = service.rollback(session, key=key, now=clock.utcnow(), actor=_user())
        data = {"key": key, "active_version": version.number}
    return jsonify(data)


@api_bp.get("/admin/workflows/<key>/migrations")
@requires(Permission.ADMIN)
def migration_plan(key: str) -> Any:
    target = request.args.get("target", type=int)
    with unit_of_work() as session:
        if target is None:
            active = service.get_definition(session, key).active_version
            target = active.number if active else 0
        result = migration.plan(session, key=key, target_number=target, from_number=request.args.get("source", type=int))
    return jsonify({"target": target, "total": result.total, "cases": [_dump_move(m) for m in result.moves]})


@api_bp.post("/admin/workflows/<key>/migrations")
@requires(Permission.ADMIN)
def migrate_cases(key: str) -> Any:
    body = _body()
    target = _int(body.get("target"), "target")
    ids = body.get("case_ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) for i in ids)):
        raise ValidationFailedError(details=[{"field": "case_ids", "message": _("A list of case ids is required.")}])
    with unit_of_work() as session:
        result = migration.migrate_bulk(session, key=key, target_number=target or 0, actor=_user(),
                                        now=clock.utcnow(), from_number=_int(body.get("source"), "source",
                                                                             required=False), case_ids=ids)
        data = {"target": target, "total": result.total, "cases": [_dump_move(m) for m in result.moves]}
    return jsonify(data)


@api_bp.post("/admin/cases/<int:case_id>/migrate")
@requires(Permission.ADMIN)
def migrate_case(case_id: int) -> Any:
    body = _body()
    with unit_of_work() as session:
        move = migration.migrate_case(session, case_id=case_id, target_number=_int(body.get("target"), "target") or 0,
                                      actor=_user(), now=clock.utcnow())
        data = _dump_move(move)
    return jsonify(data)


def init_app(app: Flask) -> None:
    from server.api import openapi
    from server.extensions import csrf

    csrf.exempt(api_bp)  # bearer-token API, like server.api
    target = ("target", {"type": "integer", "minimum": 1})
    openapi.extra_meta("workflows_api.validate", "Validate BPMN XML without storing it (problems with element ids)",
                       {"type": "string"}, "application/xml")
    openapi.extra_meta("workflows_api.compare", "Tasks added, removed or changed between two versions",
                       query=[("old", {"type": "integer"}), ("new", {"type": "integer"})])
    openapi.extra_meta("workflows_api.rollback", "Re-activate the previously active version")
    openapi.extra_meta("workflows_api.migration_plan",
                       "Dry run: which open cases can move to a version, and why the others cannot",
                       query=[target, ("source", {"type": "integer", "minimum": 1})])
    openapi.extra_meta("workflows_api.migrate_cases", "Move every open case that can move to a version (audited)", {
        "type": "object", "required": ["target"],
        "properties": {"target": {"type": "integer"}, "source": {"type": "integer"},
                       "case_ids": {"type": "array", "items": {"type": "integer"}}}})
    openapi.extra_meta("workflows_api.migrate_case", "Move one running case to another version (409 if unsafe)", {
        "type": "object", "required": ["target"], "properties": {"target": {"type": "integer"}}})
