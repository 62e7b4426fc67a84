"""Report downloads: every SLA dashboard table as CSV/XLSX, and the SIMFONI-PPA period report of cases
(pages for people, ``/api/v1/reports/cases.csv`` and ``.xlsx`` for programs)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, render_template, request
from flask_babel import gettext as _

from server import clock
from server.auth.models import User
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.errors import DomainError, NotFoundError
from server.reports import export
from server.reports import service as reports_service
from server.sla import service as sla_service
from server.web import client_ip, current_user_or_none

bp = Blueprint("reports", __name__, url_prefix="/reports")
api_bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
FORMATS = ("csv", "xlsx")
VIEWS = ("cases", "summary")


def _user() -> User:
    user = current_user_or_none()
    assert user is not None  # the permission guard ran
    return user


def _download(body: bytes, filename: str, fmt: str) -> Response:
    resp = Response(body, mimetype=export.CSV_MIME if fmt == "csv" else export.XLSX_MIME)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


def _render(tables: list[export.Table], fmt: str) -> bytes:
    zone = sla_service.office_zone()
    if fmt == "csv":
        return export.to_csv(tables[0], zone=zone)
    return export.to_xlsx(tables, zone=zone)


@bp.get("/")
@requires(Permission.REPORT_READ)
def index() -> Any:
    now = clock.utcnow()
    period = reports_service.parse_period(None, None, now=now)
    return render_template("reports/index.html", tables=_table_titles(), period=period)


def _table_titles() -> list[tuple[str, str]]:
    return [("state", _("Open tasks by deadline status")), ("steps", _("Open tasks by step")),
            ("groups", _("Open tasks by group")), ("people", _("Open tasks by person")),
            ("months", _("Open tasks by month due")), ("breaches", _("Late tasks")),
            ("missed", _("Tasks finished late")), ("step_times", _("Time to complete per step")),
            ("stages", _("Open cases by stage")), ("years", _("Cases per year by type"))]


@bp.get("/sla/<key>.<fmt>")
@requires(Permission.REPORT_READ)
def sla_table(key: str, fmt: str) -> Any:
    if fmt not in FORMATS or key not in reports_service.TABLES:
        raise NotFoundError()
    now = clock.utcnow()
    days = request.args.get("days", 90, type=int) or 90
    with unit_of_work() as session:
        table = reports_service.dashboard_table(session, key=key, user=_user(), now=now, days=max(1, min(days, 3660)))
        body = _render([table], fmt)
        reports_service.audit_table_export(session, user=_user(), key=key, fmt=fmt, now=now, ip=client_ip())
    return _download(body, f"sla-{key}-{now.astimezone(sla_service.office_zone()):%Y%m%d}.{fmt}", fmt)


def _cases(fmt: str) -> Response:
    now = clock.utcnow()
    period = reports_service.parse_period(request.args.get("from"), request.args.get("to"), now=now)
    view = request.args.get("view", "cases")
    if view not in VIEWS:
        raise DomainError(_("view must be cases or summary."), code="bad_parameter")
    with unit_of_work() as session:
        tables = reports_service.case_report(session, user=_user(), period=period, now=now, ip=client_ip(),
                                             view=view if fmt == "csv" else "both", fmt=fmt)
        body = _render(tables, fmt)
    name = f"simfoni-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return _download(body, f"{name}{'-' + view if fmt == 'csv' else ''}.{fmt}", fmt)


@bp.get("/cases.csv")
@requires(Permission.REPORT_READ)
def cases_csv() -> Any:
    return _cases("csv")


@bp.get("/cases.xlsx")
@requires(Permission.REPORT_READ)
def cases_xlsx() -> Any:
    return _cases("xlsx")


@api_bp.get("/cases.csv")
@requires(Permission.REPORT_READ)
def api_cases_csv() -> Any:
    return _cases("csv")


@api_bp.get("/cases.xlsx")
@requires(Permission.REPORT_READ)
def api_cases_xlsx() -> Any:
    return _cases("xlsx")


def init_app(app: Flask) -> None:
    from server.api import openapi
    from server.extensions import csrf

    csrf.exempt(api_bp)
    period = [("from", {"type": "string", "format": "date"}), ("to", {"type": "string", "format": "date"})]
    openapi.extra_meta("reports_api.api_cases_csv", "Cases registered in a period in SIMFONI-PPA categories, "
                       "one row per case (view=cases) or counts per category (view=summary); identifying "
                       "fields masked for roles that may not see them",
                       query=[*period, ("view", {"type": "string", "enum": list(VIEWS)})])
    openapi.extra_meta("reports_api.api_cases_xlsx", "The same period report as a workbook with two sheets "
                       "(cases, SIMFONI-PPA category counts)", query=period)
