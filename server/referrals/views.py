"""Staff side of referrals and transfers: lists, a referral's page, answers taken on the phone, the manager's
revoke and consent override, transfer requests and decisions; and their JSON API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import clock, i18n
from server.auth.models import User
from server.auth.permissions import Permission, Role, requires
from server.db import unit_of_work
from server.errors import DomainError, ValidationFailedError
from server.forms import parse as form_parse
from server.forms import render as form_render
from server.referrals import answers, consent, present, service, transfers
from server.referrals.states import CONSENT_LABELS, ReferralStatus, referral_label, transfer_label
from server.web import client_ip, current_user_or_none

bp = Blueprint("referrals", __name__)
api_bp = Blueprint("referrals_api", __name__, url_prefix="/api/v1")


def _user() -> User:
    user = current_user_or_none()
    assert user is not None  # the permission guard ran
    return user


def _translate() -> Any:
    from server.extensions import db
    from server.locale import service as locale_service

    return locale_service.translator(db.session, i18n.current_locale())


def _flash_error(exc: DomainError) -> None:
    flash(exc.details[0]["message"] if exc.details and exc.details[0].get("message") else exc.message, "error")


# --- referral pages -----------------------------------------------------------------------------------


@bp.get("/referrals")
@requires(Permission.CASE_READ)
def index() -> Any:
    status = request.args.get("status") or "open"
    page = request.args.get("page", 1, type=int) or 1
    with unit_of_work() as session:
        rows, total = service.list_visible(session, user=_user(), status=None if status == "all" else status,
                                           page=page)
    pages = max(1, (total + 24) // 25)
    return render_template("referrals/index.html", rows=rows, total=total, page=page, pages=pages, status=status,
                           label=referral_label)


def _render_show(referral_id: int, errors: list[dict[str, Any]] | None = None, data: Any = None,
                 status: int = 200) -> Any:
    user = _user()
    with unit_of_work() as session:
        referral = service.get_for_staff(session, referral_id=referral_id, user=user, now=clock.utcnow(),
                                         ip=client_ip())
        translate = _translate()
        form_html, identity_html = present.shared_html(session, referral, translate)
        answer_html = ""
        may_answer = bool(user.group_names & {Role.CASEWORKER, Role.MANAGER}) and referral.status in (
            ReferralStatus.SENT, ReferralStatus.ACCEPTED)
        if may_answer:
            form = answers.form_for(session, referral.status)
            answer_html = form_render.render_form(form.schema, form.ui_schema, data, errors or [],
                                                  translate=translate)
        chain = service.for_case(session, referral.case_id)
    return render_template("referrals/show.html", referral=referral, form_html=form_html,
                           identity_html=identity_html, answer_html=answer_html, may_answer=may_answer,
                           may_revoke=Role.MANAGER in user.group_names and referral.status in (
                               ReferralStatus.SENT, ReferralStatus.ACCEPTED),
                           chain=[r for r in chain if r.id != referral.id], label=referral_label), status


@bp.get("/referrals/<int:referral_id>")
@requires(Permission.CASE_READ)
def show(referral_id: int) -> Any:
    return _render_show(referral_id)


@bp.post("/referrals/<int:referral_id>/answer")
@requires(Permission.MESSAGE_SEND)
def answer(referral_id: int) -> Any:
    """Staff record a partner's answer given by phone or letter (audited as answered for the partner)."""
    with unit_of_work() as session:
        current = service.get_for_staff(session, referral_id=referral_id, user=_user(), now=clock.utcnow(),
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
        return _render_show(referral_id, exc.details, data, 422)
    except DomainError as exc:
        if exc.status == 404:
            raise
        _flash_error(exc)
        return redirect(url_for("referrals.show", referral_id=referral_id))
    flash(_("The answer was recorded."), "success")
    return redirect(url_for("referrals.show", referral_id=referral_id))


@bp.post("/referrals/<int:referral_id>/revoke")
@requires(Permission.CASE_READ)
def revoke(referral_id: int) -> Any:
    try:
        with unit_of_work() as session:
            service.revoke(session, referral_id=referral_id, user=_user(), now=clock.utcnow(),
                           reason=request.form.get("reason", "")[:2000], ip=client_ip())
    except DomainError as exc:
        if exc.status == 404:
            raise
        _flash_error(exc)
    else:
        flash(_("The referral was revoked."), "success")
    return redirect(url_for("referrals.show", referral_id=referral_id))


# --- a case's referrals, consent override, transfer -------------------------------------------------------


@bp.get("/cases/<int:case_id>/referrals")
@requires(Permission.CASE_READ)
def case_referrals(case_id: int) -> Any:
    from server.cases import service as cases_service

    user = _user()
    with unit_of_work() as session:
        case = cases_service.get_case_for(session, case_id=case_id, user=user, now=clock.utcnow(), ip=client_ip())
        info = service.summary(session, case=case, user=user)
        case_transfers = transfers.for_case(session, case.id)
        units = transfers.units(session, exclude=case.unit_id)
        pending = transfers.open_transfer(session, case.id)
        agencies = _agency_choices(session)
    return render_template("referrals/case.html", case=case, info=info, transfers=case_transfers, units=units,
                           pending=pending, agencies=agencies, label=referral_label, transfer_label=transfer_label,
                           consent_labels=CONSENT_LABELS,
                           may_transfer=bool(user.group_names & {Role.CASEWORKER, Role.MANAGER}))


def _agency_choices(session: Any) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from server.auth.models import PartnerAgency

    return [(a.code, a.name) for a in session.execute(select(PartnerAgency).order_by(PartnerAgency.name)).scalars()]


@bp.post("/cases/<int:case_id>/consent-override")
@requires(Permission.CASE_READ)
def consent_override(case_id: int) -> Any:
    try:
        with unit_of_work() as session:
            consent.create_override(session, case_id=case_id, user=_user(), now=clock.utcnow(),
                                    reason=request.form.get("reason", "")[:2000],
                                    agency_code=request.form.get("agency_code", "")[:64], ip=client_ip())
    except DomainError as exc:
        if exc.status == 404:
            raise
        _flash_error(exc)
    else:
        flash(_("Override recorded. The next referral of this case may share the victim's identity."), "success")
    return redirect(url_for("referrals.case_referrals", case_id=case_id))


@bp.post("/cases/<int:case_id>/transfer")
@requires(Permission.CASE_READ)
def request_transfer(case_id: int) -> Any:
    try:
        with unit_of_work() as session:
            transfers.request(session, case_id=case_id, to_unit_id=request.form.get("to_unit", 0, type=int) or 0,
                              user=_user(), now=clock.utcnow(), reason=request.form.get("reason", "")[:2000],
                              consent_from=request.form.get("consent_from", ""),
                              override_reason=request.form.get("override_reason", "")[:2000], ip=client_ip())
    except DomainError as exc:
        if exc.status == 404:
            raise
        _flash_error(exc)
    else:
        flash(_("Transfer requested. The other unit's manager decides."), "success")
    return redirect(url_for("referrals.case_referrals", case_id=case_id))


@bp.get("/transfers")
@requires(Permission.CASE_READ)
def transfers_index() -> Any:
    with unit_of_work() as session:
        incoming = transfers.incoming(session, user=_user())
        outgoing = transfers.outgoing(session, user=_user())
    return render_template("referrals/transfers.html", incoming=incoming, outgoing=outgoing, label=transfer_label)


def _transfer_action(transfer_id: int, action: str) -> Any:
    kwargs = {"transfer_id": transfer_id, "user": _user(), "now": clock.utcnow(), "ip": client_ip()}
    note = request.form.get("note", "")[:2000]
    messages = {"accept": _("Transfer accepted: the case now belongs to your unit."),
                "decline": _("Transfer declined."), "cancel": _("Transfer cancelled.")}
    try:
        with unit_of_work() as session:
            if action == "accept":
                transfers.accept(session, note=note, **kwargs)
            elif action == "decline":
                transfers.decline(session, note=note, **kwargs)
            else:
                transfers.cancel(session, **kwargs)
    except DomainError as exc:
        if exc.status == 404:
            raise
        _flash_error(exc)
    else:
        flash(messages[action], "success")
    return redirect(url_for("referrals.transfers_index"))


@bp.post("/transfers/<int:transfer_id>/accept")
@requires(Permission.CASE_READ)
def accept_transfer(transfer_id: int) -> Any:
    return _transfer_action(transfer_id, "accept")


@bp.post("/transfers/<int:transfer_id>/decline")
@requires(Permission.CASE_READ)
def decline_transfer(transfer_id: int) -> Any:
    return _transfer_action(transfer_id, "decline")


@bp.post("/transfers/<int:transfer_id>/cancel")
@requires(Permission.CASE_READ)
def cancel_transfer(transfer_id: int) -> Any:
    return _transfer_action(transfer_id, "cancel")


# --- API ----------------------------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError(_("The body must be a JSON object."), code="invalid_json")
    return body


@api_bp.get("/cases/<int:case_id>/referrals")
@requires(Permission.CASE_READ)
def api_case_referrals(case_id: int) -> Any:
    from server.cases import service as cases_service

    with unit_of_work() as session:
        case = cases_service.get_case_for(session, case_id=case_id, user=_user(), now=clock.utcnow(), ip=client_ip())
        items = [present.dump(r, shared=True, staff=True) for r in service.for_case(session, case.id)]
    return jsonify({"items": items})


@api_bp.get("/referrals/<int:referral_id>")
@requires(Permission.CASE_READ)
def api_referral(referral_id: int) -> Any:
    with unit_of_work() as session:
        referral = service.get_for_staff(session, referral_id=referral_id, user=_user(), now=clock.utcnow(),
                                         ip=client_ip())
        out = present.dump(referral, shared=True, staff=True)
    return jsonify(out)


@api_bp.post("/referrals/<int:referral_id>/answer")
@requires(Permission.MESSAGE_SEND)
def api_answer(referral_id: int) -> Any:
    body = _body()
    status = answers.to_status(body.get("status"))
    if status is None:
        raise ValidationFailedError(details=[{"field": "status", "keyword": "enum",
                                              "message": _("status must be diterima, ditolak or selesai.")}])
    with unit_of_work() as session:
        referral = service.answer(session, referral_id=referral_id, status=status, user=_user(), now=clock.utcnow(),
                                  note=str(body.get("catatan") or "")[:4000],
                                  reason=str(body.get("alasan") or "")[:4000],
                                  officer=str(body.get("petugas") or "")[:120], ip=client_ip())
        out = present.dump(referral, staff=True)
    return jsonify(out)


@api_bp.post("/referrals/<int:referral_id>/revoke")
@requires(Permission.CASE_READ)
def api_revoke(referral_id: int) -> Any:
    body = _body()
    with unit_of_work() as session:
        referral = service.revoke(session, referral_id=referral_id, user=_user(), now=clock.utcnow(),
                                  reason=str(body.get("reason") or "")[:2000], ip=client_ip())
        out = present.dump(referral, staff=True)
    return jsonify(out)


# --- wiring -------------------------------------------------------------------------------------------------


def case_referrals_summary(case: Any) -> dict[str, Any]:
    """Template helper for the case page (``referrals/_case_referrals.html``)."""
    user = current_user_or_none()
    if user is None or case is None:
        return {"referrals": [], "label": referral_label}
    with unit_of_work() as session:
        rows = service.for_case(session, case.id)
    return {"referrals": rows, "label": referral_label}


def init_app(app: Flask) -> None:
    from server.api import openapi
    from server.cases import access
    from server.extensions import csrf

    access.register_partner_rule(service.partner_rule)
    csrf.exempt(api_bp)
    app.jinja_env.globals["case_referrals"] = case_referrals_summary
    app.jinja_env.globals["referral_overdue"] = lambda referral: service.is_overdue(referral, clock.utcnow())
    answer_body = {"type": "object", "required": ["status"], "properties": {
        "status": {"type": "string", "enum": ["diterima", "ditolak", "selesai"]},
        "catatan": {"type": "string", "maxLength": 4000}, "alasan": {"type": "string", "maxLength": 4000},
        "petugas": {"type": "string", "maxLength": 120}}}
    openapi.extra_meta("referrals_api.api_case_referrals", "Referrals of a case, with what each shares")
    openapi.extra_meta("referrals_api.api_referral", "One referral (staff working the case)")
    openapi.extra_meta("referrals_api.api_answer",
                       "Record a partner's answer given by phone or letter (sent to the case as jawaban_rujukan)",
                       answer_body)
    openapi.extra_meta("referrals_api.api_revoke", "Revoke an open referral (managers; a reason is required)",
                       {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}})
