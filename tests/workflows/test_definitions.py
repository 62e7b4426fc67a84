"""The two PPA workflow files and their forms: upload rules, conventions, legal metadata, diagram."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
from lxml import etree

from server.forms import definition as form_definition
from server.forms import schema as form_schema
from server.forms import structure as form_structure
from server.sla import policy
from server.workflows import sandbox, validation
from tests.workflows.runner import FORMS, WORKFLOWS, form, parsed

pytestmark = pytest.mark.db_independent
KEYS = ["ppa_kasus_kekerasan", "ppa_kasus_tppo"]
LANES = {"penerima_pengaduan", "pendamping", "kepala_uptd", "profesional", "pengelola_data", "mitra_eksternal",
         "gugus_tugas"}
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
PPA_FORMS = sorted(p for p in FORMS.glob("*.schema.json")
                   if not p.name.startswith(("konsultasi", "persetujuan")))
SCHEMA_FILES = sorted(FORMS.glob("*.schema.json"))
FLOW_NODES = ("startEvent", "endEvent", "userTask", "scriptTask", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "subProcess",
              "receiveTask")
LEGAL_BASIS = re.compile(r"UU \d+/\d{4}|Permen PPPA|Perpres|Kemenkes|SIPPN|PP \d+/\d{4}|[Ss]tandar pelayanan|SOP")


def _root(key: str):
    return etree.fromstring((WORKFLOWS / f"{key}.bpmn").read_bytes())


def _form_schema(filename: str):
    path = FORMS / filename
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _validate(key: str):
    """server.workflows.validation.validate, whichever way it resolves forms."""
    params = inspect.signature(validation.validate).parameters
    kwargs = {"lane_mapped": lambda lane: lane in LANES}
    if "form_schema" in params:
        kwargs["form_schema"] = _form_schema
    else:
        kwargs["form_exists"] = lambda f: (FORMS / f).exists()
    if "key" in params:
        kwargs["key"] = key
    return validation.validate(parsed(key), **kwargs)


@pytest.mark.parametrize("key", KEYS)
def test_upload_rules_pass(key):
    assert _validate(key) == []


@pytest.mark.parametrize("key", KEYS)
def test_every_expression_passes_the_sandbox(key):
    expressions = parsed(key).expressions
    kinds = {e.kind for e in expressions}
    assert {"condition", "timer", "script"} <= kinds
    for expr in expressions:
        assert sandbox.check(expr.text, expr.kind) == [], (expr.element_id, expr.text)


@pytest.mark.parametrize("key", KEYS)
def test_process_collaboration_and_lanes(key):
    root = _root(key)
    process = root.find("bpmn:process", NS)
    assert process.get("id") == key and process.get("isExecutable") == "true"
    participant = root.find("bpmn:collaboration/bpmn:participant", NS)
    assert participant is not None and participant.get("processRef") == key
    lanes = [lane.get("name") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)]
    assert lanes and set(lanes) <= LANES and len(set(lanes)) == len(lanes)
    assert set(parsed(key).lanes) <= set(lanes)
    # every top-level flow node sits in exactly one lane
    refs = [ref.text for ref in process.iterfind("bpmn:laneSet/bpmn:lane/bpmn:flowNodeRef", NS)]
    assert len(refs) == len(set(refs))
    nodes = {el.get("id") for tag in FLOW_NODES for el in process.iterfind(f"bpmn:{tag}", NS)}
    assert nodes == set(refs)


@pytest.mark.parametrize("key", KEYS)
def test_user_tasks_have_forms_lanes_and_instructions(key):
    tasks = parsed(key).user_tasks
    assert len(tasks) >= 20
    for task in tasks:
        assert task.lane in LANES, task.bpmn_id
        assert task.form_file and (FORMS / task.form_file).exists(), task.bpmn_id
        if task.ui_form_file:
            assert (FORMS / task.ui_form_file).exists(), task.bpmn_id
        assert task.name and task.name != task.bpmn_id, task.bpmn_id
        assert task.documentation and len(task.documentation) > 30, task.bpmn_id
        assert not task.form_file.startswith("_")


@pytest.mark.parametrize("key", KEYS)
def test_sla_properties_are_known_policies_or_parseable_durations(key):
    with_deadline = 0
    for task in parsed(key).user_tasks:
        props = task.properties
        if "slaPolicy" in props:
            assert props["slaPolicy"] in policy.LEGAL_POLICIES, (task.bpmn_id, props["slaPolicy"])
            start = policy.LEGAL_POLICIES[props["slaPolicy"]].start
            if start not in (policy.CASE_CREATED, policy.TASK_CREATED):
                assert any(start in form_structure.object_layout(form(f.name), form(f.name)).properties
                           for f in SCHEMA_FILES), f"no form sets {start}, the start of {props['slaPolicy']}"
            with_deadline += 1
        if "slaDuration" in props:
            assert "slaPolicy" not in props, task.bpmn_id
            policy.parse_duration(props["slaDuration"])
            assert props.get("slaBasis"), task.bpmn_id
            with_deadline += 1
    assert with_deadline >= 15


LEGAL_TASKS = {
    "ppa_kasus_kekerasan": {"laporan_polisi_tpks": "tpks_police_report", "rujuk_medis_darurat": "medical_72h",
                            "pantau_perlindungan_kdrt": "kdrt_protection", "pantau_keputusan_lpsk": "lpsk_decision",
                            "pantau_restitusi": "restitution", "layanan_darurat": "risk_high"},
    "ppa_kasus_tppo": {"pertolongan_pertama": "tppo_first_aid", "rujukan_rehabilitasi": "tppo_rehabilitation",
                       "pemulangan": "tppo_rehabilitation", "reintegrasi": "tppo_rehabilitation",
                       "pantau_keputusan_lpsk": "lpsk_decision"},
}


@pytest.mark.parametrize("key", KEYS)
def test_legal_deadlines_are_policies_with_their_basis(key):
    tasks = {t.bpmn_id: t for t in parsed(key).user_tasks}
    for bpmn_id, key_ in LEGAL_TASKS[key].items():
        assert tasks[bpmn_id].properties.get("slaPolicy") == key_, bpmn_id
        assert LEGAL_BASIS.search(tasks[bpmn_id].documentation), bpmn_id


@pytest.mark.parametrize("key", KEYS)
def test_boundary_timers_are_non_interrupting_escalations(key):
    process = _root(key).find("bpmn:process", NS)
    tasks = {t.bpmn_id: t for t in parsed(key).user_tasks}
    flows = {f.get("sourceRef"): f.get("targetRef") for f in process.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
    timers = [b for b in process.findall(".//bpmn:boundaryEvent", NS)
              if b.find("bpmn:timerEventDefinition", NS) is not None]
    assert len(timers) >= (7 if key == "ppa_kasus_kekerasan" else 4)
    for timer in timers:
        assert timer.get("cancelActivity") == "false", timer.get("id")
        assert timer.find("bpmn:timerEventDefinition", NS) is not None
        documentation = timer.findtext("bpmn:documentation", namespaces=NS) or ""
        assert LEGAL_BASIS.search(documentation), timer.get("id")
        target = tasks[flows[timer.get("id")]]
        assert target.lane == "kepala_uptd" and target.form_file == "eskalasi.schema.json", timer.get("id")


@pytest.mark.parametrize("key", KEYS)
def test_only_the_open_case_watchers_are_closed_by_the_case_closed_signal(key):
    """E1/E2 (domain §3) wait on receive tasks for staff messages; the normal closure throws 'kasus_ditutup',
    which interrupts exactly those waits, and nothing else is interrupting."""
    process = _root(key).find("bpmn:process", NS)
    receive = {r.get("id"): r.get("messageRef") for r in process.iterfind("bpmn:receiveTask", NS)}
    assert receive == {"tunggu_pengunduran_diri": "Message_korban_mengundurkan_diri",
                       "tunggu_ancaman_baru": "Message_ancaman_baru"}
    signals = [b for b in process.findall(".//bpmn:boundaryEvent", NS)
               if b.find("bpmn:timerEventDefinition", NS) is None]
    assert sorted(b.get("attachedToRef") for b in signals) == sorted(receive)
    for boundary in signals:
        assert boundary.find("bpmn:signalEventDefinition", NS).get("signalRef") == "Signal_kasus_ditutup"
        assert boundary.get("cancelActivity", "true") == "true"
    throw = process.find("bpmn:intermediateThrowEvent[@id='tutup_pemantauan_kasus']", NS)
    flows = {f.get("sourceRef"): f.get("targetRef") for f in process.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
    assert throw.find("bpmn:signalEventDefinition", NS).get("signalRef") == "Signal_kasus_ditutup"
    assert flows["simfoni_terminasi"] == "tutup_pemantauan_kasus" and flows["tutup_pemantauan_kasus"] == "terminasi"
    end = process.find("bpmn:endEvent[@id='selesai_korban_mundur']", NS)
    assert end.find("bpmn:terminateEventDefinition", NS) is not None


@pytest.mark.parametrize("key", KEYS)
def test_timer_values_are_quoted_iso_or_variables(key):
    for expr in parsed(key).expressions:
        if expr.kind == "timer":
            text = expr.text.strip()
            assert re.fullmatch(r'"P[T0-9HMSDW]+"|[a-z_][a-z0-9_]*', text), text


@pytest.mark.parametrize("key", KEYS)
def test_referrals_wait_for_the_partner_answer(key):
    process = _root(key).find("bpmn:process", NS)
    flows = {f.get("sourceRef"): f.get("targetRef") for f in process.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
    referrals = [t for t in parsed(key).user_tasks if t.properties.get("referral") == "true"]
    assert referrals
    for task in referrals:
        assert task.form_file == "rujukan.schema.json" and task.lane == "pendamping"
        catch = process.find(f".//bpmn:intermediateCatchEvent[@id='{flows[task.bpmn_id]}']", NS)
        assert catch is not None, task.bpmn_id
        definition = catch.find("bpmn:messageEventDefinition", NS)
        message = process.getparent().find(f"bpmn:message[@id='{definition.get('messageRef')}']", NS)
        assert message.get("name") == "jawaban_rujukan"
        assert definition.findtext("bpmn:extensionElements/spiffworkflow:messageVariable",
                                   namespaces=NS) == "jawaban_rujukan"
        gateway = flows[catch.get("id")]
        back = [f for f in process.iter(f"{{{NS['bpmn']}}}sequenceFlow")
                if f.get("sourceRef") == gateway and f.get("targetRef") == task.bpmn_id]
        assert back and "ditolak" in back[0].findtext("bpmn:conditionExpression", namespaces=NS)


def test_tppo_throws_the_violence_start_message_with_a_payload():
    root = _root("ppa_kasus_tppo")
    throw = root.find(".//bpmn:intermediateThrowEvent", NS)
    definition = throw.find("bpmn:messageEventDefinition", NS)
    assert root.find(f"bpmn:message[@id='{definition.get('messageRef')}']", NS).get("name") == \
        "start.ppa_kasus_kekerasan"
    payload = definition.findtext("bpmn:extensionElements/spiffworkflow:messagePayload", namespaces=NS)
    assert sandbox.check(payload, "payload") == []
    assert "nama_korban" in payload


def test_end_events_name_the_outcomes():
    ends = {key: {e.get("id") for e in _root(key).iter(f"{{{NS['bpmn']}}}endEvent")} for key in KEYS}
    assert {"terminasi", "dilimpahkan"} <= ends["ppa_kasus_kekerasan"]
    assert {"terminasi", "dialihkan"} <= ends["ppa_kasus_tppo"]
    assert all("selesai_korban_mundur" in found for found in ends.values() if found >= {"terminasi"})


@pytest.mark.parametrize("key", KEYS)
def test_diagram_covers_every_element_inside_its_lane(key):
    root = _root(key)
    process = root.find("bpmn:process", NS)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    shapes = {s.get("bpmnElement"): s.find("dc:Bounds", NS) for s in plane.iterfind("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in plane.iterfind("bpmndi:BPMNEdge", NS)}
    elements = [el for tag in FLOW_NODES for el in process.iter(f"{{{NS['bpmn']}}}{tag}")]
    for el in elements:
        assert el.get("id") in shapes, el.get("id")
    for flow in process.iter(f"{{{NS['bpmn']}}}sequenceFlow"):
        assert len(edges.get(flow.get("id"), [])) >= 2, flow.get("id")
    box = {k: tuple(float(b.get(a)) for a in ("x", "y", "width", "height")) for k, b in shapes.items()}
    for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS):
        lx, ly, lw, lh = box[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = box[ref.text]
            assert lx <= x and x + w <= lx + lw, ref.text
            if not ref.text.startswith("timer_"):  # boundary events sit on their task's edge
                assert ly <= y and y + h <= ly + lh, ref.text


def test_forms_carry_the_summary_and_deadline_fields_the_server_reads():
    from server.cases.service import SUMMARY_KEYS

    fields = set()
    for path in PPA_FORMS:
        fields |= set(form_structure.object_layout(form(path.name), form(path.name)).properties)
    assert set(SUMMARY_KEYS) <= fields
    for start in ("waktu_kejadian", "tgl_pengaduan", "tanggal_laporan_polisi", "tanggal_permohonan",
                  "tanggal_permohonan_lpsk", "tanggal_salinan_putusan", "tanggal_masuk_rumah_aman",
                  "tanggal_perlindungan_sementara"):
        assert start in fields, start


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_form_passes_check_schema_and_examples_validate(path):
    schema = form(path.name)
    assert form_definition.check_schema(schema) == []
    for example in schema.get("examples", []):
        cleaned, errors = form_schema.clean_submission(schema, example)
        assert errors == [] and form_schema.validate(schema, cleaned) == []


@pytest.mark.parametrize("path", PPA_FORMS, ids=lambda p: p.name)
def test_ppa_form_conventions(path):
    schema = form(path.name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and schema.get("title") and schema.get("description")
    assert schema.get("examples"), "a realistic example is required"
    layout = form_structure.object_layout(schema, schema)
    for name in layout.properties:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert name not in {"case_id", "case_reference", "case_unit", "started_by"} | form_schema.RESERVED_KEYS
        node = layout.properties[name]
        assert node.get("title"), f"{name} has no title"
        assert "enum" not in node and "enum" not in (node.get("items") or {}), f"{name}: use oneOf const/title"
    ui_path = Path(str(path).replace(".schema.json", ".uischema.json"))
    ui = json.loads(ui_path.read_text(encoding="utf-8"))
    assert form_definition.check_ui_schema(schema, ui) == []
    assert set(ui["ui:order"]) == set(layout.properties), "ui:order lists every field once"
