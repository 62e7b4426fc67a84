"""The in-app notification list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from server import clock
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.notifications import service
from server.web import current_user_or_none

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@requires(Permission.AUTHENTICATED)
def index() -> Any:
    user = current_user_or_none()
    assert user is not None
    from server import i18n
    from server.locale import service as locale_service

    with unit_of_work() as session:
        translate = locale_service.translator(session, i18n.current_locale())
        rows = [(n, service.shown_text(n, translate)) for n in service.recent(session, user=user)]
    return render_template("notifications/index.html", rows=rows)


@bp.post("/notifications/read")
@requires(Permission.AUTHENTICATED)
def mark_read() -> Any:
    user = current_user_or_none()
    assert user is not None
    with unit_of_work() as session:
        service.mark_read(session, user=user, now=clock.utcnow())
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@requires(Permission.AUTHENTICATED)
def settings() -> Any:
    """Each user chooses which notifications they get, in the app and by e-mail."""
    from flask import flash, request
    from flask_babel import gettext as _

    user = current_user_or_none()
    assert user is not None
    if request.method == "POST":
        chosen = {v for v in request.form.getlist("on") if isinstance(v, str)}
        with unit_of_work() as session:
            service.save_preferences(session, user=user, chosen=chosen, now=clock.utcnow())
        flash(_("Your notification settings were saved."), "success")
        return redirect(url_for("notifications.settings"))
    with unit_of_work() as session:
        from server.auth.models import User

        fresh = session.get(User, user.id) or user
        prefs = service.preferences(fresh)
        has_email = bool(fresh.email)
    return render_template("notifications/settings.html", prefs=prefs, labels=service.kind_labels(),
                           has_email=has_email)
