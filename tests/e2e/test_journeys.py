"""Sinergi as people use it, in a real browser against a real server and database.

Each journey starts from what the API can set up quickly (a case moved along to the step that matters)
and then does, in Chromium, what the person in that role does. Every journey saves desktop and 390-px phone
screenshots into test-artifacts/screenshots/ and checks that nothing overflows the phone width.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.helpers import BROWSER, PASSWORD, drive_until, field_value, flash, shoot, submit, task_row

pytestmark = BROWSER

RED = "rgb(164, 14, 38)"  # --bad in app.css


def _reference(page: Any) -> str:
    return page.inner_text(".crumbs a").strip()


def test_intake_registers_a_complaint_and_starts_a_case(live: Any, open_as: Any) -> None:
    page = open_as("intake")
    page.click("nav.mainnav a[href='/cases/new']")
    shoot(page, "01-intake-new-case")
    page.check("#wf-ppa_kasus_kekerasan")
    submit(page, "main form button.primary")
    assert re.search(r"/tasks/\d+$", page.url), page.url
    reference = _reference(page)
    assert reference in flash(page)

    page.select_option("#f-cara_pengaduan", "datang_langsung")
    _fill_registration(page, victim="Rahmi Yuliani (fiktif)", kinds=("fisik", "psikis"), place="rumah_tangga",
                       relation="suami_istri", story="Korban dipukul suami setelah bertengkar soal nafkah.")
    page.check("#f-ranah_kdrt")
    shoot(page, "01-intake-registration-form")
    submit(page)

    # Identification is the caseworkers' step: the intake officer lands on the case page.
    assert flash(page), page.inner_text("main")[:500]
    assert re.search(r"/cases/\d+$", page.url), page.url
    assert page.inner_text("h1").strip() == reference
    assert "Rahmi Yuliani (fiktif)" in page.inner_text(".submission")
    assert page.locator(".tasklist li", has_text="Identifikasi").count() == 1
    shoot(page, "01-intake-case-page")


def _fill_registration(page: Any, *, victim: str, kinds: tuple[str, ...], place: str, relation: str,
                       story: str) -> None:
    """The required parts of the complaint registration form (pengaduan), as the intake officer types them."""
    page.fill("#f-tgl_pengaduan", "2026-11-23T08:30")
    page.fill("#f-nama_pelapor", "Yusnidar (fiktif)")
    page.fill("#f-nama_korban", victim)
    page.fill("#f-usia_korban", "29")
    page.check("input[name='f.jenis_kelamin_korban'][value=perempuan]")
    page.fill("#f-kecamatan", "Payakumbuh Barat")
    page.fill("#f-waktu_kejadian", "2026-11-22T21:00")
    page.select_option("#f-tempat_kejadian", place)
    for kind in kinds:
        page.check(f"input[name='f.jenis_kekerasan'][value={kind}]")
    page.fill("#f-kronologi", story)
    page.fill("#f-pelaku-0-nama_pelaku", "A (fiktif)")
    page.select_option("#f-pelaku-0-hubungan", relation)


def test_intake_registers_a_trafficking_case_referred_by_another_agency(live: Any, open_as: Any) -> None:
    page = open_as("intake")
    page.goto(live.url + "/cases/new")
    page.check("#wf-ppa_kasus_tppo")
    submit(page, "main form button.primary")
    reference = _reference(page)
    referrer = page.locator("#f-lembaga_perujuk")
    page.select_option("#f-cara_pengaduan", "datang_langsung")
    assert referrer.is_hidden()
    page.select_option("#f-cara_pengaduan", "rujukan")  # referred: the form asks by whom
    assert referrer.is_visible()
    referrer.fill("BP3MI Sumatera Barat (fiktif)")
    _fill_registration(page, victim="Sari Dewi (fiktif)", kinds=("trafficking", "eksploitasi"),
                       place="tempat_kerja", relation="majikan",
                       story="Korban dijanjikan kerja di luar negeri, paspor ditahan agen, gaji tidak dibayar.")
    shoot(page, "01-intake-trafficking-registration")
    submit(page)
    assert flash(page), page.inner_text("main")[:800]
    assert reference in page.inner_text("main")
    case = [c for c in live.api("kepala").get("/api/v1/cases?workflow=ppa_kasus_tppo")["items"]
            if c["reference"] == reference][0]
    registration = live.api("kepala").get(f"/api/v1/cases/{case['id']}")["submissions"][0]["data"]
    assert registration["cara_pengaduan"] == "rujukan"
    assert registration["lembaga_perujuk"] == "BP3MI Sumatera Barat (fiktif)"
    assert sorted(registration["jenis_kekerasan"]) == ["eksploitasi", "trafficking"]


def test_caseworker_claims_fixes_errors_sees_a_condition_and_edits_repeatable_rows(live: Any, open_as: Any) -> None:
    intake = live.api("intake")
    case = intake.post("/api/v1/cases", {"workflow": "ppa_kasus_kekerasan"})
    drive_until(live.app, case["id"], "identifikasi")

    page = open_as("pendamping")
    row = task_row(page, case["reference"], "Identifikasi")
    assert row.count() == 1, page.inner_text("main")[:1000]
    with page.expect_navigation():
        row.locator("form[action$='/claim'] button").click()
    row = task_row(page, case["reference"], "Identifikasi")
    assert row.locator("form[action$='/claim']").count() == 0  # held by me now
    shoot(page, "02-caseworker-inbox")

    with page.expect_navigation():
        row.locator("a").first.click()
    kewenangan_lain = page.locator("#f-wilayah_kewenangan")
    # An empty submission: every problem is listed on top and shown next to its field.
    submit(page)
    summary = page.locator(".form-error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('form-error-summary')")
    for name in ("jenis_kasus", "tingkat_risiko", "kewenangan", "dasar_hukum"):
        field = page.locator(f"#f-{name}")
        assert "has-error" in (field.get_attribute("class") or ""), name
        assert field.locator(".field-error").is_visible(), name
        assert summary.locator(f"a[href^='#f-{name}']").count() == 1, name
    shoot(page, "02-caseworker-form-errors")

    # The conditional part: another authority needs its name; ours does not.
    page.check("input[name='f.kewenangan'][value=dalam_kewenangan]")
    assert kewenangan_lain.is_hidden()
    page.check("input[name='f.kewenangan'][value=luar_kota]")
    assert kewenangan_lain.is_visible()
    page.check("input[name='f.jenis_kasus'][value=KtP]")
    page.check("input[name='f.tingkat_risiko'][value=rendah]")
    page.check("input[name='f.faktor_risiko'][value=pelaku_serumah]")
    page.fill("#f-catatan_identifikasi", "KDRT fisik ringan; korban ingin konseling.")
    submit(page)
    # Still wrong (no legal basis, no authority named): what was typed is kept.
    assert page.locator(".has-error").count() == 2
    assert page.locator(".has-error#f-dasar_hukum").count() == 1
    assert page.locator(".has-error:has(#f-wilayah_kewenangan)").count() == 1
    assert page.is_checked("input[name='f.jenis_kasus'][value=KtP]")
    assert page.is_checked("input[name='f.tingkat_risiko'][value=rendah]")
    assert page.is_checked("input[name='f.faktor_risiko'][value=pelaku_serumah]")
    assert page.is_checked("input[name='f.kewenangan'][value=luar_kota]")
    assert field_value(page, "#f-catatan_identifikasi") == "KDRT fisik ringan; korban ingin konseling."
    assert kewenangan_lain.is_visible()
    shoot(page, "02-caseworker-form-errors-kept")

    page.check("input[name='f.kewenangan'][value=dalam_kewenangan]")
    assert kewenangan_lain.is_hidden()
    page.check("input[name='f.dasar_hukum'][value=uu_pkdrt]")
    submit(page)
    assert flash(page), page.inner_text("main")[:800]
    assert page.locator(".form-error-summary").count() == 0

    # Later in the case: the intervention plan, a repeatable list of services.
    plan = drive_until(live.app, case["id"], "rencana_intervensi")
    page.goto(f"{live.url}/tasks/{plan['id']}")
    rows = page.locator("#f-layanan [data-row]")
    assert rows.count() == 1
    page.fill("#f-tujuan_intervensi", "Korban aman dan pulih secara psikologis.")
    page.select_option("#f-layanan-0-jenis_layanan", "psikologis")
    page.select_option("#f-layanan-0-penyedia", "internal_uptd")
    page.fill("#f-layanan-0-target_tanggal", "2026-12-11")
    add = page.locator("#f-layanan [data-add-row]")
    add.click()
    add.click()
    assert rows.count() == 3
    assert page.evaluate("document.activeElement.id") == "f-layanan-2-jenis_layanan"  # focus moves to the new row
    page.select_option("#f-layanan-1-jenis_layanan", "mediasi")
    page.select_option("#f-layanan-2-jenis_layanan", "bantuan_hukum")
    page.select_option("#f-layanan-2-penyedia", "lbh_posbakum")
    page.fill("#f-layanan-2-nama_lembaga", "Posbakum PN Payakumbuh (fiktif)")
    page.fill("#f-layanan-2-target_tanggal", "2026-12-18")
    shoot(page, "02-caseworker-plan-three-rows")
    page.locator("#f-layanan-1 [data-remove-row]").click()  # mediation is not allowed here after all
    assert rows.count() == 2
    # The last row moved up: renumbered, and what was typed in it is still there.
    assert page.inner_text("#f-layanan-1 [data-row-number]") == "2"
    assert field_value(page, "#f-layanan-1-jenis_layanan") == "bantuan_hukum"
    assert field_value(page, "#f-layanan-1-nama_lembaga") == "Posbakum PN Payakumbuh (fiktif)"
    shoot(page, "02-caseworker-plan-two-rows")
    submit(page)
    assert flash(page), page.inner_text("main")[:800]

    submitted = live.api("kepala").get(f"/api/v1/cases/{case['id']}")["submissions"]
    layanan = [s["data"] for s in submitted if s["form"] == "rencana_intervensi"][0]["layanan"]
    assert [(r["jenis_layanan"], r["penyedia"]) for r in layanan] == [
        ("psikologis", "internal_uptd"), ("bantuan_hukum", "lbh_posbakum")]


def test_manager_approves_the_plan_and_sees_the_case_on_the_dashboard(live: Any, open_as: Any) -> None:
    case = live.api("intake").post("/api/v1/cases", {"workflow": "ppa_kasus_kekerasan"})
    approval = drive_until(live.app, case["id"], "persetujuan_rencana")

    page = open_as("kepala")
    row = task_row(page, case["reference"], "rencana")
    assert row.count() == 1, page.inner_text("main")[:1000]
    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.url.endswith(f"/tasks/{approval['id']}")
    with page.expect_navigation():
        page.click("form[action$='/claim'] button")
    page.select_option("#f-keputusan", "setuju")
    page.fill("#f-catatan", "Rencana sesuai hasil asesmen.")
    shoot(page, "03-manager-approval")
    submit(page)
    assert flash(page), page.inner_text("main")[:800]

    kepala = live.api("kepala")
    after = [t for t in kepala.get(f"/api/v1/cases/{case['id']}")["tasks"] if t["status"] == "open"]
    assert after, "the approved case has no next step"
    if "sla.dashboard" not in live.app.view_functions:
        pytest.skip("the SLA dashboard (sla.dashboard) is not built yet: approval checked, dashboard not")
    page.click("nav.mainnav a[href='/sla/']")
    assert page.locator("[data-kpi=open_cases] .n").inner_text().strip() != "0"
    steps = page.locator("#steps").inner_text()
    for task in after:
        assert task["name"] in steps, (task["name"], steps[:1000])
    shoot(page, "03-manager-dashboard")


def test_a_deadline_passes_and_the_task_turns_red_in_the_inbox_and_on_the_dashboard(
        live: Any, open_as: Any) -> None:
    pendamping = live.api("pendamping")
    case = pendamping.post("/api/v1/cases", {"workflow": "konsultasi"})
    task = case["tasks"][0]
    assert task["due_at"], "konsultasi's first step has a deadline (1 working day)"
    pendamping.post(f"/api/v1/tasks/{task['id']}/claim", {})

    page = open_as("pendamping")
    row = task_row(page, case["reference"], "konsultasi")
    assert row.locator("[data-sla]").get_attribute("data-sla") == "on_track"

    live.clock.advance(days=3)  # Monday 09:00 → Thursday 09:00: one working day is long gone
    live.tick()

    # Three days later the web session has long ended: the page asks for the login in place, then shows itself.
    response = page.goto(live.url + "/inbox")
    assert response.status == 401
    shoot(page, "04-deadline-session-ended")
    page.fill("#username", "pendamping")
    page.fill("#password", PASSWORD)
    submit(page, "main form.login-form button.primary")
    assert page.url.endswith("/inbox")
    badge = task_row(page, case["reference"], "konsultasi").locator("[data-sla]")
    assert badge.get_attribute("data-sla") == "breached"
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == RED
    assert task_row(page, case["reference"], "konsultasi").evaluate(
        "e => getComputedStyle(e).borderLeftColor") == RED
    page.select_option("#sla", "breached")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert task_row(page, case["reference"], "konsultasi").count() == 1
    shoot(page, "04-deadline-inbox-late")

    if "sla.dashboard" not in live.app.view_functions:
        pytest.skip("the SLA dashboard (sla.dashboard) is not built yet: the inbox turned red, dashboard not checked")
    manager = open_as("kepala")
    manager.goto(live.url + "/sla/")
    assert int(manager.inner_text("[data-kpi=breached] .n")) >= 1
    late = manager.locator("#breaches tr", has_text=case["reference"])
    assert late.count() == 1, manager.inner_text("#breaches")[:800]
    shoot(manager, "04-deadline-dashboard-late")


def test_admin_edits_a_form_and_a_new_case_uses_it(live: Any, open_as: Any) -> None:
    label = "Ringkasan masalah yang disampaikan klien"
    admin = open_as("admin")
    if "admin_forms.edit" in live.app.view_functions:
        admin.goto(live.url + "/admin/forms/")
        with admin.expect_navigation():
            admin.click("a[href$='/admin/forms/konsultasi_catatan/']")
        schema = json.loads(field_value(admin, "#schema"))
        schema["properties"]["ringkasan"]["title"] = label
        admin.fill("#schema", json.dumps(schema, ensure_ascii=False, indent=2))
        admin.fill("#comment", "Label ringkasan diperjelas")
        admin.wait_for_function(
            "t => document.querySelector('#form-preview').textContent.includes(t)", arg=label)
        shoot(admin, "05-admin-form-editor")
        submit(admin, "#form-editor button.primary")
        assert "2" in flash(admin), admin.inner_text("main")[:800]
    else:  # the admin pages are not there yet: the same change through the API
        api = live.api("admin")
        form = api.get("/api/v1/forms/konsultasi_catatan")
        form["schema"]["properties"]["ringkasan"]["title"] = label
        api.post("/api/v1/admin/forms/konsultasi_catatan/versions",
                 {"schema": form["schema"], "ui_schema": form["ui_schema"], "comment": "Label ringkasan diperjelas"})

    page = open_as("pendamping")
    page.goto(live.url + "/cases/new")
    page.check("#wf-konsultasi")
    submit(page, "main form button.primary")
    assert page.inner_text("label[for=f-ringkasan]").startswith(label)
    assert "(v2)" in page.inner_text(".task-facts")
    shoot(page, "05-new-case-uses-the-new-form")


def test_language_switch_to_english_and_back_then_logout(live: Any, open_as: Any) -> None:
    page = open_as("pendamping")
    assert page.get_attribute("html", "lang") == "id"
    assert page.inner_text("h1") == "Kotak Tugas"
    with page.expect_navigation():
        page.click("button[name=locale][value=en]")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Inbox"
    assert page.url.endswith("/inbox")
    shoot(page, "06-language-english")
    with page.expect_navigation():
        page.click("button[name=locale][value=id]")
    assert page.get_attribute("html", "lang") == "id"
    assert page.inner_text("h1") == "Kotak Tugas"

    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    assert "/login" in page.url
    assert flash(page, "info") == "Anda telah keluar."
    shoot(page, "06-logged-out")
    response = page.goto(live.url + "/inbox")
    assert response.status == 401
    assert page.locator("main #username").is_visible()
