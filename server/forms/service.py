"""Form definitions: immutable versions, lookup by the file names BPMN user tasks reference."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import generation
from server.audit import service as audit
from server.errors import NotFoundError, ValidationFailedError
from server.forms import definition as definition_mod
from server.forms import schema as schema_mod
from server.forms.models import FormDefinition, FormVersion

SCHEMA_SUFFIX = ".schema.json"
UI_SUFFIX = ".uischema.json"


def key_from_filename(filename: str) -> str:
    """``pengaduan.schema.json`` and ``pengaduan.uischema.json`` both name the form ``pengaduan``."""
    name = Path(filename).name
    for suffix in (SCHEMA_SUFFIX, UI_SUFFIX, ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def form_hash(schema: dict[str, Any], ui_schema: dict[str, Any]) -> str:
    canonical = json.dumps({"schema": schema, "ui": ui_schema}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def get_definition(session: Session, key: str) -> FormDefinition | None:
    return session.execute(select(FormDefinition).where(FormDefinition.key == key)).scalar_one_or_none()


def get_active(session: Session, key: str) -> FormVersion | None:
    definition = get_definition(session, key)
    return definition.active_version if definition else None


_active_ids = generation.Cache("active_form_versions")


def active_version_id(session: Session, key: str) -> int | None:
    """The id of a form's active version, cached per configuration generation (every new task asks)."""

    def compute() -> int | None:
        return session.execute(
            select(FormDefinition.active_version_id).where(FormDefinition.key == key)
        ).scalar_one_or_none()

    return _active_ids.get(session, key, compute)


def get_version(session: Session, key: str, number: int) -> FormVersion:
    row = session.execute(
        select(FormVersion).join(FormDefinition, FormVersion.form_id == FormDefinition.id)
        .where(FormDefinition.key == key, FormVersion.number == number)
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError()
    return row


def list_definitions(session: Session) -> list[FormDefinition]:
    return list(session.execute(select(FormDefinition).order_by(FormDefinition.key)).scalars())


def check(schema: Any, ui_schema: Any) -> list[dict[str, str]]:
    """Problems of a form before it is saved: metaschema, root type, regexes, UI schema."""
    if not isinstance(schema, dict):
        return [{"pointer": "", "message": "schema must be a JSON object"}]
    if ui_schema is not None and not isinstance(ui_schema, dict):
        return [{"pointer": "", "message": "UI schema must be a JSON object"}]
    problems = definition_mod.check_schema(schema)
    if not problems:
        problems += definition_mod.check_ui_schema(schema, ui_schema or {})
        for i, example in enumerate(schema.get("examples", []) or []):
            for err in schema_mod.validate(schema, example):
                problems.append(definition_mod.SchemaProblem(f"/examples/{i}/{err.path}", err.message))
    return [{"pointer": p.pointer, "message": p.message} for p in problems]


def create_version(session: Session, *, key: str, schema: Any, ui_schema: Any, now: datetime,
                   author: Any = None, comment: str = "", activate: bool = True) -> FormVersion:
    """Validate and store a new version; the same content as the newest version is not duplicated."""
    problems = check(schema, ui_schema)
    if problems:
        raise ValidationFailedError(details=[{"field": p["pointer"], "message": p["message"]} for p in problems],
                                    code="form_invalid")
    ui_schema = ui_schema or {}
    definition = get_definition(session, key)
    if definition is None:
        definition = FormDefinition(key=key, title=str(schema.get("title") or key))
        session.add(definition)
        session.flush()
    digest = form_hash(schema, ui_schema)
    latest = session.execute(
        select(FormVersion).where(FormVersion.form_id == definition.id).order_by(FormVersion.number.desc()).limit(1)
    ).scalar_one_or_none()
    if latest is not None and latest.content_hash == digest:
        return latest
    number = (session.execute(
        select(func.max(FormVersion.number)).where(FormVersion.form_id == definition.id)
    ).scalar() or 0) + 1
    version = FormVersion(form_id=definition.id, number=number, schema=schema, ui_schema=ui_schema,
                          content_hash=digest, author_id=getattr(author, "id", None), created_at=now,
                          comment=comment)
    session.add(version)
    session.flush()
    definition.title = str(schema.get("title") or key)
    if activate:
        definition.active_version_id = version.id
    audit.record(session, action="form.version_created", actor=author, now=now, object_type="form",
                 object_id=key, details={"number": number, "hash": digest, "comment": comment})
    return version


def load_files(session: Session, *, forms_dir: Path, now: datetime) -> list[str]:
    """Load ``forms/*.schema.json`` (+ ``.uischema.json``) as versions; idempotent by content hash."""
    loaded = []
    for path in sorted(forms_dir.glob("*" + SCHEMA_SUFFIX)):
        key = key_from_filename(path.name)
        schema = json.loads(path.read_text(encoding="utf-8"))
        ui_path = path.with_name(key + UI_SUFFIX)
        ui_schema = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.exists() else {}
        if get_definition(session, key) is not None:
            continue
        create_version(session, key=key, schema=schema, ui_schema=ui_schema, now=now,
                       comment="factory default")
        loaded.append(key)
    return loaded


def validate_submission(version: FormVersion, data: Any, *, translate: Any = None) -> dict[str, Any]:
    """Server-side validation (format checks on); raises 422 with one error per field."""
    if not isinstance(data, dict):
        raise ValidationFailedError(details=[{"field": "", "keyword": "type", "message": "data must be an object"}])
    cleaned, errors = schema_mod.clean_submission(version.schema, data)
    if not errors:
        errors = schema_mod.validate(version.schema, cleaned, translate=translate)
    if errors:
        raise ValidationFailedError(details=[
            {"field": e.path, "keyword": e.keyword, "message": e.message} for e in errors
        ])
    return cleaned
