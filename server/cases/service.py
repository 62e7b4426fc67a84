"""Cases: start, load and save engine state, mirror human tasks, list and read with need-to-know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from server import generation
from server.audit import service as audit
from server.auth import service as auth_service
from server.auth.models import User
from server.auth.permissions import UNMASKED_ROLES
from server.cases import access
from server.cases.models import Case, Submission
from server.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from server.forms import service as forms_service
from server.tasks.models import Task
from server.workflows import engine as engine_mod
from server.workflows import sandbox
from server.workflows import service as workflows_service
from server.workflows.models import WorkflowVersion

#: Data keys the server puts into every case; forms may not overwrite them.
RESERVED_KEYS = frozenset({"case_id", "case_reference", "case_unit", "started_by"})
#: Task data keys copied to the case summary for lists (masked for roles without UNMASKED_ROLES).
SUMMARY_KEYS = ("nama_korban", "jenis_kasus", "jenis_kekerasan", "tingkat_risiko", "usia_korban",
                "jenis_kelamin_korban", "kecamatan", "waktu_kejadian", "tgl_pengaduan")
IDENTIFYING_KEYS = frozenset({"nama_korban", "nik_korban", "alamat_korban", "telepon_korban", "nama_pelapor"})


@dataclass
class StepResult:
    case: Case
    new_tasks: list[Task]
    thrown: list[engine_mod.ThrownMessage]


def _next_reference(session: Session, *, unit_code: str, now: datetime) -> str:
    prefix = f"UPTDPPA-{unit_code}-{now.year}-"
    last = session.execute(
        select(func.max(Case.reference)).where(Case.reference.like(prefix + "%"))
    ).scalar()
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def _insert_case(session: Session, *, unit_code: str, now: datetime, values: dict[str, Any],
                 attempts: int = 50) -> Case:
    """Insert a case under the next free reference of its unit and year. Two offices' staff starting
    cases at the same moment compute the same number; the loser's insert fails on the unique reference
    inside a savepoint and it takes the next one (the database, not a lock, decides)."""
    for _ in range(attempts):
        case = Case(reference=_next_reference(session, unit_code=unit_code, now=now), **values)
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
        except IntegrityError:
            continue
        return case
    raise ConflictError(code="reference_busy")


def start_case(session: Session, *, workflow_key: str, user: User, now: datetime,
               data: dict[str, Any] | None = None, unit_code: str = "PYK", title: str = "") -> StepResult:
    """Start a case on the active version of a workflow."""
    definition = workflows_service.get_definition(session, workflow_key)
    version = definition.active_version
    if version is None:
        raise NotFoundError()
    data = dict(data or {})
    bad = sorted(set(data) & RESERVED_KEYS)
    if bad:
        raise ValidationFailedError(details=[{"field": k, "keyword": "reserved", "message": k} for k in bad])
    unit = auth_service.ensure_unit(session, unit_code, unit_code) if user.unit_id is None else user.unit
    parsed = workflows_service.parsed(version)
    case = _insert_case(session, unit_code=unit.code if unit else unit_code, now=now, values={
        "workflow_version_id": version.id, "unit_id": unit.id if unit else None, "status": "open",
        "title": title or parsed.name, "created_by_id": user.id, "created_at": now, "updated_at": now,
        "engine_state": "{}", "serializer_version": engine_mod.SERIALIZER_VERSION, "summary": {}})
    reference = case.reference
    data.update({"case_id": case.id, "case_reference": reference, "started_by": user.username})
    engine = workflows_service.get_engine()
    try:
        instance = engine.start(parsed, data, now)
    except (engine_mod.EngineError, sandbox.SandboxError) as exc:
        raise ValidationFailedError(str(exc), code="engine_error") from exc
    new_tasks = save_instance(session, case=case, instance=instance, now=now)
    audit.record(session, action="case.started", actor=user, now=now, object_type="case", object_id=case.id,
                 case_id=case.id, details={"workflow": workflow_key, "version": version.number})
    handle_thrown(session, case=case, instance=instance, user=user, now=now)
    return StepResult(case, new_tasks, instance.thrown)


def load_instance(case: Case, content_hash: str | None = None) -> engine_mod.Instance:
    """The case's engine instance. With the version's ``content_hash`` known (``lock_task_case``), the
    version row is read only if its definition is not parsed yet in this process."""
    if content_hash is None:
        parsed = workflows_service.parsed(case.workflow_version)
    else:
        parsed = engine_mod.definitions.get(lambda: case.workflow_version.bpmn_xml.encode("utf-8"), content_hash)
    return workflows_service.get_engine().load(parsed, case.engine_state)


def save_instance(session: Session, *, case: Case, instance: engine_mod.Instance, now: datetime) -> list[Task]:
    """Store engine state and mirror READY human tasks into the task table; returns the new tasks."""
    case.engine_state = workflows_service.get_engine().dump(instance)
    case.serializer_version = engine_mod.SERIALIZER_VERSION
    case.next_timer_at = instance.next_timer_due()
    case.updated_at = now
    data = instance.data
    case.summary = {k: data[k] for k in SUMMARY_KEYS if k in data and isinstance(data[k], str | int | float | list)}
    case.case_type = _case_type(data) or case.case_type
    if instance.is_completed and case.status == "open":
        case.status = "closed"
        case.closed_at = now
        ends = instance.end_events_reached()
        case.outcome = ends[-1] if ends else None
    return sync_tasks(session, case=case, instance=instance, now=now, data=data)


def _case_type(data: dict[str, Any]) -> str | None:
    value = data.get("jenis_kasus")
    return str(value) if isinstance(value, str) else None


def sync_tasks(session: Session, *, case: Case, instance: engine_mod.Instance, now: datetime,
               data: dict[str, Any] | None = None) -> list[Task]:
    """Mirror the engine's READY human tasks: close rows the engine moved past, insert new ones with
    their group, form version and deadline. New rows are written once, in one flush."""
    from server.sla import service as sla_service

    ready = {t.id: t for t in instance.ready_human_tasks()}
    created = []
    with session.no_autoflush:
        # Not flushed yet: a row this step just closed is still open in the database, not in memory.
        open_rows = {t.engine_task_id: t for t in session.execute(_OPEN_TASKS, {"case_id": case.id}).scalars()
                     if t.status == "open"}
        for engine_id, row in open_rows.items():
            if engine_id not in ready:
                row.status = "cancelled"
                row.completed_at = now
                sla_service.on_task_closed(task=row, now=now)
        for engine_id, ht in ready.items():
            if engine_id in open_rows:
                continue
            form_key = forms_service.key_from_filename(ht.form_file) if ht.form_file else None
            task = Task(case_id=case.id, engine_task_id=engine_id, bpmn_id=ht.bpmn_id, name=ht.name, lane=ht.lane,
                        group_id=auth_service.group_id_for_lane(session, ht.lane), form_key=form_key,
                        form_version_id=forms_service.active_version_id(session, form_key) if form_key else None,
                        status="open", created_at=now, paused_seconds=0)
            task.case = case
            if data is None:
                data = instance.data
            sla_service.on_task_created(session=session, task=task, case=case, properties=ht.properties,
                                        data=data, now=now, definition=instance.definition)
            session.add(task)
            created.append(task)
    session.flush()
    return created


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError()
    return case


def get_case_for(session: Session, *, case_id: int, user: User, now: datetime, ip: str = "") -> Case:
    """A case the user may see; the read is audited."""
    case = get_case(session, case_id)
    if not access.can_see_case(session, user, case):
        audit.record(session, action="case.read_denied", actor=user, now=now, object_type="case",
                     object_id=case_id, case_id=case_id, ip=ip)
        raise NotFoundError()
    audit.record(session, action="case.read", actor=user, now=now, object_type="case", object_id=case_id,
                 case_id=case_id, ip=ip)
    return case


def lock_case(session: Session, case_id: int) -> Case:
    """Lock a case for a step. FOR NO KEY UPDATE (``key_share``): rows that reference the case (audit
    entries of a concurrent read, notifications) take FOR KEY SHARE for their foreign keys, which a
    plain FOR UPDATE would block, deadlocking against the audit chain's head lock."""
    case = session.execute(
        select(Case).where(Case.id == case_id).with_for_update(key_share=True, of=Case).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if case is None:
        raise NotFoundError()
    return case


#: Statements every completion runs, built once (building one costs more than running it on SQLite).
_LOCK_TASK_CASE = (
    select(Case, WorkflowVersion.content_hash, generation.token_column())
    .join(WorkflowVersion, WorkflowVersion.id == Case.workflow_version_id)
    .where(Case.id == select(Task.case_id).where(Task.id == bindparam("task_id")).scalar_subquery())
    .options(lazyload(Case.workflow_version))
    .with_for_update(key_share=True, of=Case).execution_options(populate_existing=True)
)
_OPEN_TASKS = (select(Task).where(Task.case_id == bindparam("case_id"), Task.status == "open")
               .options(lazyload(Task.case)))


def lock_task_case(session: Session, task_id: int) -> tuple[Case, str]:
    """Lock the case a task belongs to (as ``lock_case``), in one statement that also returns the content
    hash of the case's workflow version (without loading the version row) and the configuration
    generation the step's caches use. Raises NotFoundError."""
    row = session.execute(_LOCK_TASK_CASE, {"task_id": task_id}).one_or_none()
    if row is None:
        raise NotFoundError()
    generation.prime(session, row[2])
    return row[0], row[1]


def list_cases(session: Session, *, user: User, status: str | None = None, workflow: str | None = None,
               query: str | None = None, page: int = 1, per_page: int = 25) -> tuple[list[Case], int]:
    stmt = select(Case).where(access.visible_cases_clause(user))
    if status:
        stmt = stmt.where(Case.status == status)
    if workflow:
        stmt = stmt.join(WorkflowVersion, Case.workflow_version_id == WorkflowVersion.id).where(
            WorkflowVersion.definition.has(key=workflow))
    if query:
        stmt = stmt.where(Case.reference.ilike(f"%{query}%"))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    per_page = max(1, min(per_page, 100))
    rows = session.execute(
        stmt.order_by(Case.created_at.desc(), Case.id.desc()).offset((max(page, 1) - 1) * per_page).limit(per_page)
    ).scalars().all()
    return list(rows), total


def masked_summary(case: Case, user: User) -> dict[str, Any]:
    """The case summary for lists: identifying fields masked unless the viewer's role allows them."""
    summary = dict(case.summary or {})
    if not user.group_names & UNMASKED_ROLES:
        for key in IDENTIFYING_KEYS & set(summary):
            summary[key] = mask(str(summary[key]))
    return summary


def mask(value: str) -> str:
    parts = value.split()
    return " ".join(p[:1] + "*" * max(len(p) - 1, 2) for p in parts) if parts else ""


def submissions(session: Session, case_id: int) -> list[Submission]:
    return list(session.execute(
        select(Submission).where(Submission.case_id == case_id).order_by(Submission.submitted_at, Submission.id)
    ).scalars())


def case_tasks(session: Session, case_id: int) -> list[Task]:
    return list(session.execute(
        select(Task).where(Task.case_id == case_id).order_by(Task.created_at, Task.id)
    ).scalars())


def timeline(session: Session, case_id: int, limit: int = 200) -> list[Any]:
    from server.audit.models import AuditEvent

    return list(session.execute(
        select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action.notin_(["case.read"]))
        .order_by(AuditEvent.id).limit(limit)
    ).scalars())


def deliver_message(session: Session, *, name: str, case_id: int, payload: Any, user: User | None,
                    now: datetime) -> StepResult:
    """Deliver an external message (e.g. police granted protection) to a waiting case."""
    case = lock_case(session, case_id)
    if case.status != "open":
        raise NotFoundError()
    instance = load_instance(case)
    try:
        delivered = instance.send_message(name, payload, now)
    except (engine_mod.EngineError, sandbox.SandboxError) as exc:
        raise ValidationFailedError(str(exc), code="engine_error") from exc
    if not delivered:
        from flask_babel import gettext

        raise ConflictError(gettext("The case is not waiting for the message %(name)s.", name=name),
                            code="not_waiting")
    new_tasks = save_instance(session, case=case, instance=instance, now=now)
    audit.record(session, action="case.message", actor=user, now=now, object_type="case", object_id=case.id,
                 case_id=case.id, details={"message": name})
    handle_thrown(session, case=case, instance=instance, user=user, now=now)
    return StepResult(case, new_tasks, instance.thrown)


def require_visible(session: Session, user: User, case: Case) -> None:
    if not access.can_see_case(session, user, case):
        raise PermissionDeniedError()


START_PREFIX = "start."


def handle_thrown(session: Session, *, case: Case, instance: engine_mod.Instance, user: User | None,
                  now: datetime) -> list[Case]:
    """Act on messages the process threw: ``start.<workflow>`` starts a linked case with the payload
    (e.g. a TPPO screening that finds no trafficking moves the case to the violence path); other
    domains (referrals) receive the rest through their ``on_thrown`` hook."""
    started: list[Case] = []
    for message in instance.thrown:
        if message.name.startswith(START_PREFIX):
            key = message.name[len(START_PREFIX):]
            payload = message.payload if isinstance(message.payload, dict) else {}
            data = {k: v for k, v in payload.items() if k not in RESERVED_KEYS and not str(k).startswith("_")}
            data["asal_kasus"] = case.reference
            starter = user or (session.get(User, case.created_by_id) if case.created_by_id else None)
            if starter is None:
                continue
            result = start_case(session, workflow_key=key, user=starter, now=now, data=data)
            audit.record(session, action="case.linked", actor=user, now=now, object_type="case", object_id=case.id,
                         case_id=case.id, details={"started": result.case.reference, "workflow": key})
            from server.notifications import service as notify

            notify.tasks_created(session, tasks=result.new_tasks, now=now)
            started.append(result.case)
        else:
            for module in _thrown_handlers():
                module.on_thrown(session, case=case, message=message, user=user, now=now)
    instance.thrown.clear()
    return started


def _thrown_handlers() -> list[Any]:
    from server.web import optional_modules

    return [m for m in optional_modules("service") if hasattr(m, "on_thrown")]
