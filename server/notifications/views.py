"""The in-app notification list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from server import clock
from server.auth.permissions import Permission, requires
from server.db import unit_of_work
from server.notifications import service
from server.web import current_user_or_none

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@requires(Permission.AUTHENTICATED)
def index() -> Any:
    user = current_user_or_none()
    assert user is not None
    with unit_of_work() as session:
        rows = service.recent(session, user=user)
    return render_template("notifications/index.html", rows=rows)


@bp.post("/notifications/read")
@requires(Permission.AUTHENTICATED)
def mark_read() -> Any:
    user = current_user_or_none()
    assert user is not None
    with unit_of_work() as session:
        service.mark_read(session, user=user, now=clock.utcnow())
    return redirect(url_for("notifications.index"))
