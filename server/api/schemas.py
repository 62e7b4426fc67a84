"""JSON shapes of the API's resources (dump functions)."""

from __future__ import annotations

from typing import Any

from server.auth.models import User
from server.cases.models import Case, Submission
from server.forms.models import FormVersion
from server.tasks.models import Task
from server.workflows.models import WorkflowDefinition


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def dump_user(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name,
            "roles": sorted(user.group_names), "groups": sorted(user.group_names), "locale": user.locale,
            "unit": user.unit.code if user.unit else None}


def dump_task(task: Task) -> dict[str, Any]:
    return {"id": task.id, "case_id": task.case_id, "case_reference": task.case.reference,
            "bpmn_id": task.bpmn_id, "name": task.name, "lane": task.lane, "group_id": task.group_id,
            "assignee_id": task.assignee_id, "status": task.status, "form": task.form_key,
            "form_version_id": task.form_version_id, "created_at": iso(task.created_at),
            "completed_at": iso(task.completed_at), "completed_by_id": task.completed_by_id,
            "due_at": iso(task.due_at), "sla_state": task.sla_state, "sla_basis": task.sla_basis}


def dump_form(version: FormVersion) -> dict[str, Any]:
    return {"key": version.form.key, "version": version.number, "schema": version.schema,
            "ui_schema": version.ui_schema, "hash": version.content_hash, "created_at": iso(version.created_at)}


def dump_workflow(definition: WorkflowDefinition, counts: dict[int, int] | None = None) -> dict[str, Any]:
    counts = counts or {}
    return {
        "key": definition.key, "title": definition.title,
        "active_version": definition.active_version.number if definition.active_version else None,
        "versions": [{"number": v.number, "hash": v.content_hash, "created_at": iso(v.created_at),
                      "author_id": v.author_id, "comment": v.comment, "active": v.id == definition.active_version_id,
                      "running_cases": counts.get(v.id, 0)} for v in definition.versions],
    }


def dump_case(case: Case, *, summary: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": case.id, "reference": case.reference, "workflow": case.workflow_version.definition.key,
            "workflow_version": case.workflow_version.number, "status": case.status, "title": case.title,
            "case_type": case.case_type, "outcome": case.outcome, "created_at": iso(case.created_at),
            "updated_at": iso(case.updated_at), "closed_at": iso(case.closed_at),
            "summary": summary if summary is not None else case.summary}


def dump_submission(sub: Submission, form_version: FormVersion | None) -> dict[str, Any]:
    return {"id": sub.id, "task_id": sub.task_id, "data": sub.data, "submitted_at": iso(sub.submitted_at),
            "submitted_by_id": sub.submitted_by_id,
            "form": form_version.form.key if form_version else None,
            "form_version": form_version.number if form_version else None}
