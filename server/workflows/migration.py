"""Moving running cases to another version of their workflow: per case or in bulk, with a dry run.

A case can move when the library's diff finds no completed or started task whose definition changed or
disappeared (shared/spiffworkflow.md 6). Moving re-creates the ready and waiting tasks from the new
version, which restarts waiting timers from the moment of the move; the dry run says so per case.
Every move is audited on the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth import service as auth_service
from server.cases.models import Case
from server.errors import ConflictError
from server.forms import service as forms_service
from server.tasks.models import Task
from server.workflows import engine as engine_mod
from server.workflows import sandbox, service
from server.workflows.models import WorkflowVersion

#: Most cases one bulk request examines; the page says when there are more.
BULK_LIMIT = 500


@dataclass
class CaseMove:
    """The dry-run verdict for one case (no case data: reference, versions and task names only)."""

    case_id: int
    reference: str
    from_number: int
    to_number: int
    can_move: bool
    reasons: list[str] = field(default_factory=list)
    timers: list[str] = field(default_factory=list)  # waiting timers that restart
    reset: list[str] = field(default_factory=list)   # open tasks that are re-created
    moved: bool = False


@dataclass
class BulkResult:
    moves: list[CaseMove]
    total: int  # open cases on other versions (may exceed the examined page)

    @property
    def movable(self) -> list[CaseMove]:
        return [m for m in self.moves if m.can_move]

    @property
    def blocked(self) -> list[CaseMove]:
        return [m for m in self.moves if not m.can_move]


def _names(refs: list[engine_mod.TaskRef]) -> list[str]:
    return [f"{r.name} ({r.bpmn_id})" for r in refs]


def _verdict(session: Session, case: Case, target: WorkflowVersion) -> tuple[CaseMove, Any]:
    source = case.workflow_version
    move = CaseMove(case.id, case.reference, source.number, target.number, can_move=False)
    if source.definition_id != target.definition_id:
        move.reasons.append(_("The case runs another workflow."))
        return move, None
    if case.status != "open":
        move.reasons.append(_("The case is closed."))
        return move, None
    if source.id == target.id:
        move.reasons.append(_("The case is already on version %(number)s.", number=target.number))
        return move, None
    from server.cases import service as cases_service

    try:
        instance = cases_service.load_instance(case)
        check = engine_mod.check_migration(instance, service.parsed(target))
    except (engine_mod.EngineError, sandbox.SandboxError) as exc:
        move.reasons.append(_("The engine state could not be compared: %(detail)s", detail=str(exc)[:200]))
        return move, None
    changes = {c.bpmn_id: c for c in engine_mod.diff_definitions(service.parsed(source), service.parsed(target))}
    for ref in check.blocking:
        change = changes.get(ref.bpmn_id)
        state = _("completed") if ref.state == "COMPLETED" else _("in progress")
        if change is not None and change.change == "removed":
            move.reasons.append(_("The step %(name)s is %(state)s and no longer exists in version %(number)s.",
                                  name=f"{ref.name} ({ref.bpmn_id})", state=state, number=target.number))
        else:
            attributes = ", ".join(change.attributes) if change is not None else ""
            move.reasons.append(_("The step %(name)s is %(state)s and was changed in version %(number)s "
                                  "(%(attributes)s).", name=f"{ref.name} ({ref.bpmn_id})", state=state,
                                  number=target.number, attributes=attributes))
    for name in check.missing_subprocesses:
        move.reasons.append(_("The running subprocess %(name)s no longer exists.", name=name))
    move.can_move = check.safe
    move.timers = _names(check.timers)
    move.reset = _names(check.reset)
    return move, instance


def check_case(session: Session, *, case_id: int, target_number: int) -> CaseMove:
    """Dry run for one case."""
    from server.cases import service as cases_service

    case = cases_service.get_case(session, case_id)
    target = service.get_version(session, case.workflow_version.definition.key, target_number)
    return _verdict(session, case, target)[0]


def migrate_case(session: Session, *, case_id: int, target_number: int, actor: Any, now: datetime) -> CaseMove:
    """Move one case to ``target_number`` of its workflow, under the case lock; 409 when it cannot move."""
    from server.cases import service as cases_service

    case = cases_service.lock_case(session, case_id)
    target = service.get_version(session, case.workflow_version.definition.key, target_number)
    move = _move(session, case, target, actor=actor, now=now)
    if not move.moved:
        raise ConflictError(_("The case cannot be moved to version %(number)s.", number=target_number),
                            details=[{"case_id": case.id, "message": r} for r in move.reasons], code="not_migratable")
    return move


def _move(session: Session, case: Case, target: WorkflowVersion, *, actor: Any, now: datetime) -> CaseMove:
    from server.cases import service as cases_service

    move, instance = _verdict(session, case, target)
    if not move.can_move or instance is None:
        return move
    try:
        migrated = engine_mod.migrate_instance(instance, service.parsed(target), now)
    except (engine_mod.EngineError, sandbox.SandboxError) as exc:
        move.can_move = False
        move.reasons.append(_("The engine could not move the case: %(detail)s", detail=str(exc)[:200]))
        return move
    case.workflow_version_id = target.id
    case.workflow_version = target
    cases_service.save_instance(session, case=case, instance=migrated, now=now)
    _refresh_open_tasks(session, case=case, instance=migrated)
    audit.record(session, action="case.migrated", actor=actor, now=now, object_type="case", object_id=case.id,
                 case_id=case.id, details={"workflow": target.definition.key, "from": move.from_number,
                                           "to": target.number, "timers_restarted": move.timers,
                                           "tasks_reset": move.reset})
    move.moved = True
    return move


def _refresh_open_tasks(session: Session, *, case: Case, instance: engine_mod.Instance) -> None:
    """Open task rows kept across the move take the new version's name, lane, group and form."""
    ready = {t.id: t for t in instance.ready_human_tasks()}
    rows = session.execute(select(Task).where(Task.case_id == case.id, Task.status == "open")).scalars()
    for row in rows:
        human = ready.get(row.engine_task_id)
        if human is None:
            continue
        row.name = human.name
        if row.lane != human.lane:
            group = auth_service.group_for_lane(session, human.lane)
            row.lane, row.group_id = human.lane, group.id if group else None
        form_key = forms_service.key_from_filename(human.form_file) if human.form_file else None
        if form_key != row.form_key:
            version = forms_service.get_active(session, form_key) if form_key else None
            row.form_key, row.form_version_id = form_key, version.id if version else None
    session.flush()


def _open_cases(session: Session, *, target: WorkflowVersion, from_number: int | None,
                case_ids: list[int] | None) -> tuple[list[Case], int]:
    versions = select(WorkflowVersion.id).where(WorkflowVersion.definition_id == target.definition_id,
                                                WorkflowVersion.id != target.id)
    if from_number is not None:
        versions = versions.where(WorkflowVersion.number == from_number)
    stmt = select(Case).where(Case.status == "open", Case.workflow_version_id.in_(versions))
    if case_ids:
        stmt = stmt.where(Case.id.in_(case_ids))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Case.id).limit(BULK_LIMIT)).scalars().all()
    return list(rows), total


def plan(session: Session, *, key: str, target_number: int, from_number: int | None = None,
         case_ids: list[int] | None = None) -> BulkResult:
    """Dry run: every open case on another version, whether it can move to ``target_number`` and why not."""
    target = service.get_version(session, key, target_number)
    cases, total = _open_cases(session, target=target, from_number=from_number, case_ids=case_ids)
    return BulkResult([_verdict(session, case, target)[0] for case in cases], total)


def migrate_bulk(session: Session, *, key: str, target_number: int, actor: Any, now: datetime,
                 from_number: int | None = None, case_ids: list[int] | None = None) -> BulkResult:
    """Move every case that can move; the others stay where they are and are listed with the reason."""
    target = service.get_version(session, key, target_number)
    cases, total = _open_cases(session, target=target, from_number=from_number, case_ids=case_ids)
    from server.cases import service as cases_service

    moves = [_move(session, cases_service.lock_case(session, case.id), target, actor=actor, now=now)
             for case in cases]
    result = BulkResult(moves, total)
    audit.record(session, action="workflow.cases_migrated", actor=actor, now=now, object_type="workflow",
                 object_id=key, details={"to": target_number, "moved": len([m for m in moves if m.moved]),
                                         "blocked": len(result.blocked)})
    return result
