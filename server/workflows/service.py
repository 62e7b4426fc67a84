"""Workflow definitions: versions, validation, activation; the engine instance for the app."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth import service as auth_service
from server.errors import NotFoundError, ValidationFailedError
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
    return engine_mod.definitions.get(version.bpmn_xml.encode("utf-8"), version.content_hash)


def problems_as_details(problems: list[engine_mod.Problem]) -> list[dict[str, Any]]:
    return [{"element_id": p.element_id, "code": p.code, "message": p.message, **({"params": p.params}
             if p.params else {})} for p in problems]


def check(session: Session, xml: bytes, *, max_bytes: int = 2 * 1024 * 1024,
          max_elements: int = 20000) -> tuple[engine_mod.ParsedDefinition | None, list[engine_mod.Problem]]:
    """Parse and validate a BPMN upload; returns the parsed definition and the list of problems."""
    try:
        definition = engine_mod.parse_definition(xml, max_bytes=max_bytes, max_elements=max_elements)
    except engine_mod.DefinitionInvalidError as exc:
        return None, exc.problems

    def form_exists(filename: str) -> bool:
        return forms_service.get_active(session, forms_service.key_from_filename(filename)) is not None

    def lane_mapped(lane: str) -> bool:
        return auth_service.group_for_lane(session, lane) is not None

    return definition, validation.validate(definition, form_exists=form_exists, lane_mapped=lane_mapped)


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
    definition, problems = check(session, xml, max_bytes=max_bytes, max_elements=max_elements)
    if problems or definition is None:
        raise ValidationFailedError(details=problems_as_details(problems), code="definition_invalid")
    if definition.process_id != key:
        raise ValidationFailedError(
            details=[{"element_id": definition.process_id, "code": "process_id_mismatch",
                      "message": f"process id {definition.process_id} does not match workflow {key}"}],
            code="definition_invalid")
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
        activate_version(session, key=key, number=number, now=now, actor=author)
    return version


def activate_version(session: Session, *, key: str, number: int, now: datetime, actor: Any = None) -> WorkflowVersion:
    """Make a version the one new cases use. Takes effect at once in every process (read per start)."""
    definition = get_definition(session, key)
    version = get_version(session, key, number)
    definition.active_version_id = version.id
    definition.title = version.title
    audit.record(session, action="workflow.activated", actor=actor, now=now, object_type="workflow",
                 object_id=key, details={"number": number})
    return version


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
