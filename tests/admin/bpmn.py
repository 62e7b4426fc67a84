"""Small BPMN documents for the admin tests, built from a process body (no diagram needed to parse)."""

from __future__ import annotations

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs" '
        'targetNamespace="http://bpmn.io/schema/bpmn">\n')


def user_task(task_id: str, name: str, form: str = "persetujuan.schema.json", *, extra: str = "") -> str:
    return (f'<bpmn:userTask id="{task_id}" name="{name}"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />{extra}'
            '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    cond = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition is not None else ""
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">{cond}</bpmn:sequenceFlow>'


def document(body: str, *, process_id: str = "uji", lane: str = "pendamping", nodes: list[str] | None = None,
             name: str = "Uji") -> bytes:
    """A process with one lane holding ``nodes`` (every flow node id when None) and the given body."""
    import re

    ids = nodes if nodes is not None else re.findall(
        r'<bpmn:(?:userTask|startEvent|endEvent|scriptTask|exclusiveGateway|inclusiveGateway|'
        r'intermediateCatchEvent|parallelGateway|boundaryEvent)[^>]*\sid="([^"]+)"', body)
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    lanes = (f'<bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_1" name="{lane}">{refs}</bpmn:lane></bpmn:laneSet>'
             if lane else "")
    return (HEAD + f'<bpmn:process id="{process_id}" name="{name}" isExecutable="true">{lanes}{body}</bpmn:process>'
            "</bpmn:definitions>").encode("utf-8")


def linear(task_names: list[tuple[str, str]], *, process_id: str = "uji", forms: dict[str, str] | None = None,
           extra: dict[str, str] | None = None) -> bytes:
    """start → user tasks in order → end."""
    forms = forms or {}
    extra = extra or {}
    parts = ['<bpmn:startEvent id="start" />']
    previous = "start"
    for i, (task_id, name) in enumerate(task_names):
        parts.append(user_task(task_id, name, forms.get(task_id, "persetujuan.schema.json")))
        parts.append(flow(f"f{i}", previous, task_id))
        parts.append(extra.get(task_id, ""))
        previous = task_id
    parts.append('<bpmn:endEvent id="end" />')
    parts.append(flow("f_end", previous, "end"))
    return document("".join(parts), process_id=process_id)


def gateway(conditions: list[str], *, default: bool = False, before: str = "", process_id: str = "uji",
            form: str = "persetujuan.schema.json") -> bytes:
    """start → [before] → user task ``isi`` (form) → exclusive gateway with one flow per condition → end."""
    flows = []
    targets = []
    for i, condition in enumerate(conditions):
        targets.append(f'<bpmn:endEvent id="end_{i}" />')
        flows.append(flow(f"c{i}", "gw", f"end_{i}", condition))
    if default:
        targets.append('<bpmn:endEvent id="end_default" />')
        flows.append(flow("c_default", "gw", "end_default"))
    start_target = "before" if before else "isi"
    body = ('<bpmn:startEvent id="start" />' + (before and before.replace("BEFORE_ID", "before"))
            + user_task("isi", "Isi", form)
            + '<bpmn:exclusiveGateway id="gw"' + (' default="c_default"' if default else "") + " />"
            + "".join(targets) + flow("f1", "start", start_target) + (flow("f0", "before", "isi") if before else "")
            + flow("f2", "isi", "gw") + "".join(flows))
    return document(body, process_id=process_id)
