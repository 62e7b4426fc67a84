"""Admin pages: edit content translations; see what a workflow or form version still lacks before activation."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server import clock, i18n
from server.admin.views import SinergiView, actor, field_errors, form_int
from server.db import unit_of_work
from server.errors import DomainError
from server.locale import service

CATEGORY = _l("Translations")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
PAGE_SIZE = 100


def _locales() -> list[str]:
    return list(current_app.config["LOCALES"])


def target_locales() -> list[str]:
    """The languages content is translated into (all but the one it is written in)."""
    return [locale for locale in _locales() if locale != i18n.CONTENT_LOCALE]


class TranslationsView(SinergiView):
    """Search, add, change and remove admins' translations of content strings."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                with unit_of_work() as session:
                    row_id = form_int("id")
                    row = service.get(session, row_id) if row_id else None
                    service.set_translation(session, locale=request.form.get("locale", row.locale if row else ""),
                                            msgid=request.form.get("msgid", row.msgid if row else ""),
                                            text=request.form.get("text", ""), user=actor(), now=clock.utcnow(),
                                            locales=_locales(), row=row)
                flash(_("Translation saved; it shows from the next page load."), "success")
                return redirect(request.form.get("next") or url_for(".index"))
            except DomainError as exc:
                errors = field_errors(exc)
        locale = request.args.get("locale") or None
        query = (request.args.get("q") or "").strip()[:200] or None
        page = max(1, request.args.get("page", 1, type=int) or 1)
        with unit_of_work() as session:
            rows, total = service.search(session, locale=locale, query=query, page=page, per_page=PAGE_SIZE)
        status = 422 if errors else 200
        new = {"locale": request.values.get("new_locale") or (target_locales() or _locales())[0],
               "msgid": request.values.get("msgid", ""), "text": request.values.get("text", "")}
        return self.render("locale/translations.html", rows=rows, total=total, page=page,
                           pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE), locale=locale or "", q=query or "",
                           errors=errors, new=new, locales=_locales(), language_names=LANGUAGE_NAMES), status

    @expose("/<int:translation_id>/delete", methods=("POST",))
    def delete(self, translation_id: int) -> Any:
        with unit_of_work() as session:
            service.delete(session, row=service.get(session, translation_id), user=actor(), now=clock.utcnow())
        flash(_("Translation removed; the catalog's text shows again."), "success")
        return redirect(request.form.get("next") or url_for(".index"))


class CoverageView(SinergiView):
    """Untranslated strings of each workflow's and form's newest version, with fields to translate them."""

    @expose("/", methods=("GET",))
    def index(self) -> Any:
        kind, key = request.args.get("kind"), request.args.get("key")
        number = request.args.get("number", type=int)
        with unit_of_work() as session:
            reports = coverage_reports(session, kind=kind, key=key, number=number)
        return self.render("locale/coverage.html", reports=reports, language_names=LANGUAGE_NAMES)

    @expose("/", methods=("POST",))
    def save(self) -> Any:
        locale = request.form.get("locale", "")
        pairs = [(msgid, text.strip()) for msgid, text in zip(request.form.getlist("msgid"),
                                                             request.form.getlist("text"), strict=False)
                 if text.strip()]
        try:
            with unit_of_work() as session:
                for msgid, text in pairs:
                    service.set_translation(session, locale=locale, msgid=msgid, text=text, user=actor(),
                                            now=clock.utcnow(), locales=_locales())
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Translations saved: %(count)s.", count=i18n.fmt_number(len(pairs))), "success")
        return redirect(request.form.get("next") or url_for(".index"))


def coverage_reports(session: Any, *, kind: str | None = None, key: str | None = None,
                     number: int | None = None) -> list[dict[str, Any]]:
    """One entry per workflow/form version on the page: its name and its missing strings per locale."""
    from server.forms import service as forms_service
    from server.workflows import service as workflows_service

    locales = target_locales()
    reports: list[dict[str, Any]] = []
    if kind in (None, "", "workflow"):
        for definition in workflows_service.list_definitions(session):
            version = _pick(definition, key, number)
            if version is not None:
                reports.append({"kind": "workflow", "key": definition.key, "title": definition.title,
                                "number": version.number, "active": version.id == definition.active_version_id,
                                "missing": service.workflow_coverage(session, bpmn_xml=version.bpmn_xml,
                                                                     locales=locales)})
    if kind in (None, "", "form"):
        for form in forms_service.list_definitions(session):
            version = _pick(form, key, number)
            if version is not None:
                reports.append({"kind": "form", "key": form.key, "title": form.title, "number": version.number,
                                "active": version.id == form.active_version_id,
                                "missing": service.form_coverage(session, schema=version.schema,
                                                                 ui_schema=version.ui_schema, locales=locales)})
    return reports


def _pick(definition: Any, key: str | None, number: int | None) -> Any:
    if key and definition.key != key:
        return None
    versions = list(definition.versions)
    if number is not None:
        return next((version for version in versions if version.number == number), None)
    return versions[-1] if versions else None


def register_admin(admin: Admin) -> None:
    admin.add_view(TranslationsView(name=_l("Content translations"), endpoint="admin_translations",
                                    url="translations", category=CATEGORY))
    admin.add_view(CoverageView(name=_l("Translation coverage"), endpoint="admin_translation_coverage",
                                url="translation-coverage", category=CATEGORY))
