"""Admin pages for forms: versions, an editor with live preview by the caseworkers' renderer, sample data."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server import clock
from server.admin.views import SinergiView, actor
from server.db import unit_of_work
from server.errors import DomainError, NotFoundError
from server.forms import render, service
from server.forms import schema as schema_mod

KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")
BLANK_SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "", "type": "object",
                "properties": {}}


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _parse(text: str, what: str, problems: list[dict[str, str]]) -> Any:
    if not (text or "").strip():
        return {}
    try:
        return json.loads(text)
    except ValueError as exc:
        problems.append({"pointer": what, "message": _("%(what)s is not valid JSON: %(detail)s", what=what,
                                                       detail=str(exc))})
        return None


def build_preview(schema: Any, ui_schema: Any, data: Any) -> dict[str, Any]:
    """Problems of the definition, errors of the sample data, and the form as caseworkers will see it."""
    problems = service.check(schema, ui_schema) if schema is not None and ui_schema is not None else []
    if schema is None or ui_schema is None or not isinstance(schema, dict) or problems:
        return {"problems": problems, "errors": [], "html": ""}
    errors = [] if data is None else schema_mod.validate(schema, data, translate=_)
    try:
        html = str(render.render_form(schema, ui_schema or {}, data, errors, translate=_))
    except Exception as exc:  # noqa: BLE001 - a half-typed schema must not break the editor
        return {"problems": [{"pointer": "", "message": _("The form cannot be shown: %(detail)s",
                                                          detail=f"{type(exc).__name__}: {exc}")}],
                "errors": [], "html": ""}
    return {"problems": [], "html": html,
            "errors": [{"path": e.path, "message": e.message} for e in errors]}


def _usage(session: Any) -> dict[str, list[str]]:
    """Form key → active workflows whose user tasks use it."""
    from server.workflows import service as workflows_service

    used: dict[str, list[str]] = {}
    for definition in workflows_service.list_definitions(session):
        if definition.active_version is None:
            continue
        for ut in workflows_service.parsed(definition.active_version).user_tasks:
            if ut.form_file:
                keys = used.setdefault(service.key_from_filename(ut.form_file), [])
                if definition.key not in keys:
                    keys.append(definition.key)
    return used


class FormsView(SinergiView):
    @expose("/")
    def index(self) -> Any:
        with unit_of_work() as session:
            forms = service.list_definitions(session)
            used = _usage(session)
        return self.render("admin/sinergi/forms.html", forms=forms, used=used)

    @expose("/new")
    def new(self) -> Any:
        key = (request.args.get("key") or "").strip()
        if not KEY_RE.match(key):
            flash(_("Give the new form a key: letters, digits and '_'."), "error")
            return redirect(url_for(".index"))
        return redirect(url_for(".edit", key=key))

    @expose("/<key>/", methods=("GET", "POST"))
    def edit(self, key: str) -> Any:
        if not KEY_RE.match(key):
            raise NotFoundError()
        with unit_of_work() as session:
            definition = service.get_definition(session, key)
            versions = list(reversed(definition.versions)) if definition else []
            current = definition.active_version if definition else None
        texts = {"schema": _dump(current.schema if current else {**BLANK_SCHEMA, "title": key}),
                 "ui_schema": _dump(current.ui_schema if current else {}),
                 "data": _dump((current.schema.get("examples") or [{}])[0] if current else {}), "comment": ""}
        problems: list[dict[str, str]] = []
        if request.method == "POST":
            texts = {name: request.form.get(name, "") for name in texts}
            schema = _parse(texts["schema"], _("JSON schema"), problems)
            ui_schema = _parse(texts["ui_schema"], _("UI schema"), problems)
            if not problems:
                try:
                    with unit_of_work() as session:
                        version = service.create_version(session, key=key, schema=schema, ui_schema=ui_schema,
                                                         now=clock.utcnow(), author=actor(),
                                                         comment=texts["comment"][:500])
                    flash(_("Saved as version %(n)s; new tasks use it from now on.", n=version.number), "success")
                    return redirect(url_for(".edit", key=key))
                except DomainError as exc:
                    problems = [{"pointer": d.get("field", ""), "message": d.get("message", "")}
                                for d in exc.details] or [{"pointer": "", "message": exc.message}]
        sample = _parse(texts["data"], _("Sample data"), [])
        shown = build_preview(_parse(texts["schema"], "schema", []), _parse(texts["ui_schema"], "ui", []), sample)
        return self.render("admin/sinergi/form_edit.html", key=key, definition=definition, versions=versions,
                           texts=texts, problems=problems or shown["problems"], preview=shown,
                           preview_url=url_for(".preview")), 422 if problems else 200

    @expose("/<key>/<int:number>/")
    def version(self, key: str, number: int) -> Any:
        with unit_of_work() as session:
            version = service.get_version(session, key, number)
        shown = build_preview(version.schema, version.ui_schema or {}, None)
        return self.render("admin/sinergi/form_version.html", key=key, version=version,
                           schema_text=_dump(version.schema), ui_text=_dump(version.ui_schema or {}), preview=shown)

    @expose("/preview", methods=("POST",))
    def preview(self) -> Any:
        """Live preview: ``{schema, ui_schema, data}`` (texts) → problems, sample-data errors and the HTML."""
        body = request.get_json(silent=True) or {}
        problems: list[dict[str, str]] = []
        schema = _parse(str(body.get("schema", "")), _("JSON schema"), problems)
        ui_schema = _parse(str(body.get("ui_schema", "")), _("UI schema"), problems)
        data = _parse(str(body.get("data", "")), _("Sample data"), problems) if body.get("data") else None
        if problems:
            return jsonify({"problems": problems, "errors": [], "html": ""})
        return jsonify(build_preview(schema, ui_schema, data))


def register(admin: Admin) -> None:
    admin.add_view(FormsView(name=_l("Forms"), endpoint="admin_forms", url="forms"))
