"""Admin pages: SLA policy overrides per workflow task (or per case) and the office's working days.

Views only translate: validation and the audit trail live in ``server.sla.settings``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server import clock
from server.admin.views import AdminAccessMixin
from server.db import unit_of_work
from server.errors import DomainError
from server.sla import policy as policy_mod
from server.sla import settings

CATEGORY = _l("Deadlines")


def _actor() -> Any:
    from server.web import current_user_or_none

    user = current_user_or_none()
    if user is None:
        abort(401)
    return user


def _errors(exc: DomainError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in exc.details or []:
        errors.setdefault(str(item.get("field", "")), str(item.get("message", exc.message)))
    return errors or {"": exc.message}


class SlaPoliciesView(AdminAccessMixin, BaseView):
    """Deadlines per workflow task: what the BPMN says, and the office's override."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = request.form
            try:
                with unit_of_work() as session:
                    settings.save_policy(
                        session, workflow_key=form.get("workflow_key", ""), bpmn_id=form.get("bpmn_id", ""),
                        duration=form.get("duration", ""), start=form.get("start", ""),
                        warn_ratio=form.get("warn_ratio", "0.75"), escalate_to=form.get("escalate_to"),
                        basis=form.get("basis", ""), actor=_actor(), now=clock.utcnow())
                flash(_("Deadline saved. It applies to tasks created from now on."), "success")
                return redirect(url_for(".index"))
            except DomainError as exc:
                errors = _errors(exc)
        with unit_of_work() as session:
            rules = settings.task_rules(session)
        legal = sorted(policy_mod.LEGAL_POLICIES.values(), key=lambda p: p.ref)
        return self.render("sla/admin_policies.html", rules=rules, legal=legal, errors=errors,
                           form=request.form, edit=request.args), 422 if errors else 200

    @expose("/<int:policy_id>/delete", methods=("POST",))
    def delete(self, policy_id: int) -> Any:
        with unit_of_work() as session:
            settings.delete_policy(session, policy_id=policy_id, actor=_actor(), now=clock.utcnow())
        flash(_("The override was removed; the workflow's own deadline applies again."), "success")
        return redirect(url_for(".index"))


class OfficeDaysView(AdminAccessMixin, BaseView):
    """National holidays (read-only) and the office's own closed and open days, per year."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        errors: dict[str, str] = {}
        now = clock.utcnow()
        year = request.args.get("year", type=int) or now.year
        if request.method == "POST":
            try:
                with unit_of_work() as session:
                    row = settings.save_office_day(session, day=request.form.get("day", ""),
                                                   is_open=request.form.get("is_open") == "1",
                                                   name=request.form.get("name", ""), actor=_actor(), now=now)
                flash(_("Office day saved."), "success")
                return redirect(url_for(".index", year=row.day.year))
            except DomainError as exc:
                errors = _errors(exc)
        with unit_of_work() as session:
            days = settings.office_days(session, year=year)
            national = settings.national_holidays(session, year=year)
        return self.render("sla/admin_days.html", days=days, national=national, year=year, errors=errors,
                           form=request.form), 422 if errors else 200

    @expose("/<int:day_id>/delete", methods=("POST",))
    def delete(self, day_id: int) -> Any:
        with unit_of_work() as session:
            day = settings.delete_office_day(session, day_id=day_id, actor=_actor(), now=clock.utcnow())
        flash(_("Office day removed."), "success")
        return redirect(url_for(".index", year=day.year))


def register_admin(admin: Admin) -> None:
    admin.add_view(SlaPoliciesView(name=_l("Deadlines per task"), endpoint="admin_sla_policies",
                                   url="sla/policies", category=CATEGORY))
    admin.add_view(OfficeDaysView(name=_l("Holidays and office days"), endpoint="admin_office_days",
                                  url="sla/days", category=CATEGORY))
