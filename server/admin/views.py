"""Flask-Admin views: access only for the admin role; no business rules here."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_admin import Admin, AdminIndexView, expose

from server.auth.permissions import Role


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
        return super().index()


def register_views(admin: Admin) -> None:
    """Admin pages are added by each domain's ``admin.py`` (``register_admin(admin)``)."""
    from server.web import optional_modules

    for module in optional_modules("admin"):
        module.register_admin(admin)
