"""CSV and XLSX exports: the SIMFONI-PPA period report (masking by role, period, categories) and the
dashboard tables."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.db import unit_of_work
from tests.conftest import T0
from tests.sla import helpers as h

# Answers as the intake (pengaduan) and identification forms give them.
VICTIM = {"jenis_kasus": "KtP", "nama_korban": "Siti Aminah", "nik_korban": "1376014501900001",
          "jenis_kekerasan": ["fisik", "psikis"], "usia_korban": 16, "jenis_kelamin_korban": "perempuan",
          "tempat_kejadian": "rumah_tangga", "kecamatan": "Payakumbuh Barat", "pendidikan": "sltp",
          "pelaku": [{"nama_pelaku": "X", "hubungan": "orang_tua"}, {"nama_pelaku": "Y", "hubungan": "tetangga"}]}
CHILD = {"jenis_kasus": "KtA", "nama_korban": "=HYPERLINK(\"http://x\",\"klik\")", "jenis_kekerasan": ["seksual"],
         "usia_korban": 9, "jenis_kelamin_korban": "laki_laki"}


def _office_with_cases(app):
    with app.app_context(), unit_of_work() as s:
        office = h.Office(s, T0)
        for when, data in ((T0, VICTIM), (T0 + timedelta(minutes=5), CHILD),
                           (T0 - timedelta(days=400), {"jenis_kasus": "KtP", "nama_korban": "Di luar periode"})):
            result = h.start(s, "konsultasi", when, username=office.pendamping.username, data=data)
            h.record_submission(s, result, data, office.pendamping)
    return office


def _csv(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.headers["Content-Type"].startswith("text/csv")
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_case_report_masks_identifying_fields_for_the_data_officer_only(app, session, api, frozen):
    office = _office_with_cases(app)
    query = "/api/v1/reports/cases.csv?from=2026-01-01&to=2026-12-31"
    for_data = _csv(api(office.data.username).get(query))
    for_manager = _csv(api(office.kepala.username).get(query))
    assert [r["Case"] for r in for_data] == [r["Case"] for r in for_manager] and len(for_data) == 2
    manager_row, data_row = for_manager[0], for_data[0]
    assert manager_row["Victim's name"] == "Siti Aminah"
    assert manager_row["Victim's NIK"] == "1376014501900001"
    assert data_row["Victim's name"] == "S*** A*****"
    assert "Siti" not in data_row["Victim's name"] and "1376014501900001" not in data_row["Victim's NIK"]
    # the categories are there for everyone, in SIMFONI's words
    assert (data_row["Case type"], data_row["Form of violence"], data_row["Victim's age group"]) == \
        ("Violence against women", "Physical, Psychological", "13-17")
    assert data_row["Place of the incident"] == "Household" and data_row["Victim's sex"] == "Female"
    assert data_row["Relationship of the perpetrator"] == "Parent, Neighbour"
    assert data_row["Victim's education"] == "Junior secondary (SLTP)"
    with app.app_context(), unit_of_work() as s:
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "report.exported",
                                                    AuditEvent.actor_id.in_([office.data.id, office.kepala.id]))
                           .order_by(AuditEvent.id)).scalars().all()
    assert [(e.actor_id, e.details["masked"], e.details["cases"]) for e in events] == \
        [(office.data.id, True, 2), (office.kepala.id, False, 2)]


def test_a_formula_typed_into_a_form_stays_text_in_both_formats(app, session, api, frozen):
    office = _office_with_cases(app)
    a = api(office.kepala.username)
    rows = _csv(a.get("/api/v1/reports/cases.csv?from=2026-11-01&to=2026-11-30"))
    assert rows[1]["Victim's name"].startswith("'=HYPERLINK")
    book = load_workbook(io.BytesIO(a.get("/api/v1/reports/cases.xlsx?from=2026-11-01&to=2026-11-30").data))
    sheet = book["cases"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=3, column=header.index("Victim's name") + 1)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


def test_summary_counts_each_category_value_in_the_period(app, session, api, frozen):
    office = _office_with_cases(app)
    rows = _csv(api(office.data.username).get("/api/v1/reports/cases.csv?from=2026-01-01&to=2026-12-31&view=summary"))
    counts = {(r["Category"], r["Code"]): int(r["Cases"]) for r in rows}
    assert counts[("Cases", "total")] == 2
    assert counts[("Case type", "ktp")] == 1 and counts[("Case type", "kta")] == 1
    # a case with two forms of violence counts under each
    assert counts[("Form of violence", "fisik")] == counts[("Form of violence", "psikis")] == 1
    assert counts[("Form of violence", "seksual")] == 1
    assert counts[("Victim's age group", "6-12")] == 1 and counts[("Victim's age group", "13-17")] == 1
    assert not any(r["Code"] == "Siti Aminah" for r in rows)


def test_xlsx_holds_both_sheets_with_the_same_cases(app, session, api, frozen):
    office = _office_with_cases(app)
    resp = api(office.data.username).get("/api/v1/reports/cases.xlsx?from=2025-01-01&to=2026-12-31")
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="simfoni-20250101-20261231.xlsx"' in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["cases", "summary"]
    cases = list(book["cases"].iter_rows(min_row=2, values_only=True))
    assert len(cases) == 3  # the case of 2025 is inside this longer period
    total = next(r for r in book["summary"].iter_rows(min_row=2, values_only=True) if r[1] == "total")
    assert total[3] == 3
    names = {r[6] for r in cases}
    assert "Siti Aminah" not in names and "S*** A*****" in names


def test_bad_periods_are_refused_clearly(app, session, api):
    a = api("data")
    bad = a.get("/api/v1/reports/cases.csv?from=2026-13-01")
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_date"
    assert a.get("/api/v1/reports/cases.csv?from=2026-05-01&to=2026-04-01").get_json()["code"] == "bad_period"
    assert a.get("/api/v1/reports/cases.csv?view=everything").status_code == 400
    assert api("pendamping").get("/api/v1/reports/cases.csv").status_code == 403


def test_every_dashboard_table_downloads_with_the_dashboard_numbers(app, session, web, api, frozen):
    office = _office_with_cases(app)
    frozen.now = T0 + timedelta(days=3)  # the consultations are past their one working day by now
    summary = api(office.kepala.username).get("/api/v1/sla/summary").get_json()
    web.login(office.data.username)  # a data officer may export, though not open the dashboard
    for key in ("state", "steps", "groups", "people", "months", "breaches", "missed", "step_times", "stages", "years"):
        for fmt in ("csv", "xlsx"):
            resp = web.client.get(f"/reports/sla/{key}.{fmt}")
            assert resp.status_code == 200, (key, fmt)
    steps = _csv(web.client.get("/reports/sla/steps.csv"))
    assert [(r["Step id"], int(r["Late"]), int(r["Total"])) for r in steps] == \
        [(r["bpmn_id"], r["breached"], r["total"]) for r in summary["by_step"]]
    book = load_workbook(io.BytesIO(web.client.get("/reports/sla/breaches.xlsx").data))
    late = list(book["breaches"].iter_rows(min_row=2, values_only=True))
    assert len(late) == summary["by_state"]["breached"] == 3
    years = _csv(web.client.get("/reports/sla/years.csv"))
    assert {r["Year"]: int(r["Total"]) for r in years} == {"2025": 1, "2026": 2}
    assert web.client.get("/reports/sla/nope.csv").status_code == 404
    assert web.client.get("/sla/").status_code == 403
