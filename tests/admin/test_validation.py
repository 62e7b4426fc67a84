"""The validation report: each broken BPMN file produces its own problem, with the element it is about."""

from __future__ import annotations

from typing import Any

import pytest

from server.workflows import service
from tests.admin import bpmn
from tests.conftest import T0

OK_TASKS = [("isi", "Isi")]


def problems(app: Any, session: Any, xml: bytes, key: str = "uji") -> list[dict[str, Any]]:
    with app.app_context():
        _parsed, found = service.check(session, xml, key=key, now=T0)
        return service.problems_as_details(found)


def codes(found: list[dict[str, Any]]) -> set[tuple[str | None, str]]:
    return {(p["element_id"], p["code"]) for p in found}


def test_a_clean_file_has_no_problems(app: Any, session: Any) -> None:
    assert problems(app, session, bpmn.linear(OK_TASKS)) == []


def test_doctype_and_entities_are_refused_before_parsing(app: Any, session: Any) -> None:
    xxe = bpmn.linear(OK_TASKS).replace(
        b"<bpmn:definitions", b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions', 1)
    found = problems(app, session, xxe)
    assert [p["code"] for p in found] == ["doctype"]
    assert "DOCTYPE" in found[0]["message"]


def test_xml_that_is_not_well_formed(app: Any, session: Any) -> None:
    found = problems(app, session, bpmn.linear(OK_TASKS).replace(b"</bpmn:process>", b""))
    assert [p["code"] for p in found] == ["xml_syntax"]
    assert "well-formed" in found[0]["message"] or "XML" in found[0]["message"]


def test_an_xsd_error_names_the_element_it_is_in(app: Any, session: Any) -> None:
    xml = bpmn.linear(OK_TASKS).replace(b'<bpmn:endEvent id="end" />', b'<bpmn:endEvent id="end" colour="red" />')
    found = problems(app, session, xml)
    assert [(p["element_id"], p["code"]) for p in found] == [("end", "bpmn")]
    assert "colour" in found[0]["message"]


def test_unknown_form(app: Any, session: Any) -> None:
    found = problems(app, session, bpmn.linear(OK_TASKS, forms={"isi": "tidak_ada.schema.json"}))
    assert codes(found) == {("isi", "form_unknown")}
    assert "tidak_ada.schema.json" in found[0]["message"]


def test_unmapped_lane_is_reported_on_the_lane_element(app: Any, session: Any) -> None:
    xml = bpmn.linear(OK_TASKS).replace(b'name="pendamping"', b'name="lajur_tanpa_grup"')
    found = problems(app, session, xml)
    assert codes(found) == {("Lane_1", "lane_unmapped")}
    assert "lajur_tanpa_grup" in found[0]["message"]


def _timer(expression: str, kind: str = "timeDuration") -> bytes:
    body = ('<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="tunggu"><bpmn:timerEventDefinition>'
            f"<bpmn:{kind}>{expression}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
            + bpmn.user_task("isi", "Isi") + '<bpmn:endEvent id="end" />'
            + bpmn.flow("f1", "start", "tunggu") + bpmn.flow("f2", "tunggu", "isi") + bpmn.flow("f3", "isi", "end"))
    return bpmn.document(body)


def test_unquoted_timer(app: Any, session: Any) -> None:
    found = problems(app, session, _timer("PT72H"))
    assert codes(found) == {("tunggu", "timer_unquoted")}
    assert '"PT72H"' in found[0]["message"]


@pytest.mark.parametrize(("expression", "kind"), [('"PT72"', "timeDuration"), ('"besok"', "timeDate"),
                                                  ('"R3/sebentar"', "timeCycle")])
def test_timer_literal_that_does_not_parse(app: Any, session: Any, expression: str, kind: str) -> None:
    assert codes(problems(app, session, _timer(expression, kind))) == {("tunggu", "timer_invalid")}


@pytest.mark.parametrize(("expression", "kind"), [('"PT72H"', "timeDuration"), ('"P3D"', "timeDuration"),
                                                  ('"2026-12-01T09:00:00+07:00"', "timeDate"),
                                                  ('"R3/PT24H"', "timeCycle")])
def test_quoted_timer_literals_pass(app: Any, session: Any, expression: str, kind: str) -> None:
    assert problems(app, session, _timer(expression, kind)) == []


def test_sandbox_refuses_an_import_in_a_condition(app: Any, session: Any) -> None:
    xml = bpmn.gateway(["__import__('os').system('id') == 0"], default=True)
    found = problems(app, session, xml)
    assert ("c0", "sandbox") in codes(found)
    assert "__import__" in next(p for p in found if p["code"] == "sandbox")["message"]


def test_sandbox_refuses_a_script_that_reaches_for_dunders(app: Any, session: Any) -> None:
    script = '<bpmn:scriptTask id="BEFORE_ID"><bpmn:script>x = ().__class__.__base__</bpmn:script></bpmn:scriptTask>'
    found = problems(app, session, bpmn.gateway(['keputusan == "setuju"'], default=True, before=script))
    assert codes(found) == {("before", "sandbox")}


def test_gateway_without_default_whose_conditions_are_not_total(app: Any, session: Any) -> None:
    found = problems(app, session, bpmn.gateway(['keputusan == "setuju"']))
    assert codes(found) == {("gw", "gateway_not_total")}
    assert "kembalikan" in found[0]["message"]  # the counterexample comes from the form's enum


def test_conditions_that_cover_every_value_of_the_form_need_no_default(app: Any, session: Any) -> None:
    xml = bpmn.gateway(['keputusan == "setuju"', 'keputusan == "kembalikan"'])
    assert problems(app, session, xml) == []


def test_numeric_conditions_are_checked_around_their_constants(app: Any, session: Any) -> None:
    gap = bpmn.gateway(["usia_korban &lt; 18", "usia_korban &gt; 18"], form="umur.schema.json")
    total = bpmn.gateway(["usia_korban &lt; 18", "usia_korban &gt;= 18"], form="umur.schema.json")
    with app.app_context():
        from server.forms import service as forms_service

        forms_service.create_version(session, key="umur", now=T0, ui_schema={}, schema={
            "type": "object", "properties": {"usia_korban": {"type": "integer", "title": "Usia"}}})
        session.commit()  # each app context has its own session; only committed work is seen by the next
    assert codes(problems(app, session, gap)) == {("gw", "gateway_not_total")}
    assert problems(app, session, total) == []


def test_a_gateway_flow_without_condition_that_is_not_the_default(app: Any, session: Any) -> None:
    xml = bpmn.gateway(['keputusan == "setuju"']).replace(
        b"</bpmn:process>", b'<bpmn:endEvent id="lain" />' + bpmn.flow("c9", "gw", "lain").encode()
        + b"</bpmn:process>")
    xml = xml.replace(b"<bpmn:flowNodeRef>end_0</bpmn:flowNodeRef>",
                      b"<bpmn:flowNodeRef>end_0</bpmn:flowNodeRef><bpmn:flowNodeRef>lain</bpmn:flowNodeRef>")
    found = problems(app, session, xml)
    # The Spiff parser already refuses this for exclusive gateways; the problem points at the flow.
    assert [p["element_id"] for p in found] == ["c9"]
    assert "condition" in found[0]["message"]


def test_condition_reading_a_variable_no_earlier_form_sets(app: Any, session: Any) -> None:
    found = problems(app, session, bpmn.gateway(['keputusn == "setuju"'], default=True))  # a typo
    assert codes(found) == {("c0", "condition_unknown_variable")}
    assert found[0]["params"]["name"] == "keputusn"


def test_a_field_set_only_after_the_gateway_does_not_count(app: Any, session: Any) -> None:
    body = ('<bpmn:startEvent id="start" />' + bpmn.user_task("awal", "Awal", "konsultasi_catatan.schema.json")
            + '<bpmn:exclusiveGateway id="gw" default="c_default" />'
            + bpmn.user_task("sesudah", "Sesudah") + '<bpmn:endEvent id="end" /><bpmn:endEvent id="end2" />'
            + bpmn.flow("f1", "start", "awal") + bpmn.flow("f2", "awal", "gw")
            + bpmn.flow("c0", "gw", "sesudah", 'keputusan == "setuju"') + bpmn.flow("c_default", "gw", "end2")
            + bpmn.flow("f3", "sesudah", "end"))
    assert codes(problems(app, session, bpmn.document(body))) == {("c0", "condition_unknown_variable")}


def test_script_results_and_start_data_count_as_set_earlier(app: Any, session: Any) -> None:
    script = ('<bpmn:scriptTask id="BEFORE_ID"><bpmn:script>skor = 3\nif case_id:\n    tinggi = skor &gt; 2'
              "</bpmn:script></bpmn:scriptTask>")
    xml = bpmn.gateway(["tinggi and case_reference and started_by", "not (tinggi and case_reference and started_by)"],
                       before=script)
    assert problems(app, session, xml) == []


def test_process_id_must_match_the_workflow_key(app: Any, session: Any) -> None:
    found = problems(app, session, bpmn.linear(OK_TASKS, process_id="lain"), key="uji")
    assert codes(found) == {("lain", "process_id_mismatch")}


def test_shipped_workflows_pass_the_full_report(app: Any, session: Any) -> None:
    with app.app_context():
        for definition in service.list_definitions(session):
            assert service.version_report(session, definition.active_version, now=T0) == [], definition.key


def test_upload_api_returns_422_with_the_problem_list(api: Any) -> None:
    admin = api("admin")
    resp = admin.post("/api/v1/admin/workflows/uji/versions", data=bpmn.gateway(['keputusn == "x"']),
                      content_type="application/xml")
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == "definition_invalid"
    assert {(d["element_id"], d["code"]) for d in body["details"]} >= {("c0", "condition_unknown_variable")}
    check = admin.post("/api/v1/admin/workflows/uji/validate", data=bpmn.linear(OK_TASKS),
                       content_type="application/xml")
    assert check.status_code == 200 and check.get_json() == {"valid": True, "details": []}


def test_a_task_can_only_show_answers_of_other_user_tasks_for_review(app: Any, session: Any) -> None:
    review = '<spiffworkflow:property name="reviewSubmissions" value="{}" />'
    good = bpmn.document(
        '<bpmn:startEvent id="start" />' + bpmn.user_task("isi", "Isi")
        + bpmn.user_task("tinjau", "Tinjau", extra=review.format("isi")) + '<bpmn:endEvent id="end" />'
        + bpmn.flow("f1", "start", "isi") + bpmn.flow("f2", "isi", "tinjau") + bpmn.flow("f3", "tinjau", "end"))
    assert problems(app, session, good) == []
    for wrong in ("tidak_ada", "tinjau", "start"):
        found = problems(app, session, good.replace(b'value="isi" />', f'value="isi, {wrong}" />'.encode()))
        assert codes(found) == {("tinjau", "review_unknown")}, wrong
        assert wrong in found[0]["message"]
