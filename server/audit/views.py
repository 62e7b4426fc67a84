"""A case's access log for its managers: who read or changed it, when, and from where."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, render_template, request

from server import clock
from server.audit import service
from server.auth.models import User
from server.auth.permissions import Permission, Role, requires
from server.db import unit_of_work
from server.errors import NotFoundError
from server.web import client_ip, current_user_or_none

bp = Blueprint("audit", __name__)
api_bp = Blueprint("audit_api", __name__, url_prefix="/api/v1")

PAGE = 100


def _user() -> User:
    user = current_user_or_none()
    assert user is not None  # the permission guard ran
    return user


def _entries(case_id: int) -> tuple[Any, list[Any]]:
    """Only a manager who may see the case reads its access log; the reading is itself logged."""
    from server.cases import service as cases_service

    before = request.args.get("before", type=int)
    user = _user()
    with unit_of_work() as session:
        if Role.MANAGER not in user.group_names:
            raise NotFoundError()
        case = cases_service.get_case_for(session, case_id=case_id, user=user, now=clock.utcnow(),
                                          ip=client_ip())
        rows = service.case_access_log(session, case_id=case.id, limit=PAGE,
                                       before_id=before if before and before > 0 else None)
        service.record(session, action="case.access_log_read", actor=user, now=clock.utcnow(),
                       object_type="case", object_id=case.id, case_id=case.id, ip=client_ip())
    return case, rows


def dump(row: Any) -> dict[str, Any]:
    return {"id": row.id, "at": row.at.isoformat(), "actor": row.actor_name, "actor_id": row.actor_id,
            "action": row.action, "object_type": row.object_type, "object_id": row.object_id, "ip": row.ip}


@bp.get("/cases/<int:case_id>/access-log")
@requires(Permission.CASE_READ)
def case_log(case_id: int) -> Any:
    case, rows = _entries(case_id)
    older = rows[-1].id if len(rows) == PAGE else None
    return render_template("audit/access_log.html", case=case, rows=rows, older=older)


@api_bp.get("/cases/<int:case_id>/access-log")
@requires(Permission.CASE_READ)
def api_case_log(case_id: int) -> Any:
    _case, rows = _entries(case_id)
    return jsonify({"items": [dump(r) for r in rows],
                    "next_before": rows[-1].id if len(rows) == PAGE else None})


def init_app(app: Flask) -> None:
    from server.api import openapi

    openapi.extra_meta("audit_api.api_case_log", "Who read or changed a case (managers of its unit; newest first)",
                       query=[("before", {"type": "integer", "minimum": 1})])

