"""The modeler in a real browser: change a task name, save, activate, start a case that shows the new name."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
VENDOR = Path(__file__).resolve().parents[2] / "server/static/vendor/bpmn-js/bpmn-modeler.production.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"),
    pytest.mark.skipif(not VENDOR.exists(), reason="bpmn-js is not vendored: run `npm ci && sh scripts/vendor.sh`"),
]


@pytest.fixture(scope="module")
def live_server(committed_app: Any) -> Any:
    """A real server on 127.0.0.1 (free port, in a thread) on a fresh database."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, committed_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        try:
            yield chromium
        finally:
            chromium.close()


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "sinergi-demo")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def test_rename_a_task_in_the_modeler_then_a_new_case_shows_the_new_name(live_server: str, browser: Any) -> None:
    errors: list[str] = []
    admin = browser.new_context().new_page()
    _login(admin, live_server, "admin")
    admin.on("pageerror", lambda exc: errors.append(str(exc)))
    admin.on("response", lambda resp: errors.append(f"{resp.status} {resp.url}")
             if resp.status >= 400 and not resp.url.endswith("/favicon.ico") else None)
    admin.goto(live_server + "/admin/workflows/konsultasi/modeler")
    admin.wait_for_selector("#modeler-canvas[data-ready=true]")

    admin.click('[data-element-id="catat_konsultasi"]')
    admin.fill("#prop-name", "Catat konsultasi awal")
    admin.fill("#modeler-comment", "renamed in the browser")
    admin.click("#modeler-save")
    admin.wait_for_selector("#modeler-version-link")
    assert "2" in admin.inner_text("#modeler-status")

    admin.click("#modeler-version-link")
    admin.wait_for_load_state()
    assert admin.locator(".problems").count() == 0  # the validation report is clean
    admin.click("form[action$='/activate'] button")
    admin.wait_for_load_state()
    assert "/admin/workflows/konsultasi/" in admin.url
    assert errors == [], errors

    worker = browser.new_context().new_page()
    _login(worker, live_server, "pendamping")
    worker.goto(live_server + "/cases/new")
    worker.check("input[value=konsultasi]")
    worker.click("form button.primary")
    worker.wait_for_load_state()
    assert worker.inner_text("h1").startswith("Catat konsultasi awal")


def test_properties_panel_edits_what_sinergi_reads_and_check_highlights_problems(live_server: str,
                                                                                 browser: Any) -> None:
    page = browser.new_context().new_page()
    _login(page, live_server, "admin")
    page.goto(live_server + "/admin/workflows/konsultasi/modeler")
    page.wait_for_selector("#modeler-canvas[data-ready=true]")

    page.click('[data-element-id="tinjau_konsultasi"]')
    page.select_option("#prop-form", "konsultasi_tindak_lanjut.schema.json")
    page.fill("#prop-slaDuration", "P2D")
    page.press("#prop-slaDuration", "Tab")
    page.fill("#prop-slaBasis", "SOP uji")
    page.press("#prop-slaBasis", "Tab")
    lane = page.locator('[data-element-id="Lane_kepala"]').bounding_box()
    page.mouse.click(lane["x"] + lane["width"] - 30, lane["y"] + lane["height"] - 15)  # empty part of the lane
    page.select_option("#prop-lane-group", "pendamping")
    xml = page.evaluate("window.sinergiModeler.saveXML().then(r => r.xml)")
    assert 'value="konsultasi_tindak_lanjut.schema.json"' in xml
    assert 'name="slaDuration" value="P2D"' in xml and 'name="slaBasis" value="SOP uji"' in xml
    assert 'id="Lane_kepala" name="pendamping"' in xml
    assert 'name="formUiSchemaFilename" value="konsultasi_catatan.uischema.json"' in xml  # other tasks untouched

    page.click('[data-element-id="catat_konsultasi"]')
    page.select_option("#prop-form", "")
    page.click("#modeler-validate")
    page.wait_for_selector("#modeler-problems:not([hidden])")
    assert "catat_konsultasi" in page.inner_text("#modeler-problems")
    assert page.locator('[data-element-id="catat_konsultasi"].sinergi-problem').count() == 1
