"""Wiring of the server-rendered UI: user loading, blueprints, template helpers, health check."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from server import clock, i18n
from server.auth.models import User
from server.auth.permissions import CASE_ROLES, Permission, Role, has_permission, requires
from server.extensions import db, login_manager

#: Domains that plug pages into the app. Each may have ``views.py`` (a ``bp`` / ``api_bp`` blueprint,
#: optional ``init_app(app)``), ``admin.py`` (``register_admin(admin)``) and ``models.py``.
DOMAINS = ("sla", "reports", "referrals", "partner", "public", "attachments", "locale", "workflows", "forms")


def optional_modules(kind: str) -> list[Any]:
    """The ``server.<domain>.<kind>`` modules that exist, in DOMAINS order."""
    import importlib
    import importlib.util

    found = []
    for domain in DOMAINS:
        name = f"server.{domain}.{kind}"
        if importlib.util.find_spec(f"server.{domain}") is None or importlib.util.find_spec(name) is None:
            continue
        found.append(importlib.import_module(name))
    return found


def current_user_or_none() -> User | None:
    return getattr(g, "user", None)


def client_ip() -> str:
    return request.remote_addr or ""


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.is_active else None

    @app.before_request
    def _load_user() -> None:
        from flask import session
        from flask_login import current_user

        g.user = None
        g.user_locale = None
        auth = request.headers.get("Authorization", "")
        if request.path.startswith("/api/"):
            if auth.startswith("Bearer "):
                from server.auth import service as auth_service

                g.user = auth_service.user_for_token(db.session, token=auth[7:].strip(), now=clock.utcnow())
                g.user_locale = g.user.locale if g.user is not None else None
            return
        if current_user.is_authenticated:
            session.permanent = True
            g.user = current_user._get_current_object()
            g.user_locale = g.user.locale

    from server.auth.views import bp as auth_bp
    from server.cases.views import bp as cases_bp
    from server.notifications.views import bp as notifications_bp
    from server.tasks.views import bp as tasks_bp

    for bp in (auth_bp, tasks_bp, cases_bp, notifications_bp):
        app.register_blueprint(bp)
    for module in optional_modules("views"):
        for name in ("bp", "api_bp"):
            blueprint = getattr(module, name, None)
            if blueprint is not None:
                app.register_blueprint(blueprint)
        if hasattr(module, "init_app"):
            module.init_app(app)

    @app.get("/healthz")
    @requires(Permission.PUBLIC)
    def healthz() -> Any:
        try:
            db.session.execute(text("SELECT 1"))
            ok = True
        except Exception:  # noqa: BLE001 - any database failure means "not healthy"
            db.session.rollback()
            ok = False
        resp = jsonify({"status": "ok" if ok else "unavailable", "database": ok})
        resp.status_code = 200 if ok else 503
        return resp

    app.jinja_env.filters["dt"] = i18n.fmt_dt
    app.jinja_env.filters["d"] = i18n.fmt_date
    from server import labels

    app.jinja_env.globals["sla_state_label"] = lambda state: str(labels.SLA_STATES.get(state, state))
    app.jinja_env.globals["audit_action_label"] = lambda action: str(labels.ACTIONS.get(action, action))

    @app.context_processor
    def _globals() -> dict[str, Any]:
        user = current_user_or_none()
        names = user.group_names if user else set()
        from flask_babel import get_locale

        return {
            "get_locale": get_locale,
            "current": user,
            "roles": names,
            "Role": Role,
            "locales": app.config["LOCALES"],
            "office_name": app.config["OFFICE_NAME"],
            "is_manager": Role.MANAGER in names,
            "is_admin": Role.ADMIN in names,
            "is_partner": Role.PARTNER in names,
            "works_cases": bool(names & CASE_ROLES),
            "can_start": has_permission(names, Permission.CASE_START),
            "url_endpoints": app.view_functions.keys(),
        }
