"""Sinergi: the application factory (wiring only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, abort, g, request
from sqlalchemy import event

from server import config as config_mod


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config_mod.DEFAULTS)
    app.config.from_prefixed_env("SINERGI")
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("SECRET_KEY", None)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_mod.load_secret_key(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_mod.database_url(app.config, app.instance_path)
    is_sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if is_sqlite:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {"timeout": 30})
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_pre_ping", True)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config["SECURE_COOKIES"]),
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=int(app.config["SESSION_LIFETIME_MINUTES"])),
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=app.config["OFFICE_TIMEZONE"],
        BABEL_TRANSLATION_DIRECTORIES=str(__import__("pathlib").Path(app.config["CONTENT_DIR"]) / "translations"),
        WTF_CSRF_TIME_LIMIT=None,
    )
    if app.config.get("EMBEDDED_WORKER") is None:
        app.config["EMBEDDED_WORKER"] = is_sqlite and not app.config.get("TESTING")

    from server import i18n
    from server import models as _models  # noqa: F401  (every table, for Alembic and relationships)
    from server.audit import service as audit_service
    from server.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(__import__("pathlib").Path(__file__).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    csrf.init_app(app)
    login_manager.init_app(app)
    audit_service.install()

    with app.app_context():
        if is_sqlite:
            _sqlite_pragmas(db.engine)

    from server.sla import service as sla_service

    sla_service.configure(app.config)

    from server import web

    web.init_app(app)
    from server.api import views as api_views

    app.register_blueprint(api_views.bp)
    csrf.exempt(api_views.bp)
    from server import admin

    admin.init_app(app)

    from server.errors import register_error_handlers

    register_error_handlers(app)
    _install_guards(app)
    if app.config["EMBEDDED_WORKER"]:
        from server.worker import start_embedded

        start_embedded(app)
    return app


def _sqlite_pragmas(engine: Any) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


def _install_guards(app: Flask) -> None:
    """Fail closed: every endpoint must declare a permission, and the user must hold it.

    Also: request body caps (JSON bodies to MAX_JSON_BYTES even when sent chunked), URL ids beyond what a
    database column can hold answer 404 instead of a driver error, the client address goes to the audit
    log, and every response carries the security headers (CSP with a per-request nonce, no framing,
    no sniffing, no caching of pages behind a login, HSTS over HTTPS).
    """
    import secrets

    from flask_admin import BaseView

    from server.auth import permissions
    from server.extensions import db
    from server.web import current_user_or_none

    max_id = 2**63 - 1
    hops = int(app.config["TRUSTED_PROXIES"] or 0)
    if hops > 0:
        # Behind N reverse proxies (nginx terminating TLS): take the client address and scheme from their
        # X-Forwarded-* headers, so the audit log records who connected and HSTS/secure checks see HTTPS.
        # Never set this without a proxy in front: clients could then forge their address.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    def rule_for(endpoint: str) -> permissions.Permission | None:
        view = app.view_functions.get(endpoint)
        rule = getattr(view, permissions.ATTR, None)
        if rule is None and isinstance(getattr(view, "__self__", None), BaseView):
            rule = permissions.Permission.ADMIN  # Flask-Admin views; also checked by their is_accessible
        return rule

    app.extensions["sinergi_permission_for"] = rule_for

    @app.before_request
    def _enforce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)
        max_json = int(app.config["MAX_JSON_BYTES"])
        if request.is_json and "/admin/" not in request.path:
            if (request.content_length or 0) > max_json:
                abort(413)
            request.max_content_length = max_json  # also caps bodies sent without a Content-Length
        if request.endpoint is None:
            return  # 404 / 405 handled by the router
        if request.endpoint == "static" or request.endpoint.endswith(".static"):
            return
        for value in (request.view_args or {}).values():
            if isinstance(value, int) and not isinstance(value, bool) and value > max_id:
                abort(404)  # no row has such an id; the driver would fail with an overflow instead
        rule = rule_for(request.endpoint)
        if rule is None:
            app.logger.error("endpoint %s declares no permission", request.endpoint)
            abort(403)
        g.permission = rule
        db.session.info["audit_ip"] = request.remote_addr or ""
        if rule == permissions.Permission.PUBLIC:
            return
        user = current_user_or_none()
        if user is None:
            from server.errors import AuthenticationError

            raise AuthenticationError()
        if not permissions.has_permission(user.group_names, rule):
            from server.errors import PermissionDeniedError

            raise PermissionDeniedError()

    @app.context_processor
    def _nonce() -> dict[str, Any]:
        return {"csp_nonce": lambda: getattr(g, "csp_nonce", "")}

    @app.after_request
    def _headers(resp: Any) -> Any:
        nonce = getattr(g, "csp_nonce", None)
        script_src = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        resp.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src {script_src}; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        resp.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith("/api/") or getattr(g, "permission", "public") != "public":
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp
