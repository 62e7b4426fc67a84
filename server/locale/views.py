"""Template helpers for translated content: ``{{ task.name|tc }}``, ``{{ count|num }}``."""

from __future__ import annotations

import os

from flask import Flask

from server import i18n
from server.extensions import db
from server.locale import service


def translate(text: str) -> str:
    """Jinja filter ``tc``: a content string (task name, form title...) in the request's language."""
    return service.translate_content(db.session, i18n.current_locale(), text)


def init_app(app: Flask) -> None:
    directories = str(app.config.get("BABEL_TRANSLATION_DIRECTORIES") or "translations").split(";")
    service.configure(os.path.join(app.root_path, directory) for directory in directories)
    app.jinja_env.filters["tc"] = translate
    app.jinja_env.filters["num"] = i18n.fmt_number
