"""The OpenAPI 3.1 description of /api/v1, built from the URL map plus per-endpoint metadata."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

_OBJ: dict[str, Any] = {"type": "object"}
_ERROR = {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                           "details": {"type": "array"}}, "required": ["code", "message"]}

#: endpoint -> (summary, request body schema or None, content type)
META: dict[str, tuple[str, dict[str, Any] | None, str]] = {
    "api.token": ("Exchange username and password for a bearer token", {
        "type": "object", "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}, "application/json"),
    "api.revoke": ("Revoke the bearer token used for this call", None, ""),
    "api.me": ("The current user, roles and groups", None, ""),
    "api.workflows": ("Workflow definitions with versions", None, ""),
    "api.workflow": ("One workflow definition", None, ""),
    "api.form": ("The active version of a form (schema and UI schema)", None, ""),
    "api.create_workflow_version": ("Upload BPMN XML as a new version (422 lists the problems)",
                                    {"type": "string"}, "application/xml"),
    "api.activate_workflow_version": ("Make a version the one new cases use", None, ""),
    "api.create_form_version": ("Save a new form version", {
        "type": "object", "required": ["schema"],
        "properties": {"schema": _OBJ, "ui_schema": _OBJ, "comment": {"type": "string"}}}, "application/json"),
    "api.start_case": ("Start a case", {
        "type": "object", "required": ["workflow"],
        "properties": {"workflow": {"type": "string"}, "data": _OBJ}}, "application/json"),
    "api.list_cases": ("Cases the user may see (paged)", None, ""),
    "api.get_case": ("One case with submissions and timeline", None, ""),
    "api.list_tasks": ("The inbox (paged; scope=mine|group|all, sort=due_at)", None, ""),
    "api.get_task": ("A task with its form and current data", None, ""),
    "api.claim": ("Claim a task", None, ""),
    "api.unclaim": ("Return a task to its group", None, ""),
    "api.assign": ("Assign a task to a user (managers)", {
        "type": "object", "required": ["username"],
        "properties": {"username": {"type": "string"}, "reason": {"type": "string"}}}, "application/json"),
    "api.complete": ("Complete a task with form data (422 field errors, 409 conflict)", {
        "type": "object", "properties": {"data": _OBJ}}, "application/json"),
    "api.message": ("Deliver an external message to a waiting case (409 not waiting; 400 use_referral_answer for "
                    "jawaban_rujukan, which goes through POST /api/v1/referrals/{id}/answer)", {
        "type": "object", "required": ["case_id"],
        "properties": {"case_id": {"type": "integer"}, "payload": {}}}, "application/json"),
    "api.openapi_json": ("This document", None, ""),
}

_QUERY = {
    "api.list_cases": [("status", {"type": "string", "enum": ["open", "closed"]}), ("workflow", {"type": "string"}),
                       ("q", {"type": "string"}), ("page", {"type": "integer", "minimum": 1}),
                       ("per_page", {"type": "integer", "minimum": 1, "maximum": 100})],
    "api.list_tasks": [("scope", {"type": "string", "enum": ["mine", "group", "all"]}),
                       ("status", {"type": "string", "enum": ["open", "completed", "cancelled"]}),
                       ("sort", {"type": "string", "enum": ["due_at", "-due_at", "created_at", "-created_at"]}),
                       ("sla_state", {"type": "string"}), ("page", {"type": "integer", "minimum": 1}),
                       ("per_page", {"type": "integer", "minimum": 1, "maximum": 100})],
}


def extra_meta(endpoint: str, summary: str, body: dict[str, Any] | None = None,
               content_type: str = "application/json",
               query: list[tuple[str, dict[str, Any]]] | None = None) -> None:
    """Other domains (SLA, reports, partners) describe their API endpoints here."""
    META[endpoint] = (summary, body, content_type if body else "")
    if query:
        _QUERY[endpoint] = query


def build(app: Flask) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:(\w+):)?(\w+)>", r"{\2}", rule.rule)
        summary, body, ctype = META.get(rule.endpoint, (rule.endpoint, None, ""))
        params = []
        for conv_name, arg in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule):
            params.append({"name": arg, "in": "path", "required": True,
                           "schema": {"type": "integer"} if conv_name == "int" else {"type": "string"}})
        for name, schema in _QUERY.get(rule.endpoint, []):
            params.append({"name": name, "in": "query", "required": False, "schema": schema})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": rule.endpoint.replace(".", "_") + ("" if method == "GET" else "_" + method.lower()),
                "summary": summary,
                "parameters": params,
                "responses": {
                    "200": {"description": "OK"}, "201": {"description": "Created"},
                    "204": {"description": "No content"},
                    **{str(code): {"description": text, "content": {"application/json": {"schema": _ERROR}}}
                       for code, text in ((400, "Bad request"), (401, "Not logged in"), (403, "Forbidden"),
                                          (404, "Not found"), (409, "Conflict"), (413, "Too large"),
                                          (422, "Invalid data"))},
                },
            }
            if body is not None and method in ("POST", "PUT", "PATCH"):
                op["requestBody"] = {"required": True, "content": {ctype: {"schema": body}}}
            if rule.endpoint not in ("api.token", "api.openapi_json"):
                op["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Sinergi API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }
