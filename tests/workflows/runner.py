"""Drive a shipped workflow through the engine adapter like the server does, form-validating every step.

``CaseRun(..., persist=True)`` dumps and reloads the engine state (with a fresh ``Engine``) after every
step, which is what the server does between requests; ``persist=False`` keeps one instance in memory.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from server.forms import schema as form_schema
from server.workflows import engine as E

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
WORKFLOWS = ROOT / "workflows"
#: Office time zone (WIB) used for the fictitious form dates.
WIB_TZ = timezone(timedelta(hours=7))
#: Monday 2 March 2026, 09:30 WIB.
T0 = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
START_DATA = {"case_id": 1, "case_reference": "UPTDPPA-PYK-2026-0001", "started_by": "intake"}


@cache
def parsed(key: str) -> E.ParsedDefinition:
    return E.parse_definition((WORKFLOWS / f"{key}.bpmn").read_bytes())


@cache
def form(filename: str) -> dict[str, Any]:
    return json.loads((FORMS / filename).read_text(encoding="utf-8"))


def form_errors(filename: str, data: dict[str, Any]) -> list[str]:
    """What the server would refuse: unknown/reserved keys, then schema errors (format checks on)."""
    schema = form(filename)
    cleaned, errors = form_schema.clean_submission(schema, data)
    errors = errors or form_schema.validate(schema, cleaned)
    return [f"{e.path}: {e.keyword} {e.message}" for e in errors]


def wib(moment: datetime) -> str:
    """An ISO date-time in WIB, as the forms carry it."""
    return moment.astimezone(WIB_TZ).isoformat(timespec="seconds")


class CaseRun:
    def __init__(self, key: str, *, persist: bool, now: datetime = T0, data: dict[str, Any] | None = None):
        self.key = key
        self.persist = persist
        self.now = now
        self.definition = parsed(key)
        self.instance = E.Engine().start(self.definition, {**START_DATA, **(data or {})}, now)
        self.thrown: list[E.ThrownMessage] = []
        self.done: list[str] = []  # BPMN ids of the human tasks completed, in order
        self.steps = 0
        self._after_step()

    # -- state ------------------------------------------------------------------------------------
    def _after_step(self) -> None:
        self.thrown.extend(m for m in self.instance.thrown if m.name)
        self.instance.thrown.clear()
        self.steps += 1
        if self.persist:
            state = E.Engine().dump(self.instance)
            self.instance = E.Engine().load(self.definition, state)

    def ready(self) -> dict[str, E.HumanTask]:
        tasks = self.instance.ready_human_tasks()
        by_id = {t.bpmn_id: t for t in tasks}
        assert len(by_id) == len(tasks), f"two ready tasks share a BPMN id: {[t.bpmn_id for t in tasks]}"
        return by_id

    def ready_ids(self) -> set[str]:
        return set(self.ready())

    @property
    def data(self) -> dict[str, Any]:
        return self.instance.data

    def task_data(self, bpmn_id: str) -> dict[str, Any]:
        """The data a ready task sees (unambiguous, unlike the merged ``instance.data``)."""
        return self.instance.task_data(self.ready()[bpmn_id].id)

    @property
    def completed(self) -> bool:
        return self.instance.is_completed

    # -- actions ----------------------------------------------------------------------------------
    def complete(self, bpmn_id: str, data: dict[str, Any], *, at: datetime | None = None,
                 lane: str | None = None) -> None:
        tasks = self.ready()
        assert bpmn_id in tasks, f"{bpmn_id} is not ready; ready: {sorted(tasks)}"
        task = tasks[bpmn_id]
        assert task.form_file, f"{bpmn_id} has no form"
        errors = form_errors(task.form_file, data)
        assert errors == [], f"{bpmn_id} ({task.form_file}) data does not validate: {errors}"
        if lane is not None:
            assert task.lane == lane, f"{bpmn_id} is in lane {task.lane}, expected {lane}"
        if at is not None:
            self.now = at
        self.instance.complete_task(task.id, data, self.now)
        self.done.append(bpmn_id)
        self._after_step()

    def message(self, name: str, payload: dict[str, Any], *, at: datetime | None = None) -> None:
        if name == "jawaban_rujukan":
            assert form_errors("jawaban_rujukan.schema.json", payload) == []
        if at is not None:
            self.now = at
        assert name in self.instance.waiting_messages(), (name, self.instance.waiting_messages())
        assert self.instance.send_message(name, payload, self.now)
        self._after_step()

    def fire(self, at: datetime) -> bool:
        self.now = at
        changed = self.instance.fire_timers(at)
        self._after_step()
        return changed

    def timer_values(self) -> dict[str, datetime]:
        """Due time of every armed timer by boundary-event id (read from the library directly)."""
        out = {}
        for event in self.instance.workflow.waiting_events():
            if "Timer" in str(event.event_type) or "TimeDate" in str(event.event_type):
                if event.value:
                    out[event.name] = datetime.fromisoformat(str(event.value)).astimezone(UTC)
        return out
