"""The admin area (Flask-Admin), built per app in ``init_app`` (a module-level Admin collides across apps)."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin

from server.admin.views import SecureIndexView, register_views


def init_app(app: Flask) -> None:
    admin = Admin(app, name="Sinergi Admin", url="/admin", index_view=SecureIndexView(url="/admin"))
    register_views(admin)
    app.extensions["sinergi_admin"] = admin
