"""Admin pages for workflows: versions, validation report, modeler, activation, compare, migration."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server import clock
from server.admin.views import SinergiView, actor, form_int
from server.auth.models import Group, LaneMapping
from server.db import unit_of_work
from server.errors import DomainError, NotFoundError, PayloadTooLargeError, ValidationFailedError
from server.forms import service as forms_service
from server.workflows import migration
from server.workflows import service as workflows_service

KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")


def _key(key: str) -> str:
    if not KEY_RE.match(key or ""):
        raise NotFoundError()
    return key


def _xml_body() -> bytes:
    limit = int(current_app.config["MAX_BPMN_BYTES"])
    if "file" in request.files:
        xml = request.files["file"].read(limit + 1)
    else:
        xml = request.get_data(cache=False)
    if len(xml) > limit:
        raise PayloadTooLargeError()
    if not xml.strip():
        raise ValidationFailedError(_("Choose a BPMN file."), code="body_required",
                                    details=[{"element_id": None, "code": "body_required",
                                              "message": _("Choose a BPMN file.")}])
    return xml


def _limits() -> dict[str, int]:
    """The configured size and element-count caps, for every check of an uploaded or modelled file."""
    return {"max_bytes": int(current_app.config["MAX_BPMN_BYTES"]),
            "max_elements": int(current_app.config["MAX_BPMN_ELEMENTS"])}


def _create(key: str, xml: bytes, comment: str) -> Any:
    with unit_of_work() as session:
        return workflows_service.create_version(
            session, key=key, xml=xml, now=clock.utcnow(), author=actor(), comment=comment[:500], **_limits())


def blank_bpmn(key: str, title: str) -> str:
    """A minimal diagram to start a new workflow from: start, one user task in the caseworkers' lane, end."""
    from markupsafe import escape

    return BLANK.replace("{key}", key).replace("{title}", str(escape(title or key)))


BLANK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" \
id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collab_{key}">
    <bpmn:participant id="Participant_{key}" name="{title}" processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name="{title}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_{key}">
      <bpmn:lane id="Lane_pendamping" name="pendamping">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>task_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="task_1" name="Task">
      <bpmn:incoming>flow_1</bpmn:incoming><bpmn:outgoing>flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_1" sourceRef="start" targetRef="task_1" />
    <bpmn:sequenceFlow id="flow_2" sourceRef="task_1" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{key}">
    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="Collab_{key}">
      <bpmndi:BPMNShape id="Participant_{key}_di" bpmnElement="Participant_{key}" isHorizontal="true">
        <dc:Bounds x="120" y="60" width="600" height="200" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_pendamping_di" bpmnElement="Lane_pendamping" isHorizontal="true">
        <dc:Bounds x="150" y="60" width="570" height="200" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="202" y="142" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="task_1_di" bpmnElement="task_1"><dc:Bounds x="300" y="120" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="482" y="142" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_1_di" bpmnElement="flow_1"><di:waypoint x="238" y="160" />
        <di:waypoint x="300" y="160" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_2_di" bpmnElement="flow_2"><di:waypoint x="400" y="160" />
        <di:waypoint x="482" y="160" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _modeler_config(session: Any, key: str, xml_url: str) -> dict[str, Any]:
    forms = [{"key": f.key, "title": f.title, "file": f.key + forms_service.SCHEMA_SUFFIX}
             for f in forms_service.list_definitions(session) if f.active_version_id]
    groups = [{"name": g.name, "title": g.title} for g in session.execute(select(Group).order_by(Group.name)).scalars()]
    lanes = {m.lane: m.group.name for m in session.execute(select(LaneMapping)).scalars()}
    return {
        "key": key, "xmlUrl": xml_url,
        "saveUrl": url_for(".save", key=key), "validateUrl": url_for(".validate", key=key),
        "versionUrl": url_for(".version", key=key, number=0).replace("/0/", "/{n}/"),
        "forms": forms, "groups": groups, "laneMap": lanes,
        "i18n": {
            "properties": _("Properties"), "name": _("Name"), "form": _("Form"), "noForm": _("(no form)"),
            "group": _("Group of this lane"), "slaDuration": _("SLA duration (e.g. P3D, PT24H, 2 hari kerja)"),
            "slaBasis": _("Legal basis of the deadline"),
            "reviewSubmissions": _("Show answers of earlier tasks for review (their ids, comma-separated)"),
            "timer": _("Timer"), "timerKind": _("Kind"),
            "duration": _("Duration"), "date": _("Date"), "cycle": _("Repeating"),
            "timerValue": _("Value (ISO 8601, e.g. P3D)"), "expression": _("Expression (Python)"),
            "nothing": _("Select an element to edit its properties."), "id": _("Id"),
            "saving": _("Saving…"), "saved": _("Saved as version {n}."), "invalid": _("Not saved: {n} problems."),
            "valid": _("No problems found."), "problems": _("Problems"), "openVersion": _("Open version {n}"),
            "error": _("The request failed."), "mapped": _("mapped to group {g}"),
        },
    }


def translation_gaps(session: Any, version: Any) -> dict[str, Any]:
    """What users of the other languages would see untranslated if this version went live: the translation
    coverage page's reports for this workflow version and the forms its tasks use, and the totals per language."""
    from server.locale.admin import LANGUAGE_NAMES, coverage_reports

    reports = coverage_reports(session, kind="workflow", key=version.definition.key, number=version.number)
    form_keys = sorted({forms_service.key_from_filename(task.form_file)
                        for task in workflows_service.parsed(version).user_tasks if task.form_file})
    for form_key in form_keys:
        reports += coverage_reports(session, kind="form", key=form_key)
    totals: dict[str, int] = {}
    for report in reports:
        for locale, missing in report["missing"].items():
            totals[locale] = totals.get(locale, 0) + len(missing)
    return {"reports": [r for r in reports if r["missing"]], "totals": totals, "forms": len(form_keys),
            "languages": LANGUAGE_NAMES}


class WorkflowsView(SinergiView):
    @expose("/")
    def index(self) -> Any:
        with unit_of_work() as session:
            rows = [(d, workflows_service.running_case_counts(session, d))
                    for d in workflows_service.list_definitions(session)]
        return self.render("admin/sinergi/workflows.html", rows=rows)

    @expose("/upload", methods=("POST",))
    def upload_new(self) -> Any:
        """A new workflow from a file: its key is the process id inside."""
        xml = _xml_body()
        with unit_of_work() as session:
            definition, problems = workflows_service.check(session, xml, now=clock.utcnow(), **_limits())
        if problems or definition is None:
            return self.render("admin/sinergi/problems.html", key=None, problems=problems), 422
        return self._upload(definition.process_id, xml)

    @expose("/new")
    def new(self) -> Any:
        key = (request.args.get("key") or "").strip()
        if not KEY_RE.match(key):
            flash(_("Give the new workflow a key: letters, digits and '_' (it becomes the process id)."), "error")
            return redirect(url_for(".index"))
        with unit_of_work() as session:
            exists = any(d.key == key for d in workflows_service.list_definitions(session))
            if exists:
                return redirect(url_for(".modeler", key=key))
            config = _modeler_config(session, key, url_for(".blank", key=key, title=request.args.get("title", "")))
        return self.render("admin/sinergi/modeler.html", key=key, source=None, modeler_config=config)

    @expose("/<key>/blank.bpmn")
    def blank(self, key: str) -> Any:
        return Response(blank_bpmn(_key(key), request.args.get("title", "")[:200]), mimetype="application/xml")

    @expose("/<key>/")
    def detail(self, key: str) -> Any:
        with unit_of_work() as session:
            definition = workflows_service.get_definition(session, _key(key))
            versions = workflows_service.list_versions(session, key)
            counts = workflows_service.running_case_counts(session, definition)
            authors = _authors(session, versions)
        return self.render("admin/sinergi/workflow.html", definition=definition, versions=versions, counts=counts,
                           authors=authors)

    @expose("/<key>/upload", methods=("POST",))
    def upload(self, key: str) -> Any:
        return self._upload(_key(key), _xml_body())

    def _upload(self, key: str, xml: bytes) -> Any:
        try:
            version = _create(key, xml, request.form.get("comment", ""))
        except ValidationFailedError as exc:
            return self.render("admin/sinergi/problems.html", key=key, problems=exc.details), 422
        flash(_("Saved as version %(n)s (not active yet).", n=version.number), "success")
        return redirect(url_for(".version", key=key, number=version.number))

    @expose("/<key>/<int:number>/")
    def version(self, key: str, number: int) -> Any:
        with unit_of_work() as session:
            version = workflows_service.get_version(session, _key(key), number)
            definition = version.definition
            problems = workflows_service.problems_as_details(
                workflows_service.version_report(session, version, now=clock.utcnow()))
            active = definition.active_version
            changes = workflows_service.compare_versions(session, key=key, old=active.number, new=number) \
                if active is not None and active.number != number else []
            authors = _authors(session, [version])
            gaps = translation_gaps(session, version)
        return self.render("admin/sinergi/version.html", definition=definition, version=version, problems=problems,
                           active=active, changes=changes, authors=authors, gaps=gaps)

    @expose("/<key>/<int:number>/bpmn")
    def xml(self, key: str, number: int) -> Any:
        with unit_of_work() as session:
            version = workflows_service.get_version(session, _key(key), number)
            body = version.bpmn_xml
        resp = Response(body, mimetype="application/xml")
        if request.args.get("download"):
            resp.headers["Content-Disposition"] = f'attachment; filename="{key}-v{number}.bpmn"'
        return resp

    @expose("/<key>/<int:number>/activate", methods=("POST",))
    def activate(self, key: str, number: int) -> Any:
        try:
            with unit_of_work() as session:
                workflows_service.activate_version(session, key=_key(key), number=number, now=clock.utcnow(),
                                                   actor=actor())
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".version", key=key, number=number))
        flash(_("Version %(n)s is active: new cases use it from now on.", n=number), "success")
        return redirect(url_for(".detail", key=key))

    @expose("/<key>/rollback", methods=("POST",))
    def rollback(self, key: str) -> Any:
        try:
            with unit_of_work() as session:
                version = workflows_service.rollback(session, key=_key(key), now=clock.utcnow(), actor=actor())
            flash(_("Rolled back: version %(n)s is active again.", n=version.number), "success")
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for(".detail", key=key))

    @expose("/<key>/compare")
    def compare(self, key: str) -> Any:
        old, new = request.args.get("old", type=int), request.args.get("new", type=int)
        with unit_of_work() as session:
            definition = workflows_service.get_definition(session, _key(key))
            numbers = [v.number for v in definition.versions]
            changes = workflows_service.compare_versions(session, key=key, old=old, new=new) \
                if old in numbers and new in numbers else None
        return self.render("admin/sinergi/compare.html", definition=definition, numbers=numbers, old=old, new=new,
                           changes=changes)

    @expose("/<key>/modeler")
    def modeler(self, key: str) -> Any:
        with unit_of_work() as session:
            definition = workflows_service.get_definition(session, _key(key))
            number = request.args.get("from", type=int) or (
                definition.active_version.number if definition.active_version else definition.versions[-1].number)
            workflows_service.get_version(session, key, number)
            config = _modeler_config(session, key, url_for(".xml", key=key, number=number))
        return self.render("admin/sinergi/modeler.html", key=key, source=number, modeler_config=config)

    @expose("/<key>/save", methods=("POST",))
    def save(self, key: str) -> Any:
        """The modeler's Save: the same validation as an upload; a new version that is not active yet."""
        try:
            version = _create(_key(key), _xml_body(), request.args.get("comment", ""))
        except ValidationFailedError as exc:
            return jsonify({"code": exc.code, "message": exc.message, "details": exc.details}), 422
        return jsonify({"number": version.number, "url": url_for(".version", key=key, number=version.number)}), 201

    @expose("/<key>/validate", methods=("POST",))
    def validate(self, key: str) -> Any:
        xml = _xml_body()
        with unit_of_work() as session:
            _definition, problems = workflows_service.check(session, xml, key=_key(key), now=clock.utcnow(),
                                                             **_limits())
        return jsonify({"details": workflows_service.problems_as_details(problems)})

    @expose("/<key>/migrate", methods=("GET", "POST"))
    def migrate(self, key: str) -> Any:
        """Dry run (GET) and bulk move (POST) of the open cases on other versions."""
        with unit_of_work() as session:
            definition = workflows_service.get_definition(session, _key(key))
            numbers = [v.number for v in definition.versions]
        target = request.values.get("target", type=int) or (
            definition.active_version.number if definition.active_version else None)
        source = request.values.get("source", type=int)
        if target not in numbers:
            raise NotFoundError()
        if request.method == "POST":
            with unit_of_work() as session:
                result = migration.migrate_bulk(session, key=key, target_number=target, from_number=source,
                                                actor=actor(), now=clock.utcnow())
            moved = len([m for m in result.moves if m.moved])
            flash(_("%(moved)s cases moved to version %(n)s; %(blocked)s could not move.", moved=moved, n=target,
                    blocked=len(result.blocked)), "success")
        else:
            with unit_of_work() as session:
                result = migration.plan(session, key=key, target_number=target, from_number=source)
        return self.render("admin/sinergi/migrate.html", definition=definition, numbers=numbers, target=target,
                           source=source, result=result, limit=migration.BULK_LIMIT, done=request.method == "POST")

    @expose("/<key>/migrate/<int:case_id>", methods=("POST",))
    def migrate_one(self, key: str, case_id: int) -> Any:
        target = form_int("target")
        try:
            with unit_of_work() as session:
                move = migration.migrate_case(session, case_id=case_id, target_number=target or 0, actor=actor(),
                                              now=clock.utcnow())
            flash(_("Case %(ref)s moved to version %(n)s.", ref=move.reference, n=move.to_number), "success")
        except DomainError as exc:
            flash(exc.message + " " + " ".join(str(d.get("message", "")) for d in exc.details), "error")
        return redirect(url_for(".migrate", key=_key(key), target=target))


def _authors(session: Any, versions: list[Any]) -> dict[int, str]:
    from server.auth.models import User

    ids = {v.author_id for v in versions if v.author_id}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def register(admin: Admin) -> None:
    admin.add_view(WorkflowsView(name=_l("Workflows"), endpoint="admin_workflows", url="workflows"))
