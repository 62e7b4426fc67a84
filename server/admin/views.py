"""Flask-Admin views: access only for the admin role; no business rules here."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_admin import Admin, AdminIndexView, BaseView, expose

from server.auth.models import User
from server.auth.permissions import Role
from server.errors import DomainError


def _is_admin() -> bool:
    from server.web import current_user_or_none

    user = current_user_or_none()
    return user is not None and Role.ADMIN in user.group_names


class AdminAccessMixin:
    def is_accessible(self) -> bool:
        return _is_admin()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        abort(403)


class SecureIndexView(AdminAccessMixin, AdminIndexView):
    @expose("/")
    def index(self) -> Any:
        from server import clock
        from server.db import unit_of_work
        from server.workflows import service as workflows_service

        with unit_of_work() as session:
            definitions = workflows_service.list_definitions(session)
            counts = {d.key: len(d.versions) for d in definitions}
        return self.render("admin/index.html", definitions=definitions, counts=counts, now=clock.utcnow())


class SinergiView(AdminAccessMixin, BaseView):
    """An admin page rendered with Sinergi's own layout (admin/sinergi/layout.html)."""


def actor() -> User:
    from server.web import current_user_or_none

    user = current_user_or_none()
    if user is None:
        abort(401)
    return user


def form_int(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def field_errors(exc: DomainError) -> dict[str, str]:
    """Field → message from a service's validation error ('' for the form as a whole)."""
    errors: dict[str, str] = {}
    for item in exc.details or []:
        errors.setdefault(str(item.get("field", "")), str(item.get("message", exc.message)))
    return errors or {"": exc.message}


def register_views(admin: Admin) -> None:
    """Sinergi's own admin pages, then those each domain adds in ``admin.py`` (``register_admin(admin)``)."""
    from server.admin import accounts, workflows
    from server.forms import admin_views as forms_admin
    from server.web import optional_modules

    workflows.register(admin)
    forms_admin.register(admin)
    accounts.register(admin)
    for module in optional_modules("admin"):
        module.register_admin(admin)
