"""Workflow definitions: versions, validation, activation; the engine instance for the app."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth import service as auth_service
from server.errors import ConflictError, NotFoundError, ValidationFailedError
from server.forms import service as forms_service
from server.workflows import engine as engine_mod
from server.workflows import validation
from server.workflows.models import WorkflowDefinition, WorkflowVersion

_engine_lock = threading.Lock()
_engine: engine_mod.Engine | None = None


def get_engine(time_limit: float = 1.0) -> engine_mod.Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = engine_mod.Engine(time_limit=time_limit)
        return _engine


def parsed(version: WorkflowVersion) -> engine_mod.ParsedDefinition:
    """The parsed definition of a version, parsed once per process."""
    return engine_mod.definitions.get(lambda: version.bpmn_xml.encode("utf-8"), version.content_hash)


def problems_as_details(problems: list[engine_mod.Problem]) -> list[dict[str, Any]]:
    return [{"element_id": p.element_id, "code": p.code, "message": p.message, **({"params": p.params}
             if p.params else {})} for p in problems]


def _parse_problems(exc: engine_mod.DefinitionInvalidError, xml: bytes) -> list[engine_mod.Problem]:
    """The parser's problems with a translated message and, for XSD errors, the element they are in."""
    cause = exc.__cause__
    line = getattr(cause, "line_number", None)
    out = []
    for p in exc.problems:
        element_id = p.element_id
        if element_id is None and isinstance(line, int) and line > 0:
            element_id = _element_at_line(xml, line, p.message)
        out.append(engine_mod.Problem(element_id, p.code, _parse_message(p), p.params))
    return out


def _element_at_line(xml: bytes, line: int, message: str = "") -> str | None:
    """The id of the element an XSD error is about: the element named in the message on that line, else the
    last element starting on or before it (or the nearest ancestor with an id)."""
    import re

    try:
        root = engine_mod.parse_xml(xml)
    except engine_mod.DefinitionInvalidError:
        return None
    named = re.search(r"Element '([^']+)'", message)
    candidates = [el for el in root.iter() if isinstance(el.tag, str) and el.sourceline is not None
                  and el.sourceline <= line]
    on_line = [el for el in candidates if el.sourceline == line and named and el.tag == named.group(1)]
    for el in on_line or candidates[::-1]:
        node = el
        while node is not None and not node.get("id"):
            node = node.getparent()
        if node is not None:
            return str(node.get("id"))
    return None


def _parse_message(problem: engine_mod.Problem) -> str:
    detail = problem.message.split(": ", 1)[1] if problem.code == "xml_syntax" and ": " in problem.message \
        else problem.message
    for ns, prefix in ((engine_mod.BPMN_NS, "bpmn:"), (engine_mod.SPIFF_NS, "spiffworkflow:")):
        detail = detail.replace("{" + ns + "}", prefix)
    messages = {
        "too_large": lambda: _("The file is larger than %(limit)s bytes.", limit=problem.params.get("limit")),
        "doctype": lambda: _("DOCTYPE and ENTITY declarations are not allowed in BPMN files."),
        "xml_syntax": lambda: _("The XML is not well-formed: %(detail)s", detail=detail),
        "too_many_elements": lambda: _("The file has more than %(limit)s XML elements.",
                                       limit=problem.params.get("limit")),
        "no_process": lambda: _("The file has no executable process."),
        "bpmn": lambda: _("The BPMN is not valid: %(detail)s", detail=detail),
    }
    make = messages.get(problem.code)
    return make() if make else problem.message


def check(session: Session, xml: bytes, *, key: str | None = None, max_bytes: int = 2 * 1024 * 1024,
          max_elements: int = 20000, now: datetime | None = None,
          ) -> tuple[engine_mod.ParsedDefinition | None, list[engine_mod.Problem]]:
    """Parse and validate a BPMN upload; returns the parsed definition and the list of problems."""
    try:
        definition = engine_mod.parse_definition(xml, max_bytes=max_bytes, max_elements=max_elements)
    except engine_mod.DefinitionInvalidError as exc:
        return None, _parse_problems(exc, xml)
    return definition, validate_parsed(session, definition, key=key, now=now)


def validate_parsed(session: Session, definition: engine_mod.ParsedDefinition, *, key: str | None = None,
                    now: datetime | None = None) -> list[engine_mod.Problem]:
    """The server's rules for a parsed definition, against the forms and lane mapping in the database now."""
    schemas: dict[str, dict[str, Any] | None] = {}

    def form_schema(filename: str) -> dict[str, Any] | None:
        key = forms_service.key_from_filename(filename)
        if key not in schemas:
            version = forms_service.get_active(session, key)
            schemas[key] = version.schema if version is not None else None
        return schemas[key]

    def lane_mapped(lane: str) -> bool:
        return auth_service.group_for_lane(session, lane) is not None

    return validation.validate(definition, form_schema=form_schema, lane_mapped=lane_mapped, key=key, now=now)


def _invalid(problems: list[engine_mod.Problem]) -> ValidationFailedError:
    return ValidationFailedError(
        ngettext("The workflow has %(num)d problem.", "The workflow has %(num)d problems.", len(problems)),
        details=problems_as_details(problems), code="definition_invalid")


def get_definition(session: Session, key: str) -> WorkflowDefinition:
    row = session.execute(select(WorkflowDefinition).where(WorkflowDefinition.key == key)).scalar_one_or_none()
    if row is None:
        raise NotFoundError()
    return row


def list_definitions(session: Session) -> list[WorkflowDefinition]:
    return list(session.execute(select(WorkflowDefinition).order_by(WorkflowDefinition.key)).scalars())


def get_version(session: Session, key: str, number: int) -> WorkflowVersion:
    row = session.execute(
        select(WorkflowVersion).join(WorkflowDefinition, WorkflowVersion.definition_id == WorkflowDefinition.id)
        .where(WorkflowDefinition.key == key, WorkflowVersion.number == number)
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError()
    return row


def create_version(session: Session, *, key: str, xml: bytes, now: datetime, author: Any = None,
                   comment: str = "", activate: bool = False, max_bytes: int = 2 * 1024 * 1024,
                   max_elements: int = 20000) -> WorkflowVersion:
    """Validate and store a new immutable version. The active version does not change unless asked."""
    definition, problems = check(session, xml, key=key, max_bytes=max_bytes, max_elements=max_elements, now=now)
    if problems or definition is None:
        raise _invalid(problems)
    row = session.execute(select(WorkflowDefinition).where(WorkflowDefinition.key == key)).scalar_one_or_none()
    if row is None:
        row = WorkflowDefinition(key=key, title=definition.name)
        session.add(row)
        session.flush()
    latest = session.execute(
        select(WorkflowVersion).where(WorkflowVersion.definition_id == row.id)
        .order_by(WorkflowVersion.number.desc()).limit(1)
    ).scalar_one_or_none()
    if latest is not None and latest.content_hash == definition.content_hash:
        if activate and row.active_version_id != latest.id:
            activate_version(session, key=key, number=latest.number, now=now, actor=author)
        return latest
    number = (session.execute(
        select(func.max(WorkflowVersion.number)).where(WorkflowVersion.definition_id == row.id)
    ).scalar() or 0) + 1
    version = WorkflowVersion(definition_id=row.id, number=number, bpmn_xml=xml.decode("utf-8"),
                              content_hash=definition.content_hash, title=definition.name,
                              author_id=getattr(author, "id", None), created_at=now, comment=comment)
    session.add(version)
    session.flush()
    audit.record(session, action="workflow.version_created", actor=author, now=now, object_type="workflow",
                 object_id=key, details={"number": number, "hash": definition.content_hash, "comment": comment})
    if activate or row.active_version_id is None:
        activate_version(session, key=key, number=number, now=now, actor=author, checked=True)
    return version


def activate_version(session: Session, *, key: str, number: int, now: datetime, actor: Any = None,
                     action: str = "workflow.activated", checked: bool = False) -> WorkflowVersion:
    """Make a version the one new cases use. Takes effect at once in every process: each start reads
    ``active_version_id`` from the database. The version is checked again against today's forms and lanes
    (unless ``checked``: it was validated in this same transaction)."""
    definition = get_definition(session, key)
    version = get_version(session, key, number)
    problems = [] if checked else validate_parsed(session, parsed(version), key=key, now=now)
    if problems:
        raise _invalid(problems)
    previous = definition.active_version
    definition.active_version = version
    definition.title = version.title
    audit.record(session, action=action, actor=actor, now=now, object_type="workflow", object_id=key,
                 details={"number": number, "previous": previous.number if previous else None})
    return version


def rollback(session: Session, *, key: str, now: datetime, actor: Any = None) -> WorkflowVersion:
    """Re-activate the version that was active before the current one (from the audit log)."""
    from server.audit.models import AuditEvent

    definition = get_definition(session, key)
    current = definition.active_version.number if definition.active_version else None
    events = session.execute(
        select(AuditEvent.details).where(AuditEvent.object_type == "workflow", AuditEvent.object_id == key,
                                         AuditEvent.action.in_(["workflow.activated", "workflow.rolled_back"]))
        .order_by(AuditEvent.id.desc()).limit(50)
    ).scalars().all()
    for details in events:
        number = (details or {}).get("previous")
        if isinstance(number, int) and number != current:
            return activate_version(session, key=key, number=number, now=now, actor=actor,
                                    action="workflow.rolled_back")
    raise ConflictError(_("There is no earlier active version to roll back to."), code="no_previous_version")


def compare_versions(session: Session, *, key: str, old: int, new: int) -> list[engine_mod.SpecChange]:
    """Flow elements added, removed or changed from version ``old`` to version ``new``."""
    return engine_mod.diff_definitions(parsed(get_version(session, key, old)), parsed(get_version(session, key, new)))


def version_report(session: Session, version: WorkflowVersion, *, now: datetime) -> list[engine_mod.Problem]:
    """The validation report of a stored version against today's forms and lane mapping."""
    return validate_parsed(session, parsed(version), key=version.definition.key, now=now)


def list_versions(session: Session, key: str) -> list[WorkflowVersion]:
    definition = get_definition(session, key)
    return list(session.execute(
        select(WorkflowVersion).where(WorkflowVersion.definition_id == definition.id)
        .order_by(WorkflowVersion.number.desc())
    ).scalars())


def load_files(session: Session, *, workflows_dir: Path, now: datetime) -> list[str]:
    """Load ``workflows/*.bpmn`` as version 1 of each definition; idempotent."""
    loaded = []
    for path in sorted(workflows_dir.glob("*.bpmn")):
        xml = path.read_bytes()
        definition = engine_mod.parse_definition(xml)
        existing = session.execute(
            select(WorkflowDefinition).where(WorkflowDefinition.key == definition.process_id)
        ).scalar_one_or_none()
        if existing is not None:
            continue
        create_version(session, key=definition.process_id, xml=xml, now=now, comment="factory default",
                       activate=True)
        loaded.append(definition.process_id)
    return loaded


def running_case_counts(session: Session, definition: WorkflowDefinition) -> dict[int, int]:
    from server.cases.models import Case

    rows = session.execute(
        select(Case.workflow_version_id, func.count()).where(
            Case.status == "open", Case.workflow_version_id.in_([v.id for v in definition.versions])
        ).group_by(Case.workflow_version_id)
    ).all()
    return {vid: n for vid, n in rows}
