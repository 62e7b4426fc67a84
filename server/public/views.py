"""The public complaint page (off unless PUBLIC_INTAKE_ENABLED): no account, CSRF, a honeypot, throttled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template, request

from server import clock, i18n
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.errors import ValidationFailedError
from server.forms import parse as form_parse
from server.forms import render as form_render
from server.public import service
from server.web import client_ip

bp = Blueprint("public", __name__)

#: Settings of this domain (the environment or the app's config may override them).
DEFAULTS: dict[str, Any] = {
    "PUBLIC_INTAKE_WORKFLOW": "ppa_kasus_kekerasan",
    "PUBLIC_INTAKE_MAX_PER_HOUR": 5,         # attempts per client address
    "PUBLIC_INTAKE_MAX_TOTAL_PER_HOUR": 200,  # attempts from everyone together
}
#: The honeypot: a field people never see or fill; bots that fill every input do.
HONEYPOT = "website"


def _translate() -> Any:
    from server.extensions import db
    from server.locale import service as locale_service

    return locale_service.translator(db.session, i18n.current_locale())


def _page(data: Any = None, errors: list[dict[str, Any]] | None = None, status: int = 200) -> Any:
    with unit_of_work() as session:
        schema, ui = service.public_form(session)
    form_html = form_render.render_form(schema, ui, data, errors or [], translate=_translate())
    return render_template("public/complaint.html", form_html=form_html, honeypot=HONEYPOT), status


@bp.route("/pengaduan", methods=["GET", "POST"])
@requires(Permission.PUBLIC)
def complaint() -> Any:
    config = current_app.config
    if not config.get("PUBLIC_INTAKE_ENABLED"):
        abort(404)
    if request.method == "GET":
        return _page()
    now = clock.utcnow()
    try:
        with unit_of_work() as session:  # the attempt counts even if the form turns out invalid
            service.count_attempt(session, key=service.throttle_key(client_ip(), secret=str(config["SECRET_KEY"])),
                                  now=now, window=timedelta(hours=1), limit=int(config["PUBLIC_INTAKE_MAX_PER_HOUR"]),
                                  total_limit=int(config["PUBLIC_INTAKE_MAX_TOTAL_PER_HOUR"]))
    except service.ThrottledError as exc:
        html = render_template("public/throttled.html", message=exc.message)
        return html, 429, {"Retry-After": "3600"}
    if request.form.get(HONEYPOT):
        current_app.logger.info("public complaint honeypot filled; nothing stored")
        return render_template("public/thanks.html", receipt=service.decoy_receipt())
    with unit_of_work() as session:
        schema, ui = service.public_form(session)
    data = form_parse.parse_submission(schema, ui, request.form)
    try:
        with unit_of_work() as session:
            row = service.submit(session, data=data, now=now, workflow_key=str(config["PUBLIC_INTAKE_WORKFLOW"]),
                                 office_code=str(config["OFFICE_CODE"]), office_name=str(config["OFFICE_NAME"]),
                                 office_tz=str(config["OFFICE_TIMEZONE"]), translate=_translate())
            receipt = row.receipt
    except ValidationFailedError as exc:
        return _page(data, exc.details, 422)
    return render_template("public/thanks.html", receipt=receipt)


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.jinja_env.globals.setdefault("public_intake_enabled", lambda: bool(app.config.get("PUBLIC_INTAKE_ENABLED")))
