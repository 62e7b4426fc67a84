"""Checks a parsed BPMN definition against the server's rules before it may be stored or activated.

Every problem names the BPMN element it is about (so the modeler can highlight it) and carries a
message in the user's language. The rules, beyond what the Spiff parser and its XSD check:

* every user task names an existing form and sits in a lane; every lane maps to a group;
* every condition, timer expression and script compiles under the sandbox;
* timer literals are quoted and parse as the ISO-8601 duration, date or cycle their event expects;
* a splitting exclusive/inclusive gateway has a default flow, or its conditions are total: no combination
  of the values its variables can take (from the forms' enums and types, or the constants the conditions
  compare with) leaves every condition false;
* every variable a condition reads is set earlier on some path to it: by a form, a script, a message,
  or the start data the server puts into every case.
"""

from __future__ import annotations

import ast
import functools
import itertools
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _

from server.workflows import engine as engine_mod
from server.workflows import sandbox
from server.workflows.engine import ParsedDefinition, Problem

#: Keys the server puts into every case's data at start (see cases.service.start_case).
START_KEYS = frozenset({"case_id", "case_reference", "case_unit", "started_by"})
#: Most value combinations tried when checking that a gateway's conditions are total.
MAX_COMBINATIONS = 4096

FormSchema = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class _Field:
    """What the forms say about one variable: its JSON types and, when finite, its possible values."""

    types: frozenset[str]
    values: tuple[Any, ...] | None  # None: not a finite set


def validate(parsed: ParsedDefinition, *, form_schema: FormSchema, lane_mapped: Callable[[str], bool],
             key: str | None = None, now: datetime | None = None) -> list[Problem]:
    """Every problem of a parsed definition; an empty list means it may be stored and activated."""
    now = now or datetime(2000, 1, 1, tzinfo=UTC)
    problems: list[Problem] = []
    if key is not None and parsed.process_id != key:
        problems.append(Problem(parsed.process_id, "process_id_mismatch", _(
            "The process id %(process)s does not match the workflow %(key)s.", process=parsed.process_id,
            key=key), {"process": parsed.process_id, "key": key}))
    flow = DataFlow(parsed, form_schema)
    problems += check_references(parsed, form_schema=form_schema, lane_mapped=lane_mapped)
    problems += check_expressions(parsed)
    problems += check_timers(parsed, now=now)
    problems += check_gateways(parsed, flow)
    problems += check_condition_variables(parsed, flow)
    return problems


# --------------------------------------------------------------------------------------------------
# References: forms and lanes

#: User-task property: the ids of earlier user tasks whose latest answers the task page shows for review
#: (an approval shows the plan it approves), comma-separated.
REVIEW_PROPERTY = "reviewSubmissions"


def review_ids(properties: dict[str, str]) -> list[str]:
    return [part.strip() for part in (properties.get(REVIEW_PROPERTY) or "").split(",") if part.strip()]



def check_references(parsed: ParsedDefinition, *, form_schema: FormSchema,
                     lane_mapped: Callable[[str], bool]) -> list[Problem]:
    """Every user task names an existing form and is in a lane; every lane maps to a group."""
    problems = []
    for ut in parsed.user_tasks:
        if not ut.form_file:
            problems.append(Problem(ut.bpmn_id, "form_missing", _(
                "The user task has no form (property formJsonSchemaFilename).")))
        elif form_schema(ut.form_file) is None:
            problems.append(Problem(ut.bpmn_id, "form_unknown", _(
                "The form %(form)s does not exist.", form=ut.form_file), {"form": ut.form_file}))
        if ut.ui_form_file and form_schema(ut.ui_form_file) is None:
            problems.append(Problem(ut.bpmn_id, "form_unknown", _(
                "The UI schema %(form)s does not exist.", form=ut.ui_form_file), {"form": ut.ui_form_file}))
        if not ut.lane:
            problems.append(Problem(ut.bpmn_id, "lane_missing", _("The user task is not in a lane.")))
        user_task_ids = {other.bpmn_id for other in parsed.user_tasks}
        for shown in review_ids(ut.properties):
            if shown not in user_task_ids or shown == ut.bpmn_id:
                problems.append(Problem(ut.bpmn_id, "review_unknown", _(
                    "The task shows the answers of %(task)s for review, which is not another user task of this "
                    "process.", task=shown), {"task": shown}))
    lane_ids = {name: el_id for el_id, name in parsed.element_names.items()
                if parsed.element_types.get(el_id) == "lane"}
    for lane in parsed.lanes:
        if not lane_mapped(lane):
            problems.append(Problem(lane_ids.get(lane, lane), "lane_unmapped", _(
                "The lane %(lane)s is not mapped to a group.", lane=lane), {"lane": lane}))
    return problems


# --------------------------------------------------------------------------------------------------
# Expressions and timers


def check_expressions(parsed: ParsedDefinition) -> list[Problem]:
    """Every condition, timer expression and script must compile under the sandbox."""
    problems = []
    for expr in parsed.expressions:
        if not expr.text and expr.kind != "script":
            problems.append(Problem(expr.element_id, "empty_expression", _(
                "The %(kind)s expression is empty.", kind=expr.kind), {"kind": expr.kind}))
            continue
        for message in sandbox.check(expr.text, expr.kind):
            problems.append(Problem(expr.element_id, "sandbox", _(
                "The %(kind)s is refused by the sandbox: %(detail)s", kind=expr.kind, detail=message),
                {"kind": expr.kind, "text": expr.text, "detail": message}))
    return problems


def check_timers(parsed: ParsedDefinition, *, now: datetime) -> list[Problem]:
    """Timer literals must be quoted and parse: a bare PT72H is a Python name and never fires."""
    problems = []
    for timer in engine_mod.timer_definitions(parsed):
        text = timer.expression.strip()
        if not text:
            continue  # reported by check_expressions
        try:
            node: ast.expr | None = ast.parse(text, mode="eval").body
        except SyntaxError:
            node = None
        if not isinstance(node, ast.Constant) and engine_mod.check_timer_value(timer.kind, text, now):
            problems.append(Problem(timer.element_id, "timer_unquoted", _(
                'The timer value %(text)s must be quoted: "%(text)s".', text=text), {"text": text}))
            continue
        if isinstance(node, ast.Constant):
            value = node.value
            if not isinstance(value, str) or not engine_mod.check_timer_value(timer.kind, value, now):
                problems.append(Problem(timer.element_id, "timer_invalid", _(
                    "The timer value %(text)s is not a valid ISO-8601 %(kind)s.", text=str(value),
                    kind=_timer_kind_label(timer.kind)), {"text": str(value), "kind": timer.kind}))
    return problems


def _timer_kind_label(kind: str) -> str:
    return {"duration": _("duration (e.g. P3D, PT24H)"), "date": _("date and time (e.g. 2026-12-01T09:00:00+07:00)"),
            "cycle": _("repeating interval (e.g. R3/PT24H)")}.get(kind, kind)


# --------------------------------------------------------------------------------------------------
# Data flow: which variables can be set before an element runs


class DataFlow:
    """Walks the parsed task-spec graph backwards to find what earlier steps can put into task data."""

    def __init__(self, parsed: ParsedDefinition, form_schema: FormSchema):
        self.parsed = parsed
        self.form_schema = form_schema
        self.procs = {parsed.process_id: parsed.spec, **parsed.subprocess_specs}
        self._callers: dict[str, list[tuple[str, Any]]] = {}
        for proc_name, proc in self.procs.items():
            for ts in proc.task_specs.values():
                called = getattr(ts, "spec", None)
                if isinstance(called, str) and called in self.procs:
                    self._callers.setdefault(called, []).append((proc_name, ts))
        self._fields_cache: dict[str, dict[str, _Field]] = {}
        self._set_by: dict[tuple[int, int], dict[str, _Field]] = {}

    def find(self, bpmn_id: str) -> tuple[str, Any] | None:
        for proc_name, proc in self.procs.items():
            for ts in proc.task_specs.values():
                if getattr(ts, "bpmn_id", None) == bpmn_id:
                    return proc_name, ts
        return None

    def ancestors(self, proc_name: str, spec: Any) -> list[Any]:
        """Every task spec that can run before ``spec`` (through loops, into calling processes)."""
        seen: set[tuple[str, str]] = set()
        found: list[Any] = []
        stack = [(proc_name, ts) for ts in spec.inputs]
        if not spec.inputs:
            stack += self._callers.get(proc_name, [])
        while stack:
            proc, ts = stack.pop()
            if (proc, ts.name) in seen:
                continue
            seen.add((proc, ts.name))
            found.append(ts)
            stack += [(proc, parent) for parent in ts.inputs]
            if not ts.inputs:
                stack += self._callers.get(proc, [])
        return found

    def fields_set_by(self, spec: Any, depth: int = 0) -> dict[str, _Field]:
        """Variables a task spec can set, with what is known about their values."""
        key = (id(spec), depth)
        if key not in self._set_by:
            self._set_by[key] = self._fields_set_by(spec, depth)
        return self._set_by[key]

    def _fields_set_by(self, spec: Any, depth: int) -> dict[str, _Field]:
        out: dict[str, _Field] = {}
        props = dict((getattr(spec, "extensions", None) or {}).get("properties", {}) or {})
        form = props.get("formJsonSchemaFilename")
        if form:
            variable = getattr(spec, "variable", None)
            if variable:
                out[variable] = _Field(frozenset({"object"}), None)
            else:
                out.update(self.form_fields(form))
        for attr in ("script", "prescript", "postscript"):
            code = getattr(spec, attr, None)
            if isinstance(code, str) and code.strip():
                out.update({name: _Field(frozenset(), None) for name in assigned_names(code)})
        definition = getattr(spec, "event_definition", None)
        for event in getattr(definition, "event_definitions", None) or [definition]:
            for attr in ("message_var", "variable"):
                name = getattr(event, attr, None)
                if isinstance(name, str) and name:
                    out[name] = _Field(frozenset(), None)
        for attr in ("output_item", "data_output"):
            item = getattr(spec, attr, None)
            name = getattr(item, "bpmn_id", None) or getattr(item, "name", None)
            if isinstance(name, str) and name:
                out[name] = _Field(frozenset(), None)
        called = getattr(spec, "spec", None)
        if isinstance(called, str) and called in self.procs and depth < 10:
            for ts in self.procs[called].task_specs.values():
                out.update(self.fields_set_by(ts, depth + 1))
        loop_child = getattr(spec, "task_spec", None)
        if isinstance(loop_child, str) and depth < 10:
            for proc in self.procs.values():
                if loop_child in proc.task_specs:
                    out.update(self.fields_set_by(proc.task_specs[loop_child], depth + 1))
        return out

    def form_fields(self, filename: str) -> dict[str, _Field]:
        if filename not in self._fields_cache:
            schema = self.form_schema(filename)
            self._fields_cache[filename] = schema_fields(schema) if isinstance(schema, dict) else {}
        return self._fields_cache[filename]

    def available(self, bpmn_id: str) -> dict[str, _Field] | None:
        """What may be in task data when the element ``bpmn_id`` runs; None if it is not in the model."""
        located = self.find(bpmn_id)
        if located is None:
            return None
        fields: dict[str, _Field] = {k: _Field(frozenset(), None) for k in START_KEYS}
        for ts in self.ancestors(*located):
            for name, info in self.fields_set_by(ts).items():
                fields[name] = _merge(fields.get(name), info)
        return fields


def _merge(old: _Field | None, new: _Field) -> _Field:
    if old is None:
        return new
    values = None if old.values is None or new.values is None else _unique(old.values + new.values)
    types = old.types | new.types if old.types and new.types else frozenset()
    return _Field(types, values)


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for value in values:
        if not any(type(value) is type(seen) and value == seen for seen in out):
            out.append(value)
    return tuple(out)


def schema_fields(schema: dict[str, Any]) -> dict[str, _Field]:
    """Top-level fields a form can submit (also those inside if/then/else, allOf, oneOf, dependencies)."""
    fields: dict[str, _Field] = {}
    defs = schema.get("$defs") or schema.get("definitions") or {}

    def resolve(node: Any, depth: int = 0) -> Any:
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and depth < 10:
            for prefix in ("#/$defs/", "#/definitions/"):
                if ref.startswith(prefix) and isinstance(defs.get(ref[len(prefix):]), dict):
                    return resolve(defs[ref[len(prefix):]], depth + 1)
        return node

    def walk(node: Any, depth: int = 0) -> None:
        node = resolve(node)
        if not isinstance(node, dict) or depth > 10:
            return
        for name, prop in (node.get("properties") or {}).items():
            if isinstance(name, str):
                fields[name] = _merge(fields.get(name), _field_of(resolve(prop), resolve))
        for keyword in ("allOf", "anyOf", "oneOf"):
            for part in node.get(keyword) or []:
                walk(part, depth + 1)
        for keyword in ("if", "then", "else"):
            walk(node.get(keyword), depth + 1)
        for part in (node.get("dependentSchemas") or node.get("dependencies") or {}).values():
            walk(part, depth + 1)

    walk(schema)
    return fields


def _field_of(node: Any, resolve: Callable[[Any], Any]) -> _Field:
    if not isinstance(node, dict):
        return _Field(frozenset(), None)
    kind = node.get("type")
    types = frozenset(kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else [])
    values: list[Any] | None = None
    if "const" in node:
        values = [node["const"]]
    elif isinstance(node.get("enum"), list):
        values = list(node["enum"])
    elif isinstance(node.get("oneOf") or node.get("anyOf"), list):
        options = [resolve(o) for o in node.get("oneOf") or node.get("anyOf")]
        if options and all(isinstance(o, dict) and "const" in o for o in options):
            values = [o["const"] for o in options]
    elif types == {"boolean"}:
        values = [True, False]
    elif types == {"array"}:
        item = _field_of(resolve(node.get("items")), resolve)
        if item.values is not None and len(item.values) <= 8:
            # an empty choice, each single choice, and all of them together
            values = [[], *[[v] for v in item.values], list(item.values)]
    if values is not None and "null" in types:
        values.append(None)
    return _Field(types, tuple(values) if values is not None else None)


@functools.lru_cache(maxsize=1024)
def assigned_names(code: str) -> frozenset[str]:
    """Top-level names a script binds (what it leaves in task data)."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return frozenset()
    scoped = _scoped_nodes(tree)
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                     and id(n) not in scoped and not n.id.startswith("_"))


def read_names(expression: str) -> set[str]:
    """Names an expression reads from task data (not helpers, not comprehension variables)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return set()
    local: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            local |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Lambda):
            local |= {a.arg for a in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]}
        elif isinstance(node, ast.NamedExpr):
            local.add(node.target.id)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and n.id not in local and n.id not in sandbox.HELPERS}


def _scoped_nodes(tree: ast.AST) -> set[int]:
    scoped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp | ast.Lambda):
            scoped |= {id(n) for n in ast.walk(node)}
    return scoped


def check_condition_variables(parsed: ParsedDefinition, flow: DataFlow) -> list[Problem]:
    """Every variable a condition reads must be set by a form, script or message earlier on the path."""
    problems = []
    for expr in parsed.expressions:
        if expr.kind != "condition" or not expr.gateway_id or sandbox.check(expr.text, "condition"):
            continue
        available = flow.available(expr.gateway_id)
        if available is None:
            continue
        for name in sorted(read_names(expr.text) - set(available)):
            problems.append(Problem(expr.element_id, "condition_unknown_variable", _(
                "The condition reads %(name)s, but no form, script or message before this point sets it.",
                name=name), {"name": name, "gateway": expr.gateway_id}))
    return problems


# --------------------------------------------------------------------------------------------------
# Gateways: a default flow, or conditions that cover every case


def check_gateways(parsed: ParsedDefinition, flow: DataFlow) -> list[Problem]:
    """A splitting exclusive/inclusive gateway needs a default flow or conditions that are total."""
    problems = []
    outgoing: dict[str, list[str]] = {}
    conditions = {e.element_id: e.text for e in parsed.expressions if e.kind == "condition"}
    for flow_id, source, _target in parsed.flows:
        outgoing.setdefault(source, []).append(flow_id)
    for element_id, kind in parsed.element_types.items():
        if kind not in ("exclusiveGateway", "inclusiveGateway"):
            continue
        flows = outgoing.get(element_id, [])
        if not flows or (len(flows) == 1 and flows[0] not in conditions):
            continue  # a merging gateway, or one unconditional way out
        located = flow.find(element_id)
        default = getattr(located[1], "default_task_spec", None) if located else None
        if default:
            continue
        unconditioned = [f for f in flows if f not in conditions]
        if unconditioned:
            problems.append(Problem(element_id, "gateway_flow_without_condition", _(
                "A flow leaving this gateway (%(flows)s) has no condition and is not the default.",
                flows=", ".join(unconditioned)), {"flows": unconditioned}))
            continue
        texts = [conditions[f] for f in flows]
        if any(sandbox.check(t, "condition") for t in texts):
            continue  # reported by check_expressions
        gap = uncovered_case(texts, flow.available(element_id) or {})
        if gap is not None:
            shown = ", ".join(f"{k} = {v!r}" for k, v in sorted(gap.items())) or "-"
            problems.append(Problem(element_id, "gateway_not_total", _(
                "The gateway has no default flow and no condition holds when %(values)s; add a default flow "
                "or a condition for that case.", values=shown), {"example": {k: repr(v) for k, v in gap.items()}}))
    return problems


def uncovered_case(conditions: list[str], fields: dict[str, _Field]) -> dict[str, Any] | None:
    """Values for the conditions' variables under which every condition is false, or None if none is found.

    Variables with a finite set of values (form enums, booleans, small multi-selects) are enumerated;
    others are sampled around the constants the conditions compare with, and only in the types the
    form declares. A combination on which a condition fails to evaluate (wrong type) is not counted.
    """
    names = sorted(set().union(*(read_names(c) for c in conditions)))
    constants = _constants(conditions)
    domains = [_samples(fields.get(name), constants) for name in names]
    total = 1
    for domain in domains:
        total *= max(len(domain), 1)
    if total > MAX_COMBINATIONS:
        return None
    for combo in itertools.product(*domains):
        scope = dict(zip(names, combo, strict=True))
        results = []
        for text in conditions:
            try:
                results.append(bool(sandbox.evaluate(text, scope, time_limit=0.2)))
            except sandbox.SandboxError:
                results.append(None)
        if all(r is False for r in results):
            return scope
    return None


def _constants(conditions: Iterable[str]) -> list[Any]:
    found: list[Any] = []
    for text in conditions:
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and not isinstance(node.value, bytes | complex):
                found.append(node.value)
    return list(dict.fromkeys(found))


def _samples(field: _Field | None, constants: list[Any]) -> list[Any]:
    if field is not None and field.values is not None:
        return list(field.values)
    types = field.types if field is not None else frozenset()
    numbers = [c for c in constants if isinstance(c, int | float) and not isinstance(c, bool)]
    strings = [c for c in constants if isinstance(c, str)]
    samples: list[Any] = []
    if not types or types & {"number", "integer"}:
        for c in numbers or [0]:
            samples += [c - 1, c - 0.5, c, c + 0.5, c + 1]
        if types & {"integer"} and not types & {"number"}:
            samples = [s for s in samples if float(s).is_integer()]
        samples = [int(s) if float(s).is_integer() else s for s in samples]
    if not types or "string" in types:
        samples += [*strings, "", "(other)"]
    if not types or "boolean" in types:
        samples += [True, False]
    if not types or "null" in types:
        samples.append(None)
    if types & {"array"}:
        samples += [[], [*strings], *[[s] for s in strings]]
    return list(_unique(tuple(samples)))
