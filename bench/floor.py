"""The library floor: the same completion done with SpiffWorkflow, jsonschema and one database row, in-process.

One step = lock and read the row, deserialize, validate the submission with jsonschema (format checks on),
complete the READY user task, run the engine steps, serialize, write the row, commit. The parsed
definition is kept in memory and left out of the stored state (as the library notes recommend), so
the floor is the cheapest sane way to do the step with the libraries; the default script engine is
used (no sandbox). Nothing of the Sinergi server is imported.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from jsonschema import Draft202012Validator
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

try:  # the server lifts the iterator depth limit; the floor must be able to run long loops too
    from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
    from SpiffWorkflow.util.task import TaskIterator
    from SpiffWorkflow.workflow import Workflow

    _orig = BpmnBaseWorkflow.get_tasks_iterator

    def _deep(self: Any, first_task: Any = None, **kw: Any) -> Any:
        kw.setdefault("max_depth", 10**7)
        return _orig(self, first_task, **kw)

    def _is_completed(self: Any) -> bool:
        if not self.completed:
            try:
                next(TaskIterator(self.task_tree, state=TaskState.NOT_FINISHED_MASK, max_depth=10**7))
            except StopIteration:
                self.completed = True
        return bool(self.completed)

    BpmnBaseWorkflow.get_tasks_iterator = _deep  # type: ignore[method-assign]
    Workflow.is_completed = _is_completed  # type: ignore[method-assign]
except ImportError:  # pragma: no cover
    pass

ROOT = Path(__file__).resolve().parent.parent


def _serializer(spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflowSerializer:
    class SpeclessConverter(BpmnWorkflowConverter):
        def to_dict(self, workflow: Any) -> dict[str, Any]:
            dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct: dict[str, Any]) -> Any:
            workflow = self.target_class(spec, subprocess_specs, deserializing=True)
            workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
            workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
            self.set_default_attributes(workflow, dct)
            self.subprocesses_from_dict(dct["subprocesses"], workflow)
            workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
            return workflow

    config = copy.copy(DEFAULT_CONFIG)
    config[BpmnWorkflow] = SpeclessConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


class Floor:
    """Cases of the konsultasi workflow stored in a ``bench_floor`` table of the given database."""

    def __init__(self, conn: Any, kind: str, process_id: str = "konsultasi",
                 bpmn: Path = ROOT / "workflows" / "konsultasi.bpmn", forms_dir: Path = ROOT / "forms"):
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_file(str(bpmn))
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = _serializer(self.spec, self.subprocess_specs)
        self.forms_dir = forms_dir
        self.validators: dict[str, Draft202012Validator] = {}
        self.conn = conn
        self.kind = kind
        self.ph = "?" if kind == "sqlite" else "%s"
        cur = conn.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
        conn.commit()
        self._next_id = 1 + (self._scalar("SELECT COALESCE(MAX(id), 0) FROM bench_floor") or 0)

    def _scalar(self, sql: str, *params: Any) -> Any:
        cur = self.conn.cursor()
        cur.execute(sql, params)
        row = cur.fetchone()
        return row[0] if row else None

    def validator(self, form_file: str) -> Draft202012Validator:
        v = self.validators.get(form_file)
        if v is None:
            schema = json.loads((self.forms_dir / form_file).read_text())
            v = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            self.validators[form_file] = v
        return v

    def new_case(self) -> int:
        wf = BpmnWorkflow(self.spec, self.subprocess_specs)
        wf.do_engine_steps()
        case_id = self._next_id
        self._next_id += 1
        cur = self.conn.cursor()
        cur.execute(f"INSERT INTO bench_floor (id, state) VALUES ({self.ph}, {self.ph})",
                    (case_id, self.serializer.serialize_json(wf)))
        self.conn.commit()
        return case_id

    def step(self, case_id: int, payloads: dict[str, dict[str, Any]]) -> tuple[float, str, int]:
        """Complete the case's READY user task; returns (seconds, bpmn id completed, state bytes)."""
        t0 = time.perf_counter()
        cur = self.conn.cursor()
        if self.kind == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
            cur.execute("SELECT state FROM bench_floor WHERE id = ?", (case_id,))
        else:
            cur.execute("SELECT state FROM bench_floor WHERE id = %s FOR UPDATE", (case_id,))
        state = cur.fetchone()[0]
        wf = self.serializer.deserialize_json(state)
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        spec = task.task_spec
        data = payloads[spec.bpmn_id]
        form_file = spec.extensions["properties"]["formJsonSchemaFilename"]
        errors = list(self.validator(form_file).iter_errors(data))
        if errors:
            raise ValueError(errors)
        spec.add_data_from_form(task, copy.deepcopy(data))
        task.run()
        wf.refresh_timers()
        wf.do_engine_steps()
        new_state = self.serializer.serialize_json(wf)
        cur.execute(f"UPDATE bench_floor SET state = {self.ph} WHERE id = {self.ph}", (new_state, case_id))
        self.conn.commit()
        return time.perf_counter() - t0, spec.bpmn_id, len(new_state)
