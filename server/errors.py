"""Domain errors and the one place that maps them to HTTP responses."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """Root of every error a service raises. ``code`` is stable; ``message`` is for people."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", *, details: list[dict[str, Any]] | None = None,
                 code: str | None = None):
        super().__init__(message or self.__class__.__name__)
        self.message = message or self.default_message()
        self.details = details or []
        if code:
            self.code = code

    def default_message(self) -> str:
        return gettext("The request could not be processed.")


class NotFoundError(DomainError):
    status = 404
    code = "not_found"

    def default_message(self) -> str:
        return gettext("Not found.")


class PermissionDeniedError(DomainError):
    status = 403
    code = "forbidden"

    def default_message(self) -> str:
        return gettext("You do not have permission to do this.")


class AuthenticationError(DomainError):
    status = 401
    code = "unauthorized"

    def default_message(self) -> str:
        return gettext("Please log in.")


class ConflictError(DomainError):
    status = 409
    code = "conflict"

    def default_message(self) -> str:
        return gettext("This was changed by someone else. Reload and try again.")


class ValidationFailedError(DomainError):
    status = 422
    code = "validation_failed"

    def default_message(self) -> str:
        return gettext("Some fields are not valid.")


class PayloadTooLargeError(DomainError):
    status = 413
    code = "too_large"

    def default_message(self) -> str:
        return gettext("The request is too large.")


class ServiceUnavailableError(DomainError):
    status = 503
    code = "unavailable"

    def default_message(self) -> str:
        return gettext("The service is temporarily unavailable. Try again shortly.")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Response:
    if wants_json():
        resp = jsonify({"code": code, "message": message, "details": details or []})
        resp.status_code = status
        return resp
    html = render_template("error.html", status=status, code=code, message=message, details=details or [])
    return Response(html, status=status, mimetype="text/html")


def _write_refusals(app: Flask) -> None:
    """Refused reads are audited even though the request's transaction rolled back."""
    from server.audit import service as audit
    from server.extensions import db

    try:
        audit.write_carried(db.session())
    except Exception:  # noqa: BLE001 - the refusal itself must still be answered
        app.logger.exception("could not write the audit entry of a refused access")
        db.session.rollback()


def register_error_handlers(app: Flask) -> None:
    from sqlalchemy.exc import DataError, DBAPIError, OperationalError

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        if exc.status in (403, 404):
            _write_refusals(app)
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 429: "too_many_requests"}
        messages = {
            400: gettext("The request could not be processed."),
            401: gettext("Please log in."),
            403: gettext("You do not have permission to do this."),
            404: gettext("Not found."),
            405: gettext("This method is not allowed here."),
            413: gettext("The request is too large."),
            429: gettext("Too many requests. Wait a moment and try again."),
        }
        message = messages.get(status, exc.description or "")
        if status == 400 and exc.description and "CSRF" in exc.description:
            message = gettext("The form has expired. Reload the page and try again.")
        resp = error_response(status, codes.get(status, "error"), message)
        for key, value in (exc.get_headers() or []):
            if key.lower() in ("retry-after", "www-authenticate", "allow"):
                resp.headers[key] = value
        return resp

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(exc: Exception) -> Response:
        # A value from the request that the database (or date arithmetic) cannot hold, e.g. page=10**30:
        # bad input, not an outage. Services should bound their inputs; this keeps a miss from being a 5xx.
        app.logger.warning("value out of range: %s", exc)
        from server.extensions import db

        db.session.rollback()
        return error_response(400, "out_of_range", gettext("A number or date in the request is out of range."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _db_down(exc: Exception) -> Response:
        app.logger.warning("database error: %s", exc)
        from server.extensions import db

        db.session.rollback()
        resp = error_response(503, "unavailable", gettext("The service is temporarily unavailable. Try again shortly."))
        resp.headers["Retry-After"] = "5"
        return resp
