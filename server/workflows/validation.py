"""Checks a parsed BPMN definition against the server's rules before it may be stored or activated."""

from __future__ import annotations

from collections.abc import Callable

from server.workflows import sandbox
from server.workflows.engine import ParsedDefinition, Problem

_EXPRESSION_KINDS = {"condition", "timer", "payload", "loop"}


def check_expressions(parsed: ParsedDefinition) -> list[Problem]:
    """Every condition, timer expression and script must compile under the sandbox."""
    problems = []
    for expr in parsed.expressions:
        if not expr.text:
            problems.append(Problem(expr.element_id, "empty_expression", f"empty {expr.kind} expression",
                                    {"kind": expr.kind}))
            continue
        for message in sandbox.check(expr.text, expr.kind):
            problems.append(Problem(expr.element_id, "sandbox", f"{expr.kind}: {message}",
                                    {"kind": expr.kind, "text": expr.text}))
    return problems


def check_timers(parsed: ParsedDefinition) -> list[Problem]:
    """Timer literals must be quoted ISO-8601 values (a bare PT72H is a Python name and never fires)."""
    import re

    problems = []
    iso = re.compile(r"^R?\d*/?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
    for expr in parsed.expressions:
        if expr.kind != "timer" or not expr.text:
            continue
        text = expr.text.strip()
        if iso.match(text):
            problems.append(Problem(expr.element_id, "timer_unquoted",
                                    f"timer value {text} must be quoted: \"{text}\"", {"text": text}))
            continue
        if text[:1] in "\"'" and text[-1:] == text[:1]:
            literal = text[1:-1]
            if not (iso.match(literal) or _looks_like_datetime(literal) or "/" in literal):
                problems.append(Problem(expr.element_id, "timer_invalid",
                                        f"timer value {literal} is not an ISO-8601 duration or date",
                                        {"text": literal}))
    return problems


def _looks_like_datetime(value: str) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        return False


def check_gateways(parsed: ParsedDefinition) -> list[Problem]:
    """An exclusive or inclusive gateway that splits needs a default flow (totality is then guaranteed)."""
    problems = []
    outgoing: dict[str, list[str]] = {}
    conditional = {e.element_id for e in parsed.expressions if e.kind == "condition"}
    for flow_id, source, _target in parsed.flows:
        outgoing.setdefault(source, []).append(flow_id)
    for element_id, kind in parsed.element_types.items():
        if kind not in ("exclusiveGateway", "inclusiveGateway"):
            continue
        flows = outgoing.get(element_id, [])
        if len(flows) < 2:
            continue
        spec = _find_task_spec(parsed, element_id)
        has_default = bool(getattr(spec, "default_task_spec", None)) if spec is not None else False
        if not has_default and any(f not in conditional for f in flows):
            problems.append(Problem(element_id, "gateway_flow_without_condition",
                                    "a flow leaving this gateway has no condition and is not the default"))
        elif not has_default:
            problems.append(Problem(element_id, "gateway_no_default",
                                    "gateway has no default flow; if no condition holds the case stops"))
    return problems


def _find_task_spec(parsed: ParsedDefinition, bpmn_id: str) -> object | None:
    for proc in [parsed.spec, *parsed.subprocess_specs.values()]:
        for ts in proc.task_specs.values():
            if getattr(ts, "bpmn_id", None) == bpmn_id:
                return ts
    return None


def check_references(parsed: ParsedDefinition, *, form_exists: Callable[[str], bool],
                     lane_mapped: Callable[[str], bool]) -> list[Problem]:
    """Every user task names an existing form; every lane maps to a group."""
    problems = []
    for ut in parsed.user_tasks:
        if not ut.form_file:
            problems.append(Problem(ut.bpmn_id, "form_missing", "user task has no form (formJsonSchemaFilename)"))
        elif not form_exists(ut.form_file):
            problems.append(Problem(ut.bpmn_id, "form_unknown", f"form {ut.form_file} does not exist",
                                    {"form": ut.form_file}))
        if ut.ui_form_file and not form_exists(ut.ui_form_file):
            problems.append(Problem(ut.bpmn_id, "form_unknown", f"UI schema {ut.ui_form_file} does not exist",
                                    {"form": ut.ui_form_file}))
        if not ut.lane:
            problems.append(Problem(ut.bpmn_id, "lane_missing", "user task is not in a lane"))
    for lane in parsed.lanes:
        if not lane_mapped(lane):
            problems.append(Problem(lane, "lane_unmapped", f"lane {lane} is not mapped to a group", {"lane": lane}))
    return problems


def validate(parsed: ParsedDefinition, *, form_exists: Callable[[str], bool],
             lane_mapped: Callable[[str], bool]) -> list[Problem]:
    return (check_references(parsed, form_exists=form_exists, lane_mapped=lane_mapped)
            + check_expressions(parsed) + check_timers(parsed) + check_gateways(parsed))
