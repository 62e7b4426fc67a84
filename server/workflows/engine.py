"""The SpiffWorkflow adapter: the only module of Sinergi that imports SpiffWorkflow.

It parses BPMN (safely, with the Spiff parser and its XSD), runs instances with the sandboxed script
environment, fires timers on the injected clock, and stores instance state *without* the parsed
definition: the definition is parsed once per version and cached per process.
"""

from __future__ import annotations

import contextvars
import copy
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG as _SPIFF_DEFAULT_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskIterator, TaskState
from SpiffWorkflow.workflow import Workflow

from server.workflows import sandbox

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
SERIALIZER_VERSION = "1.5"
_DEEP = 10**7

# --------------------------------------------------------------------------------------------------
# Library fixes applied once at import.
#
# 1. TaskIterator's hidden max_depth=1000 makes a gateway loop stall after ~333 iterations while
#    is_completed() reports True (shared/spiffworkflow.md 4.3). Make every iterator deep.
_orig_get_tasks_iterator = BpmnBaseWorkflow.get_tasks_iterator


def _deep_get_tasks_iterator(self: Any, first_task: Any = None, **kwargs: Any) -> Any:
    kwargs.setdefault("max_depth", _DEEP)
    return _orig_get_tasks_iterator(self, first_task, **kwargs)


def _deep_is_completed(self: Any) -> bool:
    if not self.completed:
        try:
            next(TaskIterator(self.task_tree, state=TaskState.NOT_FINISHED_MASK, max_depth=_DEEP))
        except StopIteration:
            self.completed = True
    return bool(self.completed)


BpmnBaseWorkflow.get_tasks_iterator = _deep_get_tasks_iterator  # type: ignore[method-assign]
Workflow.is_completed = _deep_is_completed  # type: ignore[method-assign]

# 2. Timers read datetime.now() from the module global; route it through the injected clock.
_engine_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("engine_now", default=None)


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> _ClockDatetime:  # type: ignore[override]
        current = _engine_now.get()
        if current is None:
            from server import clock

            current = clock.utcnow()
        value = current.astimezone(tz or UTC)
        return cls.combine(value.date(), value.timetz())


_timer_module.datetime = _ClockDatetime  # type: ignore[attr-defined, misc]


@contextmanager
def engine_time(now: datetime) -> Iterator[None]:
    """Run engine code as if the wall clock said ``now``."""
    if now.tzinfo is None:
        raise ValueError("engine time must be timezone-aware")
    token = _engine_now.set(now)
    try:
        yield
    finally:
        _engine_now.reset(token)


# --------------------------------------------------------------------------------------------------
# Errors and definition metadata


class EngineError(Exception):
    """A workflow could not be parsed, loaded or advanced."""


@dataclass(frozen=True)
class Problem:
    """One validation problem of a definition, tied to a BPMN element when known."""

    element_id: str | None
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class DefinitionInvalidError(EngineError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.element_id or '-'}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str | None
    form_file: str | None
    ui_form_file: str | None
    documentation: str | None
    properties: dict[str, str]


@dataclass(frozen=True)
class ExpressionInfo:
    """A piece of Python in the BPMN: a condition, timer expression, script or payload."""

    element_id: str
    kind: str  # condition | timer | script | prescript | postscript | payload | loop
    text: str
    gateway_id: str | None = None


@dataclass
class ParsedDefinition:
    process_id: str
    name: str
    content_hash: str
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: list[UserTaskInfo]
    lanes: list[str]
    expressions: list[ExpressionInfo]
    element_names: dict[str, str]
    element_types: dict[str, str]
    flows: list[tuple[str, str, str]]  # (flow id, source id, target id)
    message_names: list[str]


# --------------------------------------------------------------------------------------------------
# Safe XML and parsing


def _safe_xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def parse_xml(xml: bytes, *, max_bytes: int = 2 * 1024 * 1024, max_elements: int = 20000) -> Any:
    """Parse untrusted XML: no DTD, no entities, no network; capped size and element count."""
    if len(xml) > max_bytes:
        raise DefinitionInvalidError(
            [Problem(None, "too_large", f"file is larger than {max_bytes} bytes", {"limit": max_bytes})]
        )
    try:
        # BPMN files are UTF-8; any other encoding could carry a DOCTYPE past the byte check below.
        text = xml.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionInvalidError([Problem(None, "encoding", "BPMN files must be UTF-8 encoded")]) from exc
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise DefinitionInvalidError(
            [Problem(None, "doctype", "DOCTYPE and ENTITY declarations are not allowed in BPMN files")]
        )
    try:
        root = etree.fromstring(xml, parser=_safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise DefinitionInvalidError([Problem(None, "xml_syntax", f"XML is not well-formed: {exc}")]) from exc
    if root.getroottree().docinfo.doctype:
        raise DefinitionInvalidError(
            [Problem(None, "doctype", "DOCTYPE and ENTITY declarations are not allowed in BPMN files")]
        )
    count = sum(1 for _ in root.iter())
    if count > max_elements:
        raise DefinitionInvalidError(
            [Problem(None, "too_many_elements", f"more than {max_elements} XML elements",
                     {"limit": max_elements})]
        )
    return root


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _text(node: Any) -> str:
    return (node.text or "").strip() if node is not None else ""


def _collect_metadata(root: Any, process_id: str) -> tuple[
    list[ExpressionInfo], dict[str, str], dict[str, str], list[tuple[str, str, str]], list[str]
]:
    expressions: list[ExpressionInfo] = []
    names: dict[str, str] = {}
    types: dict[str, str] = {}
    flows: list[tuple[str, str, str]] = []
    messages = sorted({m.get("name") or m.get("id") for m in root.iterfind(".//bpmn:message", NS)})
    for proc in root.iterfind("bpmn:process", NS):
        for el in proc.iter():
            if not isinstance(el.tag, str) or not el.tag.startswith("{" + BPMN_NS):
                continue
            local = etree.QName(el).localname
            el_id = el.get("id")
            if el_id:
                names[el_id] = el.get("name") or el_id
                types[el_id] = local
            if local == "sequenceFlow":
                flows.append((el_id, el.get("sourceRef"), el.get("targetRef")))
                cond = el.find("bpmn:conditionExpression", NS)
                if cond is not None and _text(cond):
                    expressions.append(ExpressionInfo(el_id, "condition", _text(cond), el.get("sourceRef")))
            elif local in ("timeDuration", "timeDate", "timeCycle"):
                owner = el.getparent().getparent()
                expressions.append(ExpressionInfo(owner.get("id"), "timer", _text(el)))
            elif local == "scriptTask":
                expressions.append(ExpressionInfo(el_id, "script", _text(el.find("bpmn:script", NS))))
            elif local in ("loopCondition", "completionCondition"):
                owner = el.getparent().getparent()
                expressions.append(ExpressionInfo(owner.get("id"), "loop", _text(el)))
        for el in proc.iter(f"{{{SPIFF_NS}}}preScript", f"{{{SPIFF_NS}}}postScript",
                            f"{{{SPIFF_NS}}}messagePayload"):
            owner = el
            while owner is not None and not owner.get("id"):
                owner = owner.getparent()
            kind = etree.QName(el).localname.lower().replace("messagepayload", "payload")
            if _text(el):
                expressions.append(ExpressionInfo(owner.get("id") if owner is not None else "?", kind, _text(el)))
    return expressions, names, types, flows, messages


def _task_info(ts: Any) -> dict[str, Any]:
    """What the server needs to know of a human task spec (form, lane, properties)."""
    props = dict((getattr(ts, "extensions", None) or {}).get("properties", {}) or {})
    return {"bpmn_id": ts.bpmn_id, "name": ts.bpmn_name or ts.bpmn_id, "lane": ts.lane,
            "form_file": props.get("formJsonSchemaFilename"), "ui_form_file": props.get("formUiSchemaFilename"),
            "documentation": getattr(ts, "documentation", None), "properties": props}


def _user_tasks(spec: Any, subprocess_specs: dict[str, Any]) -> list[UserTaskInfo]:
    return [UserTaskInfo(**_task_info(ts)) for proc in [spec, *subprocess_specs.values()]
            for ts in proc.task_specs.values() if getattr(ts, "manual", False)]


def parse_definition(xml: bytes, *, max_bytes: int = 2 * 1024 * 1024, max_elements: int = 20000,
                     process_id: str | None = None) -> ParsedDefinition:
    """Parse and XSD-validate a BPMN document; return the executable process and its metadata."""
    root = parse_xml(xml, max_bytes=max_bytes, max_elements=max_elements)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename="definition.bpmn")
        executable = [p.get("id") for p in root.iterfind("bpmn:process", NS)
                      if p.get("isExecutable", "true") == "true"]
        if process_id is None:
            if not executable:
                raise DefinitionInvalidError([Problem(None, "no_process", "no executable process found")])
            process_id = executable[0]
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        element = getattr(exc, "id", None) or getattr(exc, "sourceline", None)
        raise DefinitionInvalidError([Problem(str(element) if element else None, "bpmn", str(exc).strip())]) from exc
    except DefinitionInvalidError:
        raise
    except Exception as exc:  # the library raises many types on malformed models
        raise DefinitionInvalidError([Problem(None, "bpmn", f"{type(exc).__name__}: {exc}")]) from exc
    lanes = sorted({ts.lane for p in [spec, *subprocess_specs.values()] for ts in p.task_specs.values()
                    if getattr(ts, "lane", None)})
    expressions, names, types, flows, messages = _collect_metadata(root, process_id)
    return ParsedDefinition(
        process_id=process_id, name=spec.description or process_id, content_hash=content_hash(xml),
        spec=spec, subprocess_specs=subprocess_specs, user_tasks=_user_tasks(spec, subprocess_specs),
        lanes=lanes, expressions=expressions, element_names=names, element_types=types, flows=flows,
        message_names=messages,
    )


class _DefinitionCache:
    """Parsed definitions by content hash; parsing happens once per version per process."""

    def __init__(self, size: int = 64):
        self._items: OrderedDict[str, ParsedDefinition] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, xml: bytes | Callable[[], bytes], digest: str | None = None) -> ParsedDefinition:
        """The parsed definition for ``digest``; ``xml`` may be a callable, called only on a miss."""
        if digest is None:
            xml = xml() if callable(xml) else xml
            digest = content_hash(xml)
        with self._lock:
            hit = self._items.get(digest)
            if hit is not None:
                self._items.move_to_end(digest)
                return hit
        if callable(xml):
            xml = xml()
        parsed = parse_definition(xml)
        with self._lock:
            self._items[digest] = parsed
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return parsed


definitions = _DefinitionCache()

# --------------------------------------------------------------------------------------------------
# Script environment


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Every condition, timer expression and script runs through the RestrictedPython sandbox."""

    def __init__(self, time_limit: float = 1.0):
        super().__init__({})
        self.time_limit = time_limit

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        scope = dict(context)
        scope.update(external_context or {})
        return sandbox.evaluate(expression, scope, time_limit=self.time_limit)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        sandbox.execute(script, context, time_limit=self.time_limit)
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise EngineError("service tasks are not available in Sinergi")


# --------------------------------------------------------------------------------------------------
# Serialization without the spec


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Stores an instance without its spec; the spec is handed back in on restore."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> Any:
        if spec is None:
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_serializer() -> BpmnWorkflowSerializer:
    config = copy.copy(_SPIFF_DEFAULT_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    return BpmnWorkflowSerializer(registry)


_serializer = _build_serializer()

# --------------------------------------------------------------------------------------------------
# Instances


@dataclass(frozen=True)
class HumanTask(UserTaskInfo):
    """A READY human task of an instance: its spec's information plus the task's id."""

    id: str


@dataclass(frozen=True)
class ThrownMessage:
    name: str
    payload: Any


def _sandbox_cause(exc: BaseException) -> sandbox.SandboxError | None:
    """SpiffWorkflow wraps script errors in its own exceptions; find a sandbox error in the chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sandbox.SandboxError):
            return current
        inner = getattr(current, "exception", None)
        current = inner if isinstance(inner, BaseException) else (current.__cause__ or current.__context__)
    return None


class Instance:
    """A running case in memory. Load, act, dump: never kept across requests."""

    def __init__(self, definition: ParsedDefinition, workflow: Any, engine: Engine):
        self.definition = definition
        self.workflow = workflow
        self._engine = engine
        self.thrown: list[ThrownMessage] = []

    # queries ---------------------------------------------------------------------------------
    def ready_human_tasks(self) -> list[HumanTask]:
        tasks = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        return [self._human(t) for t in tasks]

    def _human(self, task: Any) -> HumanTask:
        return HumanTask(id=str(task.id), **_task_info(task.task_spec))

    def task_data(self, task_id: str) -> dict[str, Any]:
        task = self.workflow.get_task_from_id(UUID(task_id))
        return dict(task.data)

    @property
    def is_completed(self) -> bool:
        return bool(self.workflow.is_completed())

    @property
    def data(self) -> dict[str, Any]:
        """The case's current data: every task's data merged in the order the tasks last changed, so
        the latest value wins after parallel branches (tree order would let an older branch win)."""
        if self.workflow.is_completed():
            return dict(self.workflow.data)
        merged: dict[str, Any] = {}
        live = TaskState.READY | TaskState.WAITING | TaskState.COMPLETED
        tasks = [t for t in self._all_tasks() if t.state & live]
        for task in sorted(tasks, key=lambda t: t.last_state_change or 0):
            merged.update(task.data)
        return merged

    def _all_tasks(self) -> list[Any]:
        """Every task of the instance, subprocesses included."""
        tasks = list(self.workflow.tasks.values())
        for sub in self.workflow.subprocesses.values():
            tasks.extend(sub.tasks.values())
        return tasks

    def end_events_reached(self) -> list[str]:
        """BPMN ids of the top-level end events that completed (for the case's outcome)."""
        return [t.task_spec.bpmn_id for t in self.workflow.tasks.values()
                if t.state == TaskState.COMPLETED and type(t.task_spec).__name__ == "EndEvent"]

    def completed_bpmn_ids(self) -> set[str]:
        return {t.task_spec.bpmn_id for t in self._all_tasks()
                if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id}

    def timer_due_times(self) -> list[datetime]:
        due: list[datetime] = []
        for event in self.workflow.waiting_events():
            # DurationTimer-, CycleTimer- and TimeDateEventDefinition (the legal deadlines use timeDate)
            if ("Timer" in str(event.event_type) or "TimeDate" in str(event.event_type)) and event.value:
                value = event.value
                if isinstance(value, dict):
                    value = value.get("next")
                try:
                    due.append(datetime.fromisoformat(str(value)).astimezone(UTC))
                except ValueError:
                    continue
        return sorted(due)

    def next_timer_due(self) -> datetime | None:
        due = self.timer_due_times()
        return due[0] if due else None

    def waiting_messages(self) -> list[str]:
        return sorted({e.name for e in self.workflow.waiting_events()
                       if "Message" in str(e.event_type)})

    # actions ---------------------------------------------------------------------------------
    def _advance(self, now: datetime) -> None:
        with engine_time(now):
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps()
            self._collect_events()

    def _collect_events(self) -> None:
        for event in self.workflow.get_events():
            # Only named events (messages, signals) leave the process; a terminate end event also
            # surfaces here and carries no name.
            name = getattr(event.event_definition, "name", None)
            if name:
                self.thrown.append(ThrownMessage(name, event.payload))

    def run(self, now: datetime) -> None:
        """Run every automatic step that is ready (after start or restore)."""
        try:
            self._advance(now)
        except sandbox.SandboxError:
            raise
        except WorkflowException as exc:
            cause = _sandbox_cause(exc)
            if cause is not None:
                raise cause from exc
            raise EngineError(str(exc)) from exc

    def complete_task(self, task_id: str, data: dict[str, Any], now: datetime) -> None:
        """Merge form data into a READY human task, complete it and advance the engine."""
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except Exception as exc:
            raise EngineError(f"task {task_id} not found") from exc
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise EngineError(f"task {task_id} is not ready")
        try:
            with engine_time(now):
                task.task_spec.add_data_from_form(task, copy.deepcopy(data))
                task.run()
            self._advance(now)
        except sandbox.SandboxError:
            raise
        except WorkflowException as exc:
            cause = _sandbox_cause(exc)
            if cause is not None:
                raise cause from exc
            raise EngineError(str(exc)) from exc

    def fire_timers(self, now: datetime) -> bool:
        """Fire every timer that is due at ``now``; True if anything changed."""
        before = {str(t.id): t.state for t in self.workflow.tasks.values()}
        self.run(now)
        after = {str(t.id): t.state for t in self.workflow.tasks.values()}
        return before != after

    def send_message(self, name: str, payload: Any, now: datetime) -> bool:
        """Deliver an external message; False if the instance is not waiting for it."""
        if name not in self.waiting_messages():
            return False
        event = BpmnEvent(MessageEventDefinition(name), payload=payload)
        with engine_time(now):
            self.workflow.catch(event)
        self.run(now)
        return True

    def set_data(self, values: dict[str, Any]) -> None:
        """Put values into the data of every READY/WAITING task (reserved engine keys)."""
        for task in self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
            task.data.update(values)

    def task_count(self) -> int:
        return len(self.workflow.tasks)


class Engine:
    """Builds and restores instances with the sandboxed script engine."""

    def __init__(self, time_limit: float = 1.0):
        self.script_engine = PythonScriptEngine(environment=SandboxEnvironment(time_limit))

    def start(self, definition: ParsedDefinition, data: dict[str, Any], now: datetime) -> Instance:
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=self.script_engine)
        workflow.task_tree.data.update(copy.deepcopy(data))
        for task in workflow.get_tasks():
            if task is not workflow.task_tree:
                task.data.update(copy.deepcopy(data))
        instance = Instance(definition, workflow, self)
        instance.run(now)
        return instance

    def load(self, definition: ParsedDefinition, state: str) -> Instance:
        dct = json.loads(state)
        version = dct.pop(_serializer.VERSION_KEY, SERIALIZER_VERSION)
        if version != SERIALIZER_VERSION:
            raise EngineError(f"stored state has serializer version {version}, expected {SERIALIZER_VERSION}")
        workflow = _serializer.registry.restore(
            dct, spec=definition.spec, subprocess_specs=definition.subprocess_specs
        )
        workflow.script_engine = self.script_engine
        return Instance(definition, workflow, self)

    def dump(self, instance: Instance) -> str:
        _serializer.registry._encoder_mode = True
        try:
            dct = _serializer.registry.convert(instance.workflow)
        finally:
            _serializer.registry._encoder_mode = False
        dct[_serializer.VERSION_KEY] = SERIALIZER_VERSION
        return json.dumps(dct, cls=_serializer._encoder_cls, separators=(",", ":"))


# --------------------------------------------------------------------------------------------------
# Migration and diagrams (admin)
#
# Comparing two versions, moving a running instance to a new version (SpiffWorkflow's spec/instance
# diff, shared/spiffworkflow.md 6), the timers of a definition, and which elements of an instance are
# done or active (for the read-only case diagram).

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition  # noqa: E402
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # noqa: E402
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow  # noqa: E402

#: Task states that may not change under a migration: the work they record has been (or is being) done.
_FROZEN = TaskState.COMPLETED | TaskState.STARTED
_TIMER_KINDS = {DurationTimerEventDefinition: "duration", TimeDateEventDefinition: "date",
                CycleTimerEventDefinition: "cycle"}


@dataclass(frozen=True)
class SpecChange:
    """One flow element that differs between two versions of a definition."""

    bpmn_id: str
    name: str
    change: str  # added | removed | changed
    attributes: tuple[str, ...] = ()
    process_id: str = ""


@dataclass(frozen=True)
class TaskRef:
    bpmn_id: str
    name: str
    state: str


@dataclass
class MigrationCheck:
    """What moving an instance to another version would do; ``safe`` is the library diff plus the rule that
    no completed or started task may change or disappear."""

    safe: bool
    blocking: list[TaskRef] = field(default_factory=list)  # completed/started tasks changed or removed
    reset: list[TaskRef] = field(default_factory=list)     # ready/waiting tasks that will be re-created
    timers: list[TaskRef] = field(default_factory=list)    # waiting timers that start again from `now`
    missing_subprocesses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TimerInfo:
    element_id: str
    kind: str  # duration | date | cycle
    expression: str


def _bpmn_specs(spec: Any) -> list[Any]:
    return [ts for ts in spec.task_specs.values() if getattr(ts, "bpmn_id", None)]


def _spec_name(ts: Any) -> str:
    return str(getattr(ts, "bpmn_name", None) or ts.bpmn_id)


def diff_definitions(old: ParsedDefinition, new: ParsedDefinition) -> list[SpecChange]:
    """Flow elements added, removed or changed between two parsed definitions (aligned by BPMN id)."""
    changes: list[SpecChange] = []
    pairs = [(old.process_id, old.spec, new.spec)]
    for name, spec in old.subprocess_specs.items():
        pairs.append((name, spec, new.subprocess_specs.get(name)))
    for name, spec in new.subprocess_specs.items():
        if name not in old.subprocess_specs:
            changes += [SpecChange(ts.bpmn_id, _spec_name(ts), "added", process_id=name) for ts in _bpmn_specs(spec)]
    for process_id, before, after in pairs:
        if after is None:
            changes += [SpecChange(ts.bpmn_id, _spec_name(ts), "removed", process_id=process_id)
                        for ts in _bpmn_specs(before)]
            continue
        diff = SpecDiff(_serializer.registry, before, after)
        changes += [SpecChange(ts.bpmn_id, _spec_name(ts), "added", process_id=process_id)
                    for ts in diff.added if getattr(ts, "bpmn_id", None)]
        changes += [SpecChange(ts.bpmn_id, _spec_name(ts), "removed", process_id=process_id)
                    for ts in diff.removed if getattr(ts, "bpmn_id", None)]
        for ts, attributes in diff.changed.items():
            if not getattr(ts, "bpmn_id", None):
                continue
            target = diff.alignment.get(ts)
            if target is not None and getattr(target, "bpmn_id", None) != ts.bpmn_id:
                # aligned by position only: for people this is one element removed and another added
                changes.append(SpecChange(ts.bpmn_id, _spec_name(ts), "removed", process_id=process_id))
                if getattr(target, "bpmn_id", None):
                    changes.append(SpecChange(target.bpmn_id, _spec_name(target), "added", process_id=process_id))
                continue
            changes.append(SpecChange(ts.bpmn_id, _spec_name(target or ts), "changed", tuple(sorted(attributes)),
                                      process_id))
    order = {"removed": 0, "changed": 1, "added": 2}
    return sorted(changes, key=lambda c: (order[c.change], c.process_id != old.process_id, c.bpmn_id))


def _ref(task: Any) -> TaskRef:
    return TaskRef(task.task_spec.bpmn_id or task.task_spec.name, _spec_name(task.task_spec)
                   if getattr(task.task_spec, "bpmn_id", None) else task.task_spec.name,
                   TaskState.get_name(task.state))


def _is_timer(task: Any) -> bool:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def _diffs(instance: Instance, new: ParsedDefinition) -> tuple[Any, dict[str, Any]]:
    return diff_workflow(_serializer.registry, instance.workflow, new.spec, new.subprocess_specs)


def check_migration(instance: Instance, new: ParsedDefinition) -> MigrationCheck:
    """Whether ``instance`` can move to ``new``, and what would be reset (nothing is changed here)."""
    top, subs = _diffs(instance, new)
    check = MigrationCheck(safe=True)
    seen: set[str] = set()
    for diff in [top, *subs.values()]:
        if diff is None:
            continue
        for task in [*diff.changed, *diff.removed]:
            if task.state & _FROZEN and str(task.id) not in seen:
                seen.add(str(task.id))
                check.blocking.append(_ref(task))
    for sp_id, diff in subs.items():
        if diff is None:
            check.missing_subprocesses.append(str(instance.workflow.subprocesses[sp_id].spec.name))
    for workflow in [instance.workflow, *instance.workflow.subprocesses.values()]:
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True):
            if not getattr(task.task_spec, "bpmn_id", None):
                continue
            (check.timers if _is_timer(task) else check.reset).append(_ref(task))
    check.safe = not check.blocking and not check.missing_subprocesses
    return check


def migrate_instance(instance: Instance, new: ParsedDefinition, now: datetime) -> Instance:
    """Move a running instance to ``new`` (ready and waiting tasks are re-created, timers restart at ``now``).

    Raises EngineError when the move is not safe; the caller stores the returned instance."""
    check = check_migration(instance, new)
    if not check.safe:
        raise EngineError("instance cannot be migrated: " + ", ".join(
            [f"{t.bpmn_id} ({t.state})" for t in check.blocking] + check.missing_subprocesses))
    top, subs = _diffs(instance, new)
    workflow = instance.workflow
    with engine_time(now):
        migrate_workflow(top, workflow, new.spec)
        for sp_id, diff in subs.items():
            sub = workflow.subprocesses[sp_id]
            migrate_workflow(diff, sub, new.subprocess_specs[sub.spec.name])
        workflow.subprocess_specs = new.subprocess_specs
    migrated = Instance(new, workflow, instance._engine)
    migrated.run(now)
    return migrated


def instance_progress(instance: Instance) -> tuple[set[str], set[str]]:
    """BPMN ids of completed elements and of active ones (ready, waiting or started), for the diagram."""
    done: set[str] = set()
    active: set[str] = set()
    workflows = [instance.workflow, *instance.workflow.subprocesses.values()]
    for workflow in workflows:
        for task in workflow.tasks.values():
            bpmn_id = getattr(task.task_spec, "bpmn_id", None)
            if not bpmn_id:
                continue
            if task.state == TaskState.COMPLETED:
                done.add(bpmn_id)
            elif task.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED):
                active.add(bpmn_id)
    return done - active, active


def timer_definitions(parsed: ParsedDefinition) -> list[TimerInfo]:
    """Every timer event of the definition with its kind and (Python) expression."""
    found: list[TimerInfo] = []
    for proc in [parsed.spec, *parsed.subprocess_specs.values()]:
        for ts in _bpmn_specs(proc):
            definition = getattr(ts, "event_definition", None)
            inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
            for item in inner:
                kind = _TIMER_KINDS.get(type(item))
                if kind is not None:
                    found.append(TimerInfo(ts.bpmn_id, kind, str(item.expression or "")))
    return found


def check_timer_value(kind: str, value: str, now: datetime) -> bool:
    """True if the library's timer code accepts ``value`` (the evaluated expression) for ``kind``."""
    try:
        with engine_time(now):
            if kind == "duration":
                TimerEventDefinition.parse_iso_duration(value)
            elif kind == "date":
                TimerEventDefinition.parse_time_or_duration(value)
                if value.upper().startswith("P"):
                    return False
            else:
                TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # the library raises bare Exception / ValueError / AttributeError on bad input
        return False
    return True
