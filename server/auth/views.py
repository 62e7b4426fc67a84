"""Login, logout, web session expiry, the language switch, and revoking all of one's API tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask import session as session_mod
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from server import clock
from server.auth import service
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.errors import DomainError
from server.extensions import csrf
from server.i18n import LOCALE_COOKIE
from server.web import client_ip, current_user_or_none

bp = Blueprint("auth", __name__)


@bp.record_once
def _configure(state: Any) -> None:
    from server.api import openapi

    openapi.extra_meta("auth.revoke_all", "Revoke every API token of the current user and end their web sessions")


@bp.before_app_request
def _check_web_session() -> None:
    """Refuse a web session that was idle too long, is older than its lifetime, or was ended (logout
    elsewhere, password change). Runs after the user is loaded and before the permission guard."""
    user = current_user_or_none()
    if user is None or request.path.startswith("/api/"):
        return
    now = clock.utcnow()
    problem = service.session_problem(
        session_mod, user=user, now=now, idle_minutes=int(current_app.config["SESSION_IDLE_MINUTES"]),
        lifetime_minutes=int(current_app.config["SESSION_LIFETIME_MINUTES"]))
    if problem is None:
        session_mod["seen_at"] = now.isoformat()
        return
    logout_user()
    session_mod.clear()
    g.user = None
    if problem in ("idle", "lifetime"):
        flash(_("Your session has expired. Please log in again."), "info")


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("tasks.inbox")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("tasks.inbox")
    return target


@bp.route("/login", methods=["GET", "POST"])
@requires(Permission.PUBLIC)
def login() -> Any:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        failure: DomainError | None = None
        with unit_of_work() as session:  # failed attempts are counted and audited: commit them too
            try:
                user = service.authenticate(
                    session, username=form.username.data or "", password=form.password.data or "",
                    now=clock.utcnow(), ip=client_ip(), max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                    lockout_minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"],
                    max_failures_per_ip=int(current_app.config["LOGIN_MAX_FAILURES_PER_IP"]))
            except DomainError as exc:  # wrong credentials, locked account, too many attempts
                failure = exc
        if failure is not None:
            flash(failure.message, "error")
            status = failure.status
        else:
            session_mod.clear()  # a fresh session: nothing from before the login carries over
            login_user(user)
            now = clock.utcnow().isoformat()
            session_mod.update(login_at=now, seen_at=now, epoch=user.session_epoch or 0)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@requires(Permission.AUTHENTICATED)
def logout() -> Any:
    user = current_user_or_none()
    if user is not None:
        with unit_of_work() as session:  # ends copies of this session cookie too, not only this browser's
            service.end_sessions(session, user=user, now=clock.utcnow(), ip=client_ip())
    logout_user()
    session_mod.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
@requires(Permission.PUBLIC)
def language() -> Any:
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LOCALES"]:
        locale = current_app.config["DEFAULT_LOCALE"]
    user = current_user_or_none()
    if user is not None:
        with unit_of_work() as session:
            merged = session.merge(user)
            merged.locale = locale
    resp = redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))
    resp.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                    secure=bool(current_app.config["SECURE_COOKIES"]))
    return resp


@bp.post("/api/v1/auth/revoke-all")
@requires(Permission.AUTHENTICATED)
@csrf.exempt
def revoke_all() -> Any:
    user = current_user_or_none()
    assert user is not None
    with unit_of_work() as session:
        now = clock.utcnow()
        count = service.revoke_all_tokens(session, user=user, now=now)
        service.end_sessions(session, user=user, now=now, reason="revoke_all", ip=client_ip())
    return jsonify({"revoked": count})
