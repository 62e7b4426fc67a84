"""Helpers for the SLA tests: a small workflow with a deadline on its task and a boundary timer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.auth.models import User

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="SLA test {key}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_{key}">
      <bpmn:lane id="Lane_p" name="pendamping">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>tugas</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_ok</bpmn:flowNodeRef><bpmn:flowNodeRef>timer</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_k" name="kepala_uptd">
        <bpmn:flowNodeRef>eskalasi</bpmn:flowNodeRef><bpmn:flowNodeRef>end_late</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="tugas" name="Tugas dengan tenggat">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="persetujuan.schema.json" />
        {props}
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    {timer_xml}
    <bpmn:userTask id="eskalasi" name="Eskalasi">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="persetujuan.schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end_ok"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_late"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tugas" />
    <bpmn:sequenceFlow id="f2" sourceRef="tugas" targetRef="end_ok" />
    <bpmn:sequenceFlow id="f3" sourceRef="timer" targetRef="eskalasi" />
    <bpmn:sequenceFlow id="f4" sourceRef="eskalasi" targetRef="end_late" />
  </bpmn:process>
</bpmn:definitions>
"""

TIMER = """<bpmn:boundaryEvent id="timer" name="Tenggat" attachedToRef="tugas" cancelActivity="true">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration>"{duration}"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>"""


def bpmn(key: str, *, props: dict[str, str] | None = None, timer: str | None = "PT2H") -> bytes:
    """A workflow ``key``: task ``tugas`` (pendamping) with ``props``; an interrupting boundary ``timer``
    leads to ``eskalasi`` (kepala_uptd). Without a timer, ``eskalasi`` is unreachable but valid."""
    prop_xml = "".join(f'<spiffworkflow:property name="{k}" value="{v}" />' for k, v in (props or {}).items())
    if timer:
        timer_xml = TIMER.format(duration=timer)
    else:  # keep the flow to eskalasi valid with an unreachable intermediate timer
        timer_xml = ('<bpmn:intermediateCatchEvent id="timer"><bpmn:outgoing>f3</bpmn:outgoing>'
                     '<bpmn:timerEventDefinition id="td"><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
                     '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    return BPMN.format(key=key, props=prop_xml, timer_xml=timer_xml).encode()


def install(session: Any, key: str, now: Any, **kw: Any) -> None:
    from server.workflows import service as workflows_service

    workflows_service.create_version(session, key=key, xml=bpmn(key, **kw), now=now, activate=True)


def user(session: Any, username: str) -> User:
    return session.execute(select(User).where(User.username == username)).scalar_one()


def start(session: Any, key: str, now: Any, username: str = "pendamping", data: dict[str, Any] | None = None) -> Any:
    from server.cases import service as cases_service

    return cases_service.start_case(session, workflow_key=key, user=user(session, username), now=now, data=data)


class Office:
    """A unit of its own with a manager, two caseworkers, a data officer and a professional.

    Each test gets a fresh office so that its figures are its own, whatever other tests left in the
    shared database.
    """

    def __init__(self, session: Any, now: Any):
        import uuid

        from server.auth import service as auth_service

        tag = uuid.uuid4().hex[:6]
        self.code = f"T{tag}"
        unit = auth_service.ensure_unit(session, self.code, f"Kantor uji {tag}")
        template = user(session, "kepala")  # same demo password, without hashing it again

        def make(role: str, name: str) -> User:
            u = User(username=f"{name}_{tag}", full_name=f"{name.title()} {tag}", password_hash=template.password_hash,
                     created_at=now, unit_id=unit.id, notify_prefs={}, locale="en")
            u.groups = [auth_service.ensure_group(session, role)]
            session.add(u)
            session.flush()
            return u

        self.unit = unit
        self.kepala = make("kepala_uptd", "kepala")
        self.pendamping = make("pendamping", "pendamping")
        self.pendamping2 = make("pendamping", "pendamping2")
        self.data = make("pengelola_data", "data")
        self.profesional = make("profesional", "profesional")


def record_submission(session: Any, result: Any, data: dict[str, Any], by: User) -> None:
    """Store form answers for a case's first task as a submission would (what reports read)."""
    from server.cases.models import Submission

    task = result.new_tasks[0]
    session.add(Submission(case_id=result.case.id, task_id=task.id, form_version_id=None, data=data,
                           submitted_by_id=by.id, submitted_at=result.case.created_at))
    session.flush()
