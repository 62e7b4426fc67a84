"""The partner portal (/partner/): the agency's referrals, each answered through a form; and its API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import clock, i18n
from server.auth.models import User
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.errors import DomainError, ValidationFailedError
from server.forms import parse as form_parse
from server.forms import render as form_render
from server.forms import service as forms_service
from server.partner import service
from server.referrals import answers, present
from server.referrals.states import ACTIVE, referral_label
from server.web import client_ip, current_user_or_none

bp = Blueprint("partner", __name__, url_prefix="/partner")
api_bp = Blueprint("partner_api", __name__, url_prefix="/api/v1/partner")


def _user() -> User:
    user = current_user_or_none()
    assert user is not None  # the permission guard ran
    return user


def _translate() -> Any:
    from server.extensions import db
    from server.locale import service as locale_service

    return locale_service.translator(db.session, i18n.current_locale())


@bp.get("/")
@requires(Permission.PARTNER)
def index() -> Any:
    status = request.args.get("status") or "open"
    page = request.args.get("page", 1, type=int) or 1
    with unit_of_work() as session:
        agency = service.agency_of(session, _user())
        rows, total = service.list_referrals(session, user=_user(), status=None if status == "all" else status,
                                             page=page)
    pages = max(1, (total + 24) // 25)
    return render_template("partner/index.html", agency=agency, rows=rows, total=total, page=page, pages=pages,
                           status=status, label=referral_label)


def _render(referral_id: int, data: Any = None, errors: list[dict[str, Any]] | None = None, status: int = 200) -> Any:
    with unit_of_work() as session:
        referral = service.get_referral(session, referral_id=referral_id, user=_user(), now=clock.utcnow(),
                                        ip=client_ip())
        translate = _translate()
        active = referral.status in ACTIVE
        form_html, identity_html, answer_html = "", "", ""
        if active:  # need-to-know: what a referral shares is shown only while the agency works it
            form_html, identity_html = present.shared_html(session, referral, translate)
            form = answers.form_for(session, referral.status)
            answer_html = form_render.render_form(form.schema, form.ui_schema, data, errors or [], translate=translate)
    return render_template("partner/show.html", referral=referral, active=active, form_html=form_html,
                           identity_html=identity_html, answer_html=answer_html, label=referral_label), status


@bp.get("/referrals/<int:referral_id>")
@requires(Permission.PARTNER)
def show(referral_id: int) -> Any:
    return _render(referral_id)


@bp.post("/referrals/<int:referral_id>")
@requires(Permission.PARTNER)
def respond(referral_id: int) -> Any:
    with unit_of_work() as session:
        current = service.get_referral(session, referral_id=referral_id, user=_user(), now=clock.utcnow(),
                                       ip=client_ip())
        form = answers.form_for(session, current.status)
    data = form_parse.parse_submission(form.schema, form.ui_schema, request.form)
    try:
        with unit_of_work() as session:
            given = answers.read(form, data, translate=_translate())
            service.answer(session, referral_id=referral_id, user=_user(), now=clock.utcnow(), ip=client_ip(),
                           **given.as_kwargs())
    except ValidationFailedError as exc:
        flash(exc.message, "error")
        return _render(referral_id, data, exc.details, 422)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(url_for("partner.show", referral_id=referral_id))
    flash(_("Thank you. Your answer was sent to the UPTD PPA."), "success")
    return redirect(url_for("partner.show", referral_id=referral_id))


# --- API ----------------------------------------------------------------------------------------------


@api_bp.get("/referrals")
@requires(Permission.PARTNER)
def api_list() -> Any:
    status = request.args.get("status") or "open"
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError as exc:
        raise DomainError(_("page must be a whole number."), code="bad_paging") from exc
    with unit_of_work() as session:
        rows, total = service.list_referrals(session, user=_user(), status=None if status == "all" else status,
                                             page=page)
        items = [present.dump(r) for r in rows]
    return jsonify({"items": items, "total": total, "page": page})


@api_bp.get("/referrals/<int:referral_id>")
@requires(Permission.PARTNER)
def api_show(referral_id: int) -> Any:
    with unit_of_work() as session:
        referral = service.get_referral(session, referral_id=referral_id, user=_user(), now=clock.utcnow(),
                                        ip=client_ip())
        out = present.dump(referral, shared=referral.status in ACTIVE)
    return jsonify(out)


@api_bp.post("/referrals/<int:referral_id>/answer")
@requires(Permission.PARTNER)
def api_answer(referral_id: int) -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError(_("The body must be a JSON object."), code="invalid_json")
    with unit_of_work() as session:
        current = service.get_referral(session, referral_id=referral_id, user=_user(), now=clock.utcnow(),
                                       ip=client_ip())
        form = answers.form_for(session, current.status)
        cleaned = forms_service.validate_submission(form.version, body, translate=_)
        status = answers.to_status(cleaned.get("status"))
        if status is None:
            raise ValidationFailedError(details=[{"field": "status", "keyword": "required", "message": "status"}])
        referral = service.answer(session, referral_id=referral_id, user=_user(), status=status, now=clock.utcnow(),
                                  note=str(cleaned.get("catatan") or ""), officer=str(cleaned.get("petugas") or ""),
                                  answered_on=str(cleaned.get("tanggal_jawaban") or ""), ip=client_ip())
        out = present.dump(referral)
    return jsonify(out)


def init_app(app: Flask) -> None:
    from server.api import openapi
    from server.extensions import csrf

    csrf.exempt(api_bp)
    openapi.extra_meta("partner_api.api_list", "The referrals sent to the partner user's agency (paged)",
                       query=[("status", {"type": "string", "enum": ["open", "all", "sent", "accepted", "rejected",
                                                                     "done", "revoked"]}),
                              ("page", {"type": "integer", "minimum": 1})])
    openapi.extra_meta("partner_api.api_show", "One referral of the agency, with what it shares while it is open")
    openapi.extra_meta("partner_api.api_answer",
                       "Answer a referral with the jawaban_rujukan form: diterima, ditolak (catatan = reason) "
                       "or selesai (catatan = the service given)",
                       {"type": "object", "required": ["status"], "properties": {
                           "status": {"type": "string", "enum": ["diterima", "ditolak", "selesai"]},
                           "tanggal_jawaban": {"type": "string", "format": "date-time"},
                           "petugas": {"type": "string"}, "catatan": {"type": "string"}}})
