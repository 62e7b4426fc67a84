"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
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
from server.errors import AuthenticationError
from server.i18n import LOCALE_COOKIE
from server.web import client_ip, current_user_or_none

bp = Blueprint("auth", __name__)


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
        failure: AuthenticationError | None = None
        with unit_of_work() as session:  # failed attempts are counted and audited: commit them too
            try:
                user = service.authenticate(
                    session, username=form.username.data or "", password=form.password.data or "",
                    now=clock.utcnow(), ip=client_ip(), max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                    lockout_minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
            except AuthenticationError as exc:
                failure = exc
        if failure is not None:
            flash(failure.message, "error")
            status = 401
        else:
            session_mod.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@requires(Permission.AUTHENTICATED)
def logout() -> Any:
    logout_user()
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
