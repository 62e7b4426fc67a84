"""Attachment pages and API: upload from the case page, download as a file (never rendered inline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_babel import gettext as _

from server import clock
from server.attachments import service
from server.attachments.models import Attachment
from server.auth.models import User
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.errors import DomainError, ValidationFailedError
from server.web import client_ip, current_user_or_none

bp = Blueprint("attachments", __name__)
api_bp = Blueprint("attachments_api", __name__, url_prefix="/api/v1")


def _user() -> User:
    user = current_user_or_none()
    assert user is not None  # the permission guard ran
    return user


def _root() -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"] or Path(current_app.instance_path) / "attachments")


def _upload(case_id: int) -> Attachment:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailedError(details=[{"field": "file", "keyword": "required",
                                              "message": _("Choose a file to upload.")}])
    with unit_of_work() as session:
        return service.upload(
            session, case_id=case_id, user=_user(), stream=upload.stream, filename=upload.filename,
            kind=request.form.get("kind") or "lainnya", description=request.form.get("description", ""),
            now=clock.utcnow(), root=_root(), max_bytes=int(current_app.config["ATTACHMENT_MAX_BYTES"]),
            ip=client_ip())


def _download(attachment_id: int) -> Any:
    failure: DomainError | None = None
    with unit_of_work() as session:  # a refused or failed download is audited too: commit, then raise
        try:
            found = service.open_for_download(session, attachment_id=attachment_id, user=_user(),
                                              now=clock.utcnow(), root=_root(), ip=client_ip())
        except DomainError as exc:
            failure = exc
    if failure is not None:
        raise failure
    row = found.attachment
    mimetype = "text/plain; charset=utf-8" if row.content_type == "text/plain" else row.content_type
    resp = send_file(found.path, mimetype=mimetype, as_attachment=True, download_name=row.filename,
                     conditional=False, etag=False, max_age=0)
    # Even a browser that ignored the attachment disposition gets an inert document.
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def dump(row: Attachment) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "filename": row.filename, "content_type": row.content_type,
            "size": row.size, "sha256": row.sha256, "kind": row.kind, "description": row.description,
            "uploaded_by_id": row.uploaded_by_id, "uploaded_at": row.uploaded_at.isoformat(),
            "download_url": url_for("attachments_api.content", attachment_id=row.id)}


# --- web ---------------------------------------------------------------------------------------------


@bp.post("/cases/<int:case_id>/attachments")
@requires(Permission.TASK_WORK)
def upload(case_id: int) -> Any:
    try:
        row = _upload(case_id)
    except ValidationFailedError as exc:
        flash(exc.details[0]["message"] if exc.details else exc.message, "error")
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(_("File attached: %(name)s", name=row.filename), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#attachments")


@bp.get("/attachments/<int:attachment_id>")
@requires(Permission.CASE_READ)
def download(attachment_id: int) -> Any:
    return _download(attachment_id)


# --- API ---------------------------------------------------------------------------------------------


@api_bp.get("/cases/<int:case_id>/attachments")
@requires(Permission.CASE_READ)
def list_(case_id: int) -> Any:
    with unit_of_work() as session:
        rows = service.list_for_case(session, case_id=case_id, user=_user())
        items = [dump(r) for r in rows]
    return jsonify({"items": items})


@api_bp.post("/cases/<int:case_id>/attachments")
@requires(Permission.TASK_WORK)
def create(case_id: int) -> Any:
    row = _upload(case_id)
    return jsonify(dump(row)), 201


@api_bp.get("/attachments/<int:attachment_id>/content")
@requires(Permission.CASE_READ)
def content(attachment_id: int) -> Any:
    return _download(attachment_id)


# --- wiring --------------------------------------------------------------------------------------------


def case_attachments(case: Any) -> dict[str, Any]:
    """Template helper for the case page: the case's attachments and whether the viewer may add one."""
    user = current_user_or_none()
    if user is None or case is None:
        return {"files": [], "may_upload": False, "kinds": service.KINDS}
    with unit_of_work() as session:
        try:
            items = service.list_for_case(session, case_id=case.id, user=user)
        except DomainError:
            items = []
        may_upload = service.may_attach(session, user, case)
    return {"files": items, "may_upload": may_upload, "kinds": service.KINDS,
            "max_mb": round(int(current_app.config["ATTACHMENT_MAX_BYTES"]) / 1024 / 1024, 1)}


def init_app(app: Flask) -> None:
    from server.extensions import csrf

    csrf.exempt(api_bp)
    app.jinja_env.globals["case_attachments"] = case_attachments
    from server.api import openapi

    upload_body = {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"},
        "kind": {"type": "string", "enum": list(service.KINDS)},
        "description": {"type": "string", "maxLength": 500}}}
    openapi.extra_meta("attachments_api.list_", "Files attached to a case")
    openapi.extra_meta("attachments_api.create",
                       "Attach a file to a case (PDF, JPEG, PNG, plain text, DOCX, ODT; 413 if too large, "
                       "422 if another type)", upload_body, "multipart/form-data")
    openapi.extra_meta("attachments_api.content", "Download an attachment (always as a file)")
    _register_audit_views(app)


def _register_audit_views(app: Flask) -> None:
    """The case access log pages live in server.audit, which web.DOMAINS does not list (yet)."""
    from server import web

    if "audit" in web.DOMAINS:
        return
    from server.audit import views as audit_views

    for blueprint in (audit_views.bp, audit_views.api_bp):
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)
    audit_views.init_app(app)
